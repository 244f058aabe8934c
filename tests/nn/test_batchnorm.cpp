#include "attrprior/nn/batchnorm.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "../support/layer_checks.hpp"
#include "../support/expect_error.hpp"

using attrprior::testing::error_message;

namespace ap = attrprior;
using ap::Index;
using ap::nn::BatchNorm1d;
using ap::nn::Mode;
using ap::nn::Rows;
using ap::nn::Shape;
using ::testing::HasSubstr;

namespace {

/// A BatchNorm1d whose running statistics are set to non-trivial values right after
/// reset_parameters (check_layer_derivatives resets them to 0 / 1 before checking).
class PreparedBatchNorm : public BatchNorm1d<double> {
public:
    using Prepare = std::function<void(BatchNorm1d<double>&, double* state)>;
    PreparedBatchNorm(Index channels, Prepare prepare, double momentum = 0.1)
        : BatchNorm1d<double>(channels, momentum), prepare_(std::move(prepare)) {}
    void bind(double* params, double* grads, double* state) override {
        BatchNorm1d<double>::bind(params, grads, state);
        state_ptr_ = state;
    }
    void reset_parameters(std::mt19937_64& rng) override {
        BatchNorm1d<double>::reset_parameters(rng);
        prepare_(*this, state_ptr_);
    }

private:
    Prepare prepare_;
    double* state_ptr_ = nullptr;
};

/// Straightforward double implementation of the docs/double_backprop.md §4 formulas, per channel.
struct Reference {
    Index B, L, C;
    std::vector<double> y, rm, rv, g_in, dgamma, dbeta, ju, gamma_bar, hbar;

