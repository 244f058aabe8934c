// Replaces the global operator new/delete of ONE test program (include it in exactly one
// translation unit) to count allocations, so tests can prove steady-state calls allocate
// nothing. Eigen's own aligned buffers come from malloc and are not counted.
#pragma once

#include <atomic>
#include <cstdlib>
#include <new>

namespace attrprior::testing {
inline std::atomic<long> g_allocations{0};

// Not inlined, so gcc's -Wmismatched-new-delete does not pair the free() with a new.
[[gnu::noinline]] inline void* counted_allocate(std::size_t size) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    return std::malloc(size == 0 ? 1 : size);
}
[[gnu::noinline]] inline void counted_release(void* p) noexcept { std::free(p); }

/// operator new calls so far in this program.
inline long allocation_count() { return g_allocations.load(); }
}  // namespace attrprior::testing

// Every non-aligned form is replaced, so each allocation is paired with its own release
// (std::stable_sort, for one, takes its buffer from the nothrow form: under
// AddressSanitizer a half-replaced set would pair the sanitizer's new with this free).
void* operator new(std::size_t size) {
    if (void* p = attrprior::testing::counted_allocate(size)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
    if (void* p = attrprior::testing::counted_allocate(size)) return p;
    throw std::bad_alloc();
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
    return attrprior::testing::counted_allocate(size);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
    return attrprior::testing::counted_allocate(size);
}
void operator delete(void* p) noexcept { attrprior::testing::counted_release(p); }
void operator delete(void* p, std::size_t) noexcept { attrprior::testing::counted_release(p); }
void operator delete[](void* p) noexcept { attrprior::testing::counted_release(p); }
void operator delete[](void* p, std::size_t) noexcept { attrprior::testing::counted_release(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { attrprior::testing::counted_release(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { attrprior::testing::counted_release(p); }
