// A console progress bar for training loops and other long-running work.
//
//     ProgressBar bar("epoch 3", n_batches);
//     for (Index b = 0; b < n_batches; ++b) { ...; bar.update(b + 1, "loss 0.53"); }
//     bar.finish("loss 0.51");
//
// Two display modes:
//   * terminal: one line redrawn in place with '\r' ("label [####....] 500/1000  50%
//     00:03 elapsed, ETA 00:03 | loss 0.53"), at most ~10 redraws per second; finish()
//     draws the final state and ends the line.
//   * plain (logs, pipes, files, tests): a line per 10% of progress at most, plus a
//     final line at finish(); no '\r', no bar.
// ProgressMode::automatic picks terminal when `out` is std::cerr/std::clog (resp.
// std::cout) and stderr (resp. stdout) is a terminal whose TERM is not "dumb", plain
// otherwise. Times are mm:ss (minutes are not capped at 59: 6000 s prints "100:00").
//
// total = 0 means "unknown total": no bar, percentage or ETA, just the count and elapsed
// time (plain mode then prints at most one line per 10 s, plus the final line).
// A negative total or done is an invalid_argument; done > total is shown as is, with the
// bar and percentage capped at 100%.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <ostream>
#include <sstream>
#include <string>
#include <utility>

#if defined(_WIN32)
#include <io.h>
#else
#include <sys/ioctl.h>
#include <unistd.h>
#endif

#include "attrprior/core/error.hpp"
#include "attrprior/core/tensor.hpp"

namespace attrprior::report {

/// How a ProgressBar draws itself.
enum class ProgressMode {
    automatic,  ///< terminal if the stream is an interactive terminal, plain otherwise
    terminal,   ///< redraw one line with '\r' (forced, whatever the stream is)
    plain,      ///< newline-terminated lines at most every 10% (forced)
};

/// Formats a duration in seconds as "mm:ss" (rounded down to whole seconds; minutes
/// uncapped). A negative or non-finite duration gives "--:--".
inline std::string format_mmss(double seconds) {
    if (!std::isfinite(seconds) || seconds < 0.0) return "--:--";
    if (seconds > 1e9) seconds = 1e9;  // keep the integer conversion defined
    const long long total = static_cast<long long>(seconds);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%02lld:%02lld", total / 60, total % 60);
    return buf;
}

namespace detail {

/// True when `out` is std::cerr/std::clog/std::cout attached to an interactive terminal.
inline bool stream_is_terminal(const std::ostream& out) {
    int fd = -1;
    if (&out == &std::cerr || &out == &std::clog) fd = 2;
    if (&out == &std::cout) fd = 1;
    if (fd < 0) return false;
    if (const char* term = std::getenv("TERM"); term != nullptr && std::string(term) == "dumb") {
        return false;
    }
#if defined(_WIN32)
    return _isatty(fd) != 0;
#else
    return isatty(fd) != 0;
#endif
}

/// Width of the terminal behind the standard stream fd in columns, or 80 when unknown.
inline int terminal_columns(const std::ostream& out) {
#if defined(TIOCGWINSZ)
    const int fd = (&out == &std::cout) ? 1 : 2;
    winsize ws{};
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20) return ws.ws_col;
#else
    (void)out;
#endif
    return 80;
}

}  // namespace detail

/// A single progress bar; see the file comment for the display rules.
class ProgressBar {
public:
    using Clock = std::chrono::steady_clock;

    /// `label` prefixes every line; `total` is the number of work units (0 = unknown).
    ProgressBar(std::string label, Index total, std::ostream& out = std::cerr,
                ProgressMode mode = ProgressMode::automatic)
        : label_(std::move(label)), total_(total), out_(&out), start_(Clock::now()) {
        require(total >= 0, "ProgressBar", "total", total, "must be >= 0");
        terminal_ = mode == ProgressMode::terminal ||
                    (mode == ProgressMode::automatic && detail::stream_is_terminal(out));
        if (terminal_ && mode == ProgressMode::automatic) {
            columns_ = detail::terminal_columns(out);
        }
    }

    ProgressBar(const ProgressBar&) = delete;
    ProgressBar& operator=(const ProgressBar&) = delete;

    /// Ends a half-drawn terminal line so later output does not overwrite it. Does not
    /// print a final state: a bar abandoned by an exception is not "finished".
    ~ProgressBar() {
        if (terminal_ && drawn_ && !finished_) {
            *out_ << '\n';
            out_->flush();
        }
    }

    /// True when the bar redraws in place ('\r'), false in plain mode.
    bool interactive() const { return terminal_; }

    /// Records that `done` units are complete and redraws if due. `suffix` (e.g.
    /// "loss 0.53") is appended to the line. Calls after finish() are ignored.
    void update(Index done, const std::string& suffix = "") {
        require(done >= 0, "ProgressBar::update", "done", done, "must be >= 0");
        if (finished_) return;
        done_ = done;
        const Clock::time_point now = Clock::now();
        if (terminal_) {
            // Reaching the total is drawn at once (once), anything else at most every 100 ms.
            const bool completes = total_ > 0 && done >= total_ && drawn_done_ < total_;
            if (!drawn_ || completes || now - last_draw_ >= std::chrono::milliseconds(100)) {
                draw_terminal(suffix, now, false);
            }
            return;
        }
        bool due = false;
        if (total_ > 0) {
            const Index decile = std::min<Index>(done, total_) * 10 / total_;
            due = decile > last_decile_;
            if (due) last_decile_ = decile;
        } else {
            due = now - (printed_ ? last_draw_ : start_) >= std::chrono::seconds(10);
        }
        if (due) print_plain(suffix, now, false);
    }

