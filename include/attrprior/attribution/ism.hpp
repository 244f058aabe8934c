// In-silico saturation mutagenesis (docs/attribution.md, "ISM").
//
// For every position i in the window and base c, x(i<-c) is x with row i replaced by the
// one-hot e_c; the raw effect is delta[i,c] = f(x(i<-c)) - f(x) (0 for the observed base,
// not evaluated; all four bases are evaluated at an N row). The per-base scores are
// mean-centred over the four bases, H[i,c] = delta[i,c] - mean_c' delta[i,c'], P = H * x,
// so p_i = -(1/4) sum_{c != obs} delta[i,c]. The target's weights stay frozen at x.
//
// Two algorithms give the same deltas (up to round-off):
//   naive  a full forward per mutant (3 L per example), in chunks of `batch` mutants that
//          also hold the rows of their examples;
//   fast   (default) one forward per example caches every node; a mutant then recomputes
//          only the positions of each node its substitution can reach (a window that
//          follows the layers' reach()), reading cached values outside it. The affine
//          tail of the model (e.g. the profile model's heads) is not recomputed: f is
//          affine in the tail's inputs, so delta = <G, h(mutant) - h(x)> with G = df/dh
//          from one backward per example. Global layers before the tail are finished
//          exactly (GlobalAveragePool1d / PositionSum by the windowed difference, the rest
//          by an ordinary forward of the mutant's small dense features). A model it
//          cannot handle (a layer without a declared reach, or without forward_window, on
//          the windowed part) runs naive; IsmScores::algorithm says which one ran.
#pragma once

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "attrprior/attribution/rows.hpp"
#include "attrprior/attribution/scores.hpp"
#include "attrprior/attribution/target.hpp"
#include "attrprior/core/error.hpp"
#include "attrprior/nn/channels.hpp"
#include "attrprior/nn/model.hpp"
#include "attrprior/nn/pooling.hpp"

namespace attrprior::attribution {

/// How ISM evaluates the mutants (docs/attribution.md, "ISM").
enum class IsmAlgorithm {
    fast,   // windowed recomputation; falls back to naive where unsupported
    naive,  // a full forward per mutant
};

inline const char* to_string(IsmAlgorithm a) { return a == IsmAlgorithm::fast ? "fast" : "naive"; }

struct IsmOptions {
    Index batch = 64;  // mutants per forward pass
    Index start = 0;   // mutated positions [start, end); end = -1: the sequence's end
    Index end = -1;
    IsmAlgorithm algorithm = IsmAlgorithm::fast;
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
    /// The algorithm that ran (naive when fast was asked for a model it cannot handle).
    IsmAlgorithm algorithm = IsmAlgorithm::naive;
    /// Why fast ISM fell back to naive ("" when it ran, or when naive was asked for).
    std::string fallback_reason;
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

inline Index floor_div(Index a, Index b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }  // b > 0
inline Index ceil_div(Index a, Index b) { return -floor_div(-a, b); }

/// Fast (windowed) ISM of one model and target (docs/attribution.md, "ISM").
///
/// Plan (once per call). The affine tail: nodes the target depends on whose layer is
/// affine in eval mode (DeepLiftRule::affine) and whose consumers are all in the tail; its
/// changed sources (or the output, when not affine) form the frontier, and
/// f(mutant) - f(x) = sum over the frontier of <G, h(mutant) - h(x)>, G = df/dh by one
/// backward through the tail per example. Every other node the target depends on gets a
/// state for a mutant at sequence position p:
///   unchanged  no source depends on the sequence: the cached output is exact;
///   window     local layer, all changed sources windowed: only output positions
///              [start[p], start[p] + width) are recomputed (forward_window on the input
///              positions they read: windowed source values inside the sources' windows,
///              cached values outside, zeros beyond the input);
///   full       the whole output is recomputed per mutant: a global layer, or any layer
///              with a full source, by its forward (one row at a time). GlobalAveragePool1d
///              and PositionSum on windowed sources are updated exactly instead: cached
///              output + scale * sum over the input window of (mutant - cached) input.
/// The window of a node is the hull of its windowed sources' windows mapped through the
/// layer's reach, [ceil((lo + P - d(k-1)) / s), floor((hi + P) / s)], clipped to the
/// output; its width is the largest over every p, and the window is shifted to lie inside
/// the output. Widths and starts depend only on the model and p, and each mutant row is
/// computed on its own (up to the blocking of Conv1d's GEMMs), so results do not depend on
/// how mutants are batched beyond round-off.
template <class Scalar>
class FastIsm {
public:
    using ConstTensor = ConstTensor3<Scalar>;
    using Tensor = Tensor3<Scalar>;

