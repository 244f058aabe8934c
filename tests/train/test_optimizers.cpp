// EIGEN_RUNTIME_NO_MALLOC lets a test forbid Eigen heap allocations (steady-state steps).
#define EIGEN_RUNTIME_NO_MALLOC
#include "attrprior/train/optimizers.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>
#include "../support/expect_error.hpp"

using attrprior::testing::error_message;

namespace ap = attrprior;
using ap::Index;
using ::testing::AllOf;
using ::testing::HasSubstr;

namespace {

using LVec = std::vector<long double>;

// L2 norm by a plain loop (Eigen's reductions trip a gcc 12 warning under -march=native).
template <class Vec>
double l2(const Vec& v) {
    double s = 0;
    for (Index i = 0; i < v.size(); ++i) s += double(v[i]) * double(v[i]);
    return std::sqrt(s);
}

Eigen::VectorXd to_eigen(const std::vector<double>& v) {
    return Eigen::Map<const Eigen::VectorXd>(v.data(), Index(v.size()));
}

// Gradients for three steps of a 5-parameter problem.
const std::vector<std::vector<double>> kGrads = {
    {0.5, -1.25, 0.0, 3.0, -0.01},
    {0.25, -1.0, 1e-3, -2.0, 0.02},
    {-0.75, 0.5, 0.0, 1.5, 0.03},
};
const std::vector<double> kStart = {1.0, -2.0, 0.5, 0.0, 10.0};

/// torch.optim.Adam's update, written out independently in long double.
struct ReferenceAdam {
    long double lr, b1, b2, eps, wd;
    LVec m, v;
    int t = 0;
    void step(LVec& p, const std::vector<double>& grad) {
        if (m.empty()) m.assign(p.size(), 0), v.assign(p.size(), 0);
        ++t;
        const long double bc1 = 1 - std::pow(b1, (long double)t);
        const long double bc2 = 1 - std::pow(b2, (long double)t);
        for (std::size_t i = 0; i < p.size(); ++i) {
            const long double g = (long double)grad[i] + wd * p[i];
            m[i] = b1 * m[i] + (1 - b1) * g;
            v[i] = b2 * v[i] + (1 - b2) * g * g;
            const long double denom = std::sqrt(v[i]) / std::sqrt(bc2) + eps;
            p[i] -= (lr / bc1) * m[i] / denom;
        }
    }
};

/// torch.optim.SGD's update in long double.
struct ReferenceSgd {
    long double lr, mu, damp, wd;
    bool nesterov;
    LVec buf;
    void step(LVec& p, const std::vector<double>& grad) {
        const bool first = buf.empty();
        if (first) buf.assign(p.size(), 0);
        for (std::size_t i = 0; i < p.size(); ++i) {
            long double g = (long double)grad[i] + wd * p[i];
            if (mu != 0) {
                buf[i] = first ? g : mu * buf[i] + (1 - damp) * g;
                g = nesterov ? g + mu * buf[i] : buf[i];
            }
            p[i] -= lr * g;
        }
    }
};

void expect_close(const Eigen::VectorXd& actual, const LVec& expected, double tol) {
    ASSERT_EQ(actual.size(), Index(expected.size()));
    for (Index i = 0; i < actual.size(); ++i) {
        EXPECT_NEAR(actual[i], (double)expected[std::size_t(i)], tol) << "element " << i;
    }
}

}  // namespace

// ---------------------------------------------------------------- Adam

TEST(Adam, ThreeStepsMatchPyTorchFormula) {
    ap::train::Adam<double> adam;  // defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8
    ReferenceAdam ref{1e-3L, 0.9L, 0.999L, 1e-8L, 0.0L, {}, {}};
    Eigen::VectorXd p = to_eigen(kStart);
    LVec p_ref(kStart.begin(), kStart.end());
    for (const auto& g : kGrads) {
        adam.step(p, to_eigen(g));
        ref.step(p_ref, g);
        expect_close(p, p_ref, 1e-14);
    }
    EXPECT_EQ(adam.steps(), 3);
    expect_close(adam.first_moment(), ref.m, 1e-15);
    expect_close(adam.second_moment(), ref.v, 1e-15);
    // Element 2 had gradients 0, 1e-3, 0: Adam's normalised step is ~lr, not ~lr·1e-3.
    EXPECT_GT(std::abs(p[2] - 0.5), 1e-4);
}

