// Tests of the console progress bar: mm:ss formatting, plain mode (at most a line per
// 10%, done/total, ETA, suffix, no '\r'), forced terminal mode ('\r' redraws throttled to
// ~10/s, final line), unknown total (0), automatic mode on a string stream, bad input.
#include "attrprior/report/progress.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

namespace ap = attrprior;
using ap::report::format_mmss;
using ap::report::ProgressBar;
using ap::report::ProgressMode;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

std::size_t count(const std::string& haystack, char c) {
    std::size_t n = 0;
    for (const char d : haystack) n += d == c;
    return n;
}

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

}  // namespace

TEST(FormatMmss, FormatsMinutesAndSeconds) {
    EXPECT_EQ(format_mmss(0.0), "00:00");
    EXPECT_EQ(format_mmss(0.99), "00:00");
    EXPECT_EQ(format_mmss(59.5), "00:59");
    EXPECT_EQ(format_mmss(65.0), "01:05");
    EXPECT_EQ(format_mmss(3599.0), "59:59");
    EXPECT_EQ(format_mmss(6000.0), "100:00");
    EXPECT_EQ(format_mmss(-1.0), "--:--");
    EXPECT_EQ(format_mmss(std::numeric_limits<double>::quiet_NaN()), "--:--");
    EXPECT_EQ(format_mmss(std::numeric_limits<double>::infinity()), "--:--");
}

TEST(ProgressBarPlain, ThousandUpdatesPrintAtMostElevenLines) {
    std::ostringstream out;
    {
        ProgressBar bar("epoch 1", 1000, out, ProgressMode::plain);
        EXPECT_FALSE(bar.interactive());
        for (ap::Index i = 1; i <= 1000; ++i) bar.update(i, "loss 0.53");
        bar.finish("loss 0.51");
    }
    const std::string text = out.str();
    const auto ls = lines(text);
    EXPECT_LE(ls.size(), 11u) << text;
    EXPECT_GE(ls.size(), 10u) << text;
    EXPECT_EQ(count(text, '\r'), 0u);
    EXPECT_EQ(text.back(), '\n');
    EXPECT_THAT(ls.front(), HasSubstr("epoch 1: 100/1000"));
    EXPECT_THAT(ls.front(), HasSubstr(" 10%"));
    EXPECT_THAT(ls.front(), HasSubstr("ETA "));
    EXPECT_THAT(ls.front(), HasSubstr("elapsed"));
    EXPECT_THAT(ls.front(), HasSubstr("| loss 0.53"));
    EXPECT_THAT(ls.back(), HasSubstr("1000/1000"));
    EXPECT_THAT(ls.back(), HasSubstr("100%"));
    EXPECT_THAT(ls.back(), HasSubstr("done"));
    EXPECT_THAT(ls.back(), HasSubstr("| loss 0.51"));
    EXPECT_THAT(text, Not(HasSubstr("nan")));
}

TEST(ProgressBarPlain, ETAIsExtrapolatedFromElapsedTime) {
    std::ostringstream out;
    ProgressBar bar("work", 4, out, ProgressMode::plain);
    // Nothing done: no line yet (below 10%) and the ETA would be unknown.
    bar.update(0);
    EXPECT_EQ(out.str(), "");
    EXPECT_THAT(bar.line("", false), HasSubstr("0/4   0% 00:00 elapsed, ETA --:--"));
    bar.update(1);
    EXPECT_THAT(out.str(), HasSubstr("work: 1/4  25% 00:00 elapsed, ETA 00:00\n"));
    bar.update(4);
    bar.finish();  // same count as the last printed line, no suffix: not repeated
    const auto ls = lines(out.str());
    ASSERT_EQ(ls.size(), 2u) << out.str();
    EXPECT_THAT(ls.back(), HasSubstr("4/4 100%"));
}

TEST(ProgressBarPlain, JumpsAndRepeatsPrintOncePerDecile) {
    std::ostringstream out;
    ProgressBar bar("jump", 100, out, ProgressMode::plain);
    bar.update(5);
    bar.update(5);
    bar.update(55);  // crosses five deciles at once: one line
    bar.update(55);
    bar.update(56);
    bar.update(150);  // beyond total: capped at 100%
    bar.finish();
    const auto ls = lines(out.str());
    ASSERT_EQ(ls.size(), 2u) << out.str();
    EXPECT_THAT(ls[0], HasSubstr("55/100  55%"));
    EXPECT_THAT(ls[1], HasSubstr("150/100 100%"));
}

