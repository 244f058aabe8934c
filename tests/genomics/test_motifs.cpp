// Tests of attrprior/genomics/motifs.hpp: JASPAR and MEME readers, built-in motifs.
#include "attrprior/genomics/motifs.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

namespace ag = attrprior::genomics;
namespace fs = std::filesystem;

namespace {

/// A fresh scratch directory per test binary run, removed at exit.
class Scratch {
public:
    Scratch() {
        dir_ = fs::temp_directory_path() /
               ("attrprior_motifs_" + std::to_string(::getpid()));
        fs::create_directories(dir_);
    }
    ~Scratch() {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    std::string write(const std::string& name, const std::string& text) const {
        const std::string path = (dir_ / name).string();
        std::ofstream(path, std::ios::binary) << text;
        return path;
    }

private:
    fs::path dir_;
};

const Scratch& scratch() {
    static Scratch s;
    return s;
}

void expect_row(const std::array<double, 4>& row, double a, double c, double g, double t) {
    EXPECT_NEAR(row[0], a, 1e-12);
    EXPECT_NEAR(row[1], c, 1e-12);
    EXPECT_NEAR(row[2], g, 1e-12);
    EXPECT_NEAR(row[3], t, 1e-12);
}

/// Runs `read` on a file with `text` and checks that io_error names file:line and
/// contains `fragment`.
template <class Reader>
void expect_malformed(Reader read, const std::string& name, const std::string& text,
                      long line, const std::string& fragment) {
    const std::string path = scratch().write(name, text);
    try {
        read(path);
        ADD_FAILURE() << name << ": no io_error";
    } catch (const attrprior::io_error& e) {
        const std::string what = e.what();
        const std::string where = path + ":" + std::to_string(line) + ": ";
        EXPECT_NE(what.find(where), std::string::npos)
            << name << ": message '" << what << "' lacks '" << where << "'";
        EXPECT_NE(what.find(fragment), std::string::npos)
            << name << ": message '" << what << "' lacks '" << fragment << "'";
    } catch (const std::exception& e) {
        ADD_FAILURE() << name << ": wrong exception type: " << e.what();
    }
}

void jaspar_bad(const std::string& name, const std::string& text, long line,
                const std::string& fragment) {
    expect_malformed([](const std::string& p) { return ag::read_jaspar(p); }, name + ".jaspar",
                     text, line, fragment);
}

void meme_bad(const std::string& name, const std::string& text, long line,
              const std::string& fragment) {
    expect_malformed([](const std::string& p) { return ag::read_meme(p); }, name + ".meme",
                     text, line, fragment);
}

const char* kMemeHeader = "MEME version 4\n\nALPHABET= ACGT\n\nstrands: + -\n\n";

}  // namespace

// ---------------------------------------------------------------------------- JASPAR

TEST(ReadJaspar, PlainRowsSeveralMotifs) {
    const std::string path = scratch().write("plain.jaspar",
                                             ">MA0001.1 AGL3\n"
                                             "1 0 3\n"
                                             "1 2 0\n"
                                             "1 2 0\n"
                                             "1 0 1\n"
                                             "\n"
                                             ">MA0002.1\tRUNX1\n"
                                             "4\t0\n"
                                             "0\t0\n"
                                             "0\t4\n"
                                             "0\t0\n");
    const std::vector<ag::Motif> m = ag::read_jaspar(path);
    ASSERT_EQ(m.size(), 2u);
    EXPECT_EQ(m[0].id, "MA0001.1");
    EXPECT_EQ(m[0].name, "AGL3");
    ASSERT_EQ(m[0].length(), 3);
    expect_row(m[0].probabilities[0], 0.25, 0.25, 0.25, 0.25);
    expect_row(m[0].probabilities[1], 0, 0.5, 0.5, 0);
    expect_row(m[0].probabilities[2], 0.75, 0, 0, 0.25);
    EXPECT_EQ(m[1].id, "MA0002.1");
    EXPECT_EQ(m[1].name, "RUNX1");
    ASSERT_EQ(m[1].length(), 2);
    expect_row(m[1].probabilities[0], 1, 0, 0, 0);
    expect_row(m[1].probabilities[1], 0, 0, 1, 0);
}

TEST(ReadJaspar, BracketedRowsCrlfAndMissingName) {
    const std::string path = scratch().write("bracket.jaspar",
                                             ">MA0139.1\tCTCF\r\n"
                                             "A  [    87   167 ]\r\n"
                                             "C  [   291   145 ]\r\n"
                                             "G  [    76   414 ]\r\n"
                                             "T  [   459   187 ]\r\n"
                                             ">X1\r\n"
                                             "a[1 1]\r\n"
                                             "c [1 1]\r\n"
                                             "G[ 1 1 ]\r\n"
                                             "t [ 1 1]\r\n");
    const std::vector<ag::Motif> m = ag::read_jaspar(path);
    ASSERT_EQ(m.size(), 2u);
    EXPECT_EQ(m[0].name, "CTCF");
    ASSERT_EQ(m[0].length(), 2);
    expect_row(m[0].probabilities[0], 87.0 / 913, 291.0 / 913, 76.0 / 913, 459.0 / 913);
    expect_row(m[0].probabilities[1], 167.0 / 913, 145.0 / 913, 414.0 / 913, 187.0 / 913);
    EXPECT_EQ(m[1].id, "X1");
    EXPECT_EQ(m[1].name, "X1");  // no name: the id
    expect_row(m[1].probabilities[1], 0.25, 0.25, 0.25, 0.25);
}

TEST(ReadJaspar, PseudocountSmoothsColumns) {
    const std::string path =
        scratch().write("pseudo.jaspar", ">M1 F\n2 0\n0 0\n0 0\n0 4\n");
    const std::vector<ag::Motif> m = ag::read_jaspar(path, 1.0);
    ASSERT_EQ(m.size(), 1u);
    expect_row(m[0].probabilities[0], 3.0 / 6, 1.0 / 6, 1.0 / 6, 1.0 / 6);
    expect_row(m[0].probabilities[1], 1.0 / 8, 1.0 / 8, 1.0 / 8, 5.0 / 8);
    // A zero column is allowed once the pseudocount makes its total positive.
    const std::string zero = scratch().write("pseudo_zero.jaspar", ">M1\n0\n0\n0\n0\n");
    expect_row(ag::read_jaspar(zero, 0.5)[0].probabilities[0], 0.25, 0.25, 0.25, 0.25);
    EXPECT_THROW(ag::read_jaspar(path, -1.0), attrprior::invalid_argument);
    EXPECT_THROW(ag::read_jaspar(path, std::nan("")), attrprior::invalid_argument);
}

TEST(ReadJaspar, MissingFileIsIoError) {
    try {
        ag::read_jaspar("/nonexistent/dir/motifs.jaspar");
        FAIL() << "no exception";
    } catch (const attrprior::io_error& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent/dir/motifs.jaspar"),
                  std::string::npos);
    }
}

