// Downstream consumer of attrprior, built by the package.* ctest cases
// (tests/package/CMakeLists.txt) against an installed prefix (find_package), the source
// tree (add_subdirectory) and FetchContent. Exits non-zero if the Fourier prior misbehaves.
#if __has_include(<attrprior/attrprior.hpp>)
#include <attrprior/attrprior.hpp>
#else
#include <attrprior/priors/fourier.hpp>  // fallback until the umbrella header exists
#endif

#include <Eigen/Core>

#include <cmath>
#include <cstdint>
#include <exception>
#include <iostream>
#include <vector>

int main() {
    constexpr attrprior::Index B = 3, L = 64, C = 4;
    const double pi = std::acos(-1.0);

    // Deterministic sinusoid + small LCG noise, so every run sees the same input.
    std::vector<float> attribution(static_cast<std::size_t>(B * L * C));
    std::uint32_t state = 12345u;
    for (attrprior::Index b = 0; b < B; ++b) {
        for (attrprior::Index i = 0; i < L; ++i) {
            for (attrprior::Index c = 0; c < C; ++c) {
                state = state * 1664525u + 1013904223u;
                const double noise = (double(state >> 8) / double(1u << 24) - 0.5) * 0.2;
                const double signal =
                    std::sin(2.0 * pi * double(b + 2) * double(i) / double(L) + 0.5 * double(c));
                attribution[static_cast<std::size_t>((b * L + i) * C + c)] =
                    static_cast<float>(signal + noise);
            }
        }
    }
    // Pre-fill with a sentinel: the prior must overwrite every element (zeros for row 1).
    std::vector<float> gradient(attribution.size(), 1.0f);
    Eigen::VectorXi status(B);
    status << 1, 0, 1;

    try {
        attrprior::priors::FourierPriorOptions options;
        options.freq_limit = 10;
        attrprior::priors::FourierPrior<float> prior(options);
        const float value = prior.value_and_gradient(
            attrprior::ConstTensor3<float>(attribution.data(), B, L, C), status,
            attrprior::Tensor3<float>(gradient.data(), B, L, C));
        std::cout << "attrprior consumer: FourierPrior<float> value = " << value << "\n";

        int failures = 0;
        if (!std::isfinite(value) || value < 0.0f || value > 1.0f) {
            std::cerr << "FAIL: value " << value << " is not a finite number in [0, 1]\n";
            ++failures;
        }
        bool any_nonzero_kept = false;
        for (attrprior::Index b = 0; b < B; ++b) {
            for (attrprior::Index k = 0; k < L * C; ++k) {
                const float g = gradient[static_cast<std::size_t>(b * L * C + k)];
                if (!std::isfinite(g)) {
                    std::cerr << "FAIL: gradient of row " << b << " is not finite\n";
                    return 1;
                }
                if (status[b] != 1 && g != 0.0f) {
                    std::cerr << "FAIL: gradient of status-0 row " << b << " is not all zero\n";
                    return 1;
                }
                if (status[b] == 1 && g != 0.0f) any_nonzero_kept = true;
            }
        }
        if (!any_nonzero_kept) {
            std::cerr << "FAIL: gradient of the status-1 rows is identically zero\n";
            ++failures;
        }
        return failures == 0 ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << "FAIL: exception: " << e.what() << "\n";
        return 1;
    }
}
