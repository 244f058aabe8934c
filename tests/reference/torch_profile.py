#!/usr/bin/python3
"""PyTorch reference for the BPNet-style profile model with the Fourier attribution prior.

An independent implementation in PyTorch of docs/math.md §3, docs/double_backprop.md and
docs/models.md §3-5 (autograd does the double backprop), used to (a) produce float64
fixtures that tests/models/test_profile.cpp matches to 1e-8 and (b) time one training step
next to the C++ library. Not needed by
CI; run it with Debian's python3-torch (/usr/bin/python3), see tests/reference/README.md.

usage:
  torch_profile.py dump OUTDIR [--controls matched|shared|none] [--tasks 2] [--strands 2]
                   [--weighting probabilities|log_probabilities] [--batch 4]
                   [--input-length 200] [--filters 8] [--first-kernel 21]
                   [--dilations 2,4,8] [--profile-kernel 25] [--freq-limit 40]
                   [--softness 0.2 (negative: hard cut-off)] [--sigma 3] [--lam 50]
                   [--counts-weight 20] [--seed 0]
      float64 parameters, batch, outputs, losses and gradients as .npy + manifest.json
  torch_profile.py time [--batch 64] [--threads 2] [--repeats 3] [--no-prior | --prior-only]
      one Adam step of the paper-size model (1346 -> 1000, 64 filters, 1 task, 2 strands,
      matched controls, float32), with the prior (lambda 50, freq_limit 200) and without
      (task loss only); one line per variant, binary-script style:
      "torch <v> threads=2 profile B=64 L=1346 O=1000 tasks=1 controls=matched prior=True:
       median step 1234.5 ms (min 1200.0)"

Layouts. Inside the torch model tensors are channels-first (B x C x L); profiles are
B x T x S x O as in the authors' code. Files use the C++ layout (B x length x channels):
x B x L x 4, observed/logits B x O x (T*S) with channel t*S + s, control B x O x (Tc*S)
(Tc = T matched, 1 shared), log_counts B x 1 x (T*S).

Weight names. The torch model has one grouped 1x1 convolution (groups = T) per head,
prof_mix and count_mix, weight [T*S, 2S, 1]; group t reads (its S head strands, its S
control strands). The C++ preset has one Conv1d(2S -> S, k 1) per task reading the same
concatenation, so group t is rows t*S .. t*S+S-1 of the grouped weight: those rows are
written as prof_mix.<t>.weight [S, 2S, 1] / prof_mix.<t>.bias [S] (count_mix likewise).
Without controls there is no mixing layer (C++ names: no *_mix tensors).
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


# ---- model ------------------------------------------------------------------------------

class Profile(nn.Module):
    """docs/models.md §3-4: dilated residual-sum convolutions, cropped centre, both heads."""

    def __init__(self, input_length=1346, tasks=1, strands=2, controls="matched", filters=64,
                 first_kernel=21, dilated_kernel=3, dilations=(2, 4, 8, 16, 32, 64), profile_kernel=75):
        super().__init__()
        self.T, self.S, self.controls = tasks, strands, controls
        convs = [nn.Conv1d(4, filters, first_kernel, padding=(first_kernel - 1) // 2)]
        valid = input_length - (first_kernel - 1)
        for d in dilations:
            convs.append(nn.Conv1d(filters, filters, dilated_kernel, dilation=d, padding=d * (dilated_kernel - 1) // 2))
            valid -= d * (dilated_kernel - 1)
        self.dil_conv = nn.ModuleList(convs)
        self.input_length, self.valid = input_length, valid
        self.output_length = valid - profile_kernel + 1
        TS = tasks * strands
        self.prof_conv = nn.Conv1d(filters, TS, profile_kernel)
        self.count_dense = nn.Linear(filters, TS)
        if controls != "none":
            # the paper's grouped 1x1 convolutions: group t = (head strands of t, controls of t)
            self.prof_mix = nn.Conv1d(2 * TS, TS, 1, groups=tasks)
            self.count_mix = nn.Conv1d(2 * TS, TS, 1, groups=tasks)

    def trunk(self, x):
        """x: B x 4 x L -> the last layer's output cropped to its valid centre, B x F x valid."""
        running, h = None, None
        for i, conv in enumerate(self.dil_conv):
            h = F.relu(conv(x if i == 0 else running))
            running = h if running is None else running + h
        start = (h.shape[2] - self.valid) // 2
        return h[:, :, start:start + self.valid]

    def forward(self, x, control=None):
        """x: B x 4 x L; control: B x Tc x S x O (Tc = T matched, 1 shared) or None.
        Returns profile logits B x T x S x O and log counts B x T x S."""
        B, T, S = x.shape[0], self.T, self.S
        h = self.trunk(x)
        prof = self.prof_conv(h).view(B, T, S, -1)
        counts = self.count_dense(h.mean(dim=2)).view(B, T, S)
        if self.controls == "none":
            return prof, counts
        control = control.expand(B, T, S, control.shape[3])          # shared: one track, replicated
        prof = torch.cat([prof, control], dim=2).reshape(B, T * 2 * S, -1)
        prof = self.prof_mix(prof).view(B, T, S, -1)
        ccounts = control.sum(dim=3)                                 # raw sum, not its log
        counts = torch.cat([counts, ccounts], dim=2).reshape(B, T * 2 * S, 1)
        counts = self.count_mix(counts).view(B, T, S)
        return prof, counts

    def cpp_names(self):
        """(C++ name, torch parameter name, row block or None) in the C++ parameter order."""
        def plain(module):
            return [(f"{module}.{k}", f"{module}.{k}", None) for k in ("weight", "bias")]

        def per_task(module):  # group t of the grouped convolution = C++ layer <module>.<t>
            if self.controls == "none":
                return []
            return [(f"{module}.{t}.{k}", f"{module}.{k}", slice(t * self.S, (t + 1) * self.S))
                    for t in range(self.T) for k in ("weight", "bias")]

        out = []
        for i in range(len(self.dil_conv)):
            out += plain(f"dil_conv.{i}")
        return out + plain("prof_conv") + per_task("prof_mix") + plain("count_dense") + per_task("count_mix")