TEST(ReadJaspar, MalformedInputsNameFileAndLine) {
    jaspar_bad("row_before_header", "1 2\n3 4\n5 6\n7 8\n", 1, "before any");
    jaspar_bad("header_without_id", ">\n1\n1\n1\n1\n", 1, "without a matrix ID");
    jaspar_bad("header_spaces_only", ">   \n1\n1\n1\n1\n", 1, "without a matrix ID");
    jaspar_bad("ragged_rows", ">M1 X\n1 2 3\n1 2 3\n1 2\n1 2 3\n", 4, "different lengths");
    jaspar_bad("three_rows_then_header", ">M1 X\n1 2\n1 2\n1 2\n>M2 Y\n1\n1\n1\n1\n", 1,
               "3 count rows");
    jaspar_bad("three_rows_at_eof", "\n>M1 X\n1 2\n1 2\n1 2\n", 2, "3 count rows");
    jaspar_bad("five_rows", ">M1 X\n1\n1\n1\n1\n1\n", 6, "more than 4 count rows");
    jaspar_bad("non_numeric", ">M1 X\n1 2\n1 x\n1 2\n1 2\n", 3, "non-numeric count 'x'");
    jaspar_bad("not_finite", ">M1 X\n1 2\n1 2\n1 inf\n1 2\n", 4, "non-numeric count 'inf'");
    jaspar_bad("negative", ">M1 X\n1 2\n1 2\n1 2\n1 -2\n", 5, "negative count -2");
    jaspar_bad("zero_column", ">M1 X\n1 0\n1 0\n1 0\n1 0\n", 1, "column 2");
    jaspar_bad("labels_out_of_order", ">M1 X\nA [1]\nG [1]\nC [1]\nT [1]\n", 3,
               "row labelled 'G' where the C row");
    jaspar_bad("unknown_label", ">M1 X\nA [1]\nC [1]\nN [1]\nT [1]\n", 4,
               "unknown row label");
    jaspar_bad("unclosed_bracket", ">M1 X\nA [ 1 2\nC [1 2]\nG [1 2]\nT [1 2]\n", 2,
               "missing ']'");
    jaspar_bad("text_after_bracket", ">M1 X\nA [1 2]\nC [1 2] 3\nG [1 2]\nT [1 2]\n", 3,
               "after ']'");
    jaspar_bad("empty_row", ">M1 X\nA [ ]\nC [ ]\nG [ ]\nT [ ]\n", 2, "empty count row");
    jaspar_bad("empty_file", "", 1, "no motif found");
    jaspar_bad("only_blank_lines", "\n\n\n", 3, "no motif found");
}

