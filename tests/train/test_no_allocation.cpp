// "No heap allocation in steady-state training steps": after warm-up, a whole step
// (forward, attribution backward, Fourier prior, tangent pass, task backward, Adam) makes
// no operator new call. Eigen's GEMM takes its packing buffers from malloc directly when
// they exceed EIGEN_STACK_ALLOCATION_LIMIT; that is not counted here (docs/performance.md).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <random>

#include "attrprior/models/binary.hpp"
#include "attrprior/priors/fourier.hpp"
#include "attrprior/train/losses.hpp"
#include "attrprior/train/optimizers.hpp"
#include "attrprior/train/step.hpp"

#include "../support/count_allocations.hpp"

namespace ap = attrprior;

TEST(SteadyState, StepMakesNoOperatorNewCall) {
    for (bool bn : {true, false}) {
        ap::models::BinaryModelOptions mo;
        mo.length = 200;
        mo.batchnorm = bn;
        auto model = ap::models::make_binary_model<float>(mo, 0);
        const ap::Index B = 16, L = 200;
        std::vector<float> x(B * L * 4, 0.f), y(B, 0.f);
        std::mt19937 gen(0);
        std::uniform_int_distribution<int> base(0, 3);
        for (ap::Index i = 0; i < B * L; ++i) x[i * 4 + base(gen)] = 1.f;
        for (ap::Index b = 0; b < B / 2; ++b) y[b] = 1.f;
        const ap::ConstTensor3<float> xv(x.data(), B, L, 4), yv(y.data(), B, 1, 1);
        const Eigen::VectorXi status = ap::train::status_from_labels(yv);
        ap::priors::FourierPriorOptions po;
        po.freq_limit = 50;
        ap::priors::FourierPrior<float> prior(po);
        ap::train::ClassBalancedBCE<float> loss;
        ap::train::DoubleBackprop<float> step(1.f);
        ap::train::Adam<float> adam;
        for (int i = 0; i < 2; ++i) {  // warm-up: workspaces, plans
            step.step(model, prior, loss, xv, yv, status);
            adam.step(model.parameters(), model.gradients());
        }
        const long before = ap::testing::allocation_count();
        step.step(model, prior, loss, xv, yv, status);
        adam.step(model.parameters(), model.gradients());
        EXPECT_EQ(ap::testing::allocation_count() - before, 0) << (bn ? "with" : "without") << " BatchNorm";
    }
}
