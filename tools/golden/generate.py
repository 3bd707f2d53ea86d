#!/usr/bin/env python3
"""Golden-fixture generator for momenta.

Runs real ``torch.optim`` optimizers (PyTorch 1.13, foreach=False) on a small
seeded noisy quadratic problem and writes their trajectories and state
snapshots to ``packages/optim/test/golden/fixtures/`` as JSON (float arrays base64-encoded,
little-endian raw bytes).

Where PyTorch 1.13 differs from current PyTorch (which momenta follows), the
current behaviour is emulated on top of 1.13; see ``tools/golden/README.md``
and the ``EMULATION`` comments below.

Run with Debian's interpreter (python3-torch):  /usr/bin/python3 tools/golden/generate.py
Output is deterministic: running twice gives byte-identical files.
"""

import base64
import json
import math
import os
import struct
from typing import List

import torch
import torch.optim.nadam as _nadam_module
from torch import Tensor

# --------------------------------------------------------------------------
# Problem definition
# --------------------------------------------------------------------------

SEED = 20240611
STEPS = 200
SNAPSHOT_STEPS = (1, 50, 150)
DIVERGENCE_BOUND = 100.0

# Sorted dotted paths, in this exact order.
LEAVES = [
    ("dense.bias", [3]),
    ("dense.weight", [3, 4]),
    ("layers.0", [5]),
    ("layers.1", [2, 2]),
    ("scale", [1]),
]


def _numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


LEAF_INFO = []
_off = 0
for _path, _shape in LEAVES:
    _size = _numel(_shape)
    LEAF_INFO.append({"path": _path, "shape": list(_shape), "offset": _off, "size": _size})
    _off += _size
N = _off
assert N == 25
PATHS = [leaf["path"] for leaf in LEAF_INFO]

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
OUT_DIR = os.path.join(REPO_ROOT, "packages", "optim", "test", "golden", "fixtures")


def make_problem():
    """Draw a, c, init, noise in float64 from a seeded generator."""
    g = torch.Generator()
    g.manual_seed(SEED)
    lo, hi = math.log(0.1), math.log(2.0)
    u = torch.rand(N, generator=g, dtype=torch.float64)
    a = torch.exp(lo + u * (hi - lo)).clamp(0.1, 2.0)  # log-uniform in [0.1, 2]
    c = torch.randn(N, generator=g, dtype=torch.float64)  # Normal(0, 1)
    init = torch.randn(N, generator=g, dtype=torch.float64)  # Normal(0, 1)
    noise = torch.randn(STEPS, N, generator=g, dtype=torch.float64) * 0.1  # Normal(0, 0.1)
    return a, c, init, noise


# --------------------------------------------------------------------------
# Encoding helpers
# --------------------------------------------------------------------------

DTYPES = {"float64": torch.float64, "float32": torch.float32}
_PACK = {torch.float64: "d", torch.float32: "f"}


def b64(t: Tensor) -> str:
    """Base64 of the little-endian raw bytes of a float64/float32 tensor."""
    t = t.detach().contiguous().reshape(-1)
    code = _PACK[t.dtype]
    # .tolist() widens float32 to Python floats exactly; packing with "<f"
    # narrows back exactly, so this is the tensor's raw little-endian bytes.
    raw = struct.pack("<%d%s" % (t.numel(), code), *t.tolist())
    return base64.b64encode(raw).decode("ascii")


def flat(tensors) -> Tensor:
    return torch.cat([t.detach().reshape(-1) for t in tensors])


# --------------------------------------------------------------------------
# EMULATION: NAdam mu_product_next bug (PyTorch 1.13) -> current PyTorch
# --------------------------------------------------------------------------
#
# torch 1.13's _single_tensor_nadam computes
#     mu_product_next = mu_product * mu * mu_next
# i.e. it multiplies by mu twice (mu_product was already updated in place by
# `mu_product *= mu` just above). Fixed in PyTorch 2.0 by pytorch PR #92699
# ("[optim][NAdam] Fix discrepancy between mt vs st impl"), which made the
# single-tensor path agree with the foreach path. Current PyTorch computes
#     mu_product_next = _get_value(mu_product) * mu_next
# i.e. the product of the Python float value of mu_product and mu_next, which
# is also exactly what 1.13's own foreach path (_multi_tensor_nadam) does:
#     (1. - mu_product.item() * mu_next)
# We use `mu_product.item() * mu_next`. In float64 runs this is bit-identical
# to the tensor expression `mu_product * mu_next`; in float32 runs it avoids
# rounding the product to float32 (matching current PyTorch exactly).
#
# NAdam.step -> nadam() -> looks up the module-global name
# `_single_tensor_nadam` at call time, so replacing that attribute of
# torch.optim.nadam is sufficient. The call counter below is asserted on.

