// The runs of a stability study and how they are executed (docs/stability.md).
//
// A study trains one model per (prior, training fraction, seed) and compares the seeds'
// attributions. This header enumerates those runs, gives each its own directory, and
// executes them one after another or side by side (`jobs`), skipping runs that already
// finished: each finished run directory holds a DONE file, written last and atomically,
// that records the settings the run was made with. A run directory without DONE is an
// interrupted run and is trained again from scratch; a DONE with other settings is an
// error (the study's directory belongs to another study), never silently reused. So an
// interrupted study loses at most the runs that were in progress.
//
//     study::StudyOptions o;                       // priors, fractions, seeds, jobs
//     auto runs = study::study_runs(o);
//     study::run_study(runs, out, settings, o.jobs, [&](const study::StudyRun& r,
//                      const std::string& dir, const study::RunContext& c) { ... });
#pragma once

#include <Eigen/Core>
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "attrprior/core/error.hpp"
#include "attrprior/io/json.hpp"
#include "attrprior/report/progress.hpp"

namespace attrprior::study {

/// The shortest decimal that reads back as `f` (up to 6 significant digits): 0.1, 0.05, 1.
inline std::string fraction_label(double f) {
    std::ostringstream os;
    os.precision(6);
    os << f;
    return os.str();
}

/// What a study compares (docs/stability.md, "The study").
struct StudyOptions {
    std::vector<std::string> priors{"fourier", "none"};
    std::vector<double> fractions{0.25, 0.5, 1.0};  ///< training-set fractions, each in (0, 1]
    std::vector<std::uint64_t> seeds{1, 2, 3};     ///< initialisation and batch-order seeds
    int jobs = 1;                                  ///< runs trained side by side

    /// Throws invalid_argument naming the option: empty lists, repeated entries, a
    /// fraction outside (0, 1], fewer than 2 seeds (stability compares seed pairs), jobs < 1.
    void validate() const {
        const char* where = "StudyOptions";
        require(!priors.empty(), where, "priors", "(none)", "must name at least one prior");
        require(!fractions.empty(), where, "fractions", "(none)", "must list at least one fraction");
        require(seeds.size() >= 2, where, "seeds", seeds.size(),
                "seeds given; at least 2 are needed (stability compares pairs of seeds)");
        require(jobs >= 1, where, "jobs", jobs, "must be >= 1");
        for (double f : fractions)
            require(std::isfinite(f) && f > 0.0 && f <= 1.0, where, "fraction", f, "must be in (0, 1]");
        require(std::set<std::string>(priors.begin(), priors.end()).size() == priors.size(), where, "priors",
                join_names(), "must not repeat a prior");
        for (const auto& p : priors)  // names a directory: letters, digits, '_' and '-'
            require(!p.empty() && std::all_of(p.begin(), p.end(),
                                              [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; }),
                    where, "prior name", "'" + p + "'", "must be letters, digits, '_' or '-'");
        std::set<std::string> labels;  // run directories are named by the label (6 digits)
        for (double f : fractions) labels.insert(fraction_label(f));
        require(labels.size() == fractions.size(), where, "fractions", fractions.size(),
                "values given; each fraction must appear once (to 6 significant digits)");
        require(std::set<std::uint64_t>(seeds.begin(), seeds.end()).size() == seeds.size(), where, "seeds",
                seeds.size(), "values given; each seed must appear once");
    }

private:
    std::string join_names() const {
        std::string s;
        for (const auto& p : priors) s += (s.empty() ? "" : ",") + p;
        return s;
    }
};

/// One model of a study.
struct StudyRun {
    std::string prior;
    double fraction = 1.0;
    std::uint64_t seed = 1;

