// Regions to explain or re-score with a saved model, as an example set (train/batch.hpp:
// size(), shapes(), encode()), so train::Predictor and attribution::for_each_chunk_of walk
// any number of them in chunks (docs/data.md, "Regions to explain").
//
// Each region is a window of the model's input length L (genomics/regions.hpp places them
// on summits and counts what it cannot place). Input 0 is the window's one-hot sequence (N
// and other codes give zero rows). A profile model with control tracks gets them as input
// 1: the coverage of every control track over the window's centred output window of O
// positions ((L - O) / 2 from each end), in the tracks' order (task-major, strand-minor, as
// train_profile opens them; docs/data.md §5). Regions carry no targets (shape 0 x 0).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "attrprior/core/error.hpp"
#include "attrprior/genomics/bigwig.hpp"
#include "attrprior/genomics/example_sets.hpp"
#include "attrprior/genomics/fasta.hpp"
#include "attrprior/genomics/intervals.hpp"
#include "attrprior/genomics/profile_dataset.hpp"
#include "attrprior/genomics/sequence.hpp"
#include "attrprior/genomics/windows.hpp"
#include "attrprior/train/batch.hpp"

namespace attrprior::genomics {

class RegionExamples {
public:
    /// Windows of exactly `length` bases on chromosomes of `fasta` (invalid_argument naming
    /// the first window that is not). `output_length` O: a profile model's output length
    /// (1 <= O <= length, length - O even; 0: the model has none, allowed only without
    /// controls). With controls, every window's output window must lie on each track's
    /// chromosome (invalid_argument naming the window and the track). The FASTA and the
    /// tracks must outlive this object.
    RegionExamples(const Fasta& fasta, std::vector<Interval> windows, Index length,
                   std::vector<const BigWigReader*> controls = {}, Index output_length = 0)
        : fasta_(&fasta), windows_(std::move(windows)), controls_(std::move(controls)), length_(length),
          output_length_(output_length) {
        constexpr const char* who = "RegionExamples";
        require(length >= 1, who, "length", length, "must be >= 1");
        for (std::size_t i = 0; i < windows_.size(); ++i) detail::require_window(fasta, windows_, i, length, who);
        shapes_ = train::BatchShapes{{nn::Shape{length, 4}}, nn::Shape{0, 0}};
        require((output_length == 0 && controls_.empty()) ||
                    (output_length >= 1 && output_length <= length && (length - output_length) % 2 == 0),
                who, "output_length", output_length, "must be in [1, length = ", length,
                "] with an even difference (0 only without control tracks)");
        if (controls_.empty()) return;
        for (std::size_t k = 0; k < controls_.size(); ++k) {
            const BigWigReader* t = controls_[k];
            require(t != nullptr, who, "control track", k, "is null");
            for (std::size_t i = 0; i < windows_.size(); ++i) {
                const Interval& w = windows_[i];
                if (!t->has_chromosome(w.chrom)) {
                    throw invalid_argument(attrprior::detail::concat(
                        who, ": ", detail::describe_interval(w, "windows", i), " is on a chromosome absent from the "
                        "control track '", t->path(), "'"));
                }
                const Index start = w.start + (length - output_length) / 2;
                if (start + output_length > t->length(w.chrom)) {
                    throw invalid_argument(attrprior::detail::concat(
                        who, ": ", detail::describe_interval(w, "windows", i), " has its output window ", w.chrom, ":",
                        start, "-", start + output_length, " past the end of ", w.chrom, " (length ",
                        t->length(w.chrom), ") in the control track '", t->path(), "'"));
                }
            }
        }
        shapes_.inputs.push_back(nn::Shape{output_length, static_cast<Index>(controls_.size())});
    }

    Index size() const { return static_cast<Index>(windows_.size()); }
    /// Inputs {length x 4} and, with controls, {output_length x control tracks}; no targets.
    const train::BatchShapes& shapes() const { return shapes_; }
    const std::vector<Interval>& windows() const { return windows_; }
    Index length() const { return length_; }
    /// The output length O given to the constructor (0: none).
    Index output_length() const { return output_length_; }
    /// Start of region i's output window: its centred O positions, (length - O) / 2 bases
    /// in (the input window's start when O = 0).
    Index output_start(Index i) const {
        return windows_[static_cast<std::size_t>(i)].start + (output_length_ == 0 ? 0 : (length_ - output_length_) / 2);
    }

    /// Writes regions [first, first + count) to rows [0, count) of `batch` (status 1).
    /// Throws invalid_argument for a range outside [0, size()] or a batch of other shapes;
    /// numeric_error for a control value that is not finite and >= 0, naming the track and
    /// position.
    template <class Scalar>
    void encode(Index first, Index count, train::Batch<Scalar>& batch) const {
        detail::require_encode_arguments(first, count, size(), batch, shapes_, "RegionExamples::encode");
        const Index L = length_, O = output_length_, C = static_cast<Index>(controls_.size());
        Scalar* x = batch.input(0).data;
        Scalar* control = C > 0 ? batch.input(1).data : nullptr;
        auto status = batch.status();
        column_.resize(static_cast<std::size_t>(O));
        for (Index r = 0; r < count; ++r) {
            const Interval& w = windows_[static_cast<std::size_t>(first + r)];
            one_hot(fasta_->fetch(w.chrom, w.start, w.end), x + r * L * 4);
            for (Index k = 0; k < C; ++k) {
                const BigWigReader& t = *controls_[static_cast<std::size_t>(k)];
                const Index start = output_start(first + r);
                t.read(w.chrom, start, start + O, column_.data());
                detail::require_coverage(column_.data(), O, "RegionExamples", "control track '" + t.path() + "'",
                                         w.chrom, start);
                for (Index j = 0; j < O; ++j) control[(r * O + j) * C + k] = Scalar(column_[static_cast<std::size_t>(j)]);
            }
            status[r] = 1;
        }
    }

private:
    const Fasta* fasta_;
    std::vector<Interval> windows_;
    std::vector<const BigWigReader*> controls_;
    Index length_, output_length_;
    train::BatchShapes shapes_;
    mutable std::vector<float> column_;  // one control track's window (encode is not thread-safe)
};

}  // namespace attrprior::genomics
