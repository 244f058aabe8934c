#!/usr/bin/python3
"""PyTorch reference for the attribution toolkit (gradient x input, ISM, DeepLIFT/DeepSHAP,
integrated and expected gradients), float64, eval mode.

Written independently of the C++ library from the rules stated in tests/reference/README.md
("Attribution methods"); it produces the fixtures under tests/data/attribution_<model>/ that
the C++ attribution tests compare against, and times the same methods in PyTorch. Not needed
by CI; run it with Debian's python3-torch (/usr/bin/python3).

usage:
  torch_attribution.py dump OUTDIR --model {binary,profile_small,profile_paper,maxpool}
                       [--seed 0] [--batch B] [--refs K]
      parameters (C++ names), inputs, references, controls, and for every target of the
      model f(x), gradient x input, ISM, DeepLIFT (Rescale) with K fixed references, IG
      (Gauss-Legendre 50 and trapezoid 10, zero baseline; Gauss-Legendre 50 with reference 0
      as baseline) and EG, as float64 .npy, plus manifest.json
  torch_attribution.py time --model {binary,profile} --method {deepshap,ism,ig,grad}
                       [--threads 2] [--repeats 3] [--n COUNT]
      float32 timing: binary L 1000 (1 task, 256 sequences) or the paper profile model
      (1346 -> 1000, 1 task, matched controls, 64 sequences); one line per run:
      "torch <v> threads=N <model> <method> n=<count>: min <ms> ms over R repeats"

Layouts. Sequences are N x L x 4 (positions x channels A,C,G,T) as in the C++ library; the
torch modules work channels-first internally. Controls are stored in the C++ layout
B x O x (T*S) (channel t*S + s) and fed to the torch model as B x T x S x O.

DeepLIFT is a doubled batch [x-rows; r-rows] through the same modules, with ReLU and
MaxPool1d replaced by autograd Functions whose backward computes ONE multiplier per
(example, reference) pair from both halves (Rescale rule for ReLU, cross-max routing with
accumulation for MaxPool1d) and hands the same cotangent to both halves; every other layer
(convolutions, linear, BatchNorm in eval mode, residual sums, crops, the control mixing and
the frozen readouts) uses the ordinary autograd backward.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

EPS_RELU = 1e-6
EPS_POOL = 1e-7


# ---- nonlinearities: ordinary or DeepLIFT (doubled batch) -------------------------------

class _Mode:
    deeplift = False


MODE = _Mode()


def _safe_div(num, den, use):
    return num / torch.where(use, den, torch.ones_like(den))


class RescaleReLU(torch.autograd.Function):
    """Input: doubled batch [x-rows; r-rows]. Forward: max(h, 0). Backward: one multiplier
    m = dy/dh where |dh| >= 1e-6, else the gradient at x (1 if h(x) > 0), applied to the
    x-half cotangent and returned to both halves."""

    @staticmethod
    def forward(ctx, h):
        ctx.save_for_backward(h)
        return h.clamp(min=0)

    @staticmethod
    def backward(ctx, g):
        h, = ctx.saved_tensors
        n = h.shape[0] // 2
        hx, hr = h[:n], h[n:]
        dh = hx - hr
        dy = hx.clamp(min=0) - hr.clamp(min=0)
        use = dh.abs() >= EPS_RELU
        m = torch.where(use, _safe_div(dy, dh, use), (hx > 0).to(h.dtype))
        c = g[:n] * m
        return torch.cat([c, c])


def window_max(h, k, s):
    """Max over windows of MaxPool1d(k, s) and the absolute position of the FIRST maximum
    of each window. h: N x C x L -> (N x C x W values, N x C x W int64 positions)."""
    win = h.unfold(2, k, s)                                    # N x C x W x k
    mx = win.max(dim=3).values
    ar = torch.arange(k)
    first = torch.where(win == mx.unsqueeze(3), ar, torch.full_like(ar, k)).min(dim=3).values
    W = win.shape[2]
    return mx, first + (torch.arange(W) * s).view(1, 1, W)


class RescaleMaxPool(torch.autograd.Function):
    """Doubled-batch MaxPool1d(k, s) with cross-max routing and accumulation:
    C[a_w] += g_w (M_w - y'_w), C[a'_w] += g_w (y_w - M_w), G[a_w] += g_w (sums over every
    window containing a position), cotangent_in = C / dx where |dx| >= 1e-7, else G."""

    @staticmethod
    def forward(ctx, h, k, s):
        y, pos = window_max(h, k, s)
        ctx.save_for_backward(h, y, pos)
        return y

    @staticmethod
    def backward(ctx, g):
        h, y, pos = ctx.saved_tensors
        n = h.shape[0] // 2
        yx, yr, ax, ar = y[:n], y[n:], pos[:n], pos[n:]
        gw = g[:n]
        M = torch.maximum(yx, yr)
        C = torch.zeros_like(h[:n])
        C.scatter_add_(2, ax, gw * (M - yr))
        C.scatter_add_(2, ar, gw * (yx - M))
        G = torch.zeros_like(h[:n])
        G.scatter_add_(2, ax, gw)
        dx = h[:n] - h[n:]
        use = dx.abs() >= EPS_POOL
        c = torch.where(use, _safe_div(C, dx, use), G)
        return torch.cat([c, c]), None, None


class Act(nn.Module):
    def forward(self, h):
        return RescaleReLU.apply(h) if MODE.deeplift else F.relu(h)


class Pool(nn.Module):
    def __init__(self, k, s):
        super().__init__()
        self.k, self.s = k, s

    def forward(self, h):
        return RescaleMaxPool.apply(h, self.k, self.s) if MODE.deeplift else F.max_pool1d(h, self.k, self.s)


# ---- models -----------------------------------------------------------------------------

class Binary(nn.Module):
    """The paper's binary model; module indices as PyTorch's nn.Sequential numbers them, which
    are the C++ preset's names (conv.0 / conv.2 BatchNorm / ..., fc.0 ... fc.5, out)."""

    def __init__(self, length, tasks, filters=64, kernels=(15, 15, 13), pool=40, dense=(50, 15)):
        super().__init__()
        layers, ch, n = [], 4, length
        for k in kernels:
            layers += [nn.Conv1d(ch, filters, k), Act(), nn.BatchNorm1d(filters)]
            ch, n = filters, n - (k - 1)
        self.conv = nn.Sequential(*layers)
        self.pool = Pool(pool, pool)
        n = (n - pool) // pool + 1
        fc, feat = [], filters * n
        for w in dense:
            fc += [nn.Linear(feat, w), Act(), nn.BatchNorm1d(w)]
            feat = w
        self.fc = nn.Sequential(*fc)
        self.out = nn.Linear(feat, tasks)
        self.options = {"length": length, "tasks": tasks, "filters": filters, "kernels": list(kernels),
                        "pool": pool, "dense": list(dense), "batchnorm": True}

    def forward(self, x, control=None):
        h = self.pool(self.conv(x.transpose(1, 2))).flatten(1)   # channel-major, c*W + t
        return {"logits": self.out(self.fc(h))}

    def cpp_tensors(self):
        out = [(n, p) for n, p in self.named_parameters()]
        out += [(n, b) for n, b in self.named_buffers() if n.endswith("running_mean") or n.endswith("running_var")]
        return out