NADAM_PATCH_CALLS = [0]


def _single_tensor_nadam_fixed(params: List[Tensor],
                               grads: List[Tensor],
                               exp_avgs: List[Tensor],
                               exp_avg_sqs: List[Tensor],
                               mu_products: List[Tensor],
                               state_steps: List[Tensor],
                               *,
                               beta1: float,
                               beta2: float,
                               lr: float,
                               weight_decay: float,
                               momentum_decay: float,
                               eps: float):
    # Faithful copy of torch 1.13 torch/optim/nadam.py::_single_tensor_nadam,
    # with the single mu_product_next line fixed (see above).
    NADAM_PATCH_CALLS[0] += 1

    for i, param in enumerate(params):
        grad = grads[i]
        exp_avg = exp_avgs[i]
        exp_avg_sq = exp_avg_sqs[i]
        mu_product = mu_products[i]
        step_t = state_steps[i]
        # update step
        step_t += 1
        step = step_t.item()

        bias_correction2 = 1 - beta2 ** step

        if weight_decay != 0:
            grad = grad.add(param, alpha=weight_decay)

        # calculate the momentum cache \mu^{t} and \mu^{t+1}
        mu = beta1 * (1. - 0.5 * (0.96 ** (step * momentum_decay)))
        mu_next = beta1 * (1. - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))

        # update mu_product
        mu_product *= mu
        # FIXED (1.13 had: mu_product_next = mu_product * mu * mu_next)
        mu_product_next = mu_product.item() * mu_next

        # decay the first and second moment running average coefficient
        exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
        exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)

        denom = exp_avg_sq.div(bias_correction2).sqrt().add_(eps)
        param.addcdiv_(grad, denom, value=-lr * (1. - mu) / (1. - mu_product.item()))
        param.addcdiv_(exp_avg, denom, value=-lr * mu_next / (1. - mu_product_next))


# Sanity-check that we are patching the function we think we are patching.
assert hasattr(_nadam_module, "_single_tensor_nadam")
assert "mu_product_next = mu_product * mu * mu_next" in open(_nadam_module.__file__).read(), \
    "torch's nadam.py no longer contains the 1.13 bug; revisit the NAdam emulation"
_nadam_module._single_tensor_nadam = _single_tensor_nadam_fixed

# --------------------------------------------------------------------------
# Configurations
# --------------------------------------------------------------------------
# Each entry: (config name, momenta options (camelCase, only explicit ones),
# optional noDecay list). Every config runs in float64 and float32.

