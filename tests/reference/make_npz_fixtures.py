"""Writes the .npz fixtures of tests/io/test_npz.cpp and tests/genomics/test_npz_zlib.cpp.

Run from the repository root with the system Python and numpy:

    /usr/bin/python3 tests/reference/make_npz_fixtures.py

Every array holds known values (np.arange) that the tests check element by element.
"""
import io
import os
import zipfile

import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "data", "npz")


def arrays():
    return {
        # The shapes the attribute program uses: N x 4 x L and refs N x K x 4 x L.
        "ohe": np.arange(2 * 4 * 5, dtype=np.float32).reshape(2, 4, 5),
        "refs": (np.arange(2 * 3 * 4 * 5, dtype=np.float32) / 8).reshape(2, 3, 4, 5),
        "counts": np.arange(-3, 3, dtype=np.int64),
        "weights": np.linspace(0.0, 1.0, 7, dtype=np.float64),
    }


def npy_bytes(array):
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def fixed_date(name, compression):
    # A fixed timestamp so that regenerating the fixtures gives the same bytes.
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = compression
    return info


def main():
    os.makedirs(OUT, exist_ok=True)
    a = arrays()
    # Positional: one member arr_0 (np.savez's name), as TF-MoDISco-lite inputs.
    np.savez(os.path.join(OUT, "savez_arr0.npz"), a["ohe"])
    np.savez_compressed(os.path.join(OUT, "savez_compressed_arr0.npz"), a["ohe"])
    # Named members of several dtypes.
    np.savez(os.path.join(OUT, "savez_named.npz"), **a)
    np.savez_compressed(os.path.join(OUT, "savez_compressed_named.npz"), **a)
    # A member whose .npy header is malformed (a CRC-correct archive around it).
    with zipfile.ZipFile(os.path.join(OUT, "bad_npy_member.npz"), "w") as z:
        good = npy_bytes(a["counts"])
        z.writestr(fixed_date("arr_0.npy", zipfile.ZIP_STORED),
                   good.replace(b"'descr'", b"'descx'"))
    # A bzip2 member (method 12), which attrprior does not read.
    with zipfile.ZipFile(os.path.join(OUT, "bzip2_member.npz"), "w",
                         compression=zipfile.ZIP_BZIP2) as z:
        z.writestr(fixed_date("arr_0.npy", zipfile.ZIP_BZIP2), npy_bytes(a["counts"]))


if __name__ == "__main__":
    main()