    FastIsm(nn::Model<Scalar>& model, const Target& target) : model_(model), target_(target) { plan(); }

    /// "" when the model is supported, else why not (fast ISM then cannot run).
    const std::string& reason() const { return reason_; }

    /// delta[b, i, c] for the mutants in [o.start, end); value[b] = f(x_b).
    void run(const Inputs<Scalar>& inputs, const IsmOptions& o, Tensor3<Scalar> delta, std::vector<Scalar>& value) {
        const ConstTensor x = inputs[0];
        const Index B = x.dim0, L = x.dim1, C = x.dim2, end = o.stop(L);
        for (Index e = 0; e < delta.size(); ++e) delta.data[e] = Scalar(0);
        // One example per cached forward: its dense layers then run on one row, as the
        // mutants' (one row at a time), so an unchanged value is recomputed bit for bit.
        std::vector<ConstTensor> views(inputs.size());
        for (Index b0 = 0; b0 < B; ++b0) {
            const Index E = 1;
            for (std::size_t k = 0; k < inputs.size(); ++k)
                views[k] = ConstTensor(inputs[k].slice(b0), E, inputs[k].dim1, inputs[k].dim2);
            model_.forward(views, nn::Mode::eval);
            target_.seed(model_);
            chunk_inputs_ = &views;
            const ConstTensor out = model_.output(target_.output());
            const auto seed = model_.output_gradient(target_.output());
            seeds_.assign(seed.data, seed.data + seed.size());
            tail_gradients();
            const Index n = out.dim1 * out.dim2;
            for (Index e = 0; e < E; ++e) {
                Scalar f = 0;
                for (Index j = 0; j < n; ++j) f += seeds_[static_cast<std::size_t>(e * n + j)] * out.slice(e)[j];
                value[static_cast<std::size_t>(b0 + e)] = f;
            }
            // The chunk's mutants, `batch` rows per pass.
            std::vector<Index> sites;
            rows_.clear();
            for (Index e = 0; e < E; ++e) {
                sites.clear();
                list_mutants(x.slice(b0 + e), C, o.start, end, sites);
                for (Index s : sites) rows_.push_back(Row{e, s / C, s % C});
            }
            const Index total = static_cast<Index>(rows_.size());
            for (Index first = 0; first < total; first += o.batch) {
                const Index R = std::min(o.batch, total - first);
                run_pass(first, R);
                for (Index r = 0; r < R; ++r) {
                    const Row& row = rows_[static_cast<std::size_t>(first + r)];
                    delta.slice(b0 + row.example)[row.position * C + row.base] = change_[static_cast<std::size_t>(r)];
                }
            }
            chunk_inputs_ = nullptr;
        }
    }

private:
    enum class State { unchanged, window, full };
    enum class Op { none, window, forward, position_sum };

    struct NodePlan {
        State state = State::unchanged;
        Op op = Op::none;
        Index length = 0, channels = 0;  // output shape
        Index width = 0;                 // window: output positions; position_sum: input positions
        std::vector<Index> start;        // per sequence position p: the window's first position
        Scalar scale = Scalar(1);        // position_sum: 1 (PositionSum) or 1 / L (average)
        std::vector<Scalar> data;        // per pass: rows x width x channels (window) or x length
    };

    struct Row {
        Index example;   // in the cached chunk
        Index position;  // mutated position p
        Index base;      // the substituted base
    };

