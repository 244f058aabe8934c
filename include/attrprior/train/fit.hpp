// The training loop: epochs of double-backprop steps over any batcher, with any prior,
// loss, optimizer and attribution target, plus callbacks (docs/tutorial.md, part 1).
//
//   History h = fit(model, step, prior, loss, optimizer, batches, validation, options,
//                   EarlyStopping<float>(3), ProgressBars("fourier"), ...);
//
// One epoch is batches.batches_per_epoch() steps; each step is DoubleBackprop::step on the
// next batch, optional gradient clipping, then optimizer.step(parameters, gradients).
// After the epoch, validation(model) gives the validation loss (NaN when there is none;
// ValidationLoss evaluates a loss over an example set in chunks) and the history records
// train loss, prior and validation loss.
//
// Callbacks are plain objects with any subset of these members (ensmallen's style; a
// member that is absent is not called):
//     void on_fit_begin(nn::Model<Scalar>& model)
//     void on_epoch_begin(int epoch)
//     void on_step(const StepEvent& event)
//     bool on_epoch_end(const EpochEvent& event, nn::Model<Scalar>& model)  // true: stop
//     void on_fit_end(nn::Model<Scalar>& model, History& history)
// Shipped: EarlyStopping (best-weights restore), ProgressBars, LearningRateSchedule,
// Checkpoint (atomic, every N epochs; restore_checkpoint resumes). A loop of your own
// around DoubleBackprop::step stays fully supported: fit only composes public pieces.
#pragma once

#include <Eigen/Core>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <memory>
#include <sstream>
#include <string>
#include <system_error>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "attrprior/core/error.hpp"
#include "attrprior/io/npy.hpp"
#include "attrprior/io/weights.hpp"
#include "attrprior/nn/model.hpp"
#include "attrprior/report/progress.hpp"
#include "attrprior/train/batch.hpp"
#include "attrprior/train/optimizers.hpp"
#include "attrprior/train/predict.hpp"
#include "attrprior/train/step.hpp"

namespace attrprior::train {

/// Options of fit. Defaults follow the paper's binary experiment (docs/models.md §6).
struct FitOptions {
    int epochs = 20;         ///< maximum epochs (early stopping may end sooner)
    int first_epoch = 1;     ///< number of the first epoch (> 1 when resuming a checkpoint)
    double clip_norm = 0;    ///< clip the gradient's L2 norm to this before each step (0: no clipping)
    std::uint64_t seed = 1;  ///< random state of Dropout masks: (seed, global step)

