#include "attrprior/testing/layer_checks.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "attrprior/nn/batchnorm.hpp"
#include "attrprior/nn/conv1d.hpp"

namespace ap = attrprior;
using ap::testing::check_layer;
using ap::testing::LayerCheckReport;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The snippet of docs/testing_layers.md (a test checks that both stay identical).
// snippet: begin
#include <attrprior/nn/layer.hpp>
#include <attrprior/testing/layer_checks.hpp>

#include <iostream>

using attrprior::Index;
using attrprior::nn::Layer;
using attrprior::nn::Rows;
using attrprior::nn::Shape;

/// y[b] = W x[b] + bias on dense features (B x 1 x in -> B x 1 x out). Parameters in
/// PyTorch's order: the weight (out x in, row-major), then the bias.
class UserLinear : public Layer<double> {
public:
    UserLinear(Index in, Index out) : in_(in), out_(out) {}

    std::string kind() const override { return "UserLinear"; }
    Shape output_shape(const Shape& s) const override {
        attrprior::require(s.length == 1 && s.channels == in_, "UserLinear", "input channels", s.channels,
                           "must be ", in_, " on one position");
        return {1, out_};
    }
    Index parameter_count() const override { return out_ * in_ + out_; }
    void bind(double* params, double* grads, double* /*state*/) override {
        w_ = params;
        w_grad_ = grads;
    }
    void reset_parameters(std::mt19937_64& rng) override {
        std::uniform_real_distribution<double> uniform(-0.5, 0.5);
        for (Index p = 0; p < parameter_count(); ++p) w_[p] = uniform(rng);
    }

    void forward(ConstTensor in, Tensor out, attrprior::nn::Mode /*mode*/) override {
        for (Index b = 0; b < in.dim0; ++b)
            for (Index o = 0; o < out_; ++o) {
                double s = w_[out_ * in_ + o];
                for (Index i = 0; i < in_; ++i) s += w_[o * in_ + i] * in(b, 0, i);
                out(b, 0, o) = s;
            }
    }
    // g_in = W^T g_out.
    void backward(ConstTensor /*in*/, ConstTensor /*out*/, ConstTensor g_out, Tensor g_in) override {
        for (Index b = 0; b < g_out.dim0; ++b)
            for (Index i = 0; i < in_; ++i) {
                double s = 0;
                for (Index o = 0; o < out_; ++o) s += w_[o * in_ + i] * g_out(b, 0, o);
                g_in(b, 0, i) = s;
            }
    }
    // dW += g_out x^T, dbias += g_out (accumulated: the model sums several passes).
    void accumulate_parameter_gradients(ConstTensor in, ConstTensor g_out) override {
        for (Index b = 0; b < in.dim0; ++b)
            for (Index o = 0; o < out_; ++o) {
                for (Index i = 0; i < in_; ++i) w_grad_[o * in_ + i] += g_out(b, 0, o) * in(b, 0, i);
                w_grad_[out_ * in_ + o] += g_out(b, 0, o);
            }
    }
    // u_out = W u_in on the listed rows: the forward's Jacobian, without the bias.
    void tangent(ConstTensor /*in*/, ConstTensor u_in, Tensor u_out, const Rows& rows) override {
        for (Index b : rows)
            for (Index o = 0; o < out_; ++o) {
                double s = 0;
                for (Index i = 0; i < in_; ++i) s += w_[o * in_ + i] * u_in(b, 0, i);
                u_out(b, 0, o) = s;
            }
    }
    // <u, W^T g_out> = <W u, g_out>: theta-bar of W is g_out u^T; backward does not depend
    // on the input, so there is no h-bar (has_input_second_order() stays false).
    void accumulate_second_order(ConstTensor /*in*/, ConstTensor g_out, ConstTensor u_in, Tensor /*hbar_in*/,
                                 const Rows& rows) override {
        for (Index b : rows)
            for (Index o = 0; o < out_; ++o)
                for (Index i = 0; i < in_; ++i) w_grad_[o * in_ + i] += g_out(b, 0, o) * u_in(b, 0, i);
    }

protected:
    Index in_, out_;
    double* w_ = nullptr;
    double* w_grad_ = nullptr;
};