TEST(Adam, WeightDecayIsAddedToTheGradient) {
    ap::train::AdamOptions options;
    options.lr = 0.05;
    options.beta1 = 0.8;
    options.beta2 = 0.99;
    options.eps = 1e-6;
    options.weight_decay = 0.1;
    ap::train::Adam<double> adam(options);
    ReferenceAdam ref{0.05L, 0.8L, 0.99L, 1e-6L, 0.1L, {}, {}};
    Eigen::VectorXd p = to_eigen(kStart);
    LVec p_ref(kStart.begin(), kStart.end());
    for (const auto& g : kGrads) {
        adam.step(p, to_eigen(g));
        ref.step(p_ref, g);
        expect_close(p, p_ref, 1e-13);
    }
    // Element 3 starts at 0 and element 4 at 10 with a tiny gradient: decay dominates it.
    EXPECT_LT(p[4], 10.0 - 0.1);
}

TEST(Adam, FirstStepMovesEachParameterByLr) {
    // t = 1: m/(1-b1) = g, sqrt(v/(1-b2)) = |g|, so the step is lr·g/(|g| + eps).
    ap::train::Adam<double> adam;
    Eigen::VectorXd p = Eigen::VectorXd::Zero(3);
    Eigen::VectorXd g(3);
    g << 2.0, -0.5, 1e-3;
    adam.step(p, g);
    EXPECT_NEAR(p[0], -1e-3 * 2.0 / (2.0 + 1e-8), 1e-18);
    EXPECT_NEAR(p[1], 1e-3 * 0.5 / (0.5 + 1e-8), 1e-18);
    EXPECT_NEAR(p[2], -1e-3 * 1e-3 / (1e-3 + 1e-8), 1e-18);
}

TEST(Adam, ResetAndSizeChanges) {
    ap::train::Adam<double> adam;
    Eigen::VectorXd p = Eigen::VectorXd::Ones(4), g = Eigen::VectorXd::Constant(4, 0.1);
    adam.step(p, g);
    Eigen::VectorXd p5 = Eigen::VectorXd::Ones(5), g5 = Eigen::VectorXd::Ones(5);
    EXPECT_THROW(adam.step(p5, g5), ap::invalid_argument);
    EXPECT_THAT(error_message([&] { adam.step(p5, g5); }),
                AllOf(HasSubstr("Adam::step"), HasSubstr("size 5"), HasSubstr("size 4")));
    EXPECT_THAT(error_message([&] { adam.step(p, g5); }),
                AllOf(HasSubstr("params has size 4"), HasSubstr("grads has size 5")));
    EXPECT_EQ(adam.steps(), 1);
    adam.reset();
    EXPECT_EQ(adam.steps(), 0);
    EXPECT_EQ(adam.first_moment().size(), 0);
    EXPECT_EQ(adam.second_moment().size(), 0);
    adam.step(p5, g5);  // a fresh state takes any size
    EXPECT_EQ(adam.first_moment().size(), 5);
    EXPECT_EQ(adam.steps(), 1);
}

TEST(Adam, SaveAndLoadStateContinuesIdentically) {
    ap::train::Adam<double> a;
    Eigen::VectorXd pa = to_eigen(kStart);
    a.step(pa, to_eigen(kGrads[0]));
    a.step(pa, to_eigen(kGrads[1]));
    ap::train::Adam<double> b;
    b.load_state(a.steps(), a.first_moment(), a.second_moment());
    Eigen::VectorXd pb = pa;
    a.step(pa, to_eigen(kGrads[2]));
    b.step(pb, to_eigen(kGrads[2]));
    EXPECT_EQ(b.steps(), 3);
    EXPECT_EQ(pa, pb);
    // Inconsistent states are rejected.
    Eigen::VectorXd m = Eigen::VectorXd::Zero(3), v3 = Eigen::VectorXd::Zero(3);
    Eigen::VectorXd v2 = Eigen::VectorXd::Zero(2);
    EXPECT_THROW(b.load_state(2, m, v2), ap::invalid_argument);
    EXPECT_THROW(b.load_state(-1, m, v3), ap::invalid_argument);
    v3[1] = -1;
    EXPECT_THAT(error_message([&] { b.load_state(2, m, v3); }), HasSubstr("second_moment[1] = -1"));
    v3[1] = NAN;
    EXPECT_THROW(b.load_state(2, m, v3), ap::numeric_error);
}