class Profile(nn.Module):
    """BPNet-style profile model with matched controls (one control per task)."""

    def __init__(self, input_length, tasks, strands, filters, first_kernel, dilations, profile_kernel,
                 dilated_kernel=3):
        super().__init__()
        self.T, self.S = tasks, strands
        convs = [nn.Conv1d(4, filters, first_kernel, padding=(first_kernel - 1) // 2)]
        valid = input_length - (first_kernel - 1)
        for d in dilations:
            convs.append(nn.Conv1d(filters, filters, dilated_kernel, dilation=d,
                                   padding=d * (dilated_kernel - 1) // 2))
            valid -= d * (dilated_kernel - 1)
        self.dil_conv = nn.ModuleList(convs)
        self.act = Act()
        self.valid = valid
        self.output_length = valid - profile_kernel + 1
        TS = tasks * strands
        self.prof_conv = nn.Conv1d(filters, TS, profile_kernel)
        self.count_dense = nn.Linear(filters, TS)
        self.prof_mix = nn.Conv1d(2 * TS, TS, 1, groups=tasks)     # group t: (head strands, control strands)
        self.count_mix = nn.Conv1d(2 * TS, TS, 1, groups=tasks)
        self.options = {"input_length": input_length, "output_length": self.output_length, "tasks": tasks,
                        "strands": strands, "controls": "matched", "filters": filters,
                        "first_kernel": first_kernel, "dilated_kernel": dilated_kernel,
                        "dilations": list(dilations), "profile_kernel": profile_kernel}

    def forward(self, x, control):
        """x: N x L x 4; control: N x T x S x O. Profile logits N x T x S x O, log counts N x T x S."""
        N, T, S = x.shape[0], self.T, self.S
        running, h = None, None
        for i, conv in enumerate(self.dil_conv):
            h = self.act(conv(x.transpose(1, 2) if i == 0 else running))
            running = h if running is None else running + h
        start = (h.shape[2] - self.valid) // 2
        h = h[:, :, start:start + self.valid]
        prof = self.prof_conv(h).view(N, T, S, -1)
        prof = torch.cat([prof, control], dim=2).reshape(N, T * 2 * S, -1)
        prof = self.prof_mix(prof).view(N, T, S, -1)
        counts = self.count_dense(h.mean(dim=2)).view(N, T, S)
        counts = torch.cat([counts, control.sum(dim=3)], dim=2).reshape(N, T * 2 * S, 1)
        counts = self.count_mix(counts).view(N, T, S)
        return {"profile": prof, "counts": counts}

    def cpp_tensors(self):
        out = []
        for i in range(len(self.dil_conv)):
            out += [(f"dil_conv.{i}.{k}", getattr(self.dil_conv[i], k)) for k in ("weight", "bias")]
        out += [(f"prof_conv.{k}", getattr(self.prof_conv, k)) for k in ("weight", "bias")]
        rows = lambda t: slice(t * self.S, (t + 1) * self.S)
        out += [(f"prof_mix.{t}.{k}", getattr(self.prof_mix, k)[rows(t)]) for t in range(self.T)
                for k in ("weight", "bias")]
        out += [(f"count_dense.{k}", getattr(self.count_dense, k)) for k in ("weight", "bias")]
        out += [(f"count_mix.{t}.{k}", getattr(self.count_mix, k)[rows(t)]) for t in range(self.T)
                for k in ("weight", "bias")]
        return out


class MaxPoolNet(nn.Module):
    """Small model with overlapping (4, 2) and stacked (5, 3) max-pools."""

    ARCH = ("conv1 Conv1d(4->6, k 5, valid) -> ReLU -> MaxPool1d(kernel 4, stride 2) -> "
            "conv2 Conv1d(6->5, k 3, dilation 2, same padding 2) -> ReLU -> MaxPool1d(kernel 5, stride 3) -> "
            "Flatten (channel-major, feature c*5 + t) -> fc1 Linear(25->3) -> ReLU -> fc2 Linear(3->2)")

    def __init__(self, length=40):
        super().__init__()
        self.conv1 = nn.Conv1d(4, 6, 5)
        self.act1 = Act()
        self.pool1 = Pool(4, 2)
        self.conv2 = nn.Conv1d(6, 5, 3, dilation=2, padding=2)
        self.act2 = Act()
        self.pool2 = Pool(5, 3)
        n = (length - 4 - 4) // 2 + 1
        n = (n - 5) // 3 + 1
        self.fc1 = nn.Linear(5 * n, 3)
        self.act3 = Act()
        self.fc2 = nn.Linear(3, 2)
        self.options = {"length": length, "architecture": self.ARCH, "pool1_out": (length - 8) // 2 + 1,
                        "pool2_out": n, "flatten_features": 5 * n}

    def forward(self, x, control=None):
        h = self.pool1(self.act1(self.conv1(x.transpose(1, 2))))
        h = self.pool2(self.act2(self.conv2(h))).flatten(1)
        return {"y": self.fc2(self.act3(self.fc1(h)))}

    def cpp_tensors(self):
        return list(self.named_parameters())


def randomize_batchnorm(model, gen):
    """Non-trivial eval-mode BatchNorm: random gamma, beta, running mean and positive variance."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm1d):
                C = m.num_features
                m.weight.copy_(0.5 + torch.rand(C, generator=gen, dtype=m.weight.dtype))
                m.bias.copy_(0.2 * torch.randn(C, generator=gen, dtype=m.weight.dtype))
                m.running_mean.copy_(0.3 * torch.rand(C, generator=gen, dtype=m.weight.dtype))
                m.running_var.copy_(0.2 + 1.3 * torch.rand(C, generator=gen, dtype=m.weight.dtype))


def to_torch_control(c, T, S):
    """C++ layout B x O x (T*S) -> B x T x S x O."""
    B, O, _ = c.shape
    return c.permute(0, 2, 1).reshape(B, T, S, O).contiguous()


# ---- targets ----------------------------------------------------------------------------

def make_targets(kind, model, x, ctrl, task=1):
    """Target name -> function(outputs, example index per row) -> f per row. Profile
    readout weights are computed once at the explained examples x and frozen."""
    if kind == "binary":
        return {"sum": lambda o, e: o["logits"].sum(1),
                "task1": lambda o, e: o["logits"][:, task]}
    if kind == "maxpool":
        return {"sum": lambda o, e: o["y"].sum(1)}
    with torch.no_grad():
        z = model(x, ctrl)["profile"]
    Wp, Wl = F.softmax(z, dim=-1).detach(), F.log_softmax(z, dim=-1).detach()

    def readout(W, only_task=None):
        def f(o, e):
            zz = o["profile"]
            terms = W[e] * (zz - zz.mean(dim=-1, keepdim=True))     # N x T x S x O
            if only_task is not None:
                terms = terms[:, only_task]
            return terms.flatten(1).sum(1)
        return f

    t = {"profile": readout(Wp), "profile_logprob": readout(Wl),
         "counts": lambda o, e: o["counts"].flatten(1).sum(1)}
    if kind == "profile_small":
        t["profile_task1"] = readout(Wp, task)
    return t


class Problem:
    def __init__(self, model, ctrl, chunk=256):
        self.model, self.ctrl, self.chunk = model, ctrl, chunk

    def _ctrl(self, e):
        return None if self.ctrl is None else self.ctrl[e]

    def evaluate(self, xs, e, targets):
        """f of every target on the rows xs (N x L x 4), row i explained for example e[i]."""
        out = {n: [] for n in targets}
        with torch.no_grad():
            for i in range(0, xs.shape[0], self.chunk):
                xe, ee = xs[i:i + self.chunk], e[i:i + self.chunk]
                o = self.model(xe, self._ctrl(ee))
                for n, fn in targets.items():
                    out[n].append(fn(o, ee))
        return {n: torch.cat(v) for n, v in out.items()}

    def grad(self, xs, e, target):
        """(f, df/dx) per row for one target."""
        fs, gs = [], []
        for i in range(0, xs.shape[0], self.chunk):
            xe = xs[i:i + self.chunk].clone().requires_grad_(True)
            ee = e[i:i + self.chunk]
            f = target(self.model(xe, self._ctrl(ee)), ee)
            g, = torch.autograd.grad(f.sum(), xe)
            fs.append(f.detach())
            gs.append(g)
        return torch.cat(fs), torch.cat(gs)

    def deeplift(self, x, refs, target):
        """x: B x L x 4; refs: B x K x L x 4. Returns multipliers B x K x L x 4, f(x) and f(r)
        (B x K) from one doubled batch per chunk of pairs."""
        B, K, L, C = refs.shape
        X = x.repeat_interleave(K, 0)
        R = refs.reshape(B * K, L, C)
        e = torch.arange(B).repeat_interleave(K)
        ms, fxs, frs = [], [], []
        step = max(1, self.chunk // 2)
        MODE.deeplift = True
        try:
            for i in range(0, B * K, step):
                xe, re, ee = X[i:i + step], R[i:i + step], e[i:i + step]
                n = xe.shape[0]
                inp = torch.cat([xe, re]).requires_grad_(True)
                e2 = torch.cat([ee, ee])
                f = target(self.model(inp, self._ctrl(e2)), e2)
                g, = torch.autograd.grad(f.sum(), inp)
                ms.append(g[:n])
                fxs.append(f[:n].detach())
                frs.append(f[n:].detach())
        finally:
            MODE.deeplift = False
        return (torch.cat(ms).reshape(B, K, L, C), torch.cat(fxs).reshape(B, K), torch.cat(frs).reshape(B, K))


def ism_mutants(x):
    """All single-base substitutions of every example (the observed base skipped; at N rows
    all four). Returns mutants N x L x 4, example index, position, base."""
    B, L, C = x.shape
    muts, ex, pos, base = [], [], [], []
    for b in range(B):
        for i in range(L):
            for c in range(C):
                if x[b, i, c] == 1:
                    continue
                m = x[b].clone()
                m[i] = 0
                m[i, c] = 1
                muts.append(m)
                ex.append(b)
                pos.append(i)
                base.append(c)
    return torch.stack(muts), torch.tensor(ex), torch.tensor(pos), torch.tensor(base)


def centre(a):
    return a - a.mean(dim=-1, keepdim=True)


def hypothetical(m, r):
    """m[i,c] - <m[i,:], r[i,:]> (the DeepLIFT hypothetical formula for one reference)."""
    return m - (m * r).sum(dim=-1, keepdim=True)


def gauss_legendre(n):
    xi, w = np.polynomial.legendre.leggauss(n)
    return (1 + xi) / 2, w / 2


def trapezoid(n):
    a = np.linspace(0.0, 1.0, n)
    w = np.full(n, 1.0 / n)
    w[0] /= 2
    w[-1] /= 2
    return a, w


# ---- dump -------------------------------------------------------------------------------

DEFAULTS = {
    "binary": dict(batch=3, refs=3, length=201),
    "profile_small": dict(batch=3, refs=3, length=200),
    "profile_paper": dict(batch=2, refs=2, length=446),
    "maxpool": dict(batch=3, refs=3, length=40),
}


def build_model(kind, length):
    if kind == "binary":
        return Binary(length, 2)
    if kind == "profile_small":
        return Profile(length, 2, 2, 8, 21, (2, 4, 8), 25)
    if kind == "profile_paper":
        return Profile(length, 1, 2, 64, 21, (2, 4, 8, 16, 32, 64), 75)
    if kind == "maxpool":
        return MaxPoolNet(length)
    raise ValueError(kind)


def make_inputs(B, K, L, gen, dtype):
    """One-hot x with N rows (example 1: a run of 3 N; example 2 - or example 1 when B = 2 -
    a single N) and K references per example: position permutations of x (so they carry x's N
    rows elsewhere), plus an N row in reference 1 of example 0."""
    x = F.one_hot(torch.randint(0, 4, (B, L), generator=gen), 4).to(dtype)
    n_rows = {}
    if B > 1:
        run = L // 3
        x[1, run:run + 3] = 0
        n_rows[1] = [run, run + 1, run + 2]
        single = (2 * L) // 3
        b = 2 if B > 2 else 1
        x[b, single] = 0
        n_rows.setdefault(b, []).append(single)
    refs = torch.stack([torch.stack([x[b, torch.randperm(L, generator=gen)] for _ in range(K)]) for b in range(B)])
    if K > 1:
        refs[0, 1, L // 2] = 0
    return x, refs, n_rows


def save(path, t):
    a = t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
    if a.dtype.kind == "f":
        a = a.astype(np.float64)
    np.save(path, np.ascontiguousarray(a))


def dump(a):
    out = a.out or sys.exit("dump needs OUTDIR")
    os.makedirs(out, exist_ok=True)
    d = DEFAULTS[a.model]
    B, K, L = a.batch or d["batch"], a.refs or d["refs"], d["length"]
    dtype = torch.float64
    torch.manual_seed(a.seed)
    model = build_model(a.model, L).to(dtype)
    gen = torch.Generator().manual_seed(a.seed + 1)
    randomize_batchnorm(model, gen)
    model.eval()
    T = S = None
    if isinstance(model, Profile):
        T, S = model.T, model.S
        with torch.no_grad():   # keep the raw control totals (~ hundreds) from swamping the counts
            for t in range(T):
                model.count_mix.weight[t * S:(t + 1) * S, S:] *= 0.01
    x, refs, n_rows = make_inputs(B, K, L, gen, dtype)
    control = ctrl = None
    if isinstance(model, Profile):
        control = torch.randint(0, 5, (B, model.output_length, T * S), generator=gen).to(dtype)
        ctrl = to_torch_control(control, T, S)
    kind = a.model
    targets = make_targets(kind, model, x, ctrl)
    prob = Problem(model, ctrl)
    shapes, report = {}, {}

    def put(name, t):
        save(f"{out}/{name}.npy", t)
        shapes[f"{name}.npy"] = list(np.shape(t.detach().numpy() if isinstance(t, torch.Tensor) else t))

    ex = torch.arange(B)
    f_all = prob.evaluate(x, ex, targets)

    # ISM: one pass of raw outputs over all mutants serves every target
    muts, mex, mpos, mbase = ism_mutants(x)
    f_mut = prob.evaluate(muts, mex, targets)

    # fixed IG/EG settings
    gl_a, gl_w = gauss_legendre(50)
    tr_a, tr_w = trapezoid(10)
    Sg = 4
    eg_index = (torch.arange(Sg) % K).repeat(B, 1)
    eg_alpha = torch.rand(B, Sg, generator=gen, dtype=dtype)

    def ig(target, baseline, alphas, weights):
        n = len(alphas)
        al = torch.tensor(alphas, dtype=dtype).view(1, n, 1, 1)
        w = torch.tensor(weights, dtype=dtype).view(1, n, 1, 1)
        pts = (baseline.unsqueeze(1) + al * (x - baseline).unsqueeze(1)).reshape(B * n, L, 4)
        _, g = prob.grad(pts, ex.repeat_interleave(n), target)
        gbar = (w * g.reshape(B, n, L, 4)).sum(1)
        attr = (x - baseline) * gbar
        with torch.no_grad():
            fb = target(model(baseline, None if ctrl is None else ctrl), ex)
        delta = attr.sum((1, 2)) - (f_x - fb)
        return attr, gbar, delta, hypothetical(gbar, baseline)

    for tname, target in targets.items():
        p = lambda n: f"{tname}.{n}"
        f_x, g = prob.grad(x, ex, target)
        assert torch.allclose(f_x, f_all[tname], rtol=1e-12, atol=1e-12)
        put(p("f_x"), f_x)
        put(p("grad"), g)
        put(p("grad_H"), centre(g))
        put(p("grad_P"), centre(g) * x)

        delta = torch.zeros(B, L, 4, dtype=dtype)
        delta[mex, mpos, mbase] = f_mut[tname] - f_x[mex]
        put(p("ism_delta"), delta)
        put(p("ism_H"), centre(delta))
        put(p("ism_P"), centre(delta) * x)

        m, fx_dl, fr = prob.deeplift(x, refs, target)
        dl_delta = (m * (x.unsqueeze(1) - refs)).sum((2, 3)) - (fx_dl - fr)
        Hk = hypothetical(m, refs)                                   # B x K x L x 4
        dl_H = Hk.mean(1)
        is_n = (x.sum(-1) == 0).to(dtype)                            # B x L
        ncontrib = is_n * (-(m * refs).sum(-1)).mean(1)
        put(p("dl_mult"), m)
        put(p("dl_H"), dl_H)
        put(p("dl_P"), dl_H * x)
        put(p("dl_f_ref"), fr)
        put(p("dl_delta"), dl_delta)
        put(p("dl_ncontrib"), ncontrib)
        scale = torch.maximum(torch.ones_like(fx_dl), fx_dl.abs())
        max_rel = (dl_delta.abs() / scale).max().item()
        # completeness of the projected scores with the N track: sum(P + n) = mean_k (f(x) - f(r_k) + delta_k)
        comp = ((dl_H * x).sum((1, 2)) + ncontrib.sum(1) - (f_x.unsqueeze(1) - fr + dl_delta).mean(1)).abs().max().item()
        fx_err = (fx_dl - f_x.unsqueeze(1)).abs().max().item()

        zero = torch.zeros_like(x)
        ig_res = {"ig_gl50": ig(target, zero, gl_a, gl_w), "ig_trap10": ig(target, zero, tr_a, tr_w),
                  "ig_ref_gl50": ig(target, refs[:, 0].contiguous(), gl_a, gl_w)}
        for name, (attr, gbar, dlt, H) in ig_res.items():
            put(p(f"{name}_attr"), attr)
            put(p(f"{name}_gbar"), gbar)
            put(p(f"{name}_delta"), dlt)
            if name != "ig_trap10":
                put(p(f"{name}_H"), H)

        r_s = refs[torch.arange(B).unsqueeze(1), eg_index]                 # B x S x L x 4
        pts = r_s + eg_alpha.view(B, Sg, 1, 1) * (x.unsqueeze(1) - r_s)
        _, g_s = prob.grad(pts.reshape(B * Sg, L, 4), ex.repeat_interleave(Sg), target)
        put(p("eg_attr"), ((x.unsqueeze(1) - r_s) * g_s.reshape(B, Sg, L, 4)).mean(1))

        report[tname] = {"dl_max_abs_delta": dl_delta.abs().max().item(), "dl_max_rel_delta": max_rel,
                         "dl_completeness_with_ncontrib": comp, "dl_fx_vs_fx": fx_err,
                         "max_abs_f_x": f_x.abs().max().item(), "max_abs_f_ref": fr.abs().max().item(),
                         "ig_gl50_max_abs_delta": ig_res["ig_gl50"][2].abs().max().item(),
                         "ig_trap10_max_abs_delta": ig_res["ig_trap10"][2].abs().max().item(),
                         "ig_ref_gl50_max_abs_delta": ig_res["ig_ref_gl50"][2].abs().max().item()}
        ok = max_rel <= 1e-10
        print(f"{a.model} {tname}: f(x) {[round(v, 6) for v in f_x.tolist()]}  DeepLIFT max|delta| "
              f"{report[tname]['dl_max_abs_delta']:.3g} (relative {max_rel:.3g}, {'ok' if ok else 'FAIL'}); "
              f"sum(P)+sum(n) vs mean(f(x)-f(r)+delta) {comp:.3g}; "
              f"IG delta gl50 {report[tname]['ig_gl50_max_abs_delta']:.3g} trap10 "
              f"{report[tname]['ig_trap10_max_abs_delta']:.3g} ref {report[tname]['ig_ref_gl50_max_abs_delta']:.3g}",
              flush=True)
        if not ok:
            sys.exit("summation-to-delta violated")

    put("eg_ref_index", eg_index.to(torch.int64))
    put("eg_alpha", eg_alpha)
    put("x", x)
    put("refs", refs)
    if control is not None:
        put("control", control)
    names = []
    for n, t in model.cpp_tensors():
        put(n, t)
        names.append(n)

    manifest = {
        "generator": "tests/reference/torch_attribution.py", "torch": torch.__version__,
        "command": f"/usr/bin/python3 tests/reference/torch_attribution.py dump {out} --model {a.model}"
                   + (f" --seed {a.seed}" if a.seed else "") + (f" --batch {a.batch}" if a.batch else "")
                   + (f" --refs {a.refs}" if a.refs else ""),
        "model": a.model, "options": model.options, "batch": B, "references": K, "length": L,
        "n_rows": {str(b): v for b, v in n_rows.items()},
        "reference_n_rows": {"0": {"1": [L // 2]}} if K > 1 else {},
        "tensors": names,
        "parameters": [n for n in names if not (n.endswith("running_mean") or n.endswith("running_var"))],
        "buffers": [n for n in names if n.endswith("running_mean") or n.endswith("running_var")],
        "targets": list(targets),
        "target_definitions": TARGET_DOC[kind if kind in TARGET_DOC else "profile"],
        "task_index": "task1 = task index 1 (0-based, i.e. the second task)",
        "deeplift": {"eps_relu": EPS_RELU, "eps_pool": EPS_POOL,
                     "relu": "m = dy/dh if |dh| >= eps_relu else 1[h(x) > 0]",
                     "maxpool": "cross-max routing accumulated over overlapping windows, first argmax, "
                                "fallback = ordinary max-pool backward at x where |dx| < eps_pool"},
        "ig": {"gl50": "Gauss-Legendre n 50, alpha (1 + xi)/2, w omega/2, zero baseline",
               "trap10": "alpha linspace(0, 1, 10), w 1/10 halved at both ends (sum 0.9), zero baseline",
               "ref_gl50": "Gauss-Legendre n 50, baseline = refs[:, 0]"},
        "eg": {"samples": Sg, "ref_index": "s % K (eg_ref_index.npy)", "alpha": "eg_alpha.npy"},
        "tolerances": {"relative_to_tensor_max": 1e-10, "dl_delta": "|delta| <= 1e-10 * max(1, |f(x)|)"},
        "files": FILE_DOC,
        "shapes": shapes,
        "measured": report,
    }
    if control is not None:
        manifest["control_layout"] = "B x O x (T*S), channel t*S + s; every evaluation for example b uses control[b]"
    with open(f"{out}/manifest.json", "w") as fh:
        json.dump(manifest, fh, indent=1)
        fh.write("\n")
    total = sum(os.path.getsize(f"{out}/{f}") for f in os.listdir(out))
    print(f"wrote {len(shapes)} arrays ({total / 1e6:.2f} MB) to {out}")


TARGET_DOC = {
    "binary": {"sum": "sum over tasks of the logits", "task1": "logit of task index 1"},
    "maxpool": {"sum": "sum of the 2 outputs"},
    "profile": {
        "profile": "sum_{t,s,o} W (z - mean_o z), W = softmax_o z(x) frozen at the explained example",
        "profile_logprob": "the same with W = log_softmax_o z(x), frozen",
        "counts": "sum over tasks and strands of the predicted log counts",
        "profile_task1": "profile target restricted to task index 1 (profile_small only)"},
}

FILE_DOC = {
    "<target>.f_x": "B: f at x",
    "<target>.grad": "B x L x 4: df/dx at x",
    "<target>.grad_H / grad_P": "g - mean_c g; grad_H * x",
    "<target>.ism_delta": "B x L x 4: f(x with row i set to base c) - f(x); 0 at the observed base; all 4 at N rows",
    "<target>.ism_H / ism_P": "ism_delta - mean_c ism_delta; ism_H * x",
    "<target>.dl_mult": "B x K x L x 4: DeepLIFT input multipliers per (example, reference)",
    "<target>.dl_H / dl_P": "mean_k (m_k - <m_k[i,:], r_k[i,:]>); dl_H * x",
    "<target>.dl_f_ref": "B x K: f(r_k) with the example's frozen readout and controls",
    "<target>.dl_delta": "B x K: sum m (x - r) - (f(x) - f(r))",
    "<target>.dl_ncontrib": "B x L: at N rows of x, mean_k -<m_k[i,:], r_k[i,:]>; 0 elsewhere",
    "<target>.ig_<v>_attr / _gbar / _delta / _H": "IG (x - x') * gbar, gbar, sum attr - (f(x) - f(x')), "
                                                  "gbar - <gbar, x'> per position (no _H for trap10)",
    "<target>.eg_attr": "B x L x 4: (1/S) sum_s (x - r_s) * grad f(r_s + alpha_s (x - r_s))",
    "eg_ref_index / eg_alpha": "B x S: reference index and alpha of EG sample s",
    "x / refs / control": "B x L x 4 / B x K x L x 4 / B x O x (T*S)",
}


# ---- time -------------------------------------------------------------------------------

def time_mode(a):
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(1)
    dtype = torch.float32
    if a.model == "binary":
        L, n, model, ctrl_all = 1000, 256, Binary(1000, 1), None
        kind = "binary"
    else:
        L, n = 1346, 64
        model = Profile(L, 1, 2, 64, 21, (2, 4, 8, 16, 32, 64), 75)
        kind = "profile_paper"
    n = a.n or n
    model = model.to(dtype)
    randomize_batchnorm(model, gen)
    model.eval()
    x = F.one_hot(torch.randint(0, 4, (n, L), generator=gen), 4).to(dtype)
    ctrl_all = None
    if kind != "binary":
        ctrl_all = to_torch_control(torch.randint(0, 5, (n, model.output_length, 2), generator=gen).to(dtype), 1, 2)
    bs = 64
    refs = None
    if a.method == "deepshap":   # 20 references per example (random position shuffles), made once
        refs = torch.stack([torch.stack([x[b, torch.randperm(L, generator=gen)] for _ in range(20)])
                            for b in range(n)])

    def run():
        targets = make_targets(kind, model, x, ctrl_all)      # profile: W frozen at x (one forward)
        target = targets["sum" if kind == "binary" else "profile"]
        prob = Problem(model, ctrl_all, chunk=bs)
        ex = torch.arange(n)
        if a.method == "grad":
            _, g = prob.grad(x, ex, target)
            return g * x
        if a.method == "ig":
            al, w = gauss_legendre(50)
            al_t = torch.tensor(al, dtype=dtype).view(1, 50, 1, 1)
            w_t = torch.tensor(w, dtype=dtype).view(1, 50, 1, 1)
            res = []
            for b in range(0, n, 8):   # 8 examples x 50 points = rows, in batches of 64
                xb = x[b:b + 8]
                pts = (al_t * xb.unsqueeze(1)).reshape(-1, L, 4)
                _, g = prob.grad(pts, torch.arange(b, b + xb.shape[0]).repeat_interleave(50), target)
                res.append(xb * (w_t * g.reshape(xb.shape[0], 50, L, 4)).sum(1))
            return torch.cat(res)
        if a.method == "deepshap":
            prob.chunk = 2 * bs     # 64 (example, reference) pairs = a doubled batch of 128 rows
            m, _, _ = prob.deeplift(x, refs, target)
            return hypothetical(m, refs).mean(1)
        if a.method == "ism":
            res = []
            with torch.no_grad():
                f0 = target(model(x, None if ctrl_all is None else ctrl_all), ex)
                for b in range(n):
                    muts, mex, mpos, mbase = ism_mutants(x[b:b + 1])
                    e = torch.full((muts.shape[0],), b, dtype=torch.long)
                    f = prob.evaluate(muts, e, {"t": target})["t"]
                    d = torch.zeros(L, 4, dtype=dtype)
                    d[mpos, mbase] = f - f0[b]
                    res.append(centre(d))
            return torch.stack(res)
        raise ValueError(a.method)

    ts = []
    for _ in range(a.repeats):
        t0 = time.perf_counter()
        run()
        ts.append(time.perf_counter() - t0)
    print(f"torch {torch.__version__} threads={a.threads} {a.model} {a.method} n={n}: min {min(ts) * 1e3:.1f} ms "
          f"over {a.repeats} repeats", flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("mode", choices=["dump", "time"])
    p.add_argument("out", nargs="?")
    p.add_argument("--model", required=True,
                   choices=["binary", "profile_small", "profile_paper", "maxpool", "profile"])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch", type=int, default=None)
    p.add_argument("--refs", type=int, default=None)
    p.add_argument("--method", choices=["deepshap", "ism", "ig", "grad"], default="grad")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--n", type=int, default=None, help="time: number of sequences (default 256 binary, 64 profile)")
    a = p.parse_args()
    if a.mode == "dump":
        if a.model == "profile":
            sys.exit("dump: use profile_small or profile_paper")
        dump(a)
    else:
        if a.model not in ("binary", "profile"):
            sys.exit("time: --model binary or profile")
        time_mode(a)


if __name__ == "__main__":
    main()
