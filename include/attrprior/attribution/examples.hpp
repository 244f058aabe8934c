// Attribution over an example set (train/batch.hpp: the genomics data sets, or
// train::TensorExamples over arrays), in chunks: what a program that explains thousands of
// regions needs without holding every input at once (docs/attribution.md, "Explaining a
// data set").
//
//   attribution::for_each_chunk_of<float>(examples, 256,
//       [&](const attribution::Inputs<float>& inputs, Index first) {
//           attribution::DeepShapOptions o;
//           o.first_example = first;  // the same shuffles as explaining everything at once
//           return attribution::deep_shap(model, inputs, target, o);
//       },
//       [&](Index first, const auto& scores) { /* write rows first .. first + n */ });
//
// Each chunk is encoded into one grow-only batch; the method sees the chunk's inputs (the
// sequence first) and the global index of its first example.
#pragma once

#include <algorithm>

#include "attrprior/attribution/rows.hpp"
#include "attrprior/core/error.hpp"
#include "attrprior/train/batch.hpp"
#include "attrprior/train/predict.hpp"

namespace attrprior::attribution {

/// Calls method(inputs, first) on every chunk of `chunk` examples and consume(first,
/// result) with what it returned; on_chunk(first, done, total) after each chunk.
template <class Scalar, class Examples, class Method, class Consume>
void for_each_chunk_of(const Examples& examples, Index chunk, Method&& method, Consume&& consume,
                       const train::ChunkCallback& on_chunk = {}) {
    static_assert(train::is_example_set_v<Examples, Scalar>,
                  "attrprior: an example set needs `Index size() const`, `BatchShapes shapes() const` and "
                  "`void encode(Index first, Index count, Batch<Scalar>& batch) const` (train/batch.hpp)");
    require(chunk >= 1, "attribution::for_each_chunk_of", "chunk", chunk, "must be >= 1");
    const Index N = examples.size();
    train::Batch<Scalar> batch(examples.shapes(), std::min(chunk, std::max<Index>(N, 1)));
    for (Index first = 0; first < N; first += chunk) {
        const Index count = std::min(chunk, N - first);
        batch.resize(count);
        examples.encode(first, count, batch);
        const Inputs<Scalar>& inputs = batch.inputs();
        consume(first, method(inputs, first));
        if (on_chunk) on_chunk(first, first + count, N);
    }
}

}  // namespace attrprior::attribution