    // ---- plan ------------------------------------------------------------------------
    void plan() {
        const int N = static_cast<int>(model_.node_count());
        const Index L = model_.input_shape(0).length;
        nodes_.assign(static_cast<std::size_t>(N), NodePlan());
        output_ = model_.outputs()[target_.output()];
        // The nodes the target's output depends on.
        needed_.assign(static_cast<std::size_t>(N), 0);
        needed_[static_cast<std::size_t>(output_)] = 1;
        for (int i = N - 1; i >= 0; --i) {
            if (!needed_[static_cast<std::size_t>(i)]) continue;
            for (const nn::NodeId& id : model_.node_sources(i)) {
                const int s = nn::Model<Scalar>::source_index(id);
                if (s >= 0) needed_[static_cast<std::size_t>(s)] = 1;
            }
        }
        // The affine tail: needed nodes whose layer is affine (eval mode) and whose needed
        // consumers are all in the tail. f is affine in the tail's inputs, so the effect of
        // a mutant is <G, h' - h> summed over the frontier (the changed sources of the tail,
        // or the output when it is not in the tail), with G = df/dh computed once per
        // example by a backward through the tail; the tail itself is never recomputed.
        tail_.assign(static_cast<std::size_t>(N), 0);
        std::vector<char> feeds_other(static_cast<std::size_t>(N), 0);  // has a needed consumer outside the tail
        for (int i = N - 1; i >= 0; --i) {
            if (!needed_[static_cast<std::size_t>(i)]) continue;
            tail_[static_cast<std::size_t>(i)] =
                !feeds_other[static_cast<std::size_t>(i)] && model_.layer(i).deeplift_rule() == nn::DeepLiftRule::affine;
            if (tail_[static_cast<std::size_t>(i)]) continue;
            for (const nn::NodeId& id : model_.node_sources(i)) {
                const int src = nn::Model<Scalar>::source_index(id);
                if (src >= 0) feeds_other[static_cast<std::size_t>(src)] = 1;
            }
        }
        frontier_.clear();
        auto add_frontier = [&](int src) {
            if (src < -1 || (src >= 0 && tail_[static_cast<std::size_t>(src)])) return;
            if (std::find(frontier_.begin(), frontier_.end(), src) == frontier_.end()) frontier_.push_back(src);
        };
        if (!tail_[static_cast<std::size_t>(output_)]) add_frontier(output_);
        for (int i = 0; i < N; ++i)
            if (tail_[static_cast<std::size_t>(i)])
                for (const nn::NodeId& id : model_.node_sources(i)) add_frontier(nn::Model<Scalar>::source_index(id));
        node_grad_.assign(static_cast<std::size_t>(N), std::vector<Scalar>());

        // The sequence: a window of one position at p.
        sequence_.state = State::window;
        sequence_.length = L;
        sequence_.channels = model_.input_shape(0).channels;
        sequence_.width = 1;
        sequence_.start.resize(static_cast<std::size_t>(L));
        for (Index p = 0; p < L; ++p) sequence_.start[static_cast<std::size_t>(p)] = p;

        for (int i = 0; i < N; ++i) {
            if (!needed_[static_cast<std::size_t>(i)] || tail_[static_cast<std::size_t>(i)]) continue;
            NodePlan& n = nodes_[static_cast<std::size_t>(i)];
            const nn::Shape os = model_.output_shape(i), is = model_.node_input_shape(i);
            n.length = os.length;
            n.channels = os.channels;
            bool changed = false, full = false;
            for (const nn::NodeId& id : model_.node_sources(i)) {
                const NodePlan* sp = plan_of(nn::Model<Scalar>::source_index(id));
                if (!sp || sp->state == State::unchanged) continue;
                changed = true;
                full = full || sp->state == State::full;
            }
            if (!changed) continue;
            nn::Layer<Scalar>& layer = model_.layer(i);
            if (full) {
                n.state = State::full;
                n.op = Op::forward;
                continue;
            }
            const nn::Reach reach = layer.reach();
            const std::string name = describe_node(i);
            if (reach.kind == nn::Reach::Kind::unknown) {
                reason_ = name + " declares no reach (Layer::reach)";
                return;
            }
            if (reach.kind == nn::Reach::Kind::global) {
                n.state = State::full;
                const bool average = dynamic_cast<nn::GlobalAveragePool1d<Scalar>*>(&layer) != nullptr;
                if (average || dynamic_cast<nn::PositionSum<Scalar>*>(&layer) != nullptr) {
                    // The windowed part of the input: the hull of the sources' windows.
                    n.op = Op::position_sum;
                    n.scale = average ? Scalar(1) / Scalar(is.length) : Scalar(1);
                    windows(i, nn::Reach::pointwise(), is.length, n);
                } else {
                    n.op = Op::forward;
                }
                continue;
            }
            // Local: the layer must compute a window (probe it on one output position).
            const Index span = reach.dilation * (reach.kernel - 1) + 1;
            std::vector<Scalar> probe_in(static_cast<std::size_t>(span * is.channels), Scalar(0));
            std::vector<Scalar> probe_out(static_cast<std::size_t>(os.channels), Scalar(0));
            if (!layer.forward_window(ConstTensor(probe_in.data(), 1, span, is.channels),
                                      Tensor(probe_out.data(), 1, 1, os.channels))) {
                reason_ = name + " has no windowed forward (Layer::forward_window)";
                return;
            }
            n.state = State::window;
            n.op = Op::window;
            windows(i, reach, os.length, n);
            if (n.width == 0) {  // no substitution reaches this node's output
                n.state = State::unchanged;
                n.op = Op::none;
            }
        }
    }