# ---- objective --------------------------------------------------------------------------

def attribution_target(logits, weighting="probabilities"):
    """s = sum over (b, t, s, o) of (z - mean_o z) * stop_grad(w), w = softmax_o z or its log."""
    w = F.softmax(logits, dim=-1) if weighting == "probabilities" else F.log_softmax(logits, dim=-1)
    return ((logits - logits.mean(dim=-1, keepdim=True)) * w.detach()).sum()


def profile_loss(logits, log_counts, observed, counts_weight=20.0):
    """Multinomial NLL (with its log-factorial terms) + counts_weight * MSE(log counts,
    log(1 + total)); each averaged over tasks x strands, then over the batch.
    logits, observed: B x T x S x O; log_counts: B x T x S."""
    n = observed.sum(dim=-1)
    log_p = F.log_softmax(logits, dim=-1)
    log_lik = torch.lgamma(n + 1) - torch.lgamma(observed + 1).sum(dim=-1) + (observed * log_p).sum(dim=-1)
    nll = (-log_lik).mean()
    mse = ((log_counts - torch.log1p(n)) ** 2).mean()
    return nll + counts_weight * mse


def gaussian_taps(sigma, dtype):
    t = torch.arange(-sigma, sigma + 1, dtype=dtype)
    k = torch.exp(-t * t / (2.0 * sigma * sigma))
    return k / k.sum()


def fourier_prior(attr, status, freq_limit, softness=0.2, sigma=3):
    """docs/math.md §3. attr: B x L x 4; status: B (1 = positive). softness None = hard cut-off."""
    track = attr.abs().sum(dim=2)                                         # B x L
    if sigma > 0:
        k = gaussian_taps(sigma, track.dtype).view(1, 1, -1)
        track = F.conv1d(track.unsqueeze(1), k, padding=sigma).squeeze(1)  # symmetric: conv = corr
    track = track[status == 1]
    if track.shape[0] == 0:
        return attr.sum() * 0
    mag = torch.fft.rfft(track, dim=1).abs()                              # R x (L/2 + 1)
    total = mag.sum(dim=1, keepdim=True)
    total = torch.where(total == 0, torch.ones_like(total), total)
    share = (mag / total)[:, 1:]
    j = torch.arange(share.shape[1], dtype=share.dtype)                   # j' = j - 1
    if softness is None:
        w = (j < freq_limit).to(share.dtype)
    else:
        x = (j - freq_limit + 1).clamp(min=1)
        w = torch.where(j < freq_limit, torch.ones_like(j), 1.0 / (1.0 + x ** softness))
    return (1 - (share * w).sum(dim=1)).mean()


def to_cpp_profile(t):
    """B x T x S x O -> B x O x (T*S), channel t*S + s."""
    B, T, S, O = t.shape
    return t.reshape(B, T * S, O).permute(0, 2, 1).contiguous()


def from_cpp_profile(a, T, S):
    """B x O x (T*S) -> B x T x S x O."""
    B, O, _ = a.shape
    return a.permute(0, 2, 1).reshape(B, T, S, O).contiguous()


