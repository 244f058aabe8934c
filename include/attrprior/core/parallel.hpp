// The one threshold below which the library's OpenMP loops stay on one thread.
#pragma once

#include "attrprior/core/tensor.hpp"

namespace attrprior {

/// Parallel loops that touch fewer elements than this run on one thread: forking a team
/// costs more than it saves. Loops whose work per element differs a lot from an
/// elementwise pass use a named multiple of it, with the reason next to it.
inline constexpr Index kParallelWork = Index(1) << 15;

}  // namespace attrprior