    std::string describe_node(int i) const { return model_.describe_node(i); }

    /// Window width and per-p starts of node i (output length `length` under `reach`).
    void windows(int i, const nn::Reach& reach, Index length, NodePlan& n) {
        const Index L = model_.input_shape(0).length;
        std::vector<Index> lo_of(static_cast<std::size_t>(L));
        n.width = 0;
        const auto sources = model_.node_sources(i);
        for (Index p = 0; p < L; ++p) {
            Index lo = std::numeric_limits<Index>::max(), hi = std::numeric_limits<Index>::min();
            for (const nn::NodeId& id : sources) {
                const NodePlan* sp = plan_of(nn::Model<Scalar>::source_index(id));
                if (!sp || sp->state != State::window) continue;
                const Index st = sp->start[static_cast<std::size_t>(p)];
                lo = std::min(lo, st);
                hi = std::max(hi, st + sp->width - 1);
            }
            const Index a = std::max<Index>(
                0, ceil_div(lo + reach.left_pad - reach.dilation * (reach.kernel - 1), reach.stride));
            const Index b = std::min<Index>(length - 1, floor_div(hi + reach.left_pad, reach.stride));
            lo_of[static_cast<std::size_t>(p)] = a;
            n.width = std::max(n.width, b - a + 1);
        }
        n.start.assign(static_cast<std::size_t>(L), 0);
        for (Index p = 0; p < L; ++p)
            n.start[static_cast<std::size_t>(p)] = std::clamp(lo_of[static_cast<std::size_t>(p)], Index(0), length - n.width);
    }

    NodePlan* plan_of(int s) {
        if (s == -1) return &sequence_;
        if (s < -1) return nullptr;  // auxiliary inputs do not change
        return &nodes_[static_cast<std::size_t>(s)];
    }

    // ---- one pass ----------------------------------------------------------------------
    /// The value of source s at position q for pass row r: the mutant's when the source
    /// recomputed q, else the cached one; nullptr for a zero pad (q outside the source).
    const Scalar* value(int s, const NodePlan* sp, Index r, Index q) const {
        const Row& row = rows_[static_cast<std::size_t>(first_ + r)];
        if (sp && sp->state == State::window) {
            const Index st = sp->start[static_cast<std::size_t>(row.position)];
            if (q >= st && q < st + sp->width) return sp->data.data() + (r * sp->width + q - st) * sp->channels;
        }
        if (s >= 0) {
            const nn::Shape sh = model_.output_shape(s);
            if (q < 0 || q >= sh.length) return nullptr;
            if (sp && sp->state == State::full) return sp->data.data() + (r * sh.length + q) * sh.channels;
            return model_.node_output(s).slice(row.example) + q * sh.channels;
        }
        const ConstTensor in = (*chunk_inputs_)[static_cast<std::size_t>(-1 - s)];
        if (q < 0 || q >= in.dim1) return nullptr;
        return in.slice(row.example) + q * in.dim2;
    }

