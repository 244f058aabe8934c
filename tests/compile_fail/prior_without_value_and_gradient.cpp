// Must not compile: check_prior's static_assert names the member a prior needs (the test
// compile_fail.prior_without_value_and_gradient matches its message).
#include "attrprior/train/concepts.hpp"

struct NotAPrior {
    double value(attrprior::ConstTensor3<double> attribution) const { return attribution.data[0]; }
};

int main() { return attrprior::train::check_prior<NotAPrior, double>() ? 0 : 1; }