    /// Throws invalid_argument naming the field and its value.
    void validate() const {
        const char* where = "FitOptions";
        require(epochs >= 0, where, "epochs", epochs, "must be >= 0");
        require(first_epoch >= 1, where, "first_epoch", first_epoch, "must be >= 1");
        require(std::isfinite(clip_norm) && clip_norm >= 0, where, "clip_norm", clip_norm,
                "must be finite and >= 0 (0: no clipping)");
    }
};

/// Per-epoch record of a fit: means over the epoch's steps and the validation loss.
struct History {
    std::vector<int> epoch;
    std::vector<double> train_loss, prior, valid_loss, seconds;
    int best_epoch = 0;          ///< epoch whose weights the model holds at the end (0: last)
    bool stopped_early = false;  ///< a callback ended training before options.epochs
    std::size_t size() const { return train_loss.size(); }
};

/// What on_step sees after each step.
struct StepEvent {
    int epoch = 0;
    Index step = 0, steps = 0;        ///< 1-based step in the epoch, steps per epoch
    double task_loss = 0, prior = 0;  ///< this step's
    double mean_task_loss = 0, mean_prior = 0;  ///< over the epoch so far
};

/// What on_epoch_end sees after each epoch's validation.
struct EpochEvent {
    int epoch = 0, last_epoch = 0;
    double train_loss = 0, prior = 0, valid_loss = 0, seconds = 0;
};

namespace detail {
#define ATTRPRIOR_DETECT_CALLBACK(trait, call)                                          \
    template <class C, class Scalar, class = void>                                     \
    struct trait : std::false_type {};                                                 \
    template <class C, class Scalar>                                                   \
    struct trait<C, Scalar, std::void_t<decltype(call)>> : std::true_type {};
ATTRPRIOR_DETECT_CALLBACK(has_on_fit_begin, std::declval<C&>().on_fit_begin(std::declval<nn::Model<Scalar>&>()))
ATTRPRIOR_DETECT_CALLBACK(has_on_epoch_begin, std::declval<C&>().on_epoch_begin(int()))
ATTRPRIOR_DETECT_CALLBACK(has_on_step, std::declval<C&>().on_step(std::declval<const StepEvent&>()))
ATTRPRIOR_DETECT_CALLBACK(has_on_epoch_end, bool(std::declval<C&>().on_epoch_end(
                                                std::declval<const EpochEvent&>(), std::declval<nn::Model<Scalar>&>())))
ATTRPRIOR_DETECT_CALLBACK(has_on_fit_end, std::declval<C&>().on_fit_end(std::declval<nn::Model<Scalar>&>(),
                                                                        std::declval<History&>()))
#undef ATTRPRIOR_DETECT_CALLBACK

template <class C, class Scalar>
inline constexpr bool is_callback_v = has_on_fit_begin<C, Scalar>::value || has_on_epoch_begin<C, Scalar>::value ||
                                      has_on_step<C, Scalar>::value || has_on_epoch_end<C, Scalar>::value ||
                                      has_on_fit_end<C, Scalar>::value;

template <class O, class Scalar, class = void>
struct is_optimizer : std::false_type {};
template <class O, class Scalar>
struct is_optimizer<O, Scalar,
                    std::void_t<decltype(std::declval<O&>().step(
                        std::declval<Eigen::Matrix<Scalar, Eigen::Dynamic, 1>&>(),
                        std::declval<const Eigen::Matrix<Scalar, Eigen::Dynamic, 1>&>()))>> : std::true_type {};
}  // namespace detail

/// Validation loss of a model over an example set (eval mode, chunked: train/predict.hpp).
/// Keeps references to the examples and the loss, which must outlive it.
template <class Scalar, class Examples, class Loss>
class ValidationLoss {
public:
    ValidationLoss(const Examples& examples, Loss& loss, Index chunk = 64)
        : examples_(&examples), loss_(&loss), predictor_(chunk) {}
    double operator()(nn::Model<Scalar>& model) { return predictor_.loss(model, *examples_, *loss_); }

private:
    const Examples* examples_;
    Loss* loss_;
    Predictor<Scalar> predictor_;
};

/// No validation set: every epoch's validation loss is NaN.
struct NoValidation {
    template <class Scalar>
    double operator()(nn::Model<Scalar>&) const {
        return std::numeric_limits<double>::quiet_NaN();
    }
};

/// Trains `model` (see the top of this file). Returns the history; the model holds the
/// final weights (or the best, with EarlyStopping).
/// `step` is a DoubleBackprop, or anything with its step(model, prior, loss, batch) member
/// returning StepResult<Scalar> (distributed::DataParallel, docs/distributed.md §2).
template <class Scalar, class Step, class Prior, class Loss, class Optimizer, class Batcher, class Validation,
          class... Callbacks>
History fit(nn::Model<Scalar>& model, Step& step, Prior& prior, Loss& loss,
            Optimizer& optimizer, Batcher& batches, Validation&& validation, const FitOptions& options,
            Callbacks&&... callbacks) {
    check_batcher<Batcher, Scalar>();
    static_assert(detail::is_optimizer<Optimizer, Scalar>::value,
                  "attrprior: an optimizer needs `void step(Vector& parameters, const Vector& gradients)` "
                  "over the model's flat Eigen vectors (train::Adam, train::SGD)");
    static_assert(std::is_invocable_r_v<double, Validation&, nn::Model<Scalar>&>,
                  "attrprior: fit's validation needs `double operator()(nn::Model<Scalar>& model)` "
                  "(ValidationLoss, NoValidation or a lambda)");
    static_assert((detail::is_callback_v<std::remove_reference_t<Callbacks>, Scalar> && ...),
                  "attrprior: a fit callback needs at least one of on_fit_begin(Model&), on_epoch_begin(int), "
                  "on_step(const StepEvent&), bool on_epoch_end(const EpochEvent&, Model&), "
                  "on_fit_end(Model&, History&)");
    options.validate();
    const BatchShapes shapes = batches.shapes();
    require(shapes.inputs.size() == model.input_count(), "fit", "batch inputs", shapes.inputs.size(),
            "must equal the model's inputs ", model.input_count());
    for (std::size_t k = 0; k < shapes.inputs.size(); ++k)
        require(shapes.inputs[k] == model.input_shape(k), "fit", "batch input shape", nn::to_string(shapes.inputs[k]),
                "must equal the model's input shape ", nn::to_string(model.input_shape(k)));

    auto each = [&](auto&& fn) { (fn(callbacks), ...); };
    History history;
    each([&](auto& c) {
        if constexpr (detail::has_on_fit_begin<std::remove_reference_t<decltype(c)>, Scalar>::value)
            c.on_fit_begin(model);
    });
    Batch<Scalar> batch(shapes, batches.batch_size());
    const Index steps = batches.batches_per_epoch();
    require(steps >= 1, "fit", "batches per epoch", steps, "must be >= 1");
    const int last_epoch = options.first_epoch + options.epochs - 1;
    // Dropout masks depend on (seed, global step): a resumed fit (first_epoch > 1) continues
    // the numbering, so it draws the masks an uninterrupted run would.
    std::uint64_t global_step = std::uint64_t(options.first_epoch - 1) * std::uint64_t(steps);
    for (int epoch = options.first_epoch; epoch <= last_epoch; ++epoch) {
        const auto t0 = std::chrono::steady_clock::now();
        each([&](auto& c) {
            if constexpr (detail::has_on_epoch_begin<std::remove_reference_t<decltype(c)>, Scalar>::value)
                c.on_epoch_begin(epoch);
        });
        StepEvent ev;
        ev.epoch = epoch;
        ev.steps = steps;
        double task_total = 0, prior_total = 0;
        for (Index it = 1; it <= steps; ++it) {
            batches.next(batch);
            model.set_random_state(options.seed, global_step++);
            const StepResult<Scalar> r = step.step(model, prior, loss, batch);
            if (options.clip_norm > 0) clip_grad_norm<Scalar>(model.gradients(), Scalar(options.clip_norm));
            optimizer.step(model.parameters(), model.gradients());
            task_total += double(r.task_loss);
            prior_total += double(r.prior);
            ev.step = it;
            ev.task_loss = double(r.task_loss);
            ev.prior = double(r.prior);
            ev.mean_task_loss = task_total / double(it);
            ev.mean_prior = prior_total / double(it);
            each([&](auto& c) {
                if constexpr (detail::has_on_step<std::remove_reference_t<decltype(c)>, Scalar>::value) c.on_step(ev);
            });
        }
        EpochEvent e;
        e.epoch = epoch;
        e.last_epoch = last_epoch;
        e.train_loss = task_total / double(steps);
        e.prior = prior_total / double(steps);
        e.valid_loss = validation(model);
        e.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        history.epoch.push_back(epoch);
        history.train_loss.push_back(e.train_loss);
        history.prior.push_back(e.prior);
        history.valid_loss.push_back(e.valid_loss);
        history.seconds.push_back(e.seconds);
        bool stop = false;
        each([&](auto& c) {
            if constexpr (detail::has_on_epoch_end<std::remove_reference_t<decltype(c)>, Scalar>::value)
                stop = c.on_epoch_end(e, model) || stop;
        });
        if (stop) {
            history.stopped_early = epoch < last_epoch;
            break;
        }
    }
    each([&](auto& c) {
        if constexpr (detail::has_on_fit_end<std::remove_reference_t<decltype(c)>, Scalar>::value)
            c.on_fit_end(model, history);
    });
    return history;
}

/// Early stopping on the validation loss (docs/models.md §6): stops after `patience` epochs
/// without an improvement larger than min_delta and, at the end of fit, restores the
/// parameters and state of the best epoch. An epoch with no validation loss (NaN) counts
/// as best (the last epoch's weights are kept).
template <class Scalar>
class EarlyStopping {
public:
    explicit EarlyStopping(int patience = 3, double min_delta = 1e-3) : patience_(patience), min_delta_(min_delta) {
        require(patience >= 1, "EarlyStopping", "patience", patience, "must be >= 1");
        require(std::isfinite(min_delta) && min_delta >= 0, "EarlyStopping", "min_delta", min_delta,
                "must be finite and >= 0");
    }
    bool on_epoch_end(const EpochEvent& e, nn::Model<Scalar>& model) {
        if (!std::isfinite(e.valid_loss) || e.valid_loss < best_ - min_delta_) {
            if (std::isfinite(e.valid_loss)) best_ = e.valid_loss;
            best_epoch_ = e.epoch;
            params_ = model.parameters();  // sized once: later copies reuse the storage
            state_ = model.state();
            since_best_ = 0;
            return false;
        }
        return ++since_best_ >= patience_;
    }
    void on_fit_end(nn::Model<Scalar>& model, History& history) {
        if (best_epoch_ == 0) return;
        model.parameters() = params_;
        model.state() = state_;
        history.best_epoch = best_epoch_;
    }
    double best() const { return best_; }
    int best_epoch() const { return best_epoch_; }

private:
    int patience_;
    double min_delta_;
    double best_ = std::numeric_limits<double>::infinity();
    int best_epoch_ = 0, since_best_ = 0;
    Eigen::Matrix<Scalar, Eigen::Dynamic, 1> params_, state_;
};

/// One progress bar per epoch ("<label> epoch 3/20"), with the running loss and prior, and
/// the epoch's train/valid/prior summary when it ends. Writes to `out` (stderr).
class ProgressBars {
public:
    explicit ProgressBars(std::string label, std::ostream& out = std::cerr) : label_(std::move(label)), out_(&out) {}
    void on_step(const StepEvent& e) {
        if (!bar_ || e.step == 1) {
            bar_ = std::make_unique<report::ProgressBar>(
                attrprior::detail::concat(label_, " epoch ", e.epoch), e.steps, *out_);
        }
        char suffix[64];
        std::snprintf(suffix, sizeof suffix, "loss %.4f prior %.4f", e.mean_task_loss, e.mean_prior);
        bar_->update(e.step, suffix);
    }
    template <class Scalar>
    bool on_epoch_end(const EpochEvent& e, nn::Model<Scalar>&) {
        char suffix[96];
        std::snprintf(suffix, sizeof suffix, "train %.4f valid %.4f prior %.4f", e.train_loss, e.valid_loss, e.prior);
        if (bar_) bar_->finish(suffix);
        bar_.reset();
        return false;
    }

private:
    std::string label_;
    std::ostream* out_;
    std::unique_ptr<report::ProgressBar> bar_;
};

/// Sets the optimizer's learning rate at the start of every epoch: lr = schedule(epoch).
/// Works with any optimizer whose options() has an `lr` and that has set_options (Adam, SGD).
template <class Optimizer>
class LearningRateSchedule {
public:
    LearningRateSchedule(Optimizer& optimizer, std::function<double(int epoch)> schedule)
        : optimizer_(&optimizer), schedule_(std::move(schedule)) {
        require(static_cast<bool>(schedule_), "LearningRateSchedule", "schedule", "(empty)", "must be callable");
    }
    void on_epoch_begin(int epoch) {
        auto o = optimizer_->options();
        o.lr = schedule_(epoch);
        optimizer_->set_options(o);  // validates: a non-positive lr is an error naming it
    }

private:
    Optimizer* optimizer_;
    std::function<double(int)> schedule_;
};

/// Writes a checkpoint every `every` epochs (and after the last epoch of options.epochs)
/// into `dir`. It holds the state at the end of that epoch: when another callback ends
/// training sooner (EarlyStopping, which also restores older weights at the end), the
/// latest checkpoint is the last one written. Contents:
/// weights/ (io::save_weights), the Adam state when the optimizer is Adam (adam_m.npy,
/// adam_v.npy, adam_steps.txt) and history.tsv (epoch, train_loss, valid_loss, prior,
/// seconds). It is written into a temporary sibling directory that then replaces `dir`
/// by rename, so a crash leaves the previous checkpoint whole. restore_checkpoint reads
/// it back.
template <class Scalar, class Optimizer>
class Checkpoint {
public:
    Checkpoint(std::string dir, int every, Optimizer& optimizer, History previous = {})
        : dir_(std::move(dir)), every_(every), optimizer_(&optimizer), history_(std::move(previous)) {
        require(!dir_.empty(), "Checkpoint", "dir", "\"\"", "must name a directory");
        require(every >= 1, "Checkpoint", "every", every, "must be >= 1 (epochs)");
    }
    bool on_epoch_end(const EpochEvent& e, nn::Model<Scalar>& model) {
        history_.epoch.push_back(e.epoch);
        history_.train_loss.push_back(e.train_loss);
        history_.valid_loss.push_back(e.valid_loss);
        history_.prior.push_back(e.prior);
        history_.seconds.push_back(e.seconds);
        if (e.epoch % every_ == 0 || e.epoch == e.last_epoch) write(model);
        return false;
    }
    /// Writes the checkpoint now.
    void write(const nn::Model<Scalar>& model) {
        namespace fs = std::filesystem;
        const fs::path final_dir(dir_);
        const fs::path tmp = final_dir.string() + ".tmp";
        const fs::path old = final_dir.string() + ".old";
        std::error_code ec;
        fs::remove_all(tmp, ec);
        io::save_weights(model, (tmp / "weights").string());
        if constexpr (std::is_same_v<Optimizer, Adam<Scalar>>) {
            const auto& m = optimizer_->first_moment();
            const auto& v = optimizer_->second_moment();
            io::write_npy((tmp / "adam_m.npy").string(), m.data(), {m.size()});
            io::write_npy((tmp / "adam_v.npy").string(), v.data(), {v.size()});
            write_text(tmp / "adam_steps.txt", std::to_string(optimizer_->steps()) + "\n");
        }
        std::ostringstream tsv;
        tsv.precision(17);
        tsv << "epoch\ttrain_loss\tvalid_loss\tprior\tseconds\n";
        for (std::size_t i = 0; i < history_.size(); ++i)
            tsv << history_.epoch[i] << '\t' << history_.train_loss[i] << '\t' << history_.valid_loss[i] << '\t'
                << history_.prior[i] << '\t' << history_.seconds[i] << '\n';
        write_text(tmp / "history.tsv", tsv.str());
        // Swap in: dir -> dir.old, tmp -> dir, drop dir.old. A crash between the renames
        // leaves dir.old whole (restore_checkpoint falls back to it). When dir is missing
        // (an earlier crash between the renames), dir.old is kept until dir is in place.
        if (fs::exists(final_dir)) {
            fs::remove_all(old, ec);
            fs::rename(final_dir, old, ec);
            if (ec) throw io_error(attrprior::detail::concat("Checkpoint: cannot move '", final_dir.string(), "' aside: ", ec.message()));
        }
        fs::rename(tmp, final_dir, ec);
        if (ec) throw io_error(attrprior::detail::concat("Checkpoint: cannot rename '", tmp.string(), "' to '", final_dir.string(),
                                              "': ", ec.message()));
        fs::remove_all(old, ec);
    }
    const History& history() const { return history_; }

private:
    static void write_text(const std::filesystem::path& path, const std::string& text) {
        std::ofstream f(path);
        f << text;
        f.close();
        if (!f) throw io_error(attrprior::detail::concat("Checkpoint: cannot write '", path.string(), "'"));
    }

