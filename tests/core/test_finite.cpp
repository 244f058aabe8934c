#include "attrprior/core/finite.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>
#include <vector>

#include "../support/expect_error.hpp"

namespace ap = attrprior;
using ap::Index;
using ap::testing::error_message;
using ::testing::HasSubstr;

namespace {

template <class Scalar>
class AllFinite : public ::testing::Test {};
using Scalars = ::testing::Types<float, double, long double>;
TYPED_TEST_SUITE(AllFinite, Scalars);

}  // namespace

TYPED_TEST(AllFinite, FindsEveryKindOfNonFiniteValueAnywhere) {
    using S = TypeParam;
    const S bad[] = {std::numeric_limits<S>::quiet_NaN(), std::numeric_limits<S>::infinity(),
                     -std::numeric_limits<S>::infinity()};
    std::vector<S> v(37, S(1.5));
    v[3] = std::numeric_limits<S>::max();
    v[4] = std::numeric_limits<S>::denorm_min();
    v[5] = S(-0.0);
    EXPECT_TRUE(ap::all_finite(v.data(), Index(v.size())));
    for (S b : bad) {
        for (std::size_t at : {std::size_t(0), std::size_t(17), v.size() - 1}) {
            auto w = v;
            w[at] = b;
            EXPECT_FALSE(ap::all_finite(w.data(), Index(w.size()))) << "value " << b << " at " << at;
        }
    }
    EXPECT_TRUE(ap::all_finite(static_cast<const S*>(nullptr), 0));
}

TEST(RequireAllFinite, TensorMessageNamesWhereTheNameTheFirstBadIndexAndItsValue) {
    std::vector<double> v(2 * 3 * 4, 0.25);
    v[(1 * 3 + 2) * 4 + 1] = -std::numeric_limits<double>::infinity();
    v[(1 * 3 + 2) * 4 + 3] = std::numeric_limits<double>::quiet_NaN();
    const ap::ConstTensor3<double> t(v.data(), 2, 3, 4);
    const std::string m = error_message<ap::numeric_error>([&] { ap::require_all_finite("Here::there", "x", t); });
    EXPECT_THAT(m, HasSubstr("Here::there: x[1, 2, 1] = -inf is not finite"));
    v[(1 * 3 + 2) * 4 + 1] = 0;
    v[(1 * 3 + 2) * 4 + 3] = 0;
    EXPECT_NO_THROW(ap::require_all_finite("Here::there", "x", t));
}

TEST(RequireAllFinite, ArrayMessageNamesTheFlatIndex) {
    const std::vector<float> v = {1.0f, 2.0f, std::numeric_limits<float>::infinity()};
    EXPECT_THAT(error_message<ap::numeric_error>(
                    [&] { ap::require_all_finite("Opt::step", "grads", v.data(), Index(v.size())); }),
                HasSubstr("Opt::step: grads[2] = inf is not finite"));
    EXPECT_NO_THROW(ap::require_all_finite("Opt::step", "grads", v.data(), Index(2)));
}

TEST(ThrowFirstNonFinite, SearchesOnlyTheRowsNotMarkedFinite) {
    std::vector<double> v(3 * 2 * 1, 1.0);
    v[0] = std::numeric_limits<double>::quiet_NaN();  // row 0, marked finite: skipped
    v[5] = std::numeric_limits<double>::infinity();   // row 2
    const ap::ConstTensor3<double> t(v.data(), 3, 2, 1);
    std::vector<char> row_ok = {1, 1, 0};
    EXPECT_THAT(error_message<ap::numeric_error>([&] { ap::throw_first_non_finite("P", "attribution", t, &row_ok); }),
                HasSubstr("P: attribution[2, 1, 0] = inf"));
    row_ok = {1, 1, 1};
    EXPECT_NO_THROW(ap::throw_first_non_finite("P", "attribution", t, &row_ok));
    EXPECT_THAT(error_message<ap::numeric_error>([&] { ap::throw_first_non_finite("P", "attribution", t); }),
                HasSubstr("P: attribution[0, 0, 0] = nan"));
}
