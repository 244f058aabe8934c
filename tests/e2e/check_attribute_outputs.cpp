// Checks what the `attribute` program wrote into a directory (ctest: after attribute ran on
// a trained model): usage  check_attribute_outputs DIR METHOD [MAX_RELATIVE_DELTA]
//  - METHOD.ohe.npz and METHOD.attr.npz: float32 N x 4 x L (read with the library's reader),
//    the one-hot rows are one-hot or all zero, N = the rows of regions.bed;
//  - METHOD.bw holds, at every base of every region whose window no other region overlaps,
//    sum_c hypothetical * one-hot (the observed base's contribution), to float rounding;
//  - seqlets.bed: every seqlet lies inside the region its last column names, p < threshold;
//  - convergence.tsv (when present): every |relative delta| <= MAX_RELATIVE_DELTA.
// Prints what it checked; exits 1 with the first failure.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <attrprior/genomics.hpp>
#include <attrprior/io/npz.hpp>

namespace ap = attrprior;
namespace gx = attrprior::genomics;
using ap::Index;

namespace {

int fail(const std::string& why) {
    std::fprintf(stderr, "check_attribute_outputs: FAIL: %s\n", why.c_str());
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) return fail("usage: check_attribute_outputs DIR METHOD [MAX_RELATIVE_DELTA]");
    const std::string dir = argv[1], method = argv[2];
    const double max_delta = argc > 3 ? std::stod(argv[3]) : 1e-3;
    try {
        const auto regions = gx::read_bed(dir + "/regions.bed");
        const Index N = static_cast<Index>(regions.size());
        if (N == 0) return fail("regions.bed is empty");
        const auto ohe = ap::io::read_npz<float>(dir + "/" + method + ".ohe.npz");
        const auto attr = ap::io::read_npz<float>(dir + "/" + method + ".attr.npz");
        if (ohe.shape.size() != 3 || ohe.shape[0] != N || ohe.shape[1] != 4)
            return fail("ohe shape " + ap::io::detail::shape_repr(ohe.shape) + " is not N x 4 x L with N = " +
                        std::to_string(N));
        if (attr.shape != ohe.shape) return fail("attr shape differs from ohe shape");
        if (ohe.stored_type != ap::io::NpyType::float32 || attr.stored_type != ap::io::NpyType::float32)
            return fail("the arrays are not float32");
        const Index L = ohe.shape[2];
        for (Index b = 0; b < N; ++b)
            for (Index i = 0; i < L; ++i) {
                double sum = 0;
                for (Index c = 0; c < 4; ++c) {
                    const float v = ohe.data[static_cast<std::size_t>((b * 4 + c) * L + i)];
                    if (v != 0.f && v != 1.f) return fail("ohe holds a value other than 0 and 1");
                    sum += v;
                }
                if (sum > 1) return fail("ohe has two bases at one position");
            }
        std::printf("npz: %lld x 4 x %lld float32, one-hot\n", static_cast<long long>(N), static_cast<long long>(L));

        // The bigWig at bases no other region covers.
        std::map<std::string, std::vector<std::pair<Index, Index>>> spans;
        for (const auto& r : regions) spans[r.chrom].emplace_back(r.start, r.end);
        const gx::BigWigReader bw(dir + "/" + method + ".bw");
        Index checked = 0;
        double worst = 0;
        for (Index b = 0; b < N; ++b) {
            const gx::Interval& r = regions[static_cast<std::size_t>(b)];
            const std::vector<float> track = bw.read(r.chrom, r.start, r.end);
            for (Index i = 0; i < L; ++i) {
                const Index pos = r.start + i;
                int covering = 0;
                for (const auto& [s, e] : spans[r.chrom]) covering += (s <= pos && pos < e) ? 1 : 0;
                if (covering != 1) continue;
                double p = 0, scale = 0;
                for (Index c = 0; c < 4; ++c) {
                    const std::size_t k = static_cast<std::size_t>((b * 4 + c) * L + i);
                    p += double(attr.data[k]) * double(ohe.data[k]);
                    scale = std::max(scale, std::fabs(double(attr.data[k])));
                }
                const double err = std::fabs(p - double(track[static_cast<std::size_t>(i)]));
                worst = std::max(worst, err);
                if (err > 1e-6 * std::max(1.0, scale))
                    return fail("bigWig at " + r.chrom + ":" + std::to_string(pos) + " holds " +
                                std::to_string(track[static_cast<std::size_t>(i)]) + ", H * x gives " +
                                std::to_string(p));
                ++checked;
            }
        }
        if (checked == 0) return fail("no base of the bigWig could be checked (every base overlapped)");
        std::printf("bigWig: %lld bases equal sum_c H * x (largest difference %.3g)\n", static_cast<long long>(checked),
                    worst);

        std::ifstream seqlets(dir + "/seqlets.bed");
        if (!seqlets) return fail("no seqlets.bed");
        std::string line;
        Index count = 0;
        while (std::getline(seqlets, line)) {
            std::istringstream f(line);
            std::string chrom, name, dot;
            Index start = 0, end = 0, region = 0;
            double sum = 0, p = 0;
            int sign = 0;
            if (!(f >> chrom >> start >> end >> name >> sum >> dot >> p >> sign >> region))
                return fail("seqlets.bed line " + std::to_string(count + 1) + " has not 9 columns: " + line);
            if (region < 0 || region >= N) return fail("seqlet names region " + std::to_string(region));
            const gx::Interval& r = regions[static_cast<std::size_t>(region)];
            if (chrom != r.chrom || start < r.start || end > r.end || start >= end)
                return fail("seqlet " + line + " is not inside its region " + r.chrom + ":" + std::to_string(r.start) +
                            "-" + std::to_string(r.end));
            if (!(p < 0.01) || (sign != 1 && sign != -1) || (sign > 0) != (sum > 0))
                return fail("seqlet " + line + " has a p-value >= 0.01 or a sign that is not its sum's");
            ++count;
        }
        std::printf("seqlets.bed: %lld seqlets, each inside its region\n", static_cast<long long>(count));

        std::ifstream conv(dir + "/convergence.tsv");
        if (conv) {
            std::getline(conv, line);  // header
            Index pairs = 0;
            double largest = 0;
            while (std::getline(conv, line)) {
                const double rel = std::stod(line.substr(line.rfind('\t') + 1));
                largest = std::max(largest, rel);
                if (!(rel <= max_delta)) return fail("convergence.tsv: relative delta " + std::to_string(rel) + " > " +
                                                     std::to_string(max_delta) + ": " + line);
                ++pairs;
            }
            if (pairs == 0) return fail("convergence.tsv has no rows");
            std::printf("convergence.tsv: %lld pairs, largest relative delta %.3g\n", static_cast<long long>(pairs),
                        largest);
        }
    } catch (const std::exception& e) {
        return fail(e.what());
    }
    std::printf("check_attribute_outputs: OK\n");
    return 0;
}
