// A network of layers over one flat parameter buffer, with the three passes of the
// double-backprop step (docs/double_backprop.md §2): forward, backward (attribution or task,
// optionally with injected h-bar), and the tangent pass.
//
// The graph is a DAG in insertion order: every node applies one layer to the SUM (or the
// channel CONCATENATION) of its inputs: earlier nodes, the model input (the sequence) or
// auxiliary inputs (e.g. control tracks: data, never differentiated). A chain is the
// common case; summed inputs express the residual structure of the BPNet-style profile
// model, concatenation its controls, and several output nodes its two heads. Each node owns an output buffer and a gradient
// slot; the slot holds, in turn, the attribution gradient g, its tangent g-bar (written
// over g once the node's second-order terms have consumed it) and the task gradient
// delta. Buffers are sized at the first pass with a batch size and reused afterwards.
#pragma once

#include <Eigen/Core>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "attrprior/core/error.hpp"
#include "attrprior/core/tensor.hpp"
#include "attrprior/nn/layer.hpp"

namespace attrprior::nn {

/// How a node combines several inputs: their elementwise SUM (all of one shape) or their
/// CONCATENATION along channels (all of one length); docs/custom_models.md.
enum class Combine { sum, concat };

/// A handle of a node of a Model (its output), or of one of the model's inputs. Returned by
/// Model::add and Model::add_input; Model::input() is the sequence. Default-constructed:
/// "the previous node".
class NodeId {
public:
    constexpr NodeId() = default;
    /// True for a model input (the sequence or an auxiliary input), false for a node.
    constexpr bool is_input() const { return raw_ < 0 && raw_ != kPrevious; }
    constexpr bool is_previous() const { return raw_ == kPrevious; }
    /// Position of a node in the model (0, 1, ...); not defined for inputs.
    constexpr int index() const { return raw_; }
    constexpr bool operator==(const NodeId& o) const { return raw_ == o.raw_ && owner_ == o.owner_; }
    constexpr bool operator!=(const NodeId& o) const { return !(*this == o); }

private:
    template <class>
    friend class Model;
    static constexpr int kPrevious = std::numeric_limits<int>::min();
    constexpr explicit NodeId(int raw, std::uint64_t owner = 0) : raw_(raw), owner_(owner) {}
    int raw_ = kPrevious;    // >= 0: node; -1: the sequence; -2, -3, ...: auxiliary inputs
    std::uint64_t owner_ = 0;  // the model that made the handle (0: input() and "previous", any model)
};

/// The inputs of a node and how they combine: one NodeId, or sum({...}) / concat({...}).
struct NodeInputs {
    std::vector<NodeId> nodes;
    Combine combine = Combine::sum;
    NodeInputs(NodeId one) : nodes{one} {}  // NOLINT(google-explicit-constructor): one input
    NodeInputs(std::vector<NodeId> many, Combine how) : nodes(std::move(many)), combine(how) {}
};
/// A node input that is the elementwise sum of these nodes (residual connections).
inline NodeInputs sum(std::vector<NodeId> nodes) { return NodeInputs(std::move(nodes), Combine::sum); }
/// A node input that is the channel concatenation of these nodes (in this order).
inline NodeInputs concat(std::vector<NodeId> nodes) { return NodeInputs(std::move(nodes), Combine::concat); }

template <class Scalar>
class Model {
public:
    using Tensor = Tensor3<Scalar>;
    using ConstTensor = ConstTensor3<Scalar>;
    using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;
    using Combine = nn::Combine;

    explicit Model(Shape input_shape) : id_(next_model_id()) {
        require(input_shape.length >= 1, "Model", "input length", input_shape.length, "must be >= 1");
        require(input_shape.channels >= 1, "Model", "input channels", input_shape.channels,
                "must be >= 1");
        input_shapes_.push_back(input_shape);
    }

    /// The model input (the one-hot sequence), to name it among a node's inputs.
    static constexpr NodeId input() { return NodeId(-1); }

