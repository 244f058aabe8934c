// attrprior genomics: FASTA through htslib, bigWig tracks through libBigWig, BED/narrowPeak,
// one-hot encoding, motifs, the genome and coverage simulators, and the binary and profile
// dataset builders, the regions a saved model explains or predicts (attribute_regions,
// predict_regions) and per-base tracks over windows as bigWigs. Link with
// attrprior::genomics (needs htslib, libBigWig and zlib).
#pragma once

#include "attrprior/genomics/attribute_regions.hpp"
#include "attrprior/genomics/batching.hpp"
#include "attrprior/genomics/bigwig.hpp"
#include "attrprior/genomics/coverage.hpp"
#include "attrprior/genomics/dataset.hpp"
#include "attrprior/genomics/example_sets.hpp"
#include "attrprior/genomics/fasta.hpp"
#include "attrprior/genomics/intervals.hpp"
#include "attrprior/genomics/motifs.hpp"
#include "attrprior/genomics/negatives.hpp"
#include "attrprior/genomics/predict_regions.hpp"
#include "attrprior/genomics/profile_dataset.hpp"
#include "attrprior/genomics/profile_tracks.hpp"
#include "attrprior/genomics/region_examples.hpp"
#include "attrprior/genomics/regions.hpp"
#include "attrprior/genomics/sequence.hpp"
#include "attrprior/genomics/simulate.hpp"
#include "attrprior/genomics/window_bigwig.hpp"
#include "attrprior/genomics/windows.hpp"
