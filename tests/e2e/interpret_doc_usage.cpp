// The "From your own program" snippet of docs/interpret.md, compiled (not run: it needs a
// trained model and a genome) so that the documented calls stay the library's; the ctest
// docs.interpret_snippet_matches_source keeps the two texts equal.
// snippet: begin
#include <attrprior/attrprior.hpp>
#include <attrprior/genomics.hpp>
#include <attrprior/genomics/attribute_regions.hpp>
#include <attrprior/genomics/region_examples.hpp>
#include <attrprior/genomics/regions.hpp>
#include <attrprior/report/attribution_report.hpp>
#include <iostream>

namespace ap = attrprior;
namespace gx = attrprior::genomics;
namespace at = attrprior::attribution;

int main() {
    ap::io::SavedModel<float> saved = ap::io::load_model<float>("run/fourier");
    const ap::Index L = saved.model.input_shape(0).length;
    const gx::Fasta fasta("genome.fa");
    const gx::RegionWindows regions =
        gx::load_regions(gx::read_narrowpeak("peaks.narrowPeak"), fasta, L, {"peaks.narrowPeak"});
    std::cerr << regions.report.summary() << "\n";                 // what was skipped and why
    const gx::RegionExamples examples(fasta, regions.windows, L);  // binary model: no controls

    gx::AttributeOptions o;                                        // DeepSHAP, 20 shuffles, seed 0
    o.explain.method = at::parse_method("deepshap");
    const at::Target target = at::Target::logits();
    const gx::AttributeResult r = gx::attribute_regions(saved.model, examples, target, o, "interp",
                                                        gx::chromosome_sizes(fasta));
    ap::report::attribution_report("interp/report.svg",
                                   gx::attribution_report_data(r, examples.windows(), target.describe(),
                                                               regions.report.skipped()));
}
// snippet: end