CONFIGS = {
    "sgd": [
        ("plain", {"lr": 0.05}, None),
        ("momentum-dampening-wd", {"lr": 0.03, "momentum": 0.9, "dampening": 0.1, "weightDecay": 0.01}, None),
        ("nesterov-wd", {"lr": 0.02, "momentum": 0.9, "nesterov": True, "weightDecay": 0.001}, None),
        # lr 0.01 from the brief changed to 0.004: gradient ascent on this convex quadratic
        # grows exponentially; at lr 0.01 max |p| reached ~1415 (> 100), at 0.004 it is ~19.
        ("momentum-maximize", {"lr": 0.004, "momentum": 0.5, "maximize": True}, None),
        ("momentum-wd-nodecay", {"lr": 0.03, "momentum": 0.9, "weightDecay": 0.05}, ["dense.bias", "layers.0"]),
    ],
    "sgdw": [
        ("momentum-wd", {"lr": 0.03, "momentum": 0.9, "weightDecay": 0.1}, None),
        ("nesterov-wd", {"lr": 0.02, "momentum": 0.9, "nesterov": True, "weightDecay": 0.05}, None),
        # lr 0.05 from the brief changed to 0.008: ascent diverges (max |p| ~4e7 at 0.05,
        # ~37 at 0.01); at 0.008 max |p| is ~18.
        ("wd-maximize", {"lr": 0.008, "weightDecay": 0.1, "maximize": True}, None),
        ("momentum-dampening-wd-nodecay", {"lr": 0.03, "momentum": 0.9, "dampening": 0.2, "weightDecay": 0.1},
         ["scale"]),
    ],
    "adagrad": [
        ("plain", {"lr": 0.1}, None),
        ("lrdecay-wd-initacc-eps",
         {"lr": 0.1, "lrDecay": 0.01, "weightDecay": 0.01, "initialAccumulatorValue": 0.1, "eps": 1e-8}, None),
        ("maximize", {"lr": 0.05, "maximize": True}, None),
    ],
    "rmsprop": [
        ("plain", {"lr": 0.01}, None),
        ("centered-momentum-wd", {"lr": 0.01, "centered": True, "momentum": 0.9, "weightDecay": 0.01}, None),
        ("alpha-eps-momentum-maximize", {"lr": 0.005, "alpha": 0.9, "eps": 1e-6, "momentum": 0.5, "maximize": True},
         None),
        ("centered", {"lr": 0.01, "centered": True}, None),
    ],
    "adadelta": [
        ("defaults", {}, None),
        ("lr-rho-eps-wd", {"lr": 0.5, "rho": 0.8, "eps": 1e-5, "weightDecay": 0.01}, None),
        ("maximize", {"lr": 2, "maximize": True}, None),
    ],
    "adam": [
        ("plain", {"lr": 0.01}, None),
        ("amsgrad-wd", {"lr": 0.01, "amsgrad": True, "weightDecay": 0.01}, None),
        ("betas-eps-maximize", {"lr": 0.005, "betas": [0.8, 0.99], "eps": 1e-6, "maximize": True}, None),
        ("amsgrad-maximize", {"lr": 0.01, "amsgrad": True, "maximize": True}, None),
        ("wd-nodecay", {"lr": 0.01, "weightDecay": 0.1}, ["dense.bias"]),
    ],
    "adamw": [
        ("plain", {"lr": 0.01}, None),
        ("wd-amsgrad", {"lr": 0.01, "weightDecay": 0.1, "amsgrad": True}, None),
        ("betas-eps-maximize", {"lr": 0.005, "betas": [0.8, 0.99], "eps": 1e-6, "maximize": True}, None),
        ("wd-nodecay", {"lr": 0.01, "weightDecay": 0.2}, ["dense.bias", "scale"]),
    ],
    "adamax": [
        ("defaults", {}, None),
        ("betas-eps-wd", {"lr": 0.01, "betas": [0.8, 0.99], "eps": 1e-6, "weightDecay": 0.01}, None),
        ("maximize", {"lr": 0.005, "maximize": True}, None),
    ],
    "nadam": [
        ("defaults", {}, None),
        ("wd-momentumdecay", {"lr": 0.01, "weightDecay": 0.01, "momentumDecay": 0.01}, None),
        ("decoupled-wd", {"lr": 0.01, "weightDecay": 0.1, "decoupledWeightDecay": True}, None),
        ("betas-eps-maximize", {"lr": 0.005, "betas": [0.8, 0.99], "eps": 1e-6, "maximize": True}, None),
    ],
    "radam": [
        ("defaults", {}, None),
        ("wd", {"lr": 0.01, "weightDecay": 0.01}, None),
        ("decoupled-wd", {"lr": 0.01, "weightDecay": 0.1, "decoupledWeightDecay": True}, None),
        ("betas-eps-maximize", {"lr": 0.005, "betas": [0.8, 0.99], "eps": 1e-6, "maximize": True}, None),
    ],
    "rprop": [
        ("defaults", {}, None),
        ("lr-etas-stepsizes", {"lr": 0.05, "etas": [0.3, 1.5], "stepSizes": [1e-3, 0.2]}, None),
        # ascent on the quadratic runs away: the step sizes capped at 0.01 keep it within bounds
        ("maximize", {"lr": 0.002, "stepSizes": [1e-6, 0.01], "maximize": True}, None),
    ],
    "asgd": [
        ("defaults", {}, None),
        # t0 inside the run, so the average moves after 50 updates; a fast-falling η
        ("t0-lambd-alpha-wd", {"lr": 0.05, "lambd": 0.01, "alpha": 0.5, "t0": 50, "weightDecay": 0.01}, None),
        ("t0-maximize", {"lr": 0.005, "t0": 20, "maximize": True}, None),
        ("wd-nodecay", {"lr": 0.02, "t0": 10, "weightDecay": 0.1}, ["dense.bias"]),
    ],
}

OPTIMIZER_ORDER = ["sgd", "sgdw", "adagrad", "rmsprop", "adadelta", "adam", "adamw", "adamax", "nadam", "radam",
                   "rprop", "asgd"]

TORCH_CLASS = {
    "sgd": torch.optim.SGD,
    "sgdw": torch.optim.SGD,  # EMULATION: SGD(weight_decay=0) + manual decoupled decay
    "adagrad": torch.optim.Adagrad,
    "rmsprop": torch.optim.RMSprop,
    "adadelta": torch.optim.Adadelta,
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "adamax": torch.optim.Adamax,
    "nadam": torch.optim.NAdam,
    "radam": torch.optim.RAdam,
    "rprop": torch.optim.Rprop,
    "asgd": torch.optim.ASGD,
}