    /// Declares an auxiliary input (data the model reads but is not differentiated with
    /// respect to, e.g. control tracks); returns its handle for add().
    NodeId add_input(Shape shape) {
        require(!compiled_, "Model::add_input", "inputs", input_shapes_.size(), "cannot grow after compile()");
        require(shape.length >= 1 && shape.channels >= 1, "Model::add_input", "shape", to_string(shape),
                "must be at least [1 x 1]");
        input_shapes_.push_back(shape);
        return NodeId(-static_cast<int>(input_shapes_.size()), id_);
    }
    Model(const Model&) = delete;
    Model& operator=(const Model&) = delete;
    Model(Model&&) = default;
    Model& operator=(Model&&) = default;

    /// Appends a node applying `layer` to `inputs`: one node (default: the previous node,
    /// or the model input for the first node), or sum({...}) / concat({...}) of several.
    /// The layer takes its input shape from the model: size options left at 0 (e.g.
    /// Conv1d's in_channels, Linear's in_features, BatchNorm1d's channels) are inferred.
    /// `name` is the PyTorch module path used for save/load (e.g. "conv.0"): a layer with
    /// parameters or state must have one, and names are unique. Returns the node's handle.
    template <class L>
    NodeId add(std::string name, std::unique_ptr<L> layer, NodeInputs inputs = NodeInputs(NodeId())) {
        static_assert(std::is_base_of_v<Layer<Scalar>, L>,
                      "attrprior: Model<Scalar>::add needs a std::unique_ptr to a class derived from "
                      "nn::Layer<Scalar> (same Scalar as the model)");
        require(!compiled_, "Model::add", "node", name, "cannot be added after compile()");
        require(layer != nullptr, "Model::add", "layer of node", name, "must not be null");
        Node n;
        n.name = std::move(name);
        n.layer = std::move(layer);
        n.combine = inputs.combine;
        require(!inputs.nodes.empty(), "Model::add", "inputs of node", n.name, "must not be empty");
        for (const NodeId& id : inputs.nodes) {
            require(id.owner_ == 0 || id.owner_ == id_, "Model::add", "input", describe(id), "of node '", n.name,
                    "' is a handle of another model");
            const int s = id.is_previous() ? static_cast<int>(nodes_.size()) - 1 : id.raw_;
            require(s >= -static_cast<int>(input_shapes_.size()) && s < static_cast<int>(nodes_.size()),
                    "Model::add", "input", describe(id), "of node '", n.name,
                    "' must be a model input or an earlier node (", nodes_.size(), " exist)");
            n.inputs.push_back(s);
        }
        const Combine combine = n.combine;
        Shape in_shape{};
        for (std::size_t k = 0; k < n.inputs.size(); ++k) {
            const int s = n.inputs[k];
            const Shape si = source_shape(s);
            n.offsets.push_back(k == 0 ? 0 : in_shape.channels);
            if (k == 0) {
                in_shape = si;
            } else if (combine == Combine::concat) {
                require(si.length == in_shape.length, "Model::add", "input length", si.length, "of node '",
                        n.name, "' differs from its other inputs' length ", in_shape.length);
                in_shape.channels += si.channels;
            } else {
                require(si == in_shape, "Model::add", "input shape", to_string(si), "of node '",
                        n.name, "' differs from its other inputs ", to_string(in_shape));
            }
        }
        if (combine == Combine::sum) std::fill(n.offsets.begin(), n.offsets.end(), 0);
        n.in_shape = in_shape;
        n.layer->infer_input_shape(in_shape);
        n.out_shape = n.layer->output_shape(in_shape);
        if (n.layer->parameter_count() > 0 || n.layer->state_count() > 0) {
            require(!n.name.empty(), "Model::add", "name", "\"\"", "is empty for a ", n.layer->kind(),
                    " node (node ", nodes_.size(), "): layers with parameters need a name, their save/load key");
        }
        if (!n.name.empty()) {
            for (const Node& other : nodes_)
                require(other.name != n.name, "Model::add", "name", n.name,
                        "is already used by an earlier node: names must be unique (they key saved tensors)");
        }
        for (int s : n.inputs)
            if (s >= 0) ++nodes_[static_cast<std::size_t>(s)].consumers;
        nodes_.push_back(std::move(n));
        return NodeId(static_cast<int>(nodes_.size()) - 1, id_);
    }

