// What the training step asks of the classes a user plugs into it, as detection traits and
// as checks that stop compilation with the expected signature.
//
// The step takes the prior, the loss and the attribution target as template parameters, so
// a class without the right member would otherwise fail deep inside the step's template,
// naming none of what it lacks. check_prior<P, Scalar>() and its siblings turn that into
// one static_assert that spells out the member to write.
//
//   prior               Scalar value_and_gradient(ConstTensor3<Scalar> attribution,
//                                                 const Eigen::Ref<const Eigen::VectorXi>& status,
//                                                 Tensor3<Scalar> gradient)        priors/prior.hpp
//   loss (one output)   Scalar value_and_gradient(ConstTensor3<Scalar> outputs,
//                                                 ConstTensor3<Scalar> targets,
//                                                 Tensor3<Scalar> gradient)        train/losses.hpp
//   loss (the model)    Scalar value_and_gradient(nn::Model<Scalar>& model,
//                                                 ConstTensor3<Scalar> targets)    ProfileLoss
//   attribution target  void seed(nn::Model<Scalar>& model)                        SumOfOutputs
// Each trait asks whether the call the step makes compiles (other parameter types that
// accept those arguments, e.g. `const Eigen::VectorXi&` for the status, are fine) and, but
// for the target, whether the result converts to Scalar.
#pragma once

#include <Eigen/Core>

#include <type_traits>
#include <utility>

#include "attrprior/core/tensor.hpp"
#include "attrprior/nn/model.hpp"

namespace attrprior::train {

namespace detail {

// The calls the step makes, as types (ill-formed when the member is missing or does not
// accept these arguments).
template <class Prior, class Scalar>
using prior_call = decltype(std::declval<Prior&>().value_and_gradient(
    std::declval<ConstTensor3<Scalar>>(), std::declval<const Eigen::VectorXi&>(), std::declval<Tensor3<Scalar>>()));
template <class Loss, class Scalar>
using tensor_loss_call = decltype(std::declval<Loss&>().value_and_gradient(
    std::declval<ConstTensor3<Scalar>>(), std::declval<ConstTensor3<Scalar>>(), std::declval<Tensor3<Scalar>>()));
template <class Loss, class Scalar>
using model_loss_call = decltype(std::declval<Loss&>().value_and_gradient(std::declval<nn::Model<Scalar>&>(),
                                                                          std::declval<ConstTensor3<Scalar>>()));
template <class Target, class Scalar>
using seed_call = decltype(std::declval<Target&>().seed(std::declval<nn::Model<Scalar>&>()));

/// True when Call<T, Scalar> is well-formed.
template <template <class, class> class Call, class T, class Scalar, class = void>
struct call_compiles : std::false_type {};
template <template <class, class> class Call, class T, class Scalar>
struct call_compiles<Call, T, Scalar, std::void_t<Call<T, Scalar>>> : std::true_type {};

/// True when Call<T, Scalar> is well-formed and its result converts to Scalar.
template <template <class, class> class Call, class T, class Scalar, class = void>
struct call_returns_scalar : std::false_type {};
template <template <class, class> class Call, class T, class Scalar>
struct call_returns_scalar<Call, T, Scalar, std::void_t<Call<T, Scalar>>>
    : std::is_convertible<Call<T, Scalar>, Scalar> {};

}  // namespace detail

/// True when `Prior` has the prior member for Scalar (see the table above).
template <class Prior, class Scalar>
struct is_prior : detail::call_returns_scalar<detail::prior_call, Prior, Scalar> {};
template <class Prior, class Scalar>
inline constexpr bool is_prior_v = is_prior<Prior, Scalar>::value;

/// True when `Loss` compares one output tensor with its targets (see the table above).
template <class Loss, class Scalar>
struct is_tensor_loss : detail::call_returns_scalar<detail::tensor_loss_call, Loss, Scalar> {};
template <class Loss, class Scalar>
inline constexpr bool is_tensor_loss_v = is_tensor_loss<Loss, Scalar>::value;

/// True when `Loss` is a loss over the whole model (several heads), which writes every
/// output's gradient itself (see the table above).
template <class Loss, class Scalar>
struct is_model_loss : detail::call_returns_scalar<detail::model_loss_call, Loss, Scalar> {};
template <class Loss, class Scalar>
inline constexpr bool is_model_loss_v = is_model_loss<Loss, Scalar>::value;

/// True when `Target` seeds the attribution pass: it writes ds/d(outputs) into the model's
/// output gradients (see the table above). Whatever seed returns is ignored.
template <class Target, class Scalar>
struct is_attribution_target : detail::call_compiles<detail::seed_call, Target, Scalar> {};
template <class Target, class Scalar>
inline constexpr bool is_attribution_target_v = is_attribution_target<Target, Scalar>::value;

/// Stops compilation, naming the expected member, unless Prior is a prior for Scalar.
template <class Prior, class Scalar>
constexpr bool check_prior() {
    static_assert(is_prior_v<Prior, Scalar>,
                  "attrprior: a Prior needs `Scalar value_and_gradient(ConstTensor3<Scalar> attribution, "
                  "const Eigen::Ref<const Eigen::VectorXi>& status, Tensor3<Scalar> gradient)` that returns "
                  "P(attribution) and writes dP/d(attribution) into gradient (see priors/prior.hpp)");
    return true;
}

/// Stops compilation, naming both expected members, unless Loss is a loss of one output or
/// of the whole model for Scalar.
template <class Loss, class Scalar>
constexpr bool check_loss() {
    static_assert(is_tensor_loss_v<Loss, Scalar> || is_model_loss_v<Loss, Scalar>,
                  "attrprior: a Loss needs either `Scalar value_and_gradient(ConstTensor3<Scalar> outputs, "
                  "ConstTensor3<Scalar> targets, Tensor3<Scalar> gradient)` (one output, see train/losses.hpp) "
                  "or `Scalar value_and_gradient(nn::Model<Scalar>& model, ConstTensor3<Scalar> targets)` "
                  "(writes every output's gradient, see ProfileLoss in train/profile.hpp)");
    return true;
}

/// Stops compilation, naming the expected member, unless Target is an attribution target.
template <class Target, class Scalar>
constexpr bool check_attribution_target() {
    static_assert(is_attribution_target_v<Target, Scalar>,
                  "attrprior: an attribution target needs `void seed(nn::Model<Scalar>& model)` that writes "
                  "ds/d(outputs) into model.output_gradient(k) for every output k (see SumOfOutputs in "
                  "train/step.hpp)");
    return true;
}

namespace detail {
/// The name train/step.hpp has used for is_model_loss.
template <class Loss, class Scalar>
using is_model_loss = train::is_model_loss<Loss, Scalar>;
}  // namespace detail

}  // namespace attrprior::train
