"""Reference for attribution::recursive_seqlets (docs/attribution.md, "Seqlets").

An independent NumPy implementation written from the algorithm's description, kept
deliberately literal (full-width survival tables, repeated first-argmin decoding) so it
checks the C++ shortcuts (sparse convolution, sorted candidate decoding). Floating-point
operations run in the same order as tangermeme's loops, so bins and p-values come out
bitwise equal; the C++ test still allows 1e-12 on p-values.

Writes the fixtures under tests/data/seqlets/<case>/:
  X.npy          n x l track (float64, or float32 for the float32 case)
  options.npy    [threshold, min_length, max_length, flanks, bins] (float64)
  expected.npy   m x 5: example, start, end, attribution, p_value (positive seqlets)
  expected_both.npy  m x 6: the same plus sign, both signs merged

Run from the repository root: /usr/bin/python3 tests/reference/recursive_seqlets_reference.py
"""
import math
import os
import sys

import numpy as np


def survival_tables(X, bins, max_length):
    """Returns x_min, bin width and rcdf[L] for L = 0..max_length (rows of bins * max_length)."""
    x_max, x_min = float(X.max()), float(X.min())
    width = (x_max - x_min) / (bins - 1)
    entry_bins = np.floor((X - x_min) / width).astype(np.int64).ravel()
    assert entry_bins.min() >= 0 and entry_bins.max() <= bins - 1
    f = np.bincount(entry_bins, minlength=bins).astype(np.float64) / X.size

    width_all = bins * max_length
    pdf = np.zeros((max_length + 1, width_all))
    pdf[1, :bins] = f
    rcdf = np.zeros_like(pdf)
    rcdf[:, 0] = 1.0
    for L in range(2, max_length + 1):
        # Each target bin accumulates pdf[L-1, i] * f[j] in ascending i (tangermeme's order).
        for i in range(bins * (L - 1)):
            if pdf[L - 1, i] != 0.0:
                pdf[L, i:i + bins] += pdf[L - 1, i] * f
        row = rcdf[L].tolist()
        mass = pdf[L].tolist()
        for b in range(1, bins * L):
            row[b] = max(row[b - 1] - mass[b], 0.0)
        rcdf[L] = row
    return x_min, width, rcdf


def recursive_seqlets(X, threshold=0.01, min_length=4, max_length=25, flanks=0, bins=1000,
                      stats=None):
    X = np.asarray(X, dtype=np.float64)
    n, l = X.shape
    if n * l == 0 or l < min_length or X.max() == X.min():
        return []
    x_min, width, rcdf = survival_tables(X, bins, max_length)
    prefix = np.zeros((n, l + 1))
    for j in range(l):
        prefix[:, j + 1] = prefix[:, j] + X[:, j]

    seqlets = []
    for e in range(n):
        p = np.ones((max_length + 1, l))
        p[:min_length] = 0.0
        p[:, l - min_length] = 1.0
        for L in range(min_length, max_length + 1):
            sums = prefix[e, L:] - prefix[e, :l - L + 1]
            b = np.floor((sums - x_min * L) / width).astype(np.int64)
            if stats is not None:
                stats["clamped"] = stats.get("clamped", 0) + int((b < 0).sum())
            b = np.maximum(b, 0)  # a rounded-down bin -1 reads bin 0 (p = 1)
            assert b.max() < bins * max_length
            p[L, :l - L + 1] = np.maximum(rcdf[L, b], p[L - 1, :l - L + 1])

        for L in range(max_length, min_length - 1, -1):
            while True:
                k = int(np.argmin(p[L]))
                q = float(p[L, k])
                p[L, k] = 1.0
                if q >= threshold:
                    break
                if all(p[L - j, k + j] < threshold for j in range(1, L)):
                    p[:, k:min(k + L, l - 1)] = 1.0
                    start = max(k - flanks, 0)
                    end = min(k + L + flanks, l - 1)
                    seqlets.append((e, start, end, prefix[e, end] - prefix[e, start], q))
    order = sorted(range(len(seqlets)), key=lambda i: seqlets[i][4])  # stable
    return [seqlets[i] for i in order]


def both_signs(X, **options):
    positive = [s + (1,) for s in recursive_seqlets(X, **options)]
    negative = [(e, s, t, -a, q, -1) for (e, s, t, a, q) in recursive_seqlets(-np.asarray(X, np.float64), **options)]
    merged = positive + negative
    return sorted(merged, key=lambda s: s[4])  # stable: positive first on ties


def planted(rng, n, l, bumps, noise):
    X = rng.normal(0.0, noise, size=(n, l))
    for e in range(n):
        for _ in range(bumps):
            width = int(rng.integers(5, 15))
            start = int(rng.integers(0, l - width))
            sign = 1.0 if rng.random() < 0.7 else -1.0
            X[e, start:start + width] += sign * rng.uniform(0.3, 1.0) * np.hanning(width + 2)[1:-1]
    return X


def cases():
    rng = np.random.default_rng(20240611)
    yield "planted", planted(rng, 5, 200, 3, 0.05), {}
    # Many equal values: a quantised track, mostly exactly 0, so span sums at L * x_min
    # round to bin -1 and exercise the clamp; ties in p abound.
    Q = np.zeros((4, 120))
    Q[rng.random(Q.shape) < 0.15] = -0.1
    Q[rng.random(Q.shape) < 0.05] = 0.3
    Q[0, 30:38] = 0.7
    Q[2, 60:70] = 0.7
    Q[3, 10:40] = -0.1
    yield "ties", Q, {}
    yield "options", rng.laplace(0.0, 0.1, size=(6, 150)), dict(threshold=0.05, min_length=3,
                                                                max_length=10, flanks=2, bins=50)
    yield "float32", planted(rng, 3, 100, 2, 0.05).astype(np.float32), dict(bins=200, max_length=12)


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "tests/data/seqlets"
    for name, X, options in cases():
        full = dict(threshold=0.01, min_length=4, max_length=25, flanks=0, bins=1000)
        full.update(options)
        stats = {}
        positive = recursive_seqlets(X, stats=stats, **full)
        both = both_signs(X, **full)
        folder = os.path.join(root, name)
        os.makedirs(folder, exist_ok=True)
        np.save(os.path.join(folder, "X.npy"), X)
        np.save(os.path.join(folder, "options.npy"),
                np.array([full["threshold"], full["min_length"], full["max_length"], full["flanks"], full["bins"]],
                         dtype=np.float64))
        np.save(os.path.join(folder, "expected.npy"), np.array(positive, dtype=np.float64).reshape(-1, 5))
        np.save(os.path.join(folder, "expected_both.npy"), np.array(both, dtype=np.float64).reshape(-1, 6))
        print(f"{name}: X {X.shape} {X.dtype}, {len(positive)} positive, {len(both)} both signs, "
              f"{stats.get('clamped', 0)} lookups clamped from bin -1")


if __name__ == "__main__":
    main()