    /// A node without a name (layers without parameters or state: activations, pooling,
    /// reshapes).
    template <class L>
    NodeId add(std::unique_ptr<L> layer, NodeInputs inputs = NodeInputs(NodeId())) {
        return add(std::string(), std::move(layer), std::move(inputs));
    }

    /// Convenience: constructs the layer in place.
    template <class L, class... Args>
    NodeId emplace(std::string name, NodeInputs inputs, Args&&... args) {
        return add(std::move(name), std::make_unique<L>(std::forward<Args>(args)...), std::move(inputs));
    }

    /// Output nodes (default: the last node). Call before compile().
    void set_outputs(const std::vector<NodeId>& outputs) {
        require(!compiled_, "Model::set_outputs", "outputs", outputs.size(), "cannot change after compile()");
        outputs_.clear();
        for (const NodeId& o : outputs) {
            require(!o.is_input() && !o.is_previous() && o.index() < static_cast<int>(nodes_.size()) &&
                        o.owner_ == id_,
                    "Model::set_outputs", "output", describe(o), "must be a node of this model");
            outputs_.push_back(o.index());
        }
    }

    /// Allocates the flat buffers, binds the layers and initialises the parameters
    /// (PyTorch's default distributions, from `seed`).
    void compile(std::uint64_t seed = 0) {
        require(!nodes_.empty(), "Model::compile", "nodes", 0, "must be >= 1");
        if (outputs_.empty()) outputs_.push_back(static_cast<int>(nodes_.size()) - 1);
        Index p = 0, s = 0;
        for (Node& n : nodes_) {
            n.param_offset = p;
            n.state_offset = s;
            p += n.layer->parameter_count();
            s += n.layer->state_count();
        }
        params_ = Vector::Zero(p);
        grads_ = Vector::Zero(p);
        state_ = Vector::Zero(s);
        for (Node& n : nodes_) {
            n.layer->bind(params_.data() + n.param_offset, grads_.data() + n.param_offset,
                          state_.data() + n.state_offset);
        }
        for (Node& n : nodes_) {
            const int s0 = n.inputs[0];
            n.direct = n.inputs.size() == 1 && s0 >= 0 &&
                       nodes_[static_cast<std::size_t>(s0)].consumers == 1 &&
                       std::find(outputs_.begin(), outputs_.end(), s0) == outputs_.end();
        }
        compiled_ = true;
        reset_parameters(seed);
    }

    void reset_parameters(std::uint64_t seed) {
        require_compiled("reset_parameters");
        std::mt19937_64 rng(seed);
        for (Node& n : nodes_) n.layer->reset_parameters(rng);
    }

    // ---- introspection -----------------------------------------------------------
    Shape input_shape(std::size_t k = 0) const { return input_shapes_.at(k); }
    std::size_t input_count() const { return input_shapes_.size(); }
    std::size_t node_count() const { return nodes_.size(); }
    const std::string& node_name(int i) const { return node(i).name; }
    Layer<Scalar>& layer(int i) { return *node(i).layer; }
    const Layer<Scalar>& layer(int i) const { return *node(i).layer; }
    Shape output_shape(int i) const { return node(i).out_shape; }
    /// The per-example shape of a node's output or of a model input.
    Shape shape(NodeId id) const { return id.is_input() ? source_shape(id.raw_) : node(id.index()).out_shape; }
    /// The handle of the node named `name` (invalid_argument if none).
    NodeId find(const std::string& name) const {
        for (std::size_t i = 0; i < nodes_.size(); ++i)
            if (!name.empty() && nodes_[i].name == name) return NodeId(static_cast<int>(i), id_);
        throw invalid_argument(detail::concat("Model::find: no node is named '", name, "'"));
    }
    /// Indices of the output nodes, in output order.
    const std::vector<int>& outputs() const { return outputs_; }
    /// Per-example shape of output k.
    Shape output_shape_of(std::size_t k) const { return node(outputs_.at(k)).out_shape; }
    Index parameter_offset(int i) const { return node(i).param_offset; }
    Index state_offset(int i) const { return node(i).state_offset; }