TEST(Adam, RejectsBadOptionsNamingFieldAndValue) {
    using ap::train::AdamOptions;
    auto make = [](AdamOptions o) { return [o] { ap::train::Adam<double> adam(o); }; };
    AdamOptions o;
    o.lr = 0;
    EXPECT_THROW(make(o)(), ap::invalid_argument);
    EXPECT_THAT(error_message(make(o)), HasSubstr("lr = 0"));
    o = {};
    o.lr = NAN;
    EXPECT_THAT(error_message(make(o)), HasSubstr("lr = nan"));
    o = {};
    o.beta1 = 1;
    EXPECT_THAT(error_message(make(o)), HasSubstr("beta1 = 1"));
    o = {};
    o.beta2 = -0.5;
    EXPECT_THAT(error_message(make(o)), HasSubstr("beta2 = -0.5"));
    o = {};
    o.eps = -1e-8;
    EXPECT_THAT(error_message(make(o)), HasSubstr("eps = -1e-08"));
    o = {};
    o.weight_decay = -0.25;
    EXPECT_THAT(error_message(make(o)), HasSubstr("weight_decay = -0.25"));
    // set_options validates too, and keeps the old options on failure.
    ap::train::Adam<double> adam;
    o = {};
    o.lr = -3;
    EXPECT_THAT(error_message([&] { adam.set_options(o); }), HasSubstr("lr = -3"));
    EXPECT_EQ(adam.options().lr, 1e-3);
}

TEST(Adam, NonFiniteGradientThrowsBeforeChangingAnything) {
    ap::train::Adam<double> adam;
    Eigen::VectorXd p = to_eigen(kStart);
    adam.step(p, to_eigen(kGrads[0]));
    const Eigen::VectorXd p_before = p, m_before = adam.first_moment();
    Eigen::VectorXd g = to_eigen(kGrads[1]);
    g[3] = NAN;
    EXPECT_THROW(adam.step(p, g), ap::numeric_error);
    EXPECT_THAT(error_message([&] { adam.step(p, g); }), HasSubstr("grads[3] = nan"));
    g[3] = -INFINITY;
    EXPECT_THAT(error_message([&] { adam.step(p, g); }), HasSubstr("grads[3] = -inf"));
    EXPECT_EQ(p, p_before);
    EXPECT_EQ(adam.first_moment(), m_before);
    EXPECT_EQ(adam.steps(), 1);
}

TEST(Adam, WorksOnMapsAndSegmentsWithoutAllocating) {
    std::vector<double> arena = {1, 2, 3, 4, 5, 6};
    std::vector<double> grad_arena = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6};
    Eigen::Map<Eigen::VectorXd> params(arena.data(), 6);
    Eigen::Map<const Eigen::VectorXd> grads(grad_arena.data(), 6);
    ap::train::Adam<double> adam;
    ap::train::Sgd<double> sgd(ap::train::SgdOptions{0.1, 0.9, 0, 0, true});
    adam.step(params, grads);  // sizes the moments
    sgd.step(params.segment(1, 4), grads.segment(1, 4));
    Eigen::internal::set_is_malloc_allowed(false);
    for (int i = 0; i < 3; ++i) {
        adam.step(params, grads);
        sgd.step(params.segment(1, 4), grads.segment(1, 4));
    }
    Eigen::internal::set_is_malloc_allowed(true);
    EXPECT_EQ(adam.steps(), 4);
    EXPECT_EQ(sgd.steps(), 4);
    EXPECT_LT(arena[0], 1.0);
}

TEST(Adam, FloatInstantiation) {
    ap::train::Adam<float> adam;
    ReferenceAdam ref{1e-3L, 0.9L, 0.999L, 1e-8L, 0.0L, {}, {}};
    Eigen::VectorXf p = to_eigen(kStart).cast<float>();
    LVec p_ref(kStart.begin(), kStart.end());
    for (const auto& g : kGrads) {
        adam.step(p, to_eigen(g).cast<float>());
        ref.step(p_ref, g);
    }
    expect_close(p.cast<double>(), p_ref, 1e-5);
}

// ---------------------------------------------------------------- SGD

TEST(Sgd, PlainStep) {
    ap::train::SgdOptions o;
    o.lr = 0.1;
    ap::train::Sgd<double> sgd(o);
    Eigen::VectorXd p = to_eigen(kStart);
    sgd.step(p, to_eigen(kGrads[0]));
    for (Index i = 0; i < p.size(); ++i) {
        EXPECT_DOUBLE_EQ(p[i], kStart[std::size_t(i)] - 0.1 * kGrads[0][std::size_t(i)]);
    }
    EXPECT_EQ(sgd.momentum_buffer().size(), 0);  // no momentum, no buffer
}

