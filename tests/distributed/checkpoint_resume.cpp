// A checkpoint written by a data-parallel job and resumed with another number of ranks
// (docs/distributed.md §4). Two phases, two ctest cases (a fixture):
//   checkpoint_resume first DIR    epochs 1-2 with a checkpoint after each (run with 2 ranks)
//   checkpoint_resume resume DIR   restores, trains epochs 3-4 (run with 3 ranks), and
//                                  compares the weights with one process trained 4 epochs
//                                  straight; prints the difference, exit 1 when too large.
#include "attrprior/distributed/data_parallel.hpp"

#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "attrprior/models/binary.hpp"
#include "attrprior/priors/fourier.hpp"
#include "attrprior/train/fit.hpp"
#include "attrprior/train/losses.hpp"
#include "attrprior/train/tensor_data.hpp"

#include "../support/small_models.hpp"

namespace ap = attrprior;
namespace dist = attrprior::distributed;
namespace train = attrprior::train;
using ap::Index;

namespace {
constexpr Index kN = 36, kL = 120, kBatch = 12;  // 3 steps per epoch

ap::nn::Model<float> make_model() {
    ap::models::BinaryModelOptions o;
    o.length = kL;
    o.filters = 8;
    o.pool = 10;
    o.batchnorm = false;
    return ap::models::make_binary_model<float>(o, 5);
}
}  // namespace

int main(int argc, char** argv) {
    dist::Environment env(&argc, &argv);
    const dist::Communicator comm;
    return dist::run_or_abort(comm, [&] {
        ap::require(argc == 3 && (std::strcmp(argv[1], "first") == 0 || std::strcmp(argv[1], "resume") == 0),
                    "checkpoint_resume", "arguments", argc - 1, "must be: first|resume DIR");
        const bool resume = std::strcmp(argv[1], "resume") == 0;
        const std::string dir = argv[2];
        std::vector<float> x = ap::testing::random_one_hot(kN, kL, 3), y(kN);
        for (Index i = 0; i < kN; ++i) y[std::size_t(i)] = float(i % 3 == 0);
        const train::TensorExamples<float> examples(ap::ConstTensor3<float>(x.data(), kN, kL, 4),
                                                    ap::ConstTensor3<float>(y.data(), kN, 1, 1));
        ap::priors::FourierPriorOptions po;
        po.freq_limit = 20;
        ap::priors::FourierPrior<float> prior(po);
        train::ClassBalancedBCE<float> loss;
        train::DoubleBackprop<float> backprop(0.5f);
        const train::AdamOptions adam_options{1e-2};

        auto model = make_model();
        train::Adam<float> adam(adam_options);
        dist::broadcast_model(comm, model);
        dist::DataParallel<float> step(comm, backprop);
        dist::ShardedBatcher<train::TensorBatcher<float>> batches(comm, train::TensorBatcher<float>(examples, kBatch, 8));
        train::FitOptions fo;
        fo.epochs = 2;
        train::History previous;
        if (resume) {
            previous = dist::restore_checkpoint(comm, dir, model, adam);
            ap::require(previous.size() == 2, "checkpoint_resume", "epochs in the checkpoint", previous.size(),
                        "must be 2 (run the first phase)");
            fo.first_epoch = previous.epoch.back() + 1;
            train::Batch<float> skipped;
            for (Index b = 0; b < 2 * batches.batches_per_epoch(); ++b) batches.next(skipped);
        }
        dist::Checkpoint<float, train::Adam<float>> checkpoint(comm, dir, 1, adam, previous);
        train::fit(model, step, prior, loss, adam, batches, train::NoValidation(), fo, checkpoint);
        if (!resume) {
            if (comm.root()) std::printf("first phase: 2 epochs on %d ranks, checkpoint in %s\n", comm.size(), dir.c_str());
            return 0;
        }

        // One process, 4 epochs straight, same seeds.
        auto straight = make_model();
        train::Adam<float> adam_straight(adam_options);
        train::DoubleBackprop<float> backprop_straight(0.5f);
        train::TensorBatcher<float> all(examples, kBatch, 8);
        train::FitOptions fo4;
        fo4.epochs = 4;
        train::fit(straight, backprop_straight, prior, loss, adam_straight, all, train::NoValidation(), fo4);
        double diff = double((straight.parameters() - model.parameters()).cwiseAbs().maxCoeff());
        const double moved = double((straight.parameters() - make_model().parameters()).cwiseAbs().maxCoeff());
        comm.allreduce_max(&diff, 1);
        const bool identical = dist::replicas_identical(comm, model);
        const bool ok = diff <= 1e-3 * moved && identical && checkpoint.history().size() == 4;
        if (comm.root())
            std::printf("resumed on %d ranks: max |weight difference| vs 4 epochs straight on 1 process = %.3g "
                        "(weights moved %.3g); replicas identical: %s; checkpoint epochs: %zu -> %s\n",
                        comm.size(), diff, moved, identical ? "yes" : "no", checkpoint.history().size(),
                        ok ? "OK" : "FAILED");
        return ok ? 0 : 1;
    });
}