    Reference(Index B_, Index L_, Index C_, const std::vector<double>& x,
              const std::vector<double>& gamma, const std::vector<double>& beta,
              std::vector<double> rm0, std::vector<double> rv0, double momentum, double eps,
              const std::vector<double>& g, const std::vector<double>& u, Mode mode)
        : B(B_), L(L_), C(C_) {
        const Index N = B * L;
        const std::size_t n = static_cast<std::size_t>(N * C);
        y.assign(n, 0);
        g_in.assign(n, 0);
        ju.assign(n, 0);
        hbar.assign(n, 0);
        dgamma.assign(C, 0);
        dbeta.assign(C, 0);
        gamma_bar.assign(C, 0);
        rm = rm0;
        rv = rv0;
        auto at = [&](Index r, Index c) { return static_cast<std::size_t>(r * C + c); };
        for (Index c = 0; c < C; ++c) {
            double mu = 0, var = 0;
            if (mode == Mode::train) {
                for (Index r = 0; r < N; ++r) mu += x[at(r, c)];
                mu /= double(N);
                for (Index r = 0; r < N; ++r) var += (x[at(r, c)] - mu) * (x[at(r, c)] - mu);
                var /= double(N);
                rm[c] = (1 - momentum) * rm0[c] + momentum * mu;
                rv[c] = (1 - momentum) * rv0[c] + momentum * var * double(N) / double(N - 1);
            } else {
                mu = rm0[c];
                var = rv0[c];
            }
            const double sigma = std::sqrt(var + eps);
            std::vector<double> xh(static_cast<std::size_t>(N));
            for (Index r = 0; r < N; ++r) xh[r] = (x[at(r, c)] - mu) / sigma;
            double sg = 0, su = 0, a = 0, b = 0, sug = 0;
            for (Index r = 0; r < N; ++r) {
                const double gr = g[at(r, c)], ur = u[at(r, c)];
                y[at(r, c)] = gamma[c] * xh[r] + beta[c];
                sg += gr;
                su += ur;
                a += ur * xh[r];
                b += gr * xh[r];
                sug += ur * gr;
            }
            dgamma[c] = b;
            dbeta[c] = sg;
            const double k = gamma[c] / sigma;
            if (mode == Mode::eval) {
                for (Index r = 0; r < N; ++r) {
                    g_in[at(r, c)] = k * g[at(r, c)];
                    ju[at(r, c)] = k * u[at(r, c)];
                }
                gamma_bar[c] = sug / sigma;
                continue;
            }
            const double gm = sg / double(N), um = su / double(N);
            const double Cc = sug - gm * su;
            gamma_bar[c] = (Cc - a * b / double(N)) / sigma;
            for (Index r = 0; r < N; ++r) {
                const double gr = g[at(r, c)], ur = u[at(r, c)];
                g_in[at(r, c)] = k * (gr - gm - xh[r] * b / double(N));
                ju[at(r, c)] = k * (ur - um - xh[r] * a / double(N));
                hbar[at(r, c)] = -gamma[c] / (double(N) * sigma * sigma) *
                                 (Cc * xh[r] + b * (ur - um) + a * (gr - gm) -
                                  3 * a * b * xh[r] / double(N));
            }
        }
    }
};

/// Buffers of a layer bound to a model-like flat storage.
template <class S>
struct Bound {
    std::vector<S> params, grads, state;
    explicit Bound(BatchNorm1d<S>& bn)
        : params(static_cast<std::size_t>(bn.parameter_count())),
          grads(params.size()),
          state(static_cast<std::size_t>(bn.state_count())) {
        bn.bind(params.data(), grads.data(), state.data());
        std::mt19937_64 rng(0);
        bn.reset_parameters(rng);
    }
};

template <class S>
std::vector<S> cast(const std::vector<double>& v) {
    return std::vector<S>(v.begin(), v.end());
}

double max_abs(const std::vector<double>& v) {
    double m = 0;
    for (double x : v) m = std::max(m, std::fabs(x));
    return m;
}

template <class S>
double rel_diff(const std::vector<S>& got, const std::vector<double>& want) {
    double err = 0;
    for (std::size_t i = 0; i < want.size(); ++i)
        err = std::max(err, std::fabs(double(got[i]) - want[i]));
    return err / std::max(max_abs(want), 1e-30);
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Construction, metadata, argument checks.

TEST(BatchNorm1d, ConstructorValidatesArguments) {
    EXPECT_THAT(error_message<ap::invalid_argument>([] { BatchNorm1d<double>(-1); }),
                HasSubstr("channels = -1"));
    EXPECT_THAT(error_message<ap::invalid_argument>([] { BatchNorm1d<double>(3, -0.5); }),
                HasSubstr("momentum = -0.5"));
    EXPECT_THAT(error_message<ap::invalid_argument>([] { BatchNorm1d<double>(3, 1.5); }),
                HasSubstr("momentum = 1.5"));
    EXPECT_THAT(error_message<ap::invalid_argument>([] { BatchNorm1d<double>(3, 0.1, 0.0); }),
                HasSubstr("eps = 0"));
    EXPECT_THAT(error_message<ap::invalid_argument>([] { BatchNorm1d<double>(3, 0.1, -1e-3); }),
                HasSubstr("eps = -0.001"));
    EXPECT_NO_THROW(BatchNorm1d<double>(1, 0.0));
    EXPECT_NO_THROW(BatchNorm1d<double>(1, 1.0));
}

TEST(BatchNorm1d, MetadataAndPyTorchInitialisation) {
    BatchNorm1d<float> bn(3);
    EXPECT_EQ(bn.kind(), "BatchNorm1d");
    EXPECT_EQ(bn.parameter_count(), 6);
    EXPECT_EQ(bn.state_count(), 6);
    EXPECT_EQ(bn.output_shape(Shape{7, 3}), (Shape{7, 3}));
    const auto t = bn.tensors();
    ASSERT_EQ(t.size(), 4u);
    const char* names[] = {"weight", "bias", "running_mean", "running_var"};
    const bool is_param[] = {true, true, false, false};
    const Index offsets[] = {0, 3, 0, 3};
    for (std::size_t i = 0; i < 4; ++i) {
        EXPECT_EQ(t[i].name, names[i]);
        EXPECT_EQ(t[i].shape, std::vector<Index>{3});
        EXPECT_EQ(t[i].is_parameter, is_param[i]);
        EXPECT_EQ(t[i].offset, offsets[i]);
    }
    Bound<float> buf(bn);
    EXPECT_EQ(buf.params, (std::vector<float>{1, 1, 1, 0, 0, 0}));
    EXPECT_EQ(buf.state, (std::vector<float>{0, 0, 0, 1, 1, 1}));
}

TEST(BatchNorm1d, WrongChannelCountThrowsNamingTheValue) {
    BatchNorm1d<double> bn(3);
    Bound<double> buf(bn);
    EXPECT_THAT(error_message<ap::invalid_argument>([&] { bn.output_shape(Shape{5, 4}); }),
                HasSubstr("input channels = 4"));
    std::vector<double> x(2 * 5 * 4), y(x.size());
    EXPECT_THAT(error_message<ap::invalid_argument>(
                    [&] { bn.forward({x.data(), 2, 5, 4}, {y.data(), 2, 5, 4}, Mode::train); }),
                HasSubstr("input channels = 4"));
    // Output of the wrong shape.
    EXPECT_THROW(bn.forward({x.data(), 2, 5, 3}, {y.data(), 2, 4, 3}, Mode::train),
                 ap::invalid_argument);
}

TEST(BatchNorm1d, SingleValuePerChannelThrowsInTrainMode) {
    BatchNorm1d<double> bn(2);
    Bound<double> buf(bn);
    std::vector<double> x{1.0, 2.0}, y(2);
    EXPECT_THAT(error_message<ap::invalid_argument>(
                    [&] { bn.forward({x.data(), 1, 1, 2}, {y.data(), 1, 1, 2}, Mode::train); }),
                HasSubstr("values per channel (batch x length) = 1"));
    EXPECT_EQ(buf.state, (std::vector<double>{0, 0, 1, 1}));  // untouched
    EXPECT_NO_THROW(bn.forward({x.data(), 1, 1, 2}, {y.data(), 1, 1, 2}, Mode::eval));
    // One example with two positions is N = 2: fine.
    std::vector<double> x2{1.0, 2.0, 3.0, 5.0}, y2(4);
    EXPECT_NO_THROW(bn.forward({x2.data(), 1, 2, 2}, {y2.data(), 1, 2, 2}, Mode::train));
}

TEST(BatchNorm1d, PassesNeedAMatchingTrainForward) {
    BatchNorm1d<double> bn(2);
    Bound<double> buf(bn);
    std::vector<double> x(3 * 4 * 2, 0.5), y(x.size()), g(x.size());
    x[0] = 1.0;
    bn.forward({x.data(), 3, 4, 2}, {y.data(), 3, 4, 2}, Mode::train);
    std::vector<double> xs(2 * 4 * 2), gs(xs.size()), gi(xs.size());
    EXPECT_THROW(bn.backward({xs.data(), 2, 4, 2}, {xs.data(), 2, 4, 2}, {gs.data(), 2, 4, 2},
                             {gi.data(), 2, 4, 2}),
                 ap::invalid_argument);
    BatchNorm1d<double> unbound(2);
    EXPECT_THROW(unbound.forward({x.data(), 3, 4, 2}, {y.data(), 3, 4, 2}, Mode::train),
                 ap::invalid_argument);
}

// ---------------------------------------------------------------------------------------
// Values.

TEST(BatchNorm1d, TrainForwardAndRunningStatisticsByHand) {
    // B = 2, L = 2, C = 2. Channel 0 holds 1, 2, 3, 4 (mean 2.5, biased var 1.25), channel
    // 1 holds 10, 12, 11, 13 (mean 11.5, var 1.25). eps = 2.75 makes sigma = 2 exactly.
    BatchNorm1d<double> bn(2, 0.1, 2.75);
    Bound<double> buf(bn);
    buf.params = {2.0, -1.0, 0.5, 3.0};  // gamma, beta
    const std::vector<double> x{1, 10, 2, 12, 3, 11, 4, 13};
    std::vector<double> y(8);
    bn.forward({x.data(), 2, 2, 2}, {y.data(), 2, 2, 2}, Mode::train);
    // x-hat: channel 0 -0.75, -0.25, 0.25, 0.75; channel 1 -0.75, 0.25, -0.25, 0.75.
    const std::vector<double> want{-1.0, 3.75, 0.0, 2.75, 1.0, 3.25, 2.0, 2.25};
    for (std::size_t i = 0; i < 8; ++i) EXPECT_NEAR(y[i], want[i], 1e-14) << i;
    // rm = 0.9 * 0 + 0.1 * mean; rv = 0.9 * 1 + 0.1 * 1.25 * 4 / 3 (unbiased).
    EXPECT_NEAR(buf.state[0], 0.25, 1e-15);
    EXPECT_NEAR(buf.state[1], 1.15, 1e-15);
    EXPECT_NEAR(buf.state[2], 0.9 + 0.1 * 5.0 / 3.0, 1e-15);
    EXPECT_NEAR(buf.state[3], 0.9 + 0.1 * 5.0 / 3.0, 1e-15);
    EXPECT_FALSE(bn.couples_rows());  // per-example attribution statistics (default)
    EXPECT_TRUE(bn.has_input_second_order());
    bn.set_attribution_statistics(ap::nn::AttributionStatistics::batch);
    EXPECT_TRUE(bn.couples_rows());
    bn.set_attribution_statistics(ap::nn::AttributionStatistics::per_example);

    // A second train forward compounds the update.
    bn.forward({x.data(), 2, 2, 2}, {y.data(), 2, 2, 2}, Mode::train);
    EXPECT_NEAR(buf.state[0], 0.9 * 0.25 + 0.25, 1e-15);
    EXPECT_NEAR(buf.state[2], 0.9 * (0.9 + 0.1 * 5.0 / 3.0) + 0.1 * 5.0 / 3.0, 1e-15);

    // Eval mode: running statistics, and they do not move.
    const std::vector<double> state_before = buf.state;
    bn.forward({x.data(), 2, 2, 2}, {y.data(), 2, 2, 2}, Mode::eval);
    EXPECT_EQ(buf.state, state_before);
    EXPECT_FALSE(bn.couples_rows());
    EXPECT_FALSE(bn.has_input_second_order());
    for (Index r = 0; r < 4; ++r)
        for (Index c = 0; c < 2; ++c) {
            const double rm = buf.state[c], rv = buf.state[2 + c];
            const double expect = buf.params[c] * (x[r * 2 + c] - rm) / std::sqrt(rv + 2.75) +
                                  buf.params[2 + c];
            EXPECT_NEAR(y[r * 2 + c], expect, 1e-14);
        }
    // By hand for element (0, 0, 0): rm = 0.475, rv = 0.9 * 1.0666... + 0.1666... = 1.126666...
    EXPECT_NEAR(y[0], 2.0 * (1.0 - 0.475) / std::sqrt(0.96 + 1.0 / 6.0 + 2.75) + 0.5, 1e-14);
}

TEST(BatchNorm1d, MomentumOneCopiesTheBatchStatistics) {
    BatchNorm1d<double> bn(1, 1.0);
    Bound<double> buf(bn);
    const std::vector<double> x{1, 2, 4, 9, -3, 5};  // mean 3, squared deviations 82
    std::vector<double> y(6);
    bn.forward({x.data(), 3, 2, 1}, {y.data(), 3, 2, 1}, Mode::train);
    EXPECT_NEAR(buf.state[0], 3.0, 1e-15);
    EXPECT_NEAR(buf.state[1], 82.0 / 5.0, 1e-13);  // unbiased
}

// ---------------------------------------------------------------------------------------
// Finite-difference checks of every first- and second-order term (double).

// Train mode with batch-coupled attribution statistics (PyTorch autograd semantics).
TEST(BatchNorm1dDerivatives, TrainConvShape) {
    BatchNorm1d<double> bn(3, 0.1, 1e-5, ap::nn::AttributionStatistics::batch);
    ap::testing::LayerCheckOptions o;
    o.batch = 3;
    o.mode = Mode::train;
    o.tolerance = 1e-6;
    ap::testing::check_layer_derivatives(bn, Shape{5, 3}, o);
}

TEST(BatchNorm1dDerivatives, TrainDenseShape) {
    BatchNorm1d<double> bn(4, 0.1, 1e-5, ap::nn::AttributionStatistics::batch);
    ap::testing::LayerCheckOptions o;
    o.batch = 4;
    o.mode = Mode::train;
    o.tolerance = 1e-6;
    ap::testing::check_layer_derivatives(bn, Shape{1, 4}, o);
}

TEST(BatchNorm1dDerivatives, TrainOtherSeedsAndSmallBatch) {
    for (unsigned seed : {2u, 3u}) {
        BatchNorm1d<double> bn(2, 0.1, 1e-3, ap::nn::AttributionStatistics::batch);
        ap::testing::LayerCheckOptions o;
        o.batch = 2;
        o.seed = seed;
        ap::testing::check_layer_derivatives(bn, Shape{3, 2}, o);
    }
}

// Train mode with per-example attribution statistics (the default): attribution_backward
// is (gamma / sigma) g, rows do not couple, hbar comes from sigma's dependence on the batch.
TEST(BatchNorm1dDerivatives, TrainPerExampleStatistics) {
    for (Shape shape : {Shape{5, 3}, Shape{1, 4}}) {
        BatchNorm1d<double> bn(shape.channels);
        ASSERT_EQ(bn.attribution_statistics(), ap::nn::AttributionStatistics::per_example);
        ap::testing::LayerCheckOptions o;
        o.batch = 4;
        o.mode = Mode::train;
        o.tangent_is_forward_jacobian = false;
        ap::testing::check_layer_derivatives(bn, shape, o);
        EXPECT_FALSE(bn.couples_rows());
        EXPECT_TRUE(bn.has_input_second_order());
    }
}

namespace {
void set_running_stats(BatchNorm1d<double>& bn, double* state) {
    const Index C = bn.channels();
    for (Index c = 0; c < C; ++c) {
        state[c] = 0.4 - 0.3 * double(c);       // running_mean
        state[C + c] = 0.5 + 0.7 * double(c);   // running_var
    }
}
}  // namespace

TEST(BatchNorm1dDerivatives, EvalConvShape) {
    PreparedBatchNorm bn(3, set_running_stats);
    ap::testing::LayerCheckOptions o;
    o.batch = 3;
    o.mode = Mode::eval;
    o.tolerance = 1e-6;
    ap::testing::check_layer_derivatives(bn, Shape{5, 3}, o);
}

TEST(BatchNorm1dDerivatives, EvalDenseShape) {
    PreparedBatchNorm bn(4, set_running_stats);
    ap::testing::LayerCheckOptions o;
    o.batch = 4;
    o.mode = Mode::eval;
    o.tolerance = 1e-6;
    ap::testing::check_layer_derivatives(bn, Shape{1, 4}, o);
}

TEST(BatchNorm1dDerivatives, EvalAfterATrainForward) {
    // Running statistics from a train forward on shifted, scaled data (momentum 1).
    auto train_once = [](BatchNorm1d<double>& bn, double*) {
        const Index B = 4, L = 5, C = bn.channels();
        std::mt19937_64 gen(11);
        auto x = ap::testing::normal_vector(static_cast<std::size_t>(B * L * C), gen, 2.0);
        for (double& v : x) v += 1.5;
        std::vector<double> y(x.size());
        bn.forward({x.data(), B, L, C}, {y.data(), B, L, C}, Mode::train);
    };
    PreparedBatchNorm bn(3, train_once, 1.0);
    ap::testing::LayerCheckOptions o;
    o.batch = 3;
    o.mode = Mode::eval;
    ap::testing::check_layer_derivatives(bn, Shape{5, 3}, o);
}

// ---------------------------------------------------------------------------------------
// Interface contracts the checker does not cover.

TEST(BatchNorm1d, HbarIsAssignedAndGradientsAccumulate) {
    const Index B = 3, L = 4, C = 2;
    const std::size_t n = static_cast<std::size_t>(B * L * C);
    BatchNorm1d<double> bn(C);
    Bound<double> buf(bn);
    std::mt19937_64 gen(5);
    const auto x = ap::testing::normal_vector(n, gen), g = ap::testing::normal_vector(n, gen),
               u = ap::testing::normal_vector(n, gen);
    std::vector<double> y(n), h1(n, 0.0), h2(n, std::numeric_limits<double>::quiet_NaN());
    Rows all{0, 1, 2};
    bn.forward({x.data(), B, L, C}, {y.data(), B, L, C}, Mode::train);
    bn.accumulate_second_order({x.data(), B, L, C}, {g.data(), B, L, C}, {u.data(), B, L, C},
                               {h1.data(), B, L, C}, all);
    const auto once = buf.grads;
    bn.accumulate_second_order({x.data(), B, L, C}, {g.data(), B, L, C}, {u.data(), B, L, C},
                               {h2.data(), B, L, C}, all);
    EXPECT_EQ(h1, h2);
    for (Index c = 0; c < C; ++c) {
        EXPECT_NEAR(buf.grads[c], 2 * once[c], 1e-14);
        EXPECT_EQ(buf.grads[C + c], 0.0);  // beta-bar = 0
    }
    std::fill(buf.grads.begin(), buf.grads.end(), 0.0);
    bn.accumulate_parameter_gradients({x.data(), B, L, C}, {g.data(), B, L, C});
    const auto first = buf.grads;
    bn.accumulate_parameter_gradients({x.data(), B, L, C}, {g.data(), B, L, C});
    for (std::size_t i = 0; i < first.size(); ++i) EXPECT_NEAR(buf.grads[i], 2 * first[i], 1e-14);
}

TEST(BatchNorm1d, TrainTangentIgnoresRowsWithBatchStatistics) {
    const Index B = 3, L = 2, C = 2;
    const std::size_t n = static_cast<std::size_t>(B * L * C);
    BatchNorm1d<double> bn(C, 0.1, 1e-5, ap::nn::AttributionStatistics::batch);
    Bound<double> buf(bn);
    std::mt19937_64 gen(9);
    const auto x = ap::testing::normal_vector(n, gen), u = ap::testing::normal_vector(n, gen);
    std::vector<double> y(n), all_rows(n), some_rows(n, -1.0);
    bn.forward({x.data(), B, L, C}, {y.data(), B, L, C}, Mode::train);
    bn.tangent({x.data(), B, L, C}, {u.data(), B, L, C}, {all_rows.data(), B, L, C}, Rows{0, 1, 2});
    bn.tangent({x.data(), B, L, C}, {u.data(), B, L, C}, {some_rows.data(), B, L, C}, Rows{1});
    EXPECT_EQ(all_rows, some_rows);
}

TEST(BatchNorm1d, EvalSecondOrderReadsOnlyTheListedRows) {
    const Index B = 4, L = 3, C = 2;
    const std::size_t n = static_cast<std::size_t>(B * L * C);
    const std::size_t row = static_cast<std::size_t>(L * C);
    BatchNorm1d<double> bn(C);
    Bound<double> buf(bn);
    buf.params = {1.3, -0.6, 0.2, 0.1};
    buf.state = {0.3, -0.2, 0.8, 2.5};
    std::mt19937_64 gen(4);
    const auto x = ap::testing::normal_vector(n, gen), g = ap::testing::normal_vector(n, gen);
    auto u = ap::testing::normal_vector(n, gen);
    const Rows rows{0, 2, 3};
    double want[2] = {0, 0};
    for (Index b : rows)
        for (std::size_t k = 0; k < row; ++k) {
            const std::size_t i = static_cast<std::size_t>(b) * row + k;
            want[k % 2] += u[i] * g[i] / std::sqrt(buf.state[2 + k % 2] + 1e-5);
        }
    for (std::size_t k = 0; k < row; ++k) u[row + k] = std::numeric_limits<double>::quiet_NaN();
    std::vector<double> y(n), hbar(n, 7.0);
    bn.forward({x.data(), B, L, C}, {y.data(), B, L, C}, Mode::eval);
    bn.accumulate_second_order({x.data(), B, L, C}, {g.data(), B, L, C}, {u.data(), B, L, C},
                               {hbar.data(), B, L, C}, rows);
    EXPECT_NEAR(buf.grads[0], want[0], 1e-13);
    EXPECT_NEAR(buf.grads[1], want[1], 1e-13);
    EXPECT_EQ(buf.grads[2], 0.0);
    EXPECT_EQ(buf.grads[3], 0.0);
    EXPECT_EQ(hbar, std::vector<double>(n, 7.0));  // not written in eval mode
    std::vector<double> out(n, 0.0);
    EXPECT_THROW(bn.tangent({x.data(), B, L, C}, {u.data(), B, L, C}, {out.data(), B, L, C},
                            Rows{0, 4}),
                 ap::invalid_argument);
}

// ---------------------------------------------------------------------------------------
// float and double against a plain double implementation of the formulas.

template <class S>
class BatchNorm1dTyped : public ::testing::Test {};
using Scalars = ::testing::Types<float, double>;
TYPED_TEST_SUITE(BatchNorm1dTyped, Scalars);

TYPED_TEST(BatchNorm1dTyped, MatchesDoubleReference) {
    using S = TypeParam;
    const double tol = std::is_same_v<S, float> ? 2e-4 : 1e-11;
    struct Case {
        Index B, L, C;
        Mode mode;
    };
    for (const Case& k : {Case{4, 37, 5, Mode::train}, Case{9, 1, 6, Mode::train},
                          Case{5, 300, 16, Mode::train}, Case{4, 37, 5, Mode::eval},
                          Case{5, 300, 16, Mode::eval}}) {
        SCOPED_TRACE(::testing::Message() << "B " << k.B << " L " << k.L << " C " << k.C
                                          << (k.mode == Mode::train ? " train" : " eval"));
        const std::size_t n = static_cast<std::size_t>(k.B * k.L * k.C);
        std::mt19937_64 gen(21);
        auto x = ap::testing::normal_vector(n, gen, 2.0);
        // Channel offsets far from zero: the statistics must not cancel in float.
        for (std::size_t i = 0; i < n; ++i) x[i] += 40.0 * double(i % k.C) - 60.0;
        const auto g = ap::testing::normal_vector(n, gen), u = ap::testing::normal_vector(n, gen);
        const auto gamma = ap::testing::normal_vector(k.C, gen, 0.5),
                   beta = ap::testing::normal_vector(k.C, gen);
        std::vector<double> rm(k.C), rv(k.C);
        for (Index c = 0; c < k.C; ++c) {
            rm[c] = 40.0 * double(c) - 59.0;
            rv[c] = 3.0 + double(c % 3);
        }
        const double momentum = 0.2, eps = 1e-5;
        const Reference ref(k.B, k.L, k.C, x, gamma, beta, rm, rv, momentum, eps, g, u, k.mode);

        BatchNorm1d<S> bn(k.C, momentum, eps);
        bn.set_attribution_statistics(ap::nn::AttributionStatistics::batch);  // the reference
        Bound<S> buf(bn);
        for (Index c = 0; c < k.C; ++c) {
            buf.params[c] = S(gamma[c]);
            buf.params[k.C + c] = S(beta[c]);
            buf.state[c] = S(rm[c]);
            buf.state[k.C + c] = S(rv[c]);
        }
        const auto xs = cast<S>(x), gs = cast<S>(g), us = cast<S>(u);
        std::vector<S> y(n), g_in(n), ju(n), hbar(n);
        const ap::ConstTensor3<S> X(xs.data(), k.B, k.L, k.C), G(gs.data(), k.B, k.L, k.C),
            U(us.data(), k.B, k.L, k.C);
        Rows all;
        for (Index b = 0; b < k.B; ++b) all.push_back(b);

        bn.forward(X, {y.data(), k.B, k.L, k.C}, k.mode);
        EXPECT_LT(rel_diff(y, ref.y), tol) << "forward";
        EXPECT_LT(rel_diff(buf.state, [&] {
                      std::vector<double> s(ref.rm);
                      s.insert(s.end(), ref.rv.begin(), ref.rv.end());
                      return s;
                  }()),
                  tol)
            << "running statistics";
        bn.backward(X, {y.data(), k.B, k.L, k.C}, G, {g_in.data(), k.B, k.L, k.C});
        EXPECT_LT(rel_diff(g_in, ref.g_in), tol) << "backward";
        bn.accumulate_parameter_gradients(X, G);
        std::vector<double> want_grads(ref.dgamma);
        want_grads.insert(want_grads.end(), ref.dbeta.begin(), ref.dbeta.end());
        EXPECT_LT(rel_diff(buf.grads, want_grads), tol) << "parameter gradients";
        bn.tangent(X, U, {ju.data(), k.B, k.L, k.C}, all);
        EXPECT_LT(rel_diff(ju, ref.ju), tol) << "tangent";
        std::fill(buf.grads.begin(), buf.grads.end(), S(0));
        bn.accumulate_second_order(X, G, U, {hbar.data(), k.B, k.L, k.C}, all);
        std::vector<double> want_bar(ref.gamma_bar);
        want_bar.resize(2 * static_cast<std::size_t>(k.C), 0.0);
        EXPECT_LT(rel_diff(buf.grads, want_bar), tol) << "gamma-bar";
        if (k.mode == Mode::train) {
            EXPECT_LT(rel_diff(hbar, ref.hbar), tol) << "h-bar";
        }
    }
}

// ---------------------------------------------------------------------------------------
// Thread count: per-example partial sums reduced in example order make every result
// independent of the number of threads (checked bit for bit, stronger than a tolerance).

namespace {
struct AllOutputs {
    std::vector<float> y, state, g_in, grads, ju, hbar, y_eval, g_in_eval, grads_eval, ju_eval;
};

AllOutputs run_everything(int threads) {
    omp_set_num_threads(threads);
    const Index B = 16, L = 200, C = 24;
    const std::size_t n = static_cast<std::size_t>(B * L * C);
    std::mt19937_64 gen(33);
    const auto x = cast<float>(ap::testing::normal_vector(n, gen, 3.0)),
               g = cast<float>(ap::testing::normal_vector(n, gen)),
               u = cast<float>(ap::testing::normal_vector(n, gen));
    BatchNorm1d<float> bn(C);
    Bound<float> buf(bn);
    for (Index c = 0; c < C; ++c) buf.params[c] = 1.0f + 0.05f * float(c);
    const ap::ConstTensor3<float> X(x.data(), B, L, C), G(g.data(), B, L, C), U(u.data(), B, L, C);
    Rows all;
    for (Index b = 0; b < B; ++b) all.push_back(b);
    AllOutputs o;
    o.y.resize(n);
    o.g_in.resize(n);
    o.ju.resize(n);
    o.hbar.resize(n);
    bn.forward(X, {o.y.data(), B, L, C}, Mode::train);
    o.state = buf.state;
    bn.backward(X, X, G, {o.g_in.data(), B, L, C});
    bn.accumulate_parameter_gradients(X, G);
    bn.tangent(X, U, {o.ju.data(), B, L, C}, all);
    bn.accumulate_second_order(X, G, U, {o.hbar.data(), B, L, C}, all);
    o.grads = buf.grads;
    std::fill(buf.grads.begin(), buf.grads.end(), 0.0f);
    o.y_eval.resize(n);
    o.g_in_eval.resize(n);
    o.ju_eval.resize(n);
    bn.forward(X, {o.y_eval.data(), B, L, C}, Mode::eval);
    bn.backward(X, X, G, {o.g_in_eval.data(), B, L, C});
    bn.accumulate_parameter_gradients(X, G);
    bn.tangent(X, U, {o.ju_eval.data(), B, L, C}, all);
    std::vector<float> unused(n);
    bn.accumulate_second_order(X, G, U, {unused.data(), B, L, C}, all);
    o.grads_eval = buf.grads;
    return o;
}
}  // namespace

TEST(BatchNorm1d, OneAndTwoThreadsGiveTheSameResults) {
    const int saved = omp_get_max_threads();
    const AllOutputs one = run_everything(1), two = run_everything(2);
    omp_set_num_threads(saved);
    EXPECT_EQ(one.y, two.y);
    EXPECT_EQ(one.state, two.state);
    EXPECT_EQ(one.g_in, two.g_in);
    EXPECT_EQ(one.grads, two.grads);
    EXPECT_EQ(one.ju, two.ju);
    EXPECT_EQ(one.hbar, two.hbar);
    EXPECT_EQ(one.y_eval, two.y_eval);
    EXPECT_EQ(one.g_in_eval, two.g_in_eval);
    EXPECT_EQ(one.grads_eval, two.grads_eval);
    EXPECT_EQ(one.ju_eval, two.ju_eval);
}
