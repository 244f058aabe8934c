// A data-parallel job in which the last rank's shard holds bad input (NaN in every
// sequence): the step throws on that rank only, and run_or_abort must end the whole job
// with a message naming the rank (docs/distributed.md §5). ctest checks the message and
// that the job ends before its timeout (the other ranks wait in a collective call and
// would otherwise hang).
#include "attrprior/distributed/data_parallel.hpp"

#include <limits>
#include <vector>

#include "attrprior/models/binary.hpp"
#include "attrprior/train/fit.hpp"
#include "attrprior/train/losses.hpp"
#include "attrprior/train/tensor_data.hpp"

#include "../support/small_models.hpp"

namespace ap = attrprior;
namespace dist = attrprior::distributed;
namespace train = attrprior::train;
using ap::Index;

int main(int argc, char** argv) {
    dist::Environment env(&argc, &argv);
    const dist::Communicator comm;
    return dist::run_or_abort(comm, [&] {
        constexpr Index N = 24, L = 120;
        std::vector<float> x = ap::testing::random_one_hot(N, L, 1), y(N);
        for (Index i = 0; i < N; ++i) y[std::size_t(i)] = float(i % 2);
        if (comm.rank() == comm.size() - 1)  // bad input on this rank's copy of the data
            for (Index i = 0; i < N; ++i) x[std::size_t(i * L * 4)] = std::numeric_limits<float>::quiet_NaN();
        const train::TensorExamples<float> examples(ap::ConstTensor3<float>(x.data(), N, L, 4),
                                                    ap::ConstTensor3<float>(y.data(), N, 1, 1));
        ap::models::BinaryModelOptions o;
        o.length = L;
        o.filters = 4;
        o.pool = 10;
        auto model = ap::models::make_binary_model<float>(o, 1);
        dist::broadcast_model(comm, model);
        train::DoubleBackprop<float> backprop(1.f);
        dist::DataParallel<float> step(comm, backprop);
        dist::ShardedBatcher<train::TensorBatcher<float>> batches(comm, train::TensorBatcher<float>(examples, 8, 1));
        train::ClassBalancedBCE<float> loss;
        ap::priors::NoPrior<float> prior;
        train::Adam<float> adam;
        train::FitOptions fo;
        fo.epochs = 2;
        train::fit(model, step, prior, loss, adam, batches, train::NoValidation(), fo);
        return 0;  // not reached with more than one rank
    });
}
