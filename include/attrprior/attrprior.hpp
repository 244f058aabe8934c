// attrprior — Fourier-transform attribution priors for genomics CNNs (header-only).
// The umbrella header: includes every public part of the core library.
#pragma once

#include "attrprior/core/error.hpp"
#include "attrprior/core/fftw.hpp"
#include "attrprior/core/random.hpp"
#include "attrprior/core/tensor.hpp"
#include "attrprior/io/npy.hpp"
#include "attrprior/io/weights.hpp"
#include "attrprior/metrics/attribution.hpp"
#include "attrprior/metrics/classification.hpp"
#include "attrprior/metrics/profile.hpp"
#include "attrprior/models/profile.hpp"
#include "attrprior/models/binary.hpp"
#include "attrprior/nn/activation.hpp"
#include "attrprior/nn/batchnorm.hpp"
#include "attrprior/nn/channels.hpp"
#include "attrprior/nn/conv1d.hpp"
#include "attrprior/nn/crop.hpp"
#include "attrprior/nn/dropout.hpp"
#include "attrprior/nn/flatten.hpp"
#include "attrprior/nn/layer.hpp"
#include "attrprior/nn/linear.hpp"
#include "attrprior/nn/model.hpp"
#include "attrprior/nn/pooling.hpp"
#include "attrprior/priors/fourier.hpp"
#include "attrprior/priors/prior.hpp"
#include "attrprior/priors/smoothness.hpp"
#include "attrprior/priors/sparsity.hpp"
#include "attrprior/report/progress.hpp"
#include "attrprior/report/svg.hpp"
#include "attrprior/train/losses.hpp"
#include "attrprior/train/optimizers.hpp"
#include "attrprior/train/profile.hpp"
#include "attrprior/train/step.hpp"

// The genomics part (FASTA through htslib, BED/narrowPeak, simulation, datasets) is in
// attrprior/genomics.hpp and the target attrprior::genomics.