// ---------------------------------------------------------------------------- MEME

TEST(ReadMeme, WithBackgroundSeveralMotifs) {
    const std::string path = scratch().write(
        "bg.meme", std::string(kMemeHeader) +
                       "Background letter frequencies (from uniform background):\n"
                       "A 0.30000 C 0.20000 G 0.20000 T 0.30000\n\n"
                       "MOTIF MA0035.4 GATA1\n"
                       "letter-probability matrix: alength= 4 w= 3 nsites= 20 E= 0\n"
                       "  0.1  0.2  0.3  0.4\n"
                       "  1.0  0.0  0.0  0.0\n"
                       "  0.25 0.25 0.25 0.25\n"
                       "URL http://example.org/MA0035.4\n\n"
                       "MOTIF second\n\n"
                       "letter-probability matrix: alength=4 w=2\n"
                       "0.333 0.333 0.334 0\n"
                       "0 0 0 1\n");
    const std::vector<ag::Motif> m = ag::read_meme(path);
    ASSERT_EQ(m.size(), 2u);
    EXPECT_EQ(m[0].id, "MA0035.4");
    EXPECT_EQ(m[0].name, "GATA1");
    ASSERT_EQ(m[0].length(), 3);
    expect_row(m[0].probabilities[0], 0.1, 0.2, 0.3, 0.4);
    expect_row(m[0].probabilities[1], 1, 0, 0, 0);
    EXPECT_EQ(m[1].id, "second");
    EXPECT_EQ(m[1].name, "second");
    ASSERT_EQ(m[1].length(), 2);
    expect_row(m[1].probabilities[1], 0, 0, 0, 1);
    for (const auto& motif : m) {
        for (const auto& row : motif.probabilities) {
            EXPECT_NEAR(row[0] + row[1] + row[2] + row[3], 1.0, 1e-12);
        }
    }
}

TEST(ReadMeme, WithoutBackgroundOrAlphabetAndWithoutW) {
    const std::string path = scratch().write("nobg.meme",
                                             "# comment before the version\r\n"
                                             "MEME version 5.4.1\r\n"
                                             "\r\n"
                                             "MOTIF m1 NAME ONE\r\n"
                                             "letter-probability matrix:\r\n"
                                             "0.5 0.5 0 0\r\n"
                                             "0 0 0.5 0.5\r\n"
                                             "\r\n"
                                             "MOTIF m2\r\n"
                                             "letter-probability matrix: alength= 4 w= 1\r\n"
                                             "1 0 0 0\r\n");
    const std::vector<ag::Motif> m = ag::read_meme(path);
    ASSERT_EQ(m.size(), 2u);
    EXPECT_EQ(m[0].name, "NAME ONE");
    ASSERT_EQ(m[0].length(), 2);
    expect_row(m[0].probabilities[1], 0, 0, 0.5, 0.5);
    ASSERT_EQ(m[1].length(), 1);
}

TEST(ReadMeme, SkipsLogOddsBlocks) {
    const std::string path = scratch().write(
        "logodds.meme", std::string(kMemeHeader) +
                            "MOTIF m1\n"
                            "log-odds matrix: alength= 4 w= 2 E= 0\n"
                            " 1.2 -3.0 -3.0 0.5\n"
                            " -2.0 1.9 -1.0 -1.0\n"
                            "letter-probability matrix: alength= 4 w= 2\n"
                            "0.7 0.1 0.1 0.1\n"
                            "0.1 0.7 0.1 0.1\n");
    const std::vector<ag::Motif> m = ag::read_meme(path);
    ASSERT_EQ(m.size(), 1u);
    expect_row(m[0].probabilities[0], 0.7, 0.1, 0.1, 0.1);
}