    /// The flat parameter, gradient and state (BatchNorm running statistics) vectors.
    Vector& parameters() { return params_; }
    const Vector& parameters() const { return params_; }
    Vector& gradients() { return grads_; }
    const Vector& gradients() const { return grads_; }
    Vector& state() { return state_; }
    const Vector& state() const { return state_; }
    Index parameter_count() const { return params_.size(); }

    void zero_gradients() { grads_.setZero(); }
    /// Forwards the step's random state to random layers (Dropout).
    void set_random_state(std::uint64_t seed, std::uint64_t step) {
        random_seed_ = seed;
        random_step_ = step;
        for (Node& n : nodes_) n.layer->set_random_state(seed, step);
    }
    /// The arguments of the latest set_random_state (0, 0 before the first).
    std::uint64_t random_seed() const { return random_seed_; }
    std::uint64_t random_step() const { return random_step_; }

    // ---- passes ------------------------------------------------------------------
    /// h_i = F_i(h_{i-1}) for every node. Keeps a view of x: x must outlive the step.
    void forward(ConstTensor x, Mode mode) {
        require(input_shapes_.size() == 1, "Model::forward", "number of inputs", 1, "must be ",
                input_shapes_.size(), " (pass every input)");
        inputs_.resize(1);  // no allocation after the first call
        inputs_[0] = x;
        run_forward(mode);
    }

    /// The same with every model input (the sequence first, then the auxiliary inputs).
    void forward(const std::vector<ConstTensor>& inputs, Mode mode) {
        require(inputs.size() == input_shapes_.size(), "Model::forward", "number of inputs", inputs.size(),
                "must be ", input_shapes_.size());
        inputs_.assign(inputs.begin(), inputs.end());
        run_forward(mode);
    }

private:
    void run_forward(Mode mode) {
        require_compiled("forward");
        const Index B = inputs_[0].dim0;
        require(B >= 1, "Model::forward", "batch size", B, "must be >= 1");
        for (std::size_t k = 0; k < inputs_.size(); ++k)
            require_shape(inputs_[k], B, input_shapes_[k], "Model::forward", "input");
        prepare(B);
        hbar_valid_ = false;
        for (std::size_t i = 0; i < nodes_.size(); ++i) {
            Node& n = nodes_[i];
            if (n.inputs.size() > 1) {  // the combined input, kept for the later passes
                const Tensor comb = view(n.sum_in, n.in_shape);
                for (std::size_t k = 0; k < n.inputs.size(); ++k) {
                    const int s = n.inputs[k];
                    combine_into(n, k, comb, s < 0 ? inputs_[static_cast<std::size_t>(-1 - s)]
                                                     : cview(node(s).out, node(s).out_shape),
                                 k > 0 && n.combine == Combine::sum);
                }
            }
            n.layer->forward(node_input(i), view(n.out, n.out_shape), mode);
        }
    }

public:

    /// View of output k (after forward).
    ConstTensor output(std::size_t k = 0) const {
        const Node& n = node(outputs_.at(k));
        return ConstTensor(n.out.data(), batch_, n.out_shape.length, n.out_shape.channels);
    }
    /// Writable gradient seed of output k: fill it, then call backward().
    Tensor output_gradient(std::size_t k = 0) {
        Node& n = node(outputs_.at(k));
        return view(n.slot, n.out_shape);
    }

    /// Which backward: the attribution pass (docs/double_backprop.md §2 step 2: input
    /// gradients only, through each layer's attribution_backward) or the task pass (step 5:
    /// parameter gradients, with the h-bar of the latest tangent pass injected).
    /// The deeplift pass is the DeepLIFT backward (docs/attribution.md): see deeplift_backward.
    enum class Pass { attribution, task, deeplift };

