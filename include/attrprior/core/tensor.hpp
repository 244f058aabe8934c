// Non-owning views of dense row-major tensors.
//
// attrprior stores batches as B x L x C arrays with the batch outermost and the channel
// innermost (docs/math.md §2). A view is a pointer plus a shape; it never owns memory, so the
// caller decides where data live (an Eigen matrix, a std::vector, a memory-mapped file).
#pragma once

#include <Eigen/Core>

#include <array>
#include <cstddef>
#include <string>
#include <type_traits>

#include "attrprior/core/error.hpp"

namespace attrprior {

using Index = Eigen::Index;

/// Row-major 3-d view: element (i, j, k) lives at data[(i * dim1 + j) * dim2 + k].
template <class T>
struct Tensor3 {
    T* data = nullptr;
    Index dim0 = 0, dim1 = 0, dim2 = 0;

    Tensor3() = default;
    Tensor3(T* d, Index n0, Index n1, Index n2) : data(d), dim0(n0), dim1(n1), dim2(n2) {}
    /// A view of mutable data converts to a view of const data.
    template <class U, class = std::enable_if_t<std::is_same_v<T, const U>>>
    Tensor3(const Tensor3<U>& other)  // NOLINT(google-explicit-constructor)
        : data(other.data), dim0(other.dim0), dim1(other.dim1), dim2(other.dim2) {}

    Index size() const { return dim0 * dim1 * dim2; }
    T& operator()(Index i, Index j, Index k) const { return data[(i * dim1 + j) * dim2 + k]; }
    /// Pointer to the dim1 x dim2 block of index i.
    T* slice(Index i) const { return data + i * dim1 * dim2; }

    using Matrix = Eigen::Matrix<std::remove_const_t<T>, Eigen::Dynamic, Eigen::Dynamic,
                                 Eigen::RowMajor>;
    using MatrixMap = Eigen::Map<std::conditional_t<std::is_const_v<T>, const Matrix, Matrix>>;
    /// The (dim1 x dim2) matrix of index i.
    MatrixMap matrix(Index i) const { return MatrixMap(slice(i), dim1, dim2); }
    /// All data as a (dim0 * dim1) x dim2 matrix.
    MatrixMap rows() const { return MatrixMap(data, dim0 * dim1, dim2); }

    std::string shape_string() const {
        return detail::concat("[", dim0, ", ", dim1, ", ", dim2, "]");
    }
};

template <class T>
using ConstTensor3 = Tensor3<const T>;

/// Throws invalid_argument unless the two views have the same shape.
template <class T, class U>
void require_same_shape(const Tensor3<T>& a, const Tensor3<U>& b, const char* where,
                        const char* name_a, const char* name_b) {
    if (a.dim0 != b.dim0 || a.dim1 != b.dim1 || a.dim2 != b.dim2) {
        throw invalid_argument(detail::concat(where, ": ", name_a, " has shape ",
                                              a.shape_string(), " but ", name_b,
                                              " has shape ", b.shape_string()));
    }
}

}  // namespace attrprior