    /// Draws the final state (the count shown is the last one given to update(), with
    /// "done" in place of the ETA) and ends the line. Only the first call has an effect;
    /// in plain mode it prints nothing when update() has just printed the same count and
    /// there is no suffix.
    void finish(const std::string& suffix = "") {
        if (finished_) return;
        const Clock::time_point now = Clock::now();
        if (terminal_) {
            draw_terminal(suffix, now, true);
            *out_ << '\n';
            out_->flush();
        } else if (!(printed_ && printed_done_ == done_ && suffix.empty())) {
            // Skips a duplicate of the line update() just printed for the same count.
            print_plain(suffix, now, true);
        }
        finished_ = true;
    }

    /// The line that would be shown now (without '\r' or newline); exposed for tests.
    std::string line(const std::string& suffix = "", bool with_bar = true,
                     bool final = false) const {
        return format(suffix, Clock::now(), with_bar ? kBarWidth : -1, final);
    }

private:
    static constexpr int kBarWidth = 24;

    /// bar_width > 0: "label [###...] ..."; 0: "label ..." (no bar); < 0: "label: ..."
    /// (plain mode).
    std::string format(const std::string& suffix, Clock::time_point now, int bar_width,
                       bool final) const {
        const bool with_bar = bar_width >= 0;
        const double elapsed = std::chrono::duration<double>(now - start_).count();
        std::ostringstream os;
        os << label_;
        if (total_ > 0) {
            const double fraction =
                std::min(1.0, static_cast<double>(done_) / static_cast<double>(total_));
            if (bar_width > 0) {
                const int filled = static_cast<int>(fraction * bar_width);
                os << " [" << std::string(static_cast<std::size_t>(filled), '#')
                   << std::string(static_cast<std::size_t>(bar_width - filled), '.') << ']';
            } else if (!with_bar) {
                os << ':';
            }
            os << ' ' << done_ << '/' << total_ << ' ';
            const int percent = static_cast<int>(fraction * 100.0);
            os << (percent < 10 ? "  " : percent < 100 ? " " : "") << percent << "% "
               << format_mmss(elapsed) << " elapsed";
            if (final) {
                os << ", done";
            } else {
                double eta = -1.0;  // unknown until some work is done
                if (done_ >= total_) {
                    eta = 0.0;
                } else if (done_ > 0) {
                    eta = elapsed * static_cast<double>(total_ - done_) /
                          static_cast<double>(done_);
                }
                os << ", ETA " << format_mmss(eta);
            }
        } else {
            os << (with_bar ? " " : ": ") << done_ << " done, " << format_mmss(elapsed)
               << " elapsed";
        }
        if (!suffix.empty()) os << " | " << suffix;
        return os.str();
    }

    void draw_terminal(const std::string& suffix, Clock::time_point now, bool final) {
        std::string text = format(suffix, now, bar_width_, final);
        if (columns_ > 0 && text.size() >= static_cast<std::size_t>(columns_)) {
            // Too wide for the terminal (a wrapped line breaks '\r'): shrink the bar (for
            // good, so it does not jitter), drop it below 8 cells, then cut the end.
            const std::string bare = format(suffix, now, 0, final);
            const long room =
                static_cast<long>(columns_) - 1 - static_cast<long>(bare.size()) - 3;
            bar_width_ = room >= 8 ? static_cast<int>(std::min<long>(room, bar_width_)) : 0;
            text = bar_width_ > 0 ? format(suffix, now, bar_width_, final) : bare;
            if (text.size() >= static_cast<std::size_t>(columns_)) {
                text.resize(static_cast<std::size_t>(columns_ - 1));
            }
        }
        const std::size_t width = text.size();
        if (width < last_width_) text.append(last_width_ - width, ' ');  // erase leftovers
        last_width_ = width;
        *out_ << '\r' << text;
        out_->flush();
        drawn_ = true;
        drawn_done_ = done_;
        last_draw_ = now;
    }

    void print_plain(const std::string& suffix, Clock::time_point now, bool final) {
        *out_ << format(suffix, now, -1, final) << '\n';
        out_->flush();
        printed_ = true;
        printed_done_ = done_;
        last_draw_ = now;
    }

    std::string label_;
    Index total_ = 0;
    std::ostream* out_;
    Clock::time_point start_;
    Clock::time_point last_draw_{};
    bool terminal_ = false;
    int columns_ = 0;  ///< 0 = do not truncate (forced terminal mode)
    int bar_width_ = kBarWidth;
    Index done_ = 0;
    Index last_decile_ = 0;
    Index printed_done_ = -1;
    Index drawn_done_ = -1;
    std::size_t last_width_ = 0;
    bool drawn_ = false;
    bool printed_ = false;
    bool finished_ = false;
};

}  // namespace attrprior::report