def random_batch(B, L, O, T, S, controls, gen, dtype):
    """One-hot x (B x L x 4) and integer read counts in the C++ layouts."""
    x = F.one_hot(torch.randint(0, 4, (B, L), generator=gen), 4).to(dtype)
    observed = torch.randint(0, 6, (B, O, T * S), generator=gen).to(dtype)
    Tc = T if controls == "matched" else 1
    control = torch.randint(0, 4, (B, O, Tc * S), generator=gen).to(dtype) if controls != "none" else None
    return x, observed, control


def objective(model, x, observed, control, a, use_prior=True):
    """Everything one step computes. x, observed, control in the C++ layouts; x must
    require grad when use_prior. Returns a dict of tensors (graph kept)."""
    T, S = model.T, model.S
    ctrl = None if control is None else from_cpp_profile(control, control.shape[2] // S, S)
    logits, log_counts = model(x.transpose(1, 2), ctrl)
    task = profile_loss(logits, log_counts, from_cpp_profile(observed, T, S), a.counts_weight)
    r = {"logits": logits, "log_counts": log_counts, "task_loss": task}
    if not use_prior:
        r["total_loss"] = task
        return r
    s = attribution_target(logits, a.weighting)
    g, = torch.autograd.grad(s, x, create_graph=True)
    status = torch.ones(x.shape[0], dtype=torch.long)
    prior = fourier_prior(g * x, status, a.freq_limit, a.softness, a.sigma)
    r.update(input_grad=g, prior=prior, total_loss=task + a.lam * prior)
    return r


# ---- dump -------------------------------------------------------------------------------

def save(path, tensor):
    """float64 .npy in C order (autograd may hand back other strides; read_npy wants C)."""
    np.save(path, np.array(tensor.detach().numpy(), dtype=np.float64, order="C"))


def dump(a):
    out = a.out
    if not out:
        sys.exit("dump needs OUTDIR")
    os.makedirs(out, exist_ok=True)
    dtype = torch.float64
    torch.manual_seed(a.seed)
    dilations = [int(d) for d in a.dilations.split(",")]
    model = Profile(a.input_length, a.tasks, a.strands, a.controls, a.filters, a.first_kernel, 3, dilations,
                    a.profile_kernel).to(dtype).train()
    if model.output_length < 1:
        sys.exit(f"input length {a.input_length} leaves no profile output")
    if a.controls != "none":
        # Raw control sums are ~100s: shrink the weights that read them and centre the bias
        # near the targets (log(1 + total) ~ 5.8) so the counts term does not swamp the rest.
        with torch.no_grad():
            for t in range(a.tasks):
                rows = slice(t * a.strands, (t + 1) * a.strands)
                model.count_mix.weight[rows, a.strands:] *= 0.01
            model.count_mix.bias += 5.0
    B, L, O, T, S = a.batch, a.input_length, model.output_length, a.tasks, a.strands
    gen = torch.Generator().manual_seed(a.seed + 1)
    x, observed, control = random_batch(B, L, O, T, S, a.controls, gen, dtype)
    xr = x.clone().requires_grad_(True)
    r = objective(model, xr, observed, control, a)

    names = [n for n, _ in model.named_parameters()]
    params = [p for _, p in model.named_parameters()]
    grads = torch.autograd.grad(r["total_loss"], params, retain_graph=True)
    prior_grads = torch.autograd.grad(r["prior"], params, retain_graph=True, allow_unused=True)
    # None where the prior does not depend on a parameter (the counts head; biases, which
    # only move ReLU masks or shift logits the mean-centred target ignores)
    prior_grads = [torch.zeros_like(p) if g is None else g for p, g in zip(params, prior_grads)]
    by_name = {n: (p.detach(), g, gp) for n, p, g, gp in zip(names, params, grads, prior_grads)}
    written = []
    for cname, tname, rows in model.cpp_names():
        value, g, gp = by_name[tname]
        if rows is not None:  # group t of a grouped convolution = the C++ per-task layer t
            value, g, gp = value[rows], g[rows], gp[rows]
        save(f"{out}/{cname}.npy", value)
        save(f"{out}/grad.{cname}.npy", g)
        save(f"{out}/grad_prior.{cname}.npy", gp)
        written.append(cname)

    arrays = [("x", x), ("observed", observed), ("logits", to_cpp_profile(r["logits"].detach())),
              ("log_counts", r["log_counts"].detach().reshape(B, 1, T * S)),
              ("input_grad", r["input_grad"].detach()), ("task_loss", r["task_loss"].detach()),
              ("prior", r["prior"].detach()), ("total_loss", r["total_loss"].detach())]
    if control is not None:
        arrays.append(("control", control))
    for n, v in arrays:
        save(f"{out}/{n}.npy", v)
    manifest = {
        "generator": "tests/reference/torch_profile.py dump", "torch": torch.__version__,
        "parameters": written, "buffers": [],
        "grad": "grad.<name> = d(task_loss + lambda * prior)/d(param); grad_prior.<name> = d(prior)/d(param)",
        "layouts": {"x": "B x L x 4", "observed": "B x O x (T*S), channel t*S+s",
                    "control": "B x O x (Tc*S)", "logits": "B x O x (T*S)", "log_counts": "B x 1 x (T*S)",
                    "input_grad": "d s / d x, B x L x 4"},
        "batch": B, "input_length": L, "output_length": O, "tasks": T, "strands": S,
        "controls": a.controls, "filters": a.filters, "first_kernel": a.first_kernel, "dilated_kernel": 3,
        "dilations": dilations, "profile_kernel": a.profile_kernel, "weighting": a.weighting,
        "counts_weight": a.counts_weight, "multinomial_constant": True, "status": "all 1",
        "lambda": a.lam, "freq_limit": a.freq_limit, "softness": a.softness, "sigma": a.sigma, "seed": a.seed,
        "task_loss": r["task_loss"].item(), "prior": r["prior"].item(), "total_loss": r["total_loss"].item(),
    }
    with open(f"{out}/manifest.json", "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    print(f"wrote {len(written)} parameters and references to {out}: task {manifest['task_loss']:.6f} "
          f"prior {manifest['prior']:.6f} total {manifest['total_loss']:.6f}")


# ---- time -------------------------------------------------------------------------------

def time_steps(a):
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(1)
    dtype = torch.float32
    L, T, S = 1346, 1, 2
    variants = [True, False]
    if a.no_prior:
        variants = [False]
    if a.prior_only:
        variants = [True]
    cfg = argparse.Namespace(weighting="probabilities", counts_weight=20.0, lam=50.0, freq_limit=200,
                             softness=0.2, sigma=3)
    for use_prior in variants:
        model = Profile(L, T, S, "matched").to(dtype).train()
        O = model.output_length
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        x, observed, control = random_batch(a.batch, L, O, T, S, "matched", gen, dtype)

        def one_step():
            opt.zero_grad()
            xr = x.clone().requires_grad_(use_prior)
            objective(model, xr, observed, control, cfg, use_prior)["total_loss"].backward()
            opt.step()

        one_step()  # warm-up
        ts = []
        for _ in range(a.repeats):
            t0 = time.perf_counter()
            one_step()
            ts.append(time.perf_counter() - t0)
        ts.sort()
        print(f"torch {torch.__version__} threads={a.threads} profile B={a.batch} L={L} O={O} tasks={T} "
              f"controls=matched prior={use_prior}: median step {ts[len(ts) // 2] * 1e3:.1f} ms "
              f"(min {ts[0] * 1e3:.1f})", flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("mode", choices=["dump", "time"])
    p.add_argument("out", nargs="?")
    p.add_argument("--controls", choices=["matched", "shared", "none"], default="matched")
    p.add_argument("--tasks", type=int, default=2)
    p.add_argument("--strands", type=int, default=2, choices=[1, 2])
    p.add_argument("--weighting", choices=["probabilities", "log_probabilities"], default="probabilities")
    p.add_argument("--batch", type=int, default=None, help="dump: 4, time: 64")
    p.add_argument("--input-length", type=int, default=200)
    p.add_argument("--filters", type=int, default=8)
    p.add_argument("--first-kernel", type=int, default=21)
    p.add_argument("--dilations", default="2,4,8")
    p.add_argument("--profile-kernel", type=int, default=25)
    p.add_argument("--freq-limit", type=int, default=40)
    p.add_argument("--softness", type=float, default=0.2, help="negative = hard cut-off")
    p.add_argument("--sigma", type=int, default=3)
    p.add_argument("--lam", type=float, default=50.0)
    p.add_argument("--counts-weight", type=float, default=20.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", "--steps", type=int, default=3)
    p.add_argument("--no-prior", action="store_true", help="time: only the plain step")
    p.add_argument("--prior-only", action="store_true", help="time: only the step with the prior")
    a = p.parse_args()
    if a.softness < 0:
        a.softness = None
    if a.mode == "dump":
        a.batch = a.batch or 4
        dump(a)
    else:
        a.batch = a.batch or 64
        time_steps(a)


if __name__ == "__main__":
    main()