    /// Backward from the seeds in output_gradient(k): slot_i = dL/dh_i for every node.
    /// input_grad, when given, receives the gradient with respect to the model input.
    void backward(Pass pass, Tensor* input_grad = nullptr) {
        require(pass != Pass::deeplift, "Model::backward", "pass", "deeplift",
                "needs the example row of every reference row: call deeplift_backward");
        run_backward(pass, input_grad);
    }

    /// The DeepLIFT backward (docs/attribution.md, "DeepLIFT rules") after an eval forward
    /// over a batch of examples and references: row r is a reference of the example in row
    /// partner[r] (partner[r] == r: an example row, which gets the ordinary gradient).
    /// Affine layers pass the cotangent back unchanged in form (their ordinary backward);
    /// ReLU and MaxPool1d apply their rules per (example, reference) pair; a layer with no
    /// rule throws, naming the node (see deeplift_unsupported() to check first).
    /// input_grad receives the multipliers of the sequence input.
    void deeplift_backward(const std::vector<Index>& partner, Tensor* input_grad) {
        require(static_cast<Index>(partner.size()) == batch_, "Model::deeplift_backward", "partner rows",
                partner.size(), "must equal the batch size ", batch_);
        for (Index r = 0; r < batch_; ++r) {
            const Index q = partner[static_cast<std::size_t>(r)];
            require(q >= 0 && q < batch_ && partner[static_cast<std::size_t>(q)] == q,
                    "Model::deeplift_backward", "partner of row", r, "must be an example row of the batch");
        }
        partner_ = &partner;
        run_backward(Pass::deeplift, input_grad);
        partner_ = nullptr;
    }

    /// "" when every node has a DeepLIFT rule, else a message naming the first node without
    /// one (its name, index and layer kind).
    std::string deeplift_unsupported() const {
        for (std::size_t i = 0; i < nodes_.size(); ++i)
            if (nodes_[i].layer->deeplift_rule() == DeepLiftRule::none)
                return describe_node(static_cast<int>(i)) + " has no DeepLIFT rule";
        return std::string();
    }

    /// "node <i> '<name>' (<kind>)", for messages.
    std::string describe_node(int i) const {
        const Node& n = node(i);
        return detail::concat("node ", i, n.name.empty() ? std::string() : " '" + n.name + "'", " (", n.layer->kind(),
                              ")");
    }