    /// Writes node i's combined input at positions [q0, q0 + n) for pass row r into dst
    /// (n x channels), summing or concatenating its sources as the model does.
    void gather(int i, Index r, Index q0, Index n, Scalar* dst) {
        const auto sources = model_.node_sources(i);
        const Index Cin = model_.node_input_shape(i).channels;
        const bool concat = model_.node_combine(i) == nn::Combine::concat;
        for (std::size_t k = 0; k < sources.size(); ++k) {
            const int s = nn::Model<Scalar>::source_index(sources[k]);
            const NodePlan* sp = plan_of(s);
            const Index off = model_.node_source_offset(i, k);
            const Index Cs = s >= 0 ? model_.output_shape(s).channels : model_.input_shape(static_cast<std::size_t>(-1 - s)).channels;
            const bool assign = k == 0 || concat;
            for (Index q = q0; q < q0 + n; ++q) {
                const Scalar* v = value(s, sp, r, q);
                Scalar* d = dst + (q - q0) * Cin + off;
                if (assign) {
                    if (v) {
                        std::copy(v, v + Cs, d);
                    } else {
                        std::fill(d, d + Cs, Scalar(0));
                    }
                } else if (v) {
                    for (Index c = 0; c < Cs; ++c) d[c] += v[c];
                }
            }
        }
    }

    static void reserve(std::vector<Scalar>& v, Index n) {
        if (static_cast<Index>(v.size()) < n) v.resize(static_cast<std::size_t>(n));
    }

