// Checks what the `stability` program wrote (ctest: after a reduced study ran):
// usage  check_stability_outputs DIR PRIORS FRACTIONS SEEDS METHODS   (lists comma-separated)
//  - every run directory runs/<prior>/fraction-<f>/seed-<s>/ has DONE, metrics.json, a saved
//    model and attributions.<method>.npy of shape P x L x 4 with P = the lines of examples.bed
//    (every model is compared on the same examples);
//  - stability.tsv has, for every (prior, fraction, method), one line per example, with the
//    regions of examples.bed in the same order, cosine and Jaccard in [-1, 1];
//  - stability.json has one group per (prior, fraction, method), each with P examples and
//    the seeds, median between the quartiles;
//  - the first group's lines of stability.tsv are what study::group_stability computes from
//    the saved attribution files, and a model compared with itself gives similarity 1;
//  - stability.svg is there with every panel's title and one logo per prior and seed.
// Prints what it checked; exits 1 with the first failure.
#include <cmath>
#include <cstdint>
#include <map>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <attrprior/genomics.hpp>
#include <attrprior/io/json.hpp>
#include <attrprior/io/npy.hpp>
#include <attrprior/study/stability.hpp>

namespace ap = attrprior;
namespace gx = attrprior::genomics;
using ap::Index;