TEST(ReadMeme, MalformedInputsNameFileAndLine) {
    const std::string h = kMemeHeader;  // 6 lines
    const std::string ok_matrix = "letter-probability matrix: alength= 4 w= 1\n0.25 0.25 0.25 0.25\n";
    meme_bad("missing_version", "ALPHABET= ACGT\nMOTIF a\n" + ok_matrix, 1, "MEME version");
    meme_bad("empty_file", "", 1, "MEME version");
    meme_bad("alphabet_rna", "MEME version 4\nALPHABET= ACGU\nMOTIF a\n" + ok_matrix, 2,
             "unsupported alphabet 'ACGU'");
    meme_bad("custom_alphabet", "MEME version 5\nALPHABET \"DNA\" DNA-LIKE\n", 2,
             "custom alphabet");
    meme_bad("alength_20",
             h + "MOTIF a\nletter-probability matrix: alength= 20 w= 1\n0.25 0.25 0.25 0.25\n", 8,
             "alength= 20");
    meme_bad("w_not_integer", h + "MOTIF a\nletter-probability matrix: alength= 4 w= two\n", 8,
             "is not an integer");
    meme_bad("w_zero", h + "MOTIF a\nletter-probability matrix: alength= 4 w= 0\n", 8,
             "positive integer");
    meme_bad("w_too_large",
             h + "MOTIF a\nletter-probability matrix: alength= 4 w= 3\n"
                 "1 0 0 0\n0 1 0 0\nMOTIF b\n" + ok_matrix,
             11, "declares w= 3 but has 2 rows");
    meme_bad("w_too_large_at_eof",
             h + "MOTIF a\nletter-probability matrix: alength= 4 w= 3\n1 0 0 0\n", 9,
             "declares w= 3 but has 1 rows");
    meme_bad("w_too_small",
             h + "MOTIF a\nletter-probability matrix: alength= 4 w= 1\n1 0 0 0\n0 1 0 0\n", 10,
             "more rows");
    meme_bad("three_values", h + "MOTIF a\nletter-probability matrix: w= 1\n0.5 0.25 0.25\n",
             9, "3 values, expected 4");
    meme_bad("non_numeric", h + "MOTIF a\nletter-probability matrix: w= 1\n0.5 x 0.25 0.25\n",
             9, "non-numeric probability 'x'");
    meme_bad("negative", h + "MOTIF a\nletter-probability matrix: w= 1\n0.5 0.5 0.5 -0.5\n", 9,
             "negative probability -0.5");
    meme_bad("row_sum", h + "MOTIF a\nletter-probability matrix: w= 1\n0.1 0.1 0.1 0.1\n", 9,
             "sums to 0.4");
    meme_bad("zero_row", h + "MOTIF a\nletter-probability matrix: w= 1\n0 0 0 0\n", 9,
             "sums to zero");
    meme_bad("motif_without_matrix", h + "MOTIF a\nURL x\nMOTIF b\n" + ok_matrix, 7,
             "MOTIF 'a' has no letter-probability matrix");
    meme_bad("motif_without_id", h + "MOTIF\n" + ok_matrix, 7, "without an id");
    meme_bad("matrix_without_motif", h + ok_matrix, 7, "before any MOTIF");
    meme_bad("no_motif", h, 6, "no MOTIF found");
    meme_bad("bad_background", "MEME version 4\nBackground letter frequencies\nA 0.5 C 0.5\n", 3,
             "background frequencies");
    meme_bad("background_letter", "MEME version 4\nBackground letter frequencies\n"
                                  "A 0.25 C 0.25 G 0.25 U 0.25\n",
             3, "malformed background frequency 'U 0.25'");
    meme_bad("background_sum", "MEME version 4\nBackground letter frequencies\n"
                               "A 0.5 C 0.5 G 0.5 T 0.5\n",
             3, "sum to 2");
    meme_bad("stray_row", h + "0.25 0.25 0.25 0.25\n", 7, "outside a letter-probability");
    meme_bad("second_matrix",
             h + "MOTIF a\n" + ok_matrix + "letter-probability matrix: w= 1\n1 0 0 0\n", 10,
             "second letter-probability matrix");
}

// ---------------------------------------------------------------------------- built-in