    /// Recomputes the needed nodes for rows [first, first + R) and leaves
    /// change_[r] = <S, outputs(mutant) - outputs(x)>.
    void run_pass(Index first, Index R) {
        first_ = first;
        // The sequence's window: the substituted one-hot row.
        const Index C = sequence_.channels;
        reserve(sequence_.data, R * C);
        for (Index r = 0; r < R; ++r) {
            Scalar* d = sequence_.data.data() + r * C;
            std::fill(d, d + C, Scalar(0));
            d[rows_[static_cast<std::size_t>(first + r)].base] = Scalar(1);
        }
        const int N = static_cast<int>(model_.node_count());
        for (int i = 0; i < N; ++i) {
            if (!needed_[static_cast<std::size_t>(i)] || tail_[static_cast<std::size_t>(i)]) continue;
            NodePlan& n = nodes_[static_cast<std::size_t>(i)];
            if (n.op == Op::none) continue;
            nn::Layer<Scalar>& layer = model_.layer(i);
            const nn::Shape is = model_.node_input_shape(i);
            const Index Cin = is.channels;
            if (n.op == Op::window) {
                const nn::Reach reach = layer.reach();
                const Index span = (n.width - 1) * reach.stride + reach.dilation * (reach.kernel - 1) + 1;
                reserve(slab_, R * span * Cin);
                reserve(n.data, R * n.width * n.channels);
#pragma omp parallel for schedule(static) if (R > 1)
                for (Index r = 0; r < R; ++r) {
                    const Index p = rows_[static_cast<std::size_t>(first + r)].position;
                    const Index q0 = n.start[static_cast<std::size_t>(p)] * reach.stride - reach.left_pad;
                    gather(i, r, q0, span, slab_.data() + r * span * Cin);
                }
                const bool ok = layer.forward_window(ConstTensor(slab_.data(), R, span, Cin),
                                                     Tensor(n.data.data(), R, n.width, n.channels));
                require(ok, "attribution::ism", "node", describe_node(i), "stopped computing windows");
            } else if (n.op == Op::position_sum) {
                // out = cached out + scale * sum over the input window of (mutant - cached).
                reserve(slab_, R * n.width * Cin);
                reserve(n.data, R * n.channels);
                const ConstTensor cached_in = model_.node_input_tensor(i), cached_out = model_.node_output(i);
#pragma omp parallel for schedule(static) if (R > 1)
                for (Index r = 0; r < R; ++r) {
                    const Row& row = rows_[static_cast<std::size_t>(first + r)];
                    const Index q0 = n.start[static_cast<std::size_t>(row.position)];
                    Scalar* s = slab_.data() + r * n.width * Cin;
                    gather(i, r, q0, n.width, s);
                    const Scalar* h = cached_in.slice(row.example) + q0 * Cin;
                    Scalar* y = n.data.data() + r * n.channels;
                    for (Index c = 0; c < Cin; ++c) {
                        Scalar d = 0;
                        for (Index t = 0; t < n.width; ++t) d += s[t * Cin + c] - h[t * Cin + c];
                        y[c] = cached_out.slice(row.example)[c] + n.scale * d;
                    }
                }
            } else {  // Op::forward: the whole input, one row at a time
                const Index in_size = is.length * Cin, out_size = n.length * n.channels;
                reserve(slab_, R * in_size);
                reserve(n.data, R * out_size);
#pragma omp parallel for schedule(static) if (R > 1)
                for (Index r = 0; r < R; ++r) gather(i, r, 0, is.length, slab_.data() + r * in_size);
                for (Index r = 0; r < R; ++r)
                    layer.forward(ConstTensor(slab_.data() + r * in_size, 1, is.length, Cin),
                                  Tensor(n.data.data() + r * out_size, 1, n.length, n.channels), nn::Mode::eval);
            }
        }
        // change = sum over the frontier of <G, h(mutant) - h(x)> over the recomputed positions.
        change_.assign(static_cast<std::size_t>(R), Scalar(0));
        for (const int src : frontier_) {
            const NodePlan* fp = plan_of(src);
            if (fp->state == State::unchanged) continue;
            const ConstTensor cached = src == -1 ? (*chunk_inputs_)[0] : model_.node_output(src);
            const Scalar* G = src == -1 ? sequence_grad_.data() : node_grad_[static_cast<std::size_t>(src)].data();
            const Index K = fp->channels, width = fp->state == State::window ? fp->width : fp->length;
#pragma omp parallel for schedule(static) if (R > 1)
            for (Index r = 0; r < R; ++r) {
                const Row& row = rows_[static_cast<std::size_t>(first + r)];
                const Index t0 = fp->state == State::window ? fp->start[static_cast<std::size_t>(row.position)] : 0;
                const Scalar* y = fp->data.data() + r * width * K;
                const Scalar* y0 = cached.slice(row.example) + t0 * K;
                const Scalar* g = G + (row.example * fp->length + t0) * K;
                Scalar sum = 0;
                for (Index e = 0; e < width * K; ++e) sum += g[e] * (y[e] - y0[e]);
                change_[static_cast<std::size_t>(r)] += sum;
            }
        }
    }