TEST(Sgd, MomentumWithDampeningMatchesFormula) {
    ap::train::SgdOptions o;
    o.lr = 0.05;
    o.momentum = 0.9;
    o.dampening = 0.25;
    o.weight_decay = 0.01;
    ap::train::Sgd<double> sgd(o);
    ReferenceSgd ref{0.05L, 0.9L, 0.25L, 0.01L, false, {}};
    Eigen::VectorXd p = to_eigen(kStart);
    LVec p_ref(kStart.begin(), kStart.end());
    for (std::size_t s = 0; s < kGrads.size(); ++s) {
        sgd.step(p, to_eigen(kGrads[s]));
        ref.step(p_ref, kGrads[s]);
        expect_close(p, p_ref, 1e-14);
        expect_close(sgd.momentum_buffer(), ref.buf, 1e-14);
        if (s == 0) {  // PyTorch: the first buffer is the (decayed) gradient, undampened
            EXPECT_NEAR(sgd.momentum_buffer()[0], 0.5 + 0.01 * 1.0, 1e-15);
        }
    }
}

TEST(Sgd, NesterovMatchesFormula) {
    ap::train::SgdOptions o;
    o.lr = 0.1;
    o.momentum = 0.8;
    o.nesterov = true;
    o.weight_decay = 0.05;
    ap::train::Sgd<double> sgd(o);
    ReferenceSgd ref{0.1L, 0.8L, 0.0L, 0.05L, true, {}};
    Eigen::VectorXd p = to_eigen(kStart);
    LVec p_ref(kStart.begin(), kStart.end());
    for (const auto& g : kGrads) {
        sgd.step(p, to_eigen(g));
        ref.step(p_ref, g);
        expect_close(p, p_ref, 1e-14);
    }
    EXPECT_EQ(sgd.steps(), 3);
}

TEST(Sgd, StateResetLoadAndSizeChecks) {
    ap::train::SgdOptions o;
    o.momentum = 0.9;
    ap::train::Sgd<double> a(o), b(o);
    Eigen::VectorXd pa = to_eigen(kStart);
    a.step(pa, to_eigen(kGrads[0]));
    b.load_state(a.steps(), a.momentum_buffer());
    Eigen::VectorXd pb = pa;
    a.step(pa, to_eigen(kGrads[1]));
    b.step(pb, to_eigen(kGrads[1]));
    EXPECT_EQ(pa, pb);
    Eigen::VectorXd p3 = Eigen::VectorXd::Zero(3), g3 = Eigen::VectorXd::Ones(3);
    EXPECT_THAT(error_message([&] { a.step(p3, g3); }),
                AllOf(HasSubstr("Sgd::step"), HasSubstr("size 3"), HasSubstr("size 5")));
    a.reset();
    EXPECT_EQ(a.steps(), 0);
    a.step(p3, g3);
    EXPECT_EQ(a.momentum_buffer(), g3);
    // Without momentum the size is fixed by the first step as well.
    ap::train::Sgd<double> plain;
    plain.step(p3, g3);
    Eigen::VectorXd p4 = Eigen::VectorXd::Zero(4), g4 = Eigen::VectorXd::Ones(4);
    EXPECT_THROW(plain.step(p4, g4), ap::invalid_argument);
    Eigen::VectorXd bad = g3;
    bad[2] = INFINITY;
    EXPECT_THAT(error_message([&] { plain.step(p3, bad); }), HasSubstr("grads[2] = inf"));
}

TEST(Sgd, RejectsBadOptionsNamingFieldAndValue) {
    using ap::train::SgdOptions;
    auto make = [](SgdOptions o) { return [o] { ap::train::Sgd<double> sgd(o); }; };
    SgdOptions o;
    o.lr = -0.1;
    EXPECT_THROW(make(o)(), ap::invalid_argument);
    EXPECT_THAT(error_message(make(o)), HasSubstr("lr = -0.1"));
    o = {};
    o.momentum = -0.5;
    EXPECT_THAT(error_message(make(o)), HasSubstr("momentum = -0.5"));
    o = {};
    o.dampening = 1.5;
    EXPECT_THAT(error_message(make(o)), HasSubstr("dampening = 1.5"));
    o = {};
    o.weight_decay = NAN;
    EXPECT_THAT(error_message(make(o)), HasSubstr("weight_decay = nan"));
    o = {};
    o.nesterov = true;  // momentum 0
    EXPECT_THAT(error_message(make(o)), AllOf(HasSubstr("momentum = 0"), HasSubstr("nesterov")));
    o.momentum = 0.9;
    o.dampening = 0.1;
    EXPECT_THAT(error_message(make(o)), AllOf(HasSubstr("dampening = 0.1"), HasSubstr("nesterov")));
}