/// Checks every term of UserLinear against central finite differences.
bool user_linear_is_correct() {
    UserLinear layer(5, 3);
    const attrprior::testing::LayerCheckReport report = attrprior::testing::check_layer(layer, Shape{1, 5});
    std::cout << report.summary() << "\n";  // one line per check: PASS/FAIL, errors, tolerance
    return report.passed();
}
// snippet: end

namespace {

/// y = x * x elementwise: backward 2 x g depends on the input, so it has an h-bar term,
/// (dB/dh)^T u = 2 u g.
class UserSquare : public Layer<double> {
public:
    std::string kind() const override { return "UserSquare"; }
    Shape output_shape(const Shape& s) const override { return s; }
    void forward(ConstTensor in, Tensor out, ap::nn::Mode /*mode*/) override {
        for (Index k = 0; k < in.size(); ++k) out.data[k] = in.data[k] * in.data[k];
    }
    void backward(ConstTensor in, ConstTensor /*out*/, ConstTensor g_out, Tensor g_in) override {
        for (Index k = 0; k < in.size(); ++k) g_in.data[k] = 2 * in.data[k] * g_out.data[k];
    }
    void tangent(ConstTensor in, ConstTensor u_in, Tensor u_out, const Rows& rows) override {
        const Index row = in.dim1 * in.dim2;
        for (Index b : rows)
            for (Index k = b * row; k < (b + 1) * row; ++k) u_out.data[k] = 2 * in.data[k] * u_in.data[k];
    }
    void accumulate_second_order(ConstTensor /*in*/, ConstTensor g_out, ConstTensor u_in, Tensor hbar_in,
                                 const Rows& /*rows*/) override {
        for (Index k = 0; k < u_in.size(); ++k) hbar_in.data[k] = hbar_factor * u_in.data[k] * g_out.data[k];
    }
    bool has_input_second_order() const override { return claims_hbar; }

    double hbar_factor = 2;   // a wrong value is the bug a test plants
    bool claims_hbar = true;  // false: the layer wrongly says its h-bar is zero
};

/// A user's bug: backward 1% too large.
class ScaledBackwardLinear : public UserLinear {
public:
    using UserLinear::UserLinear;
    void backward(ConstTensor in, ConstTensor out, ConstTensor g_out, Tensor g_in) override {
        UserLinear::backward(in, out, g_out, g_in);
        g_in.rows() *= 1.01;
    }
};

/// A user's bug: the second-order term assigns the parameter gradient instead of adding to it.
class AssigningSecondOrderLinear : public UserLinear {
public:
    using UserLinear::UserLinear;
    void accumulate_second_order(ConstTensor in, ConstTensor g_out, ConstTensor u_in, Tensor hbar_in,
                                 const Rows& rows) override {
        for (Index p = 0; p < out_ * in_; ++p) w_grad_[p] = 0;
        UserLinear::accumulate_second_order(in, g_out, u_in, hbar_in, rows);
    }
};

}  // namespace

TEST(CheckLayer, LibraryLayersPass) {
    ap::nn::Conv1d<double> conv(ap::nn::Conv1dOptions{3, 2, 4, 1, 2, ap::nn::Padding::same, true});
    const LayerCheckReport conv_report = check_layer(conv, Shape{9, 3});
    EXPECT_TRUE(conv_report.passed()) << conv_report.summary();
    EXPECT_EQ(conv_report.layer, "Conv1d");
    EXPECT_EQ(conv_report.checks.size(), 7u);  // every check applies to a row-wise layer with parameters

    ap::testing::LayerCheckOptions train;
    train.mode = ap::nn::Mode::train;
    train.batch = 4;
    ap::nn::BatchNorm1d<double> coupled(3, 0.1, 1e-5, ap::nn::AttributionStatistics::batch);
    const LayerCheckReport coupled_report = check_layer(coupled, Shape{5, 3}, train);
    EXPECT_TRUE(coupled_report.passed()) << coupled_report.summary();
    EXPECT_EQ(coupled_report.find("tangent on a row subset"), nullptr);  // the rows couple

    train.tangent_is_forward_jacobian = false;  // per-example attribution statistics
    ap::nn::BatchNorm1d<double> per_example(3);
    const LayerCheckReport per_example_report = check_layer(per_example, Shape{5, 3}, train);
    EXPECT_TRUE(per_example_report.passed()) << per_example_report.summary();
    EXPECT_EQ(per_example_report.find("tangent (J u)"), nullptr);
}