TEST(ProgressBarPlain, FinishWithoutUpdatesPrintsOneLine) {
    std::ostringstream out;
    ProgressBar bar("idle", 10, out, ProgressMode::plain);
    bar.finish();
    bar.finish();          // second call ignored
    bar.update(10, "x");  // after finish: ignored
    const auto ls = lines(out.str());
    ASSERT_EQ(ls.size(), 1u);
    EXPECT_THAT(ls[0], HasSubstr("idle: 0/10   0%"));
}

TEST(ProgressBar, ZeroTotalIsHandled) {
    for (const ProgressMode mode : {ProgressMode::plain, ProgressMode::terminal}) {
        std::ostringstream out;
        {
            ProgressBar bar("scan", 0, out, mode);
            for (ap::Index i = 0; i <= 100; ++i) bar.update(i);
            bar.finish("ok");
        }
        const std::string text = out.str();
        EXPECT_THAT(text, HasSubstr("100 done"));
        EXPECT_THAT(text, HasSubstr("| ok"));
        EXPECT_THAT(text, Not(HasSubstr("nan")));
        EXPECT_THAT(text, Not(HasSubstr("inf")));
        EXPECT_THAT(text, Not(HasSubstr("%")));
        EXPECT_EQ(text.back(), '\n');
        if (mode == ProgressMode::plain) {
            EXPECT_EQ(lines(text).size(), 1u) << text;
        }
    }
    // A zero total with zero work also formats cleanly.
    std::ostringstream out;
    ProgressBar bar("nothing", 0, out, ProgressMode::plain);
    EXPECT_THAT(bar.line(), HasSubstr("nothing 0 done, 00:00 elapsed"));
}

TEST(ProgressBarTerminal, RedrawsInPlaceThrottled) {
    std::ostringstream out;
    const auto t0 = std::chrono::steady_clock::now();
    {
        ProgressBar bar("train", 1000, out, ProgressMode::terminal);
        EXPECT_TRUE(bar.interactive());
        for (ap::Index i = 1; i <= 1000; ++i) bar.update(i, "loss 0.53");
        bar.finish("loss 0.50");
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const std::string text = out.str();
    // First draw, at most one per 100 ms, the completed state and the final draw.
    EXPECT_LE(static_cast<double>(count(text, '\r')), 3.0 + seconds * 10.0 + 1.0) << text;
    EXPECT_GE(count(text, '\r'), 2u);
    EXPECT_EQ(count(text, '\n'), 1u);
    EXPECT_EQ(text.back(), '\n');
    const std::string last = text.substr(text.rfind('\r') + 1);
    EXPECT_THAT(last, HasSubstr("train [########################] 1000/1000 100%"));
    EXPECT_THAT(last, HasSubstr("done | loss 0.50"));
    const std::string first = text.substr(1, text.find('\r', 1) - 1);
    EXPECT_THAT(first, HasSubstr("train [......"));
    EXPECT_THAT(first, HasSubstr("1/1000"));
    EXPECT_THAT(first, HasSubstr("ETA "));
}

TEST(ProgressBarTerminal, ShorterLinesEraseLongerOnes) {
    std::ostringstream out;
    ProgressBar bar("t", 2, out, ProgressMode::terminal);
    bar.update(1, "a long suffix here");
    bar.finish();
    const std::string text = out.str();
    const std::string first = text.substr(1, text.find('\r', 1) - 1);
    const std::string last = text.substr(text.rfind('\r') + 1);
    EXPECT_GE(last.size(), first.size() + 1);  // padded (plus the final newline)
}

TEST(ProgressBarTerminal, AbandonedBarEndsItsLine) {
    std::ostringstream out;
    {
        ProgressBar bar("abandoned", 10, out, ProgressMode::terminal);
        bar.update(3);
    }
    const std::string text = out.str();
    EXPECT_EQ(text.back(), '\n');
    EXPECT_THAT(text, Not(HasSubstr(", done")));
}

TEST(ProgressBar, AutomaticModeOnAStringStreamIsPlain) {
    std::ostringstream out;
    ProgressBar bar("auto", 10, out);
    EXPECT_FALSE(bar.interactive());
    for (ap::Index i = 1; i <= 10; ++i) bar.update(i);
    bar.finish();
    EXPECT_EQ(count(out.str(), '\r'), 0u);
    EXPECT_EQ(lines(out.str()).size(), 10u);
}

TEST(ProgressBar, RejectsNegativeCounts) {
    std::ostringstream out;
    EXPECT_THROW(ProgressBar("x", -1, out), ap::invalid_argument);
    ProgressBar bar("x", 5, out, ProgressMode::plain);
    try {
        bar.update(-2);
        ADD_FAILURE() << "expected invalid_argument";
    } catch (const ap::invalid_argument& e) {
        EXPECT_THAT(e.what(), HasSubstr("done = -2"));
    }
}