    // ---- graph introspection (attribution methods walk the graph) ------------------
    /// The sources of node i: nodes, the sequence (Model::input()) or auxiliary inputs.
    std::vector<NodeId> node_sources(int i) const {
        std::vector<NodeId> out;
        for (int s : node(i).inputs) out.push_back(NodeId(s, s < -1 || s >= 0 ? id_ : 0));
        return out;
    }
    /// How node i combines its sources.
    Combine node_combine(int i) const { return node(i).combine; }
    /// Channel offset of source k of node i in its concatenated input (0 for a sum).
    Index node_source_offset(int i, std::size_t k) const { return node(i).offsets.at(k); }
    /// Per-example input shape of node i (its combined input).
    Shape node_input_shape(int i) const { return node(i).in_shape; }
    /// Node i's output of the latest forward (batch_size() rows).
    ConstTensor node_output(int i) const {
        const Node& n = node(i);
        return cview(n.out, n.out_shape);
    }
    /// Node i's (combined) input of the latest forward.
    ConstTensor node_input_tensor(int i) const {
        node(i);
        return node_input(static_cast<std::size_t>(i));
    }
    /// The source index of a handle: >= 0 a node, -1 the sequence, -2, -3, ... auxiliary inputs.
    static int source_index(const NodeId& id) { return id.raw_; }

private:
    void run_backward(Pass pass, Tensor* input_grad) {
        const bool parameter_gradients = pass == Pass::task;
        const bool inject_hbar = pass == Pass::task;
        require_compiled("backward");
        if (input_grad) require_shape(*input_grad, batch_, input_shapes_[0], "Model::backward", "input_grad");
        std::fill(written_.begin(), written_.end(), char(0));
        bool input_written = false;
        for (int o : outputs_) written_[static_cast<std::size_t>(o)] = 1;
        for (std::size_t ii = nodes_.size(); ii-- > 0;) {
            Node& n = nodes_[ii];
            if (!written_[ii]) continue;  // does not reach an output: zero gradient
            const ConstTensor in = node_input(ii);
            const ConstTensor g = cview(n.slot, n.out_shape);
            if (parameter_gradients) n.layer->accumulate_parameter_gradients(in, g);
            bool needed = false;
            for (int s : n.inputs) needed |= s >= 0 || (s == kSequence && input_grad != nullptr);
            if (!needed) continue;
            const bool direct = n.direct;
            Tensor dest = direct ? view(node(n.inputs[0]).slot, n.in_shape) : view(n.scratch, n.in_shape);
            if (pass == Pass::attribution) {
                n.layer->attribution_backward(in, cview(n.out, n.out_shape), g, dest);
            } else if (pass == Pass::deeplift) {
                const DeepLiftRule rule = n.layer->deeplift_rule();
                if (rule == DeepLiftRule::none)
                    throw invalid_argument(detail::concat("Model::deeplift_backward: ",
                                                          describe_node(static_cast<int>(ii)), " has no DeepLIFT rule"));
                if (rule == DeepLiftRule::own) {
                    n.layer->deeplift_backward(in, cview(n.out, n.out_shape), g, dest, *partner_);
                } else {
                    n.layer->backward(in, cview(n.out, n.out_shape), g, dest);
                }
            } else {
                n.layer->backward(in, cview(n.out, n.out_shape), g, dest);
            }
            if (inject_hbar && hbar_valid_ && n.layer->has_input_second_order()) {
                dest.rows().array() += cview(n.hbar, n.in_shape).rows().array();
            }
            if (direct) {
                written_[static_cast<std::size_t>(n.inputs[0])] = 1;
                continue;
            }
            for (std::size_t k = 0; k < n.inputs.size(); ++k) {
                const int s = n.inputs[k];
                if (s == kSequence) {
                    if (!input_grad) continue;
                    split_from(n, k, dest, *input_grad, input_written);
                    input_written = true;
                } else if (s >= 0) {
                    Node& src = node(s);
                    split_from(n, k, dest, view(src.slot, src.out_shape), written_[static_cast<std::size_t>(s)]);
                    written_[static_cast<std::size_t>(s)] = 1;
                }  // auxiliary inputs are data: no gradient
            }
        }
        if (input_grad && !input_written) input_grad->rows().setZero();
    }

public:

    /// The tangent pass of docs/double_backprop.md §2 step 4 from u0 = g-bar of the input
    /// gradient, on `rows` (every row when some layer couples rows). Run right after an
    /// attribution backward: it consumes each node's g and leaves g-bar in its slot; it adds
    /// theta-bar to the gradients and records h-bar for the next backward(Pass::task).
    void tangent_pass(ConstTensor u0, const Rows& rows) {
        require_compiled("tangent_pass");
        require_shape(u0, batch_, input_shapes_[0], "Model::tangent_pass", "u0");
        for (Index b : rows)
            require(b >= 0 && b < batch_, "Model::tangent_pass", "row", b, "must be in [0, ", batch_, ")");
        for (std::size_t i = 0; i < nodes_.size(); ++i) {
            Node& n = nodes_[i];
            if (!written_[i]) continue;  // g = 0 here: no second-order contribution
            const ConstTensor in = node_input(i);
            // u of the node's input: g-bar of the sources (u0 for the sequence, 0 for data).
            ConstTensor u_in;
            if (n.inputs.size() == 1) {
                const int s = n.inputs[0];
                u_in = s == kSequence ? u0 : s < 0 ? cview(zeros_, n.in_shape) : cview(node(s).slot, n.in_shape);
            } else {
                const Tensor comb = view(n.scratch, n.in_shape);
                for (std::size_t k = 0; k < n.inputs.size(); ++k) {
                    const int s = n.inputs[k];
                    const Shape ss = source_shape(s);
                    const ConstTensor src = s == kSequence ? u0 : s < 0 ? cview(zeros_, ss) : cview(node(s).slot, ss);
                    combine_into(n, k, comb, src, k > 0 && n.combine == Combine::sum, &rows);
                }
                u_in = comb;
            }
            // h-bar storage only for layers that produce it (allocated once, then reused).
            Tensor hbar;
            if (n.layer->has_input_second_order()) {
                const std::size_t size =
                    static_cast<std::size_t>(capacity_ * n.in_shape.length * n.in_shape.channels);
                if (n.hbar.size() < size) n.hbar.assign(size, Scalar(0));
                hbar = view(n.hbar, n.in_shape);
            }
            n.layer->accumulate_second_order(in, cview(n.slot, n.out_shape), u_in, hbar, rows);
            n.layer->tangent(in, u_in, view(n.slot, n.out_shape), rows);
        }
        hbar_valid_ = true;
    }