    std::string dir_;
    int every_;
    Optimizer* optimizer_;
    History history_;
};

/// Reads a checkpoint written by Checkpoint into `model` (built with the same
/// architecture) and, for Adam, the optimizer; returns its history. Falls back to
/// `<dir>.old` when `dir` is missing (a crash during the swap). Resume with
/// FitOptions::first_epoch = history.epoch.back() + 1 and Checkpoint(dir, every, opt,
/// history). The batcher's position is not part of the checkpoint: a resumed run equals
/// an uninterrupted one when the batcher is brought to the same position (the genomics
/// batchers are deterministic for their seed: draw and discard the batches of the
/// finished epochs, or accept a different but equally valid batch order).
template <class Scalar, class Optimizer>
History restore_checkpoint(const std::string& dir, nn::Model<Scalar>& model, Optimizer& optimizer) {
    namespace fs = std::filesystem;
    std::string from = dir;
    if (!fs::exists(fs::path(from) / "history.tsv") && fs::exists(fs::path(dir + ".old") / "history.tsv"))
        from = dir + ".old";
    const fs::path history_path = fs::path(from) / "history.tsv";
    std::ifstream in(history_path);
    if (!in) throw io_error(attrprior::detail::concat("restore_checkpoint: cannot read '", history_path.string(), "'"));
    History h;
    std::string line;
    std::getline(in, line);  // header
    int line_no = 1;
    while (std::getline(in, line)) {
        ++line_no;
        if (line.empty()) continue;
        std::istringstream fields(line);
        int epoch = 0;
        std::string train, valid, prior, seconds;
        if (!(fields >> epoch >> train >> valid >> prior >> seconds))
            throw io_error(attrprior::detail::concat(history_path.string(), ":", line_no, ": expected 5 tab-separated fields"));
        h.epoch.push_back(epoch);
        h.train_loss.push_back(std::stod(train));
        h.valid_loss.push_back(valid == "nan" || valid == "-nan" ? std::numeric_limits<double>::quiet_NaN()
                                                                 : std::stod(valid));
        h.prior.push_back(std::stod(prior));
        h.seconds.push_back(std::stod(seconds));
    }
    io::load_weights(model, (fs::path(from) / "weights").string());
    if constexpr (std::is_same_v<Optimizer, Adam<Scalar>>) {
        std::ifstream steps_file(fs::path(from) / "adam_steps.txt");
        std::int64_t steps = 0;
        if (!(steps_file >> steps))
            throw io_error(attrprior::detail::concat("restore_checkpoint: cannot read '", (fs::path(from) / "adam_steps.txt").string(),
                                          "'"));
        if (steps > 0) {
            const auto m = io::read_npy<Scalar>((fs::path(from) / "adam_m.npy").string());
            const auto v = io::read_npy<Scalar>((fs::path(from) / "adam_v.npy").string());
            using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;
            optimizer.load_state(steps, Eigen::Map<const Vector>(m.data.data(), Index(m.data.size())),
                                 Eigen::Map<const Vector>(v.data.data(), Index(v.data.size())));
        } else {
            optimizer.reset();
        }
    }
    return h;
}

}  // namespace attrprior::train