TEST(Sgd, FloatInstantiation) {
    ap::train::SgdOptions o;
    o.lr = 0.1;
    o.momentum = 0.9;
    ap::train::Sgd<float> sgd(o);
    ReferenceSgd ref{0.1L, 0.9L, 0.0L, 0.0L, false, {}};
    Eigen::VectorXf p = to_eigen(kStart).cast<float>();
    LVec p_ref(kStart.begin(), kStart.end());
    for (const auto& g : kGrads) {
        sgd.step(p, to_eigen(g).cast<float>());
        ref.step(p_ref, g);
    }
    expect_close(p.cast<double>(), p_ref, 1e-5);
}

// ---------------------------------------------------------------- clipping

TEST(ClipGradNorm, ScalesOnlyWhenTheNormExceedsTheLimit) {
    Eigen::VectorXd g(2);
    g << 3, 4;
    EXPECT_DOUBLE_EQ(ap::train::clip_grad_norm(g, 10.0), 5.0);  // unchanged
    EXPECT_EQ(g[0], 3.0);
    EXPECT_EQ(g[1], 4.0);
    EXPECT_DOUBLE_EQ(ap::train::clip_grad_norm(g, 1.0), 5.0);  // returns the norm before
    EXPECT_DOUBLE_EQ(g[0], 3.0 / (5.0 + 1e-6));
    EXPECT_DOUBLE_EQ(g[1], 4.0 / (5.0 + 1e-6));
    EXPECT_NEAR(l2(g), 1.0, 1e-6);
    // Infinite limit: never clips.
    Eigen::VectorXd h = Eigen::VectorXd::Constant(4, 100.0);
    EXPECT_DOUBLE_EQ(ap::train::clip_grad_norm(h, double(INFINITY)), 200.0);
    EXPECT_EQ(h[0], 100.0);
}

TEST(ClipGradNorm, NoOverflowFloatAndErrors) {
    Eigen::VectorXd big(2);
    big << 1e200, -1e200;
    const double norm = ap::train::clip_grad_norm(big, 1.0);
    EXPECT_NEAR(norm / 1e200, std::sqrt(2.0), 1e-12);
    EXPECT_NEAR(l2(big), 1.0, 1e-6);
    Eigen::VectorXf gf(3);
    gf << 1e20f, 0.0f, -1e20f;  // squares overflow float, not the double accumulator
    EXPECT_NEAR(ap::train::clip_grad_norm(gf, 2.0f) / 1e20f, std::sqrt(2.0f), 1e-6);
    EXPECT_NEAR(l2(gf), 2.0, 1e-5);
    Eigen::VectorXd g(3);
    g << 1, NAN, 2;
    EXPECT_THROW(ap::train::clip_grad_norm(g, 1.0), ap::numeric_error);
    EXPECT_THAT(error_message([&] { ap::train::clip_grad_norm(g, 1.0); }), HasSubstr("grads[1] = nan"));
    g[1] = 0;
    EXPECT_THAT(error_message([&] { ap::train::clip_grad_norm(g, -2.0); }),
                AllOf(HasSubstr("clip_grad_norm"), HasSubstr("max_norm = -2")));
    // Works on a segment of a larger vector.
    Eigen::VectorXd all = Eigen::VectorXd::Constant(6, 2.0);
    EXPECT_DOUBLE_EQ(ap::train::clip_grad_norm<double>(all.segment(2, 4), 1.0), 4.0);
    EXPECT_EQ(all[0], 2.0);
    EXPECT_NEAR(all[3], 2.0 / (4.0 + 1e-6), 1e-15);
}

TEST(ClipGradValue, ClampsEveryElement) {
    Eigen::VectorXd g(4);
    g << -3, 0.5, 2, -0.25;
    ap::train::clip_grad_value(g, 1.0);
    EXPECT_EQ(g, (Eigen::VectorXd(4) << -1, 0.5, 1, -0.25).finished());
    Eigen::VectorXf gf(2);
    gf << 5.0f, -5.0f;
    ap::train::clip_grad_value(gf, 0.5f);
    EXPECT_EQ(gf[0], 0.5f);
    EXPECT_EQ(gf[1], -0.5f);
    EXPECT_THAT(error_message([&] { ap::train::clip_grad_value(g, 0.0); }), HasSubstr("clip = 0"));
    g[0] = INFINITY;
    EXPECT_THROW(ap::train::clip_grad_value(g, 1.0), ap::numeric_error);
}
