// Shared checks of the SVG report tests: XML well-formedness, counting substrings and
// logo glyphs, and exceptions with a given message.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <utility>
#include <vector>

#include "expect_error.hpp"

namespace attrprior::testing {

/// Minimal XML well-formedness check: balanced, properly nested tags, quoted attributes
/// free of '<', and '&' only as one of the five predefined entities (or a numeric one).
/// Returns an empty string when well-formed, else a description of the first problem.
inline std::string xml_problem(const std::string& xml) {
    auto entity_ok = [&](std::size_t amp) {
        const std::size_t semi = xml.find(';', amp);
        if (semi == std::string::npos) return false;
        const std::string name = xml.substr(amp + 1, semi - amp - 1);
        if (name == "amp" || name == "lt" || name == "gt" || name == "quot" || name == "apos") {
            return true;
        }
        return name.size() > 1 && name[0] == '#';
    };
    std::vector<std::string> stack;
    std::size_t i = 0;
    int roots = 0;
    while (i < xml.size()) {
        const char c = xml[i];
        if (c == '&' && !entity_ok(i)) return "bad entity at " + std::to_string(i);
        if (c == '>') return "stray '>' at " + std::to_string(i);
        if (c != '<') {
            if (stack.empty() && !std::isspace(static_cast<unsigned char>(c))) {
                return "text outside the root at " + std::to_string(i);
            }
            ++i;
            continue;
        }
        // A tag: find its end, honouring quoted attribute values.
        std::size_t j = i + 1;
        char quote = 0;
        for (; j < xml.size(); ++j) {
            const char d = xml[j];
            if (quote) {
                if (d == quote) {
                    quote = 0;
                } else if (d == '<') {
                    return "'<' inside an attribute at " + std::to_string(j);
                } else if (d == '&' && !entity_ok(j)) {
                    return "bad entity in attribute at " + std::to_string(j);
                }
            } else if (d == '"' || d == '\'') {
                quote = d;
            } else if (d == '>') {
                break;
            } else if (d == '<') {
                return "'<' inside a tag at " + std::to_string(j);
            }
        }
        if (j >= xml.size()) return "unterminated tag at " + std::to_string(i);
        const std::string tag = xml.substr(i + 1, j - i - 1);
        if (tag.empty()) return "empty tag";
        if (tag[0] == '/') {
            const std::string name = tag.substr(1);
            if (stack.empty() || stack.back() != name) {
                return "unbalanced </" + name + "> (open: " +
                       (stack.empty() ? std::string("none") : stack.back()) + ")";
            }
            stack.pop_back();
        } else {
            const bool self_closing = tag.back() == '/';
            const std::string name = tag.substr(0, tag.find_first_of(" \t\n/"));
            if (stack.empty()) {
                if (++roots > 1) return "more than one root element";
            }
            if (!self_closing) stack.push_back(name);
        }
        i = j + 1;
    }
    if (!stack.empty()) return "unclosed <" + stack.back() + ">";
    if (roots != 1) return "no root element";
    return "";
}

inline std::size_t count(const std::string& haystack, const std::string& needle) {
    std::size_t n = 0;
    for (std::size_t p = haystack.find(needle); p != std::string::npos;
         p = haystack.find(needle, p + needle.size())) {
        ++n;
    }
    return n;
}

inline std::size_t glyphs(const std::string& svg) {
    return count(svg, ">A</text>") + count(svg, ">C</text>") + count(svg, ">G</text>") +
           count(svg, ">T</text>");
}

/// (letter, y scale) of every logo glyph, in document order.
inline std::vector<std::pair<std::string, double>> glyph_scales(const std::string& svg) {
    std::vector<std::pair<std::string, double>> out;
    for (std::size_t p = svg.find("scale("); p != std::string::npos;
         p = svg.find("scale(", p + 1)) {
        const std::size_t space = svg.find(' ', p);
        const std::size_t close = svg.find(')', space);
        const double sy = std::stod(svg.substr(space + 1, close - space - 1));
        const std::size_t gt = svg.find('>', close);
        out.emplace_back(svg.substr(gt + 1, svg.find('<', gt) - gt - 1), sy);
    }
    return out;
}

inline void expect_well_formed(const std::string& svg) {
    EXPECT_EQ(svg.rfind("<svg", 0), 0u) << svg.substr(0, 80);
    EXPECT_THAT(svg, ::testing::HasSubstr("xmlns=\"http://www.w3.org/2000/svg\""));
    EXPECT_EQ(xml_problem(svg), "");
    // No non-finite number leaked into an attribute value.
    for (std::size_t p = svg.find("=\""); p != std::string::npos; p = svg.find("=\"", p + 2)) {
        std::string value = svg.substr(p + 2, svg.find('"', p + 2) - p - 2);
        for (char& c : value) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        EXPECT_EQ(value.find("nan"), std::string::npos) << value;
        EXPECT_EQ(value.find("inf"), std::string::npos) << value;
    }
}

}  // namespace attrprior::testing
