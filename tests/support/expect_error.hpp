// Shared assertion: f() throws attrprior::invalid_argument whose message contains needle.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "attrprior/core/error.hpp"

namespace attrprior::testing {

template <class F>
void expect_invalid(F&& f, const std::string& needle) {
    try {
        f();
        ADD_FAILURE() << "expected attrprior::invalid_argument mentioning \"" << needle << "\"";
    } catch (const attrprior::invalid_argument& e) {
        EXPECT_THAT(std::string(e.what()), ::testing::HasSubstr(needle));
    }
}

}  // namespace attrprior::testing