namespace {

int fail(const std::string& why) {
    std::fprintf(stderr, "check_stability_outputs: FAIL: %s\n", why.c_str());
    return 1;
}

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::stringstream in(s);
    for (std::string item; std::getline(in, item, sep);) out.push_back(item);
    return out;
}

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ap::io_error("cannot read " + path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 6) return fail("usage: check_stability_outputs DIR PRIORS FRACTIONS SEEDS METHODS");
    const std::string dir = argv[1];
    const auto priors = split(argv[2], ','), fractions = split(argv[3], ','), seeds = split(argv[4], ','),
               methods = split(argv[5], ',');
    try {
        const auto regions = gx::read_bed(dir + "/examples.bed");
        const Index P = static_cast<Index>(regions.size());
        if (P < 1) return fail("examples.bed is empty");
        std::vector<std::string> names;
        for (const auto& r : regions) names.push_back(r.chrom + ":" + std::to_string(r.start) + "-" + std::to_string(r.end));
        const Index L = regions.front().end - regions.front().start;
        Index arrays = 0;
        for (const auto& p : priors)
            for (const auto& f : fractions)
                for (const auto& s : seeds) {
                    const std::string run = dir + "/runs/" + p + "/fraction-" + f + "/seed-" + s;
                    for (const char* file : {"/DONE", "/metrics.json", "/model.json", "/weights/manifest.json"})
                        if (!std::ifstream(run + file)) return fail(run + file + " is missing");
                    for (const auto& m : methods) {
                        const auto a = ap::io::read_npy<float>(run + "/attributions." + m + ".npy");
                        if (a.shape != std::vector<Index>{P, L, 4})
                            return fail(run + "/attributions." + m + ".npy does not have P x L x 4 = " +
                                        std::to_string(P) + " x " + std::to_string(L) + " x 4");
                        ++arrays;
                    }
                }
        // stability.tsv: the same examples, in order, for every group.
        std::ifstream tsv(dir + "/stability.tsv");
        std::string line;
        std::getline(tsv, line);
        if (line != "prior\tfraction\tmethod\texample\tregion\tcosine\tjaccard") return fail("stability.tsv header: " + line);
        std::vector<std::vector<std::string>> rows;
        while (std::getline(tsv, line)) rows.push_back(split(line, '\t'));
        const std::size_t groups = priors.size() * fractions.size() * methods.size();
        if (rows.size() != groups * static_cast<std::size_t>(P))
            return fail("stability.tsv has " + std::to_string(rows.size()) + " lines, not groups x examples = " +
                        std::to_string(groups * static_cast<std::size_t>(P)));
        for (std::size_t i = 0; i < rows.size(); ++i) {
            const auto& r = rows[i];
            if (r.size() != 7) return fail("stability.tsv line " + std::to_string(i + 2) + " does not have 7 columns");
            const std::size_t k = i % static_cast<std::size_t>(P);
            if (r[3] != std::to_string(k) || r[4] != names[k])
                return fail("stability.tsv line " + std::to_string(i + 2) + ": example " + r[3] + " " + r[4] +
                            ", expected " + std::to_string(k) + " " + names[k]);
            for (int c : {5, 6}) {
                const double v = std::stod(r[static_cast<std::size_t>(c)]);
                if (!(v >= -1.0 - 1e-9 && v <= 1.0 + 1e-9))
                    return fail("stability.tsv line " + std::to_string(i + 2) + ": similarity " + r[static_cast<std::size_t>(c)] +
                                " outside [-1, 1]");
            }
        }
        // The first group again, from the saved attributions; and a model against itself.
        {
            std::vector<ap::io::NpyArray<float>> arrays;
            std::vector<ap::ConstTensor3<float>> views;
            std::vector<std::uint64_t> seed_values;
            for (const auto& sd : seeds) {
                const std::string run = dir + "/runs/" + priors[0] + "/fraction-" + fractions[0] + "/seed-" + sd;
                arrays.push_back(ap::io::read_npy<float>(run + "/attributions." + methods[0] + ".npy"));
                seed_values.push_back(std::stoull(sd));
            }
            for (const auto& a : arrays) views.emplace_back(a.data.data(), P, L, 4);
            const auto g = ap::study::group_stability(priors[0], 1.0, methods[0], seed_values, views,
                                                      std::vector<std::map<std::string, double>>(seeds.size()));
            for (Index k = 0; k < P; ++k) {
                const auto& r = rows[static_cast<std::size_t>(k)];
                if (std::fabs(std::stod(r[5]) - g.cosine[static_cast<std::size_t>(k)]) > 1e-7 ||
                    std::fabs(std::stod(r[6]) - g.jaccard[static_cast<std::size_t>(k)]) > 1e-7)
                    return fail("stability.tsv example " + std::to_string(k) +
                                " differs from the similarities of the saved attributions");
            }
            const auto self = ap::study::group_stability(priors[0], 1.0, methods[0], {1, 2}, {views[0], views[0]},
                                                         {{}, {}});
            for (Index k = 0; k < P; ++k) {
                // Jaccard per base counts all-zero positions as 0 (docs/stability.md).
                Index nonzero_positions = 0;
                for (Index i = 0; i < L; ++i) {
                    bool nonzero = false;
                    for (Index c = 0; c < 4; ++c) nonzero = nonzero || views[0].slice(k)[i * 4 + c] != 0.f;
                    nonzero_positions += nonzero;
                }
                if (nonzero_positions > 0 &&
                    (std::fabs(self.cosine[static_cast<std::size_t>(k)] - 1.0) > 1e-9 ||
                     std::fabs(self.jaccard[static_cast<std::size_t>(k)] - double(nonzero_positions) / double(L)) > 1e-9))
                    return fail("a model compared with itself does not give similarity 1 at example " +
                                std::to_string(k));
            }
        }
        // stability.json: one group per (prior, fraction, method).
        const ap::io::Json j = ap::io::read_json_file(dir + "/stability.json");
        const auto& list = j.find("groups")->as_array();
        if (list.size() != groups) return fail("stability.json has " + std::to_string(list.size()) + " groups");
        for (const auto& g : list) {
            if (g.find("examples")->as_int64() != P) return fail("a group of stability.json has another example count");
            if (g.find("seeds")->as_array().size() != seeds.size()) return fail("a group of stability.json lacks seeds");
            for (const char* k : {"cosine", "jaccard"}) {
                const auto& q = *g.find(k);
                const double q1 = q.find("q1")->as_double(), med = q.find("median")->as_double(),
                             q3 = q.find("q3")->as_double();
                if (!(q1 <= med && med <= q3)) return fail(std::string("stability.json: ") + k + " quartiles out of order");
            }
            if (g.find("metrics")->find("auroc") == nullptr) return fail("stability.json: a group without auroc");
        }
        // The figure.
        const std::string svg = read_text(dir + "/stability.svg");
        std::vector<std::string> titles{"test auROC (mean +- sd over seeds)", "One test example ("};
        for (const auto& m : methods) {
            titles.push_back(m + ": continuous Jaccard across seeds");
            titles.push_back(m + ": cosine similarity across seeds");
        }
        for (const auto& p : priors)
            for (const auto& s : seeds) titles.push_back(p + ", seed " + s);
        for (const auto& t : titles)
            if (svg.find(t) == std::string::npos) return fail("stability.svg lacks the panel '" + t + "'");
        std::printf("check_stability_outputs: OK (%lld examples, %lld attribution arrays, %zu groups, %zu panels)\n",
                    static_cast<long long>(P), static_cast<long long>(arrays), groups, titles.size());
        return 0;
    } catch (const std::exception& e) {
        return fail(e.what());
    }
}
