#include "attrprior/train/concepts.hpp"

#include <gtest/gtest.h>

#include "attrprior/priors/fourier.hpp"
#include "attrprior/priors/prior.hpp"
#include "attrprior/priors/smoothness.hpp"
#include "attrprior/priors/sparsity.hpp"
#include "attrprior/train/losses.hpp"
#include "attrprior/train/profile.hpp"
#include "attrprior/train/step.hpp"

namespace ap = attrprior;
using ap::ConstTensor3;
using ap::Tensor3;
using ap::train::is_attribution_target_v;
using ap::train::is_model_loss_v;
using ap::train::is_prior_v;
using ap::train::is_tensor_loss_v;

namespace {

struct Empty {};

/// A user's prior in the documented form, and one that takes the status as a VectorXi
/// (what the step passes, so it works too).
struct UserPrior {
    double value_and_gradient(ConstTensor3<double>, const Eigen::Ref<const Eigen::VectorXi>&, Tensor3<double>) {
        return 0;
    }
};
struct UserPriorTakingVectorXi {
    double value_and_gradient(ConstTensor3<double>, const Eigen::VectorXi&, Tensor3<double>) { return 0; }
};
// Wrong: the status is missing; nothing is returned; float tensors; the member is private.
struct PriorWithoutStatus {
    double value_and_gradient(ConstTensor3<double>, Tensor3<double>) { return 0; }
};
struct PriorReturningNothing {
    void value_and_gradient(ConstTensor3<double>, const Eigen::Ref<const Eigen::VectorXi>&, Tensor3<double>) {}
};
struct FloatPrior {
    float value_and_gradient(ConstTensor3<float>, const Eigen::Ref<const Eigen::VectorXi>&, Tensor3<float>) {
        return 0;
    }
};
class PriorWithPrivateMember {
    double value_and_gradient(ConstTensor3<double>, const Eigen::Ref<const Eigen::VectorXi>&, Tensor3<double>) {
        return 0;
    }
};
// Wrong for a loss: targets must be accepted as const data; the gradient argument is missing.
struct LossWithMutableTargets {
    double value_and_gradient(ConstTensor3<double>, Tensor3<double>, Tensor3<double>) { return 0; }
};
struct LossWithoutGradient {
    double value_and_gradient(ConstTensor3<double>, ConstTensor3<double>) { return 0; }
};
struct ModelLossReturningNothing {
    void value_and_gradient(ap::nn::Model<double>&, ConstTensor3<double>) {}
};
struct TargetWithoutModel {
    void seed() {}
};
struct TargetOfFloatModel {
    void seed(ap::nn::Model<float>&) {}
};

}  // namespace

TEST(Concepts, LibraryPriorsArePriors) {
    EXPECT_TRUE((is_prior_v<ap::priors::NoPrior<double>, double>));
    EXPECT_TRUE((is_prior_v<ap::priors::NoPrior<float>, float>));
    EXPECT_TRUE((is_prior_v<ap::priors::FourierPrior<float>, float>));
    EXPECT_TRUE((is_prior_v<ap::priors::FourierPrior<double>, double>));
    EXPECT_TRUE((is_prior_v<ap::priors::SmoothnessPrior<double>, double>));
    EXPECT_TRUE((is_prior_v<ap::priors::SparsityPrior<float>, float>));
    EXPECT_TRUE((is_prior_v<UserPrior, double>));
    EXPECT_TRUE((is_prior_v<UserPriorTakingVectorXi, double>));
    static_assert(ap::train::check_prior<ap::priors::FourierPrior<float>, float>());
}

TEST(Concepts, WrongPriorsAreNotPriors) {
    EXPECT_FALSE((is_prior_v<Empty, double>));
    EXPECT_FALSE((is_prior_v<PriorWithoutStatus, double>));
    EXPECT_FALSE((is_prior_v<PriorReturningNothing, double>));
    EXPECT_FALSE((is_prior_v<FloatPrior, double>));
    EXPECT_TRUE((is_prior_v<FloatPrior, float>));
    EXPECT_FALSE((is_prior_v<PriorWithPrivateMember, double>));
    EXPECT_FALSE((is_prior_v<ap::priors::FourierPrior<float>, double>));
    // A loss has a three-argument value_and_gradient too, but its second argument is a tensor.
    EXPECT_FALSE((is_prior_v<ap::train::MeanSquaredError<double>, double>));
}

TEST(Concepts, LibraryLossesAreLosses) {
    EXPECT_TRUE((is_tensor_loss_v<ap::train::ClassBalancedBCE<float>, float>));
    EXPECT_TRUE((is_tensor_loss_v<ap::train::MultinomialNLL<double>, double>));
    EXPECT_TRUE((is_tensor_loss_v<ap::train::MeanSquaredError<float>, float>));
    EXPECT_TRUE((is_model_loss_v<ap::train::ProfileLoss<float>, float>));
    EXPECT_TRUE((is_model_loss_v<ap::train::ProfileLoss<double>, double>));
    EXPECT_FALSE((is_model_loss_v<ap::train::ClassBalancedBCE<float>, float>));
    EXPECT_FALSE((is_tensor_loss_v<ap::train::ProfileLoss<float>, float>));
    static_assert(ap::train::check_loss<ap::train::ClassBalancedBCE<float>, float>());
    static_assert(ap::train::check_loss<ap::train::ProfileLoss<double>, double>());
    // The step's own name for the trait still works.
    EXPECT_TRUE((ap::train::detail::is_model_loss<ap::train::ProfileLoss<float>, float>::value));
}

TEST(Concepts, WrongLossesAreNotLosses) {
    EXPECT_FALSE((is_tensor_loss_v<Empty, double>));
    EXPECT_FALSE((is_model_loss_v<Empty, double>));
    EXPECT_FALSE((is_tensor_loss_v<LossWithMutableTargets, double>));
    EXPECT_FALSE((is_tensor_loss_v<LossWithoutGradient, double>));
    EXPECT_FALSE((is_model_loss_v<ModelLossReturningNothing, double>));
    EXPECT_FALSE((is_tensor_loss_v<ap::train::MeanSquaredError<float>, double>));
    EXPECT_FALSE((is_tensor_loss_v<ap::priors::NoPrior<double>, double>));
}

TEST(Concepts, AttributionTargets) {
    EXPECT_TRUE((is_attribution_target_v<ap::train::SumOfOutputs, float>));
    EXPECT_TRUE((is_attribution_target_v<ap::train::SumOfOutputs, double>));
    EXPECT_TRUE((is_attribution_target_v<ap::train::ProfileTarget, float>));
    EXPECT_TRUE((is_attribution_target_v<TargetOfFloatModel, float>));
    EXPECT_FALSE((is_attribution_target_v<TargetOfFloatModel, double>));
    EXPECT_FALSE((is_attribution_target_v<TargetWithoutModel, float>));
    EXPECT_FALSE((is_attribution_target_v<Empty, double>));
    static_assert(ap::train::check_attribution_target<ap::train::ProfileTarget, double>());
}
