// In-silico saturation mutagenesis (docs/attribution.md, "ISM").
//
// For every position i in the window and base c, x(i<-c) is x with row i replaced by the
// one-hot e_c; the raw effect is delta[i,c] = f(x(i<-c)) - f(x) (0 for the observed base,
// not evaluated; all four bases are evaluated at an N row). The per-base scores are
// mean-centred over the four bases, H[i,c] = delta[i,c] - mean_c' delta[i,c'], P = H * x,
// so p_i = -(1/4) sum_{c != obs} delta[i,c]. The target's weights stay frozen at x.
//
// Naive ISM runs a full forward per mutant (3 L per example), in chunks of `batch`
// mutants that also hold the rows of their examples.
#pragma once

#include <algorithm>
#include <vector>

#include "attrprior/attribution/rows.hpp"
#include "attrprior/attribution/scores.hpp"
#include "attrprior/attribution/target.hpp"
#include "attrprior/core/error.hpp"
#include "attrprior/nn/model.hpp"

namespace attrprior::attribution {

struct IsmOptions {
    Index batch = 64;  // mutants per forward pass
    Index start = 0;   // mutated positions [start, end); end = -1: the sequence's end
    Index end = -1;
    void validate(Index length) const {
        const char* where = "IsmOptions";
        require(batch >= 1, where, "batch", batch, "must be >= 1");
        require(start >= 0 && start < length, where, "start", start, "must be in [0, ", length, ")");
        require(end == -1 || (end > start && end <= length), where, "end", end, "must be -1 or in (start = ", start,
                ", length = ", length, "]");
    }
    Index stop(Index length) const { return end < 0 ? length : end; }
};

template <class Scalar>
struct IsmScores : Scores<Scalar> {
    std::vector<Scalar> delta;  // B x L x 4 raw effects f(mutant) - f(x); 0 outside the window
    ConstTensor3<Scalar> deltas() const { return {delta.data(), this->examples, this->length, this->channels}; }
};

namespace detail {

/// The mutants of example x (L x C) in [start, end): (position, base) pairs, base c
/// skipped where it is the observed one (an N row keeps all four).
template <class Scalar>
void list_mutants(const Scalar* x, Index C, Index start, Index end, std::vector<Index>& out) {
    for (Index i = start; i < end; ++i)
        for (Index c = 0; c < C; ++c)
            if (x[i * C + c] != Scalar(1)) out.push_back(i * C + c);
}

/// delta[b,i,c] by full forwards of every mutant; value[b] = f(x_b).
template <class Scalar>
void naive_ism_deltas(nn::Model<Scalar>& model, const Inputs<Scalar>& inputs, const Target& target,
                      const IsmOptions& o, Tensor3<Scalar> delta, std::vector<Scalar>& value) {
    const ConstTensor3<Scalar> x = inputs[0];
    const Index B = x.dim0, L = x.dim1, C = x.dim2, end = o.stop(L);
    // (example, i * C + c) per mutant; an example without mutants in the window still
    // needs f(x): it gets one identity row (site -1).
    std::vector<Index> ex, site;
    for (Index b = 0; b < B; ++b) {
        const std::size_t before = site.size();
        list_mutants(x.slice(b), C, o.start, end, site);
        if (site.size() == before) site.push_back(-1);
        ex.resize(site.size(), b);
    }
    RowBatch<Scalar> rb;
    for (Index e = 0; e < delta.size(); ++e) delta.data[e] = Scalar(0);
    for_each_chunk(
        rb, inputs, static_cast<Index>(ex.size()), o.batch, [&](Index i) { return ex[static_cast<std::size_t>(i)]; },
        [&](Index i, Scalar* row) {
            const Index b = ex[static_cast<std::size_t>(i)], s = site[static_cast<std::size_t>(i)];
            std::copy(x.slice(b), x.slice(b) + L * C, row);
            if (s < 0) return;
            const Index p = s / C;
            std::fill(row + p * C, row + (p + 1) * C, Scalar(0));
            row[s] = Scalar(1);
        },
        [&](Index first, Index count, RowBatch<Scalar>& batch) {
            batch.forward_and_seed(model, target, false);
            for (Index j = 0; j < count; ++j) {
                const Index r = batch.rows() - count + j, q = batch.partner(r);
                const Index b = ex[static_cast<std::size_t>(first + j)], s = site[static_cast<std::size_t>(first + j)];
                value[static_cast<std::size_t>(b)] = batch.value(q);
                if (s >= 0) delta.slice(b)[s] = batch.value(r) - batch.value(q);
            }
        });
}

}  // namespace detail

/// ISM of every example (eval mode): raw effects, centred hypothetical and projected scores.
template <class Scalar>
IsmScores<Scalar> ism(nn::Model<Scalar>& model, const Inputs<Scalar>& inputs, const Target& target,
                      const IsmOptions& options = IsmOptions()) {
    const char* where = "attribution::ism";
    detail::check_inputs(model, inputs, target, where);
    const ConstTensor3<Scalar> x = inputs[0];
    const Index B = x.dim0, L = x.dim1, C = x.dim2;
    options.validate(L);
    IsmScores<Scalar> out;
    out.resize(B, L, C);
    out.delta.assign(static_cast<std::size_t>(B * L * C), Scalar(0));
    Tensor3<Scalar> delta(out.delta.data(), B, L, C);
    detail::naive_ism_deltas(model, inputs, target, options, delta, out.value);
    const Index end = options.stop(L);
    for (Index b = 0; b < B; ++b)
        for (Index i = options.start; i < end; ++i) {
            const Scalar* d = delta.slice(b) + i * C;
            Scalar mean = 0;
            for (Index c = 0; c < C; ++c) mean += d[c];
            mean /= Scalar(C);
            for (Index c = 0; c < C; ++c) out.H().slice(b)[i * C + c] = d[c] - mean;
        }
    out.project(x);
    return out;
}

}  // namespace attrprior::attribution
