// Gradient x input and its mean-centred hypothetical variant (docs/attribution.md,
// "Gradient x input").
//
// g = df/dx at x, one backward pass. Plain (centred = false): H = g, P = g * x, the
// attribution the training prior penalises. Centred (the default): H[i,c] = g[i,c] -
// mean_c g[i,c], P = H * x. The four inputs of a position are redundant (exactly one is 1),
// so g is only defined up to a shift per position; centring removes it and equals the
// DeepLIFT hypothetical formula with multipliers g and the uniform reference (1/4, ...).
#pragma once

#include <algorithm>

#include "attrprior/attribution/rows.hpp"
#include "attrprior/attribution/scores.hpp"
#include "attrprior/attribution/target.hpp"
#include "attrprior/core/error.hpp"
#include "attrprior/nn/model.hpp"

namespace attrprior::attribution {

struct GradientOptions {
    Index batch = 64;     // examples per forward/backward pass
    bool centred = true;  // H = g - mean_c g (else H = g)
    void validate() const { require(batch >= 1, "GradientOptions", "batch", batch, "must be >= 1"); }
};

/// Gradient x input of every example (eval mode). Results do not depend on `batch`.
template <class Scalar>
Scores<Scalar> gradient_times_input(nn::Model<Scalar>& model, const Inputs<Scalar>& inputs, const Target& target,
                                    const GradientOptions& options = GradientOptions()) {
    const char* where = "attribution::gradient_times_input";
    options.validate();
    detail::check_inputs(model, inputs, target, where);
    const ConstTensor3<Scalar> x = inputs[0];
    const Index B = x.dim0, L = x.dim1, C = x.dim2;
    Scores<Scalar> out;
    out.resize(B, L, C);
    detail::RowBatch<Scalar> rb;
    for (Index first = 0; first < B; first += options.batch) {
        const Index count = std::min(options.batch, B - first);
        rb.begin(inputs, count);
        for (Index b = first; b < first + count; ++b) rb.add_example(b);
        rb.forward_and_seed(model, target, false);
        Tensor3<Scalar> g = rb.gradient_buffer();
        model.backward(nn::Model<Scalar>::Pass::attribution, &g);
        for (Index r = 0; r < count; ++r) {
            const Index b = first + r;
            out.value[static_cast<std::size_t>(b)] = rb.value(r);
            Scalar* H = out.H().slice(b);
            if (options.centred) {
                detail::centre(g.slice(r), L, C, H);
            } else {
                std::copy(g.slice(r), g.slice(r) + L * C, H);
            }
        }
    }
    out.project(x);
    return out;
}

}  // namespace attrprior::attribution
