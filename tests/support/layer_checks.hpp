// GoogleTest adapter over attrprior/testing/layer_checks.hpp: every layer test calls
// check_layer_derivatives, which fails the test, listing every check, when any check fails.
#pragma once

#include <gtest/gtest.h>

#include "attrprior/nn/layer.hpp"
#include "attrprior/testing/layer_checks.hpp"

namespace attrprior::testing {

/// Runs check_layer and records a test failure with the report's summary unless every
/// check passed.
inline void check_layer_derivatives(nn::Layer<double>& layer, const nn::Shape& in,
                                    const LayerCheckOptions& options = LayerCheckOptions()) {
    const LayerCheckReport report = check_layer(layer, in, options);
    EXPECT_TRUE(report.passed()) << report.summary();
}

}  // namespace attrprior::testing