    /// True when some layer's last forward couples the rows of the batch (BatchNorm in
    /// train mode): the tangent pass must then run on every row.
    bool couples_rows() const {
        for (const Node& n : nodes_)
            if (n.layer->couples_rows()) return true;
        return false;
    }

    Index batch_size() const { return batch_; }

private:
    struct Node {
        std::string name;
        std::unique_ptr<Layer<Scalar>> layer;
        std::vector<int> inputs;
        Combine combine = Combine::sum;
        std::vector<Index> offsets;  // channel offset of each input in a concatenation
        Shape in_shape, out_shape;
        Index param_offset = 0, state_offset = 0;
        int consumers = 0;
        // backward writes straight into the single source's slot (nothing else feeds it)
        bool direct = false;
        std::vector<Scalar> out, slot, scratch, hbar, sum_in;
    };

    Node& node(int i) {
        require(i >= 0 && i < static_cast<int>(nodes_.size()), "Model", "node id", i, "does not exist");
        return nodes_[static_cast<std::size_t>(i)];
    }
    const Node& node(int i) const {
        require(i >= 0 && i < static_cast<int>(nodes_.size()), "Model", "node id", i, "does not exist");
        return nodes_[static_cast<std::size_t>(i)];
    }
    void require_compiled(const char* what) const {
        require(compiled_, "Model", what, "called", "before compile()");
    }
    Tensor view(std::vector<Scalar>& buffer, const Shape& s) {
        return Tensor(buffer.data(), batch_, s.length, s.channels);
    }
    ConstTensor cview(const std::vector<Scalar>& buffer, const Shape& s) const {
        return ConstTensor(buffer.data(), batch_, s.length, s.channels);
    }

    /// Sizes every buffer for batch B. Grow-only: a batch no larger than the largest seen
    /// reuses the buffers (views cover the first B rows), so a smaller last chunk of a
    /// prediction never allocates.
    void prepare(Index B) {
        if (B <= capacity_) {
            batch_ = B;
            return;
        }
        capacity_ = 0;  // until every buffer below is sized (an exception leaves it 0: resized next time)
        written_.assign(nodes_.size(), 0);
        Index largest = 0;  // zeros standing in for the g-bar of auxiliary inputs
        for (const Shape& sh : input_shapes_) largest = std::max(largest, sh.length * sh.channels);
        zeros_.assign(static_cast<std::size_t>(B * largest), Scalar(0));
        for (Node& n : nodes_) {
            const std::size_t out = static_cast<std::size_t>(B * n.out_shape.length * n.out_shape.channels);
            const std::size_t in = static_cast<std::size_t>(B * n.in_shape.length * n.in_shape.channels);
            n.out.assign(out, Scalar(0));
            n.slot.assign(out, Scalar(0));
            n.scratch.assign(n.direct ? 0 : in, Scalar(0));
            n.hbar.clear();  // sized by tangent_pass for the layers that need it
            n.sum_in.assign(n.inputs.size() > 1 ? in : 0, Scalar(0));
        }
        capacity_ = B;
        batch_ = B;
    }

