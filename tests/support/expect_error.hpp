// Shared assertions on the exceptions attrprior throws.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <exception>
#include <string>

#include "attrprior/core/error.hpp"

namespace attrprior::testing {

/// The message of the E that f() throws. Records a test failure (and returns "") when f
/// throws nothing or an exception of another type.
template <class E = attrprior::error, class F>
std::string error_message(F&& f) {
    try {
        f();
    } catch (const E& e) {
        return e.what();
    } catch (const std::exception& e) {
        ADD_FAILURE() << "expected a different exception type, got: " << e.what();
        return {};
    }
    ADD_FAILURE() << "expected an exception, nothing was thrown";
    return {};
}

/// f() throws an E whose message contains needle.
template <class E, class F>
void expect_throw_with(F&& f, const std::string& needle) {
    EXPECT_THAT(error_message<E>(f), ::testing::HasSubstr(needle));
}

/// f() throws attrprior::invalid_argument whose message contains needle.
template <class F>
void expect_invalid(F&& f, const std::string& needle) {
    expect_throw_with<attrprior::invalid_argument>(f, needle);
}

}  // namespace attrprior::testing
