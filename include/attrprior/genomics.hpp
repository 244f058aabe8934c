// attrprior genomics: FASTA through htslib, bigWig tracks through libBigWig, BED/narrowPeak,
// one-hot encoding, motifs, the genome and coverage simulators, and the binary and profile
// dataset builders, the regions a saved model explains and per-base tracks over windows as
// bigWigs. Link with attrprior::genomics (needs htslib and libBigWig).
#pragma once

#include "attrprior/genomics/batching.hpp"
#include "attrprior/genomics/bigwig.hpp"
#include "attrprior/genomics/coverage.hpp"
#include "attrprior/genomics/dataset.hpp"
#include "attrprior/genomics/example_sets.hpp"
#include "attrprior/genomics/fasta.hpp"
#include "attrprior/genomics/intervals.hpp"
#include "attrprior/genomics/motifs.hpp"
#include "attrprior/genomics/negatives.hpp"
#include "attrprior/genomics/profile_dataset.hpp"
#include "attrprior/genomics/regions.hpp"
#include "attrprior/genomics/sequence.hpp"
#include "attrprior/genomics/simulate.hpp"
#include "attrprior/genomics/window_bigwig.hpp"
#include "attrprior/genomics/windows.hpp"