    /// "fourier, fraction 0.1, seed 2".
    std::string name() const {
        return prior + ", fraction " + fraction_label(fraction) + ", seed " + std::to_string(seed);
    }
    /// Relative directory: "runs/fourier/fraction-0.1/seed-2".
    std::string directory() const {
        return "runs/" + prior + "/fraction-" + fraction_label(fraction) + "/seed-" + std::to_string(seed);
    }
};

/// Every (prior, fraction, seed) of the options, priors outermost, seeds innermost (the
/// order runs are started in; results do not depend on it). Validates the options.
inline std::vector<StudyRun> study_runs(const StudyOptions& o) {
    o.validate();
    std::vector<StudyRun> runs;
    for (const auto& p : o.priors)
        for (double f : o.fractions)
            for (std::uint64_t s : o.seeds) runs.push_back({p, f, s});
    return runs;
}

/// The settings a run was made with: the study's `settings` plus the run's own fields.
inline io::Json run_settings(const StudyRun& run, const io::Json& settings) {
    io::Json j = settings;
    j["run_prior"] = run.prior;
    j["run_fraction"] = run.fraction;
    j["run_seed"] = static_cast<std::int64_t>(run.seed);
    return j;
}

/// True when `dir` holds a DONE file with exactly these settings; false when it has no
/// DONE file (not run yet, or interrupted). Throws invalid_argument when DONE records other
/// settings, naming the first that differs, so runs of another study are never mixed in.
inline bool run_finished(const std::string& dir, const io::Json& settings) {
    const std::string done = dir + "/DONE";
    if (!std::filesystem::exists(done)) return false;
    const io::Json recorded = io::read_json_file(done);
    if (recorded.dump() == settings.dump()) return true;
    std::string differing = "(the settings' layout)";
    if (recorded.is_object() && settings.is_object()) {
        for (const auto& [key, value] : settings.as_object()) {
            const io::Json* r = recorded.find(key);
            if (r == nullptr || r->dump() != value.dump()) {
                differing = "'" + key + "': " + (r == nullptr ? std::string("absent") : r->dump()) + " there, " +
                            value.dump() + " now";
                break;
            }
        }
    }
    throw invalid_argument("run_study: " + done + " was made with other settings (" + differing +
                           "); use another output directory, or remove it to train again");
}

namespace detail {
/// The exception `e` with "run '<name>': " before its message, of the same attrprior kind
/// (invalid_argument, io_error, numeric_error; other std::exceptions become error); others
/// unchanged.
inline std::exception_ptr with_run_name(std::exception_ptr e, const std::string& name) {
    const std::string prefix = "run '" + name + "': ";
    try {
        std::rethrow_exception(e);
    } catch (const invalid_argument& x) {
        return std::make_exception_ptr(invalid_argument(prefix + x.what()));
    } catch (const io_error& x) {
        return std::make_exception_ptr(io_error(prefix + x.what()));
    } catch (const numeric_error& x) {
        return std::make_exception_ptr(numeric_error(prefix + x.what()));
    } catch (const std::exception& x) {
        return std::make_exception_ptr(error(prefix + x.what()));
    } catch (...) {
        return e;
    }
}
}  // namespace detail

/// What run_study tells each run.
struct RunContext {
    int threads = 1;     ///< OpenMP threads this run may use (already set for the calling thread)
    bool quiet = false;  ///< true when runs go side by side: print no per-epoch bars
    Index position = 0;  ///< 1-based index of the run among all runs
    Index total = 0;     ///< all runs of the study
};

/// What run_study did.
struct StudySummary {
    Index total = 0, resumed = 0, trained = 0;
    double seconds = 0;
};

/// Executes every run not yet finished under `out`: removes what an interrupted run left,
/// calls train(run, dir, context) with dir = out/run.directory(), then writes DONE with
/// run_settings(run, settings) (atomically). With jobs > 1 up to `jobs` runs go side by
/// side on their own threads, each with max(1, T / jobs) OpenMP threads, T the caller's
/// omp_get_max_threads() (one run at a time uses all T); the first
/// exception stops new runs from starting and is rethrown once the running ones end. One
/// line per finished run reports the study's progress on `log` (a bar of runs done /
/// total, elapsed, ETA), above the next run's own progress bars. train must write
/// everything it keeps into dir before returning.
template <class Train>
StudySummary run_study(const std::vector<StudyRun>& runs, const std::string& out, const io::Json& settings, int jobs,
                       Train&& train, std::FILE* log = stderr) {
    require(jobs >= 1, "run_study", "jobs", jobs, "must be >= 1");
    const auto t0 = std::chrono::steady_clock::now();
    StudySummary summary;
    summary.total = static_cast<Index>(runs.size());
    std::vector<std::size_t> todo;
    for (std::size_t i = 0; i < runs.size(); ++i) {
        const std::string dir = out + "/" + runs[i].directory();
        if (run_finished(dir, run_settings(runs[i], settings))) {
            ++summary.resumed;
        } else {
            todo.push_back(i);
        }
    }
    if (summary.resumed > 0 && log != nullptr)
        std::fprintf(log, "study: %lld of %lld runs already finished in %s (kept)\n",
                     static_cast<long long>(summary.resumed), static_cast<long long>(summary.total), out.c_str());

    // The threads the caller allows (omp_set_num_threads, OMP_NUM_THREADS; all cores by
    // default), shared out among the runs that go side by side.
    const int threads_per_run = std::max(1, omp_get_max_threads() / jobs);
    std::mutex mutex;  // guards the log, `failure` and the counters below
    std::exception_ptr failure;
    std::atomic<std::size_t> next{0};
    Index trained = 0;
    auto report = [&](const StudyRun& r, double run_seconds) {
        ++trained;
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const Index done = summary.resumed + trained;
        const double eta = elapsed / static_cast<double>(trained) * static_cast<double>(todo.size() - trained);
        constexpr int width = 20;
        const auto filled = static_cast<int>(width * done / std::max<Index>(1, summary.total));
        const std::string bar = std::string(static_cast<std::size_t>(filled), '#') +
                                std::string(static_cast<std::size_t>(width - filled), '.');
        if (log != nullptr)
            std::fprintf(log, "study [%s] %lld/%lld runs done (%s in %.0f s), %s elapsed, ETA %s\n", bar.c_str(),
                         static_cast<long long>(done), static_cast<long long>(summary.total), r.name().c_str(),
                         run_seconds, report::format_mmss(elapsed).c_str(), report::format_mmss(eta).c_str());
    };
    auto worker = [&]() {
        omp_set_num_threads(threads_per_run);
        for (;;) {
            {
                std::lock_guard<std::mutex> lock(mutex);
                if (failure) return;
            }
            const std::size_t k = next++;
            if (k >= todo.size()) return;
            const StudyRun& r = runs[todo[k]];
            const std::string dir = out + "/" + r.directory();
            try {
                const auto start = std::chrono::steady_clock::now();
                std::filesystem::remove_all(dir);  // what an interrupted run left
                std::filesystem::create_directories(dir);
                RunContext c;
                c.threads = threads_per_run;
                c.quiet = jobs > 1;
                c.position = static_cast<Index>(todo[k]) + 1;
                c.total = summary.total;
                train(r, dir, c);
                io::detail::write_text_file_atomically(dir + "/DONE", run_settings(r, settings).dump() + "\n",
                                                       "run_study");
                std::lock_guard<std::mutex> lock(mutex);
                report(r, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
            } catch (...) {
                std::lock_guard<std::mutex> lock(mutex);
                if (!failure) failure = detail::with_run_name(std::current_exception(), r.name() + " (" + dir + ")");
                return;
            }
        }
    };
    if (jobs == 1 || todo.size() <= 1) {
        worker();
    } else {
        Eigen::initParallel();  // Eigen's documented requirement before use from several threads
        std::vector<std::thread> pool;
        for (int j = 0; j < std::min<int>(jobs, static_cast<int>(todo.size())); ++j) pool.emplace_back(worker);
        for (auto& t : pool) t.join();
    }
    if (failure) std::rethrow_exception(failure);
    summary.trained = trained;
    summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return summary;
}

}  // namespace attrprior::study