    /// The (summed) input of node i from the forward pass.
    ConstTensor node_input(std::size_t i) const {
        const Node& n = nodes_[i];
        if (n.inputs.size() > 1) return cview(n.sum_in, n.in_shape);
        const int s = n.inputs[0];
        return s < 0 ? inputs_[static_cast<std::size_t>(-1 - s)] : cview(node(s).out, n.in_shape);
    }

    std::string describe(const NodeId& id) const {
        if (id.is_previous()) return "(previous node)";
        if (id.raw_ == -1) return "input (the sequence)";
        if (id.is_input()) return detail::concat("auxiliary input ", -id.raw_ - 1);
        return detail::concat("node ", id.raw_);
    }

    Shape source_shape(int s) const {
        return s < 0 ? input_shapes_[static_cast<std::size_t>(-1 - s)] : nodes_[static_cast<std::size_t>(s)].out_shape;
    }

    /// Writes (or adds) source k of node n into the node's combined input `comb`: the whole
    /// tensor for a sum, its channel block for a concatenation. rows: only those rows.
    void combine_into(const Node& n, std::size_t k, const Tensor& comb, const ConstTensor& src, bool add,
                      const Rows* rows = nullptr) const {
        const Index L = comb.dim1, C = comb.dim2, Cs = src.dim2, off = n.offsets[k];
        auto one = [&](Index b) {
            Eigen::Map<const RowMatrix> from(src.slice(b), L, Cs);
            auto to = Eigen::Map<RowMatrix>(comb.slice(b), L, C).middleCols(off, Cs);
            if (add) {
                to += from;
            } else {
                to = from;
            }
        };
        // Memory-bound and, in residual stacks (the profile model sums up to 6 maps per
        // layer), a tenth of a step: split over threads by example (no reduction, so the
        // result does not depend on the thread count).
        const Index count = rows ? static_cast<Index>(rows->size()) : comb.dim0;
#pragma omp parallel for schedule(static) if (count > 1 && count * L * Cs >= kParallelWork)
        for (Index r = 0; r < count; ++r) one(rows ? (*rows)[static_cast<std::size_t>(r)] : r);
    }

    /// The gradient of source k of node n from the gradient of its combined input:
    /// assigned (first contribution) or added to dst.
    void split_from(const Node& n, std::size_t k, const Tensor& comb, const Tensor& dst, bool add) const {
        const Index off = n.offsets[k], Cs = dst.dim2, L = dst.dim1, C = comb.dim2, B = dst.dim0;
#pragma omp parallel for schedule(static) if (B > 1 && B * L * Cs >= kParallelWork)
        for (Index b = 0; b < B; ++b) {
            const auto from = Eigen::Map<RowMatrix>(comb.slice(b), L, C).middleCols(off, Cs);
            Eigen::Map<RowMatrix> to(dst.slice(b), L, Cs);
            if (add) {
                to += from;
            } else {
                to = from;
            }
        }
    }

    using RowMatrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    static constexpr int kSequence = -1;  // the raw id of input()
    /// A process-wide identity, so a handle of one model is not taken by another.
    static std::uint64_t next_model_id() {
        static std::atomic<std::uint64_t> counter{0};
        return ++counter;
    }
    std::uint64_t id_;
    std::vector<Shape> input_shapes_;
    std::vector<Node> nodes_;
    std::vector<int> outputs_;
    bool compiled_ = false;
    Vector params_, grads_, state_;
    std::uint64_t random_seed_ = 0, random_step_ = 0;
    Index batch_ = 0, capacity_ = 0;
    std::vector<ConstTensor> inputs_;
    std::vector<Scalar> zeros_;
    std::vector<char> written_;
    bool hbar_valid_ = false;
    const std::vector<Index>* partner_ = nullptr;  // during deeplift_backward only
};

}  // namespace attrprior::nn