# torch 1.13 default learning rates (needed for the manual decoupled decay).
TORCH_DEFAULT_LR = {"nadam": 2e-3, "radam": 1e-3}

OPTION_TO_TORCH = {
    "lr": "lr",
    "momentum": "momentum",
    "dampening": "dampening",
    "weightDecay": "weight_decay",
    "nesterov": "nesterov",
    "maximize": "maximize",
    "lrDecay": "lr_decay",
    "initialAccumulatorValue": "initial_accumulator_value",
    "eps": "eps",
    "alpha": "alpha",
    "centered": "centered",
    "rho": "rho",
    "betas": "betas",
    "amsgrad": "amsgrad",
    "momentumDecay": "momentum_decay",
    "etas": "etas",
    "stepSizes": "step_sizes",
    "lambd": "lambd",
    "t0": "t0",
}

STATE_KEY_TO_CAMEL = {
    "step": "step",
    "exp_avg": "expAvg",
    "exp_avg_sq": "expAvgSq",
    "max_exp_avg_sq": "maxExpAvgSq",
    "momentum_buffer": "momentumBuffer",
    "square_avg": "squareAvg",
    "grad_avg": "gradAvg",
    "acc_delta": "accDelta",
    "exp_inf": "expInf",
    "sum": "sum",
    "mu_product": "muProduct",
    "prev": "prev",
    "step_size": "stepSize",
    "eta": "eta",
    "mu": "mu",
    "ax": "ax",
}


# --------------------------------------------------------------------------
# Running one configuration
# --------------------------------------------------------------------------

def build_torch_kwargs(opt_name, options):
    """Map momenta options to torch kwargs, and describe emulated features."""
    kwargs = {}
    emulate_maximize = False
    decoupled_wd = 0.0  # manual `p.mul_(1 - lr*wd)` before each step (0 = off)
    for key, value in options.items():
        if key == "decoupledWeightDecay":
            continue
        if key == "maximize" and opt_name in ("nadam", "radam"):
            # EMULATION: 1.13 NAdam/RAdam have no `maximize`; current PyTorch
            # negates the gradient first thing, so we set p.grad = -g.
            emulate_maximize = bool(value)
            continue
        if key not in OPTION_TO_TORCH:
            raise KeyError("unknown option %r" % key)
        tkey = OPTION_TO_TORCH[key]
        kwargs[tkey] = tuple(value) if key in ("betas", "etas", "stepSizes") else value

    lr = options.get("lr", TORCH_DEFAULT_LR.get(opt_name))
    if opt_name == "sgdw":
        # EMULATION: SGDW = SGD without coupled decay + decoupled decay.
        decoupled_wd = float(kwargs.pop("weight_decay", 0.0))
    elif options.get("decoupledWeightDecay"):
        assert opt_name in ("nadam", "radam")
        # EMULATION: 1.13 NAdam/RAdam have no `decoupled_weight_decay`;
        # current PyTorch does param.mul_(1 - lr*wd) before the moment updates.
        decoupled_wd = float(kwargs.pop("weight_decay", 0.0))
    kwargs["foreach"] = False
    return kwargs, emulate_maximize, decoupled_wd, lr


def snapshot_state(opt, params, k):
    states = [opt.state[p] for p in params]
    keys = list(states[0].keys())
    for s in states:
        assert list(s.keys()) == keys, (keys, list(s.keys()))
    out = {}
    for key in keys:
        camel = STATE_KEY_TO_CAMEL[key]
        vals = [s[key] for s in states]
        if key == "step":
            for v in vals:
                v = v.item() if torch.is_tensor(v) else v
                assert v == k, (v, k)
            out[camel] = k
        elif key in ("mu_product", "eta", "mu"):
            v0 = vals[0].item()
            for v in vals:
                assert v.item() == v0
            out[camel] = v0
        else:
            if vals[0] is None:
                assert all(v is None for v in vals)
                continue  # e.g. SGD momentum_buffer with momentum=0
            assert all(v.dtype == params[0].dtype for v in vals)
            out[camel] = b64(flat(vals))
    return out


