// attrprior — Fourier-transform attribution priors for genomics CNNs (header-only).
// The umbrella header: includes every public part of the core library.
#pragma once

#include "attrprior/core/error.hpp"
#include "attrprior/core/fftw.hpp"
#include "attrprior/core/tensor.hpp"
#include "attrprior/io/npy.hpp"
#include "attrprior/priors/fourier.hpp"
#include "attrprior/priors/prior.hpp"
#include "attrprior/priors/smoothness.hpp"
#include "attrprior/priors/sparsity.hpp"
