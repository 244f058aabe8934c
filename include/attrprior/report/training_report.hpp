// The one-page SVG report of a training comparison (one row per model, e.g. "fourier" and
// "none"): the attribution logo of the best test example, the predicted vs observed
// profile (profile models), the mean attribution spectrum and the loss curves. The logo
// shows the evaluation's gradient x input (train/evaluate.hpp); given a second method's
// scores of the same examples (e.g. DeepSHAP), a second logo of the same example and
// window stands next to it, so that the two methods can be compared base by base.
#pragma once

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "attrprior/core/error.hpp"
#include "attrprior/core/math.hpp"
#include "attrprior/report/svg.hpp"
#include "attrprior/train/evaluate.hpp"
#include "attrprior/train/fit.hpp"

namespace attrprior::report {

/// Names an example of the evaluated set for a panel title (e.g. "chr4:120345").
using DescribeExample = std::function<std::string(Index example, Index offset)>;

/// A second attribution method's scores of one run's evaluated examples, drawn next to the
/// evaluation's gradient x input logo.
struct SecondAttributions {
    std::string method;         ///< e.g. "DeepSHAP"
    std::vector<float> scores;  ///< N x L x 4 in the evaluation's example order; empty: none for this run
};

namespace detail {
constexpr double kPanelWidth = 420, kPanelHeight = 190, kGap = 30;

inline Panel panel(std::size_t row, int column) {
    return Panel{kGap + column * (kPanelWidth + kGap), kGap + double(row) * (kPanelHeight + 2 * kGap), kPanelWidth,
                 kPanelHeight};
}

/// Logo of the strongest 60 positions of example i of the evaluation's attributions and,
/// when `second` holds scores, the logo of the same example and window from them in
/// `second_panel` (one window, so that both logos show the same bases). With a second
/// column (second != null) the first title names its method too.
inline void best_example_logo(SvgDocument& svg, const Panel& p, const std::vector<float>& attributions, Index L,
                              Index i, const std::string& title, const DescribeExample& describe,
                              const SecondAttributions* second = nullptr, const Panel& second_panel = {}) {
    const float* a = attributions.data() + i * L * 4;
    const auto [s0, s1] = strongest_window(a, L, std::min<Index>(L, 60));
    const std::string where = describe ? ", " + describe(i, s0) : "";
    if (second == nullptr) {  // the report has no second column: titles as they always were
        attribution_logo(svg, p, a, L, s0, s1, title + where);
        return;
    }
    attribution_logo(svg, p, a, L, s0, s1, title + ", gradient x input" + where);
    if (!second->scores.empty()) {
        attribution_logo(svg, second_panel, second->scores.data() + i * L * 4, L, s0, s1,
                         title + ", " + second->method + where);
    }
}

/// Checks `second`: empty, or one entry per run whose scores are empty or the size of the
/// run's attributions (N x L x 4), with a method name.
template <class Evaluation>
void require_second(const char* where, const std::vector<SecondAttributions>& second,
                    const std::vector<Evaluation>& evaluations) {
    if (second.empty()) return;
    require(second.size() == evaluations.size(), where, "second.size()", second.size(),
            "must be 0 or the number of runs, ", evaluations.size());
    for (std::size_t m = 0; m < second.size(); ++m) {
        if (second[m].scores.empty()) continue;
        require(second[m].scores.size() == evaluations[m].attributions.size(), where, "second[m].scores.size()",
                second[m].scores.size(), "must equal the run's attributions.size() = ",
                evaluations[m].attributions.size(), " (N x L x 4; m = ", m, ")");
        require(!second[m].method.empty(), where, "second[m].method", "\"\"", "must name the method (m = ", m, ")");
    }
}

inline void spectrum_panel(SvgDocument& svg, const Panel& p, const std::vector<double>& spectrum,
                           const std::string& name) {
    if (spectrum.size() < 2) return;
    std::vector<double> spec(spectrum.begin() + 1, spectrum.end());  // drop DC
    line_plot(svg, p, {spec}, {"mean |F| / M"}, {"#255C99"}, name + ": mean attribution spectrum", "frequency bin",
              "share", true);
}

inline void loss_panel(SvgDocument& svg, const Panel& p, const train::History& h, const std::string& name) {
    line_plot(svg, p, {h.train_loss, h.valid_loss}, {"train", "valid"}, {"#D62839", "#109648"}, name + ": task loss",
              "epoch", "loss");
}

inline void require_runs(std::size_t names, std::size_t evaluations, std::size_t histories) {
    require(names == evaluations && names == histories, "training_report", "runs", names,
            "must have one evaluation and one history each (", evaluations, ", ", histories, ")");
}
}  // namespace detail

/// Binary models: per run, the logo of the best test positive, the mean attribution
/// spectrum over the positives and the loss curves. `second` (empty, or one entry per
/// run) adds a column with the second method's logo of the same positive.
inline void binary_training_report(const std::string& path, const std::vector<std::string>& names,
                                   const std::vector<train::BinaryEvaluation>& evaluations,
                                   const std::vector<train::History>& histories, const DescribeExample& describe,
                                   const std::vector<SecondAttributions>& second = {}) {
    detail::require_runs(names.size(), evaluations.size(), histories.size());
    detail::require_second("binary_training_report", second, evaluations);
    using namespace detail;
    const int extra = second.empty() ? 0 : 1;  // the second logo's column
    SvgDocument svg((3 + extra) * (kPanelWidth + kGap) + kGap,
                    double(names.size()) * (kPanelHeight + 2 * kGap) + kGap);
    for (std::size_t m = 0; m < names.size(); ++m) {
        const train::BinaryEvaluation& ev = evaluations[m];
        if (ev.best_positive >= 0) {
            best_example_logo(svg, panel(m, 0), ev.attributions, ev.length, ev.best_positive,
                              names[m] + ": best test positive", describe, extra ? &second[m] : nullptr,
                              panel(m, 1));
            spectrum_panel(svg, panel(m, 1 + extra), ev.mean_spectrum, names[m]);
        }
        loss_panel(svg, panel(m, 2 + extra), histories[m], names[m]);
    }
    svg.save(path);
}

/// Profile models: per run, the logo of the example whose predicted profiles match best,
/// its observed and predicted reads of task 0 (predicted = probability x predicted total;
/// the minus strand below the axis), the mean attribution spectrum and the loss curves.
/// strands: 1 or 2 (channels of task 0 are 0 .. strands - 1). `second` (empty, or one
/// entry per run) adds a column with the second method's logo of the same peak.
inline void profile_training_report(const std::string& path, const std::vector<std::string>& names,
                                    const std::vector<train::ProfileEvaluation>& evaluations,
                                    const std::vector<train::History>& histories, Index strands,
                                    const DescribeExample& describe,
                                    const std::vector<SecondAttributions>& second = {}) {
    detail::require_runs(names.size(), evaluations.size(), histories.size());
    require(strands == 1 || strands == 2, "profile_training_report", "strands", strands, "must be 1 or 2");
    detail::require_second("profile_training_report", second, evaluations);
    using namespace detail;
    const int extra = second.empty() ? 0 : 1;  // the second logo's column
    SvgDocument svg((4 + extra) * (kPanelWidth + kGap) + kGap,
                    double(names.size()) * (kPanelHeight + 2 * kGap) + kGap);
    for (std::size_t m = 0; m < names.size(); ++m) {
        const train::ProfileEvaluation& ev = evaluations[m];
        if (ev.best >= 0) {
            const Index i = ev.best, O = ev.output_length, P = ev.channels;
            best_example_logo(svg, panel(m, 0), ev.attributions, ev.length, i, names[m] + ": best test peak", describe,
                              extra ? &second[m] : nullptr, panel(m, 1));
            std::vector<std::vector<double>> series;
            std::vector<std::string> labels;
            for (Index st = 0; st < strands; ++st) {
                const double sign = st == 0 ? 1.0 : -1.0;
                const auto at = [&](const std::vector<float>& v, Index o) { return double(v[(i * O + o) * P + st]); };
                const auto norm = softmax_normalizer<double>(ev.logits.data() + i * O * P + st, O, P);
                const double total = std::expm1(double(ev.log_counts[i * P + st]));
                std::vector<double> obs(static_cast<std::size_t>(O)), pred(obs.size());
                for (Index o = 0; o < O; ++o) {
                    obs[static_cast<std::size_t>(o)] = sign * at(ev.observed, o);
                    pred[static_cast<std::size_t>(o)] = sign * total * std::exp(at(ev.logits, o) - norm.max) / norm.sum_exp;
                }
                const std::string strand = strands == 2 ? (st == 0 ? " +" : " -") : "";
                series.push_back(std::move(obs));
                labels.push_back("observed" + strand);
                series.push_back(std::move(pred));
                labels.push_back("predicted" + strand);
            }
            line_plot(svg, panel(m, 1 + extra), series, labels, {"#888888", "#D62839", "#888888", "#255C99"},
                      names[m] + ": profile, best test peak", "position from summit", "reads", false, -double(O / 2));
            spectrum_panel(svg, panel(m, 2 + extra), ev.mean_spectrum, names[m]);
        }
        loss_panel(svg, panel(m, 3 + extra), histories[m], names[m]);
    }
    svg.save(path);
}

}  // namespace attrprior::report