def run_config(opt_name, options, no_decay, dtype, problem):
    torch.set_default_dtype(dtype)  # scalar state tensors (step, mu_product) follow this
    a64, c64, init64, noise64 = problem
    a, c, init, noise = (x.to(dtype) for x in (a64, c64, init64, noise64))

    def split(vec):
        return [vec[li["offset"]:li["offset"] + li["size"]].reshape(li["shape"]) for li in LEAF_INFO]

    params = [t.clone() for t in split(init)]  # leaf tensors, requires_grad=False
    a_l, c_l = split(a), split(c)
    noise_l = [split(noise[t]) for t in range(STEPS)]

    no_decay = list(no_decay or [])
    for path in no_decay:
        assert path in PATHS, path
    decayed = [p for path, p in zip(PATHS, params) if path not in no_decay]
    undecayed = [p for path, p in zip(PATHS, params) if path in no_decay]

    kwargs, emulate_maximize, decoupled_wd, lr = build_torch_kwargs(opt_name, options)
    groups = [{"params": decayed}]
    if undecayed:
        groups.append({"params": undecayed, "weight_decay": 0.0})
    opt = TORCH_CLASS[opt_name](groups, **kwargs)

    nadam_calls_before = NADAM_PATCH_CALLS[0]
    trajectory = [flat(params).clone()]
    snapshots = []
    for t in range(STEPS):
        for i, p in enumerate(params):
            # g = a * (p - c) + noise[t]   (sub, then mul, then add)
            g = torch.add(torch.mul(a_l[i], torch.sub(p, c_l[i])), noise_l[t][i])
            p.grad = torch.neg(g) if emulate_maximize else g
        if decoupled_wd != 0.0:
            factor = 1 - lr * decoupled_wd
            with torch.no_grad():
                for p in decayed:
                    p.mul_(factor)
        opt.step()
        trajectory.append(flat(params).clone())
        if (t + 1) in SNAPSHOT_STEPS:
            snapshots.append({"step": t + 1, "state": snapshot_state(opt, params, t + 1)})

    if opt_name == "nadam":
        assert NADAM_PATCH_CALLS[0] - nadam_calls_before == STEPS * len(groups), \
            "patched NAdam was not used"

    traj = torch.stack(trajectory)
    assert traj.dtype == dtype
    assert bool(torch.isfinite(traj).all()), "non-finite values"
    max_abs = traj.abs().max().item()
    assert max_abs < DIVERGENCE_BOUND, "diverged: max |p| = %g" % max_abs
    return traj, snapshots, max_abs


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------

def dump(path, obj):
    text = json.dumps(obj, indent=2, ensure_ascii=True) + "\n"
    with open(path, "w", encoding="ascii", newline="\n") as f:
        f.write(text)
    return len(text)


def main():
    torch.manual_seed(SEED)  # not used for the draws (explicit Generator), set for good measure
    problem = make_problem()
    a, c, init, noise = problem
    os.makedirs(OUT_DIR, exist_ok=True)

    sizes = {}
    sizes["problem.json"] = dump(os.path.join(OUT_DIR, "problem.json"), {
        "generator": "tools/golden/generate.py",
        "torch": torch.__version__,
        "steps": STEPS,
        "leaves": LEAF_INFO,
        "n": N,
        "a": b64(a),
        "c": b64(c),
        "init": b64(init),
        "noise": b64(noise),
    })

    summary = []
    for opt_name in OPTIMIZER_ORDER:
        configs = []
        names = [cfg[0] for cfg in CONFIGS[opt_name]]
        assert len(names) == len(set(names)), "duplicate config names"
        for cfg_name, options, no_decay in CONFIGS[opt_name]:
            for dtype_name in ("float64", "float32"):
                traj, snapshots, max_abs = run_config(opt_name, options, no_decay, DTYPES[dtype_name], problem)
                entry = {"name": cfg_name, "dtype": dtype_name, "options": options}
                if no_decay:
                    entry["noDecay"] = list(no_decay)
                entry["trajectory"] = b64(traj)
                entry["snapshots"] = snapshots
                configs.append(entry)
                final = traj[-1]
                summary.append((opt_name, cfg_name, dtype_name, final.min().item(), final.max().item(), max_abs))
        fname = "%s.json" % opt_name
        sizes[fname] = dump(os.path.join(OUT_DIR, fname),
                            {"optimizer": opt_name, "torch": torch.__version__, "configs": configs})
    torch.set_default_dtype(torch.float32)

    print("torch %s, seed %d, steps %d, n %d" % (torch.__version__, SEED, STEPS, N))
    print("a in [%.4f, %.4f]" % (a.min().item(), a.max().item()))
    print()
    print("%-9s %-32s %-8s %12s %12s %12s" % ("optimizer", "config", "dtype", "final min", "final max", "max |p|"))
    for row in summary:
        print("%-9s %-32s %-8s %12.6f %12.6f %12.6f" % row)
    print()
    total = 0
    for fname, size in sizes.items():
        print("%8d  packages/optim/test/golden/fixtures/%s" % (size, fname))
        total += size
    print("%8d  total" % total)


if __name__ == "__main__":
    main()