    /// G = df/dh of the frontier for the cached examples: the seed S at the output, then the
    /// layers' ordinary backward through the tail, in reverse order (consumers first), split
    /// over sources as the model's backward does. No-op without a tail (G of the output = S).
    void tail_gradients() {
        const int N = static_cast<int>(model_.node_count());
        const Index E = model_.batch_size();
        auto buffer = [&](int i) -> std::vector<Scalar>& {
            std::vector<Scalar>& g = i == -1 ? sequence_grad_ : node_grad_[static_cast<std::size_t>(i)];
            const nn::Shape sh = i == -1 ? model_.input_shape(0) : model_.output_shape(i);
            g.assign(static_cast<std::size_t>(E * sh.length * sh.channels), Scalar(0));
            return g;
        };
        for (const int src : frontier_) buffer(src);
        for (int i = 0; i < N; ++i)
            if (tail_[static_cast<std::size_t>(i)]) buffer(i);
        node_grad_[static_cast<std::size_t>(output_)] = seeds_;
        for (int i = N - 1; i >= 0; --i) {
            if (!tail_[static_cast<std::size_t>(i)]) continue;
            const nn::Shape is = model_.node_input_shape(i), os = model_.output_shape(i);
            reserve(slab_, E * is.length * is.channels);
            const Tensor g_in(slab_.data(), E, is.length, is.channels);
            model_.layer(i).backward(model_.node_input_tensor(i), model_.node_output(i),
                                     ConstTensor(node_grad_[static_cast<std::size_t>(i)].data(), E, os.length, os.channels),
                                     g_in);
            const auto sources = model_.node_sources(i);
            for (std::size_t k = 0; k < sources.size(); ++k) {
                const int src = nn::Model<Scalar>::source_index(sources[k]);
                if (src < -1) continue;  // auxiliary inputs do not change
                std::vector<Scalar>& g = src == -1 ? sequence_grad_ : node_grad_[static_cast<std::size_t>(src)];
                const Index Cs = src == -1 ? model_.input_shape(0).channels : model_.output_shape(src).channels;
                const Index off = model_.node_source_offset(i, k);
                for (Index e = 0; e < E * is.length; ++e)
                    for (Index c = 0; c < Cs; ++c) g[static_cast<std::size_t>(e * Cs + c)] += g_in.data[e * is.channels + off + c];
            }
        }
    }

    nn::Model<Scalar>& model_;
    Target target_;
    std::string reason_;
    int output_ = 0;
    std::vector<char> needed_, tail_;
    std::vector<int> frontier_;                   // sources whose change enters f linearly
    std::vector<std::vector<Scalar>> node_grad_;  // df/dh of tail and frontier nodes (cached examples)
    std::vector<Scalar> sequence_grad_;           // df/dx when the sequence is on the frontier
    std::vector<NodePlan> nodes_;
    NodePlan sequence_;
    // per chunk / pass
    const std::vector<ConstTensor>* chunk_inputs_ = nullptr;
    std::vector<Scalar> seeds_, slab_, change_;
    std::vector<Row> rows_;
    Index first_ = 0;
};

}  // namespace detail

/// ISM of every example (eval mode): raw effects, centred hypothetical and projected scores.
template <class Scalar>
IsmScores<Scalar> ism(nn::Model<Scalar>& model, const Inputs<Scalar>& inputs, const Target& target,
                      const IsmOptions& options = IsmOptions()) {
    const char* where = "attribution::ism";
    detail::check_inputs(model, inputs, target, where, true);
    const ConstTensor3<Scalar> x = inputs[0];
    const Index B = x.dim0, L = x.dim1, C = x.dim2;
    options.validate(L);
    IsmScores<Scalar> out;
    out.resize(B, L, C);
    out.delta.assign(static_cast<std::size_t>(B * L * C), Scalar(0));
    Tensor3<Scalar> delta(out.delta.data(), B, L, C);
    if (options.algorithm == IsmAlgorithm::fast && !target.linear()) {
        // Fast ISM reads f(mutant) - f(x) as <seed, outputs(mutant) - outputs(x)>, which
        // needs a target that is a linear readout once its seed is fixed.
        out.fallback_reason = attrprior::detail::concat("target ", target.describe(), " is not a linear readout");
    } else if (options.algorithm == IsmAlgorithm::fast) {
        detail::FastIsm<Scalar> fast(model, target);
        out.fallback_reason = fast.reason();
        if (out.fallback_reason.empty()) {
            fast.run(inputs, options, delta, out.value);
            out.algorithm = IsmAlgorithm::fast;
        }
    }
    if (out.algorithm == IsmAlgorithm::naive)
        detail::naive_ism_deltas(model, inputs, target, options, delta, out.value);
    const Index end = options.stop(L);
    for (Index b = 0; b < B; ++b)
        detail::centre(delta.slice(b) + options.start * C, end - options.start, C,
                       out.H().slice(b) + options.start * C);
    out.project(x);
    return out;
}

}  // namespace attrprior::attribution