TEST(BuiltinMotifs, ThreeJasparMatricesWithNormalisedRows) {
    const std::vector<ag::Motif>& all = ag::builtin_motifs();
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[0].name, "SPI1");
    EXPECT_EQ(all[0].id, "MA0080.5");
    EXPECT_EQ(all[1].name, "GATA1");
    EXPECT_EQ(all[1].id, "MA0035.3");
    EXPECT_EQ(all[2].name, "CTCF");
    EXPECT_EQ(all[2].id, "MA0139.1");
    EXPECT_EQ(all[0].length(), 20);
    EXPECT_EQ(all[1].length(), 11);
    EXPECT_EQ(all[2].length(), 19);
    for (const ag::Motif& m : all) {
        for (const auto& row : m.probabilities) {
            EXPECT_NEAR(row[0] + row[1] + row[2] + row[3], 1.0, 1e-12) << m.name;
            for (double p : row) EXPECT_GE(p, 0.0);
        }
    }
    auto consensus = [](const ag::Motif& m) {
        std::string s;
        for (const auto& row : m.probabilities) {
            int best = 0;
            for (int c = 1; c < 4; ++c) if (row[c] > row[best]) best = c;
            s += "ACGT"[best];
        }
        return s;
    };
    EXPECT_EQ(consensus(all[0]), "AAAAAAGAGGAAGTGAAAAA");  // GGAA ETS core
    EXPECT_EQ(consensus(all[1]), "TTCTTATCTGT");           // reverse of AGATAA (WGATAR)
    EXPECT_EQ(consensus(all[2]), "TGGCCACCAGGGGGCGCTA");   // CTCF core
    // Spot-check one published count column: CTCF position 5 is 8 / 903 / 0 / 2.
    expect_row(all[2].probabilities[4], 8.0 / 913, 903.0 / 913, 0, 2.0 / 913);
}

TEST(BuiltinMotifs, LookupByNameOrIdCaseInsensitive) {
    EXPECT_EQ(&ag::builtin_motif("SPI1"), &ag::builtin_motifs()[0]);
    EXPECT_EQ(&ag::builtin_motif("gata1"), &ag::builtin_motifs()[1]);
    EXPECT_EQ(&ag::builtin_motif("MA0139.1"), &ag::builtin_motifs()[2]);
    try {
        ag::builtin_motif("FOXA1");
        FAIL() << "no exception";
    } catch (const attrprior::invalid_argument& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("FOXA1"), std::string::npos);
        for (const char* name : {"SPI1", "GATA1", "CTCF"}) {
            EXPECT_NE(what.find(name), std::string::npos) << what;
        }
    }
}

// ------------------------------------------------------- Debian pscan-chip-data (optional)

// Debian's pscan-chip-data ships JASPAR matrices in plain-row pfm style. The test runs
// when the package is installed (or ATTRPRIOR_PSCAN_DIR points at a copy of its
// /usr/share/pscan-chip directory) and is skipped otherwise.
TEST(ReadJaspar, DebianPscanChipData) {
    std::vector<std::string> dirs;
    if (const char* env = std::getenv("ATTRPRIOR_PSCAN_DIR")) dirs.emplace_back(env);
    dirs.emplace_back("/usr/share/pscan-chip");
    std::string dir;
    for (const std::string& d : dirs) {
        if (fs::exists(fs::path(d) / "jaspar_2016.wil")) {
            dir = d;
            break;
        }
    }
    if (dir.empty()) GTEST_SKIP() << "pscan-chip-data is not installed";

    for (const char* file : {"jaspar_2014.wil", "jaspar_2016.wil"}) {
        const fs::path path = fs::path(dir) / file;
        if (!fs::exists(path)) continue;
        const std::vector<ag::Motif> motifs = ag::read_jaspar(path.string());
        EXPECT_GT(motifs.size(), 100u) << file;
        bool found_ctcf = false, found_gata1 = false;
        for (const ag::Motif& m : motifs) {
            EXPECT_GT(m.length(), 0);
            EXPECT_EQ(m.id.rfind("MA", 0), 0u) << m.id;
            for (const auto& row : m.probabilities) {
                ASSERT_NEAR(row[0] + row[1] + row[2] + row[3], 1.0, 1e-9) << m.id;
            }
            // The built-in CTCF and GATA1 matrices have the same counts as these copies.
            for (const char* id : {"MA0139.1", "MA0035.3"}) {
                if (m.id != id) continue;
                (m.id == "MA0139.1" ? found_ctcf : found_gata1) = true;
                const ag::Motif& builtin = ag::builtin_motif(id);
                EXPECT_TRUE(m.name == "CTCF" || m.name == "Gata1") << m.name;
                ASSERT_EQ(m.length(), builtin.length());
                for (int i = 0; i < m.length(); ++i) {
                    for (int c = 0; c < 4; ++c) {
                        EXPECT_NEAR(m.probabilities[i][c], builtin.probabilities[i][c], 1e-12)
                            << id << " position " << i;
                    }
                }
            }
        }
        EXPECT_TRUE(found_ctcf) << file;
        EXPECT_TRUE(found_gata1) << file;
    }
}