TEST(CheckLayer, CorrectUserLayersPass) {
    testing::internal::CaptureStdout();
    EXPECT_TRUE(user_linear_is_correct());
    EXPECT_THAT(testing::internal::GetCapturedStdout(),
                HasSubstr("UserLinear at input [1 x 5], batch 3: all 7 checks passed"));
    UserSquare square;
    const LayerCheckReport report = check_layer(square, Shape{4, 2});
    EXPECT_TRUE(report.passed()) << report.summary();
    EXPECT_EQ(report.find("parameter gradients"), nullptr);  // no parameters: not run
    ASSERT_NE(report.find("second-order input term (h-bar)"), nullptr);
}

TEST(CheckLayer, ScaledBackwardFailsTheBackwardCheck) {
    ScaledBackwardLinear layer(5, 3);
    const LayerCheckReport report = check_layer(layer, Shape{1, 5});
    EXPECT_FALSE(report.passed());
    const ap::testing::CheckResult* backward = report.find("backward (J^T g)");
    ASSERT_NE(backward, nullptr);
    EXPECT_FALSE(backward->passed);
    EXPECT_NEAR(backward->max_rel_error, 0.01 / 1.01, 1e-6);  // |fd - 1.01 fd| / |1.01 fd|
    // Forward, its parameter gradients and tangent are right; what builds on backward
    // (the attribution pass, whose transpose the tangent is and whose derivative theta-bar is) is not.
    EXPECT_TRUE(report.find("parameter gradients")->passed);
    EXPECT_TRUE(report.find("tangent (J u)")->passed);
    EXPECT_THAT(report.failed(),
                ElementsAre("backward (J^T g)", "tangent is the transpose of attribution_backward",
                            "second-order parameter term (theta-bar)"));
    EXPECT_THAT(report.summary(), HasSubstr("3 of 7 checks failed"));
    EXPECT_THAT(report.summary(), HasSubstr("FAIL backward (J^T g): max abs error"));
    EXPECT_THAT(report.summary(), HasSubstr("PASS parameter gradients"));
}

TEST(CheckLayer, WrongSecondOrderParameterTermFailsOnlyThetaBar) {
    AssigningSecondOrderLinear layer(5, 3);
    const LayerCheckReport report = check_layer(layer, Shape{1, 5});
    EXPECT_THAT(report.failed(), ElementsAre("second-order parameter term (theta-bar)"));
    EXPECT_THAT(report.summary(), HasSubstr("FAIL second-order parameter term (theta-bar)"));
}

TEST(CheckLayer, WrongSecondOrderInputTermFailsOnlyHBar) {
    UserSquare half;
    half.hbar_factor = 1;
    const LayerCheckReport wrong = check_layer(half, Shape{4, 2});
    EXPECT_THAT(wrong.failed(), ElementsAre("second-order input term (h-bar)"));
    EXPECT_NEAR(wrong.find("second-order input term (h-bar)")->max_rel_error, 1.0, 1e-6);  // |2ug - ug| / |ug|

    UserSquare silent;
    silent.claims_hbar = false;
    const LayerCheckReport missing = check_layer(silent, Shape{4, 2});
    EXPECT_THAT(missing.failed(), ElementsAre("second-order input term (h-bar)"));
    EXPECT_THAT(missing.find("second-order input term (h-bar)")->note, HasSubstr("has_input_second_order() is false"));
}

TEST(CheckLayer, TangentWritingAnUnlistedRowIsReported) {
    class EveryRowSquare : public UserSquare {
    public:
        void tangent(ConstTensor in, ConstTensor u_in, Tensor u_out, const Rows& /*rows*/) override {
            Rows all;
            for (Index b = 0; b < in.dim0; ++b) all.push_back(b);
            UserSquare::tangent(in, u_in, u_out, all);
        }
    };
    EveryRowSquare layer;
    const LayerCheckReport report = check_layer(layer, Shape{3, 2});
    EXPECT_THAT(report.failed(), ElementsAre("tangent on a row subset"));
    EXPECT_THAT(report.find("tangent on a row subset")->note, HasSubstr("wrote row 1"));
}
