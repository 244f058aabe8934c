// The usage snippet shown in README.md (a test checks that both stay identical).
#include <attrprior/attrprior.hpp>
#include <iostream>
#include <vector>

int main() {
    const attrprior::Index B = 2, L = 1000, C = 4;  // batch x positions x (A,C,G,T)
    std::vector<float> attr(B * L * C, 0.01f), grad(attr.size());
    for (attrprior::Index i = 0; i < L; ++i) attr[i * C] = (i % 7 == 0) ? 1.0f : 0.0f;
    Eigen::VectorXi status(B);
    status << 1, 0;  // only positives (status 1) enter the prior
    attrprior::priors::FourierPrior<float> prior;  // the paper's defaults
    const float p = prior.value_and_gradient({attr.data(), B, L, C}, status,
                                             {grad.data(), B, L, C});
    std::cout << "Fourier prior = " << p << "\n";
}
