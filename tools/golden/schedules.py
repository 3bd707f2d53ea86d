#!/usr/bin/env python3
"""Golden fixtures for momenta's learning-rate schedules and gradient clipping.

Writes three files to ``packages/optim/test/golden/fixtures/``:

- ``schedules.json``: per-step learning rates (and cycled momentum / beta1) of
  the real ``torch.optim.lr_scheduler`` classes (PyTorch 1.13).
- ``clipping.json``: ``torch.nn.utils.clip_grad_norm_`` / ``clip_grad_value_``
  on the shared 5-leaf problem tree, plus the non-finite cases.
- ``scheduled.json``: optimizer trajectories on the shared problem (see
  ``generate.py``) with a schedule stepped after every optimizer step and,
  optionally, gradient-norm clipping before it.

Reuses the problem, encoding and optimizer plumbing of ``generate.py``.
See ``tools/golden/README.md`` for the formats and the torch 1.13 notes.

Run with Debian's interpreter (python3-torch):  /usr/bin/python3 tools/golden/schedules.py
Output is deterministic: running twice gives byte-identical files.
"""

import json
import math
import os
import sys
import warnings

sys.dont_write_bytecode = True  # keep tools/golden free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402
from torch.optim import lr_scheduler as LS  # noqa: E402

import generate as G  # noqa: E402  (problem, b64, flat, optimizer kwargs)

# Sub-schedulers stepped with an explicit epoch (SequentialLR at a milestone)
# and the chainable get_lr() emit deprecation warnings; they are expected here.
warnings.filterwarnings("ignore", category=UserWarning, module=r"torch\.optim\.lr_scheduler")

SCHEDULE_STEPS = 300
BASE_LR = 0.1
CLIP_SEED = G.SEED + 1  # gradient sets for clipping.json

# --------------------------------------------------------------------------
# JSON output: like generate.dump (indent 2, ASCII, trailing newline), except
# that arrays of scalars stay on one line. Floats are written with Python's
# repr (shortest round-trip form); NaN/Infinity are refused.
# --------------------------------------------------------------------------


def _encode(obj, indent=0):
    pad = " " * (indent + 2)
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        items = ["%s%s: %s" % (pad, json.dumps(k), _encode(v, indent + 2)) for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    if isinstance(obj, (list, tuple)):
        if all(not isinstance(v, (dict, list, tuple)) for v in obj):
            return "[" + ", ".join(_encode(v) for v in obj) + "]"
        items = [pad + _encode(v, indent + 2) for v in obj]
        return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"
    return json.dumps(obj, allow_nan=False, ensure_ascii=True)


def dump(path, obj):
    text = _encode(obj) + "\n"
    json.loads(text)  # sanity: valid JSON
    with open(path, "w", encoding="ascii", newline="\n") as f:
        f.write(text)
    return len(text)


# --------------------------------------------------------------------------
# momenta schedule options -> torch scheduler construction
# --------------------------------------------------------------------------

SCHEDULER_CLASS = {
    "linearLr": LS.LinearLR,
    "constantLr": LS.ConstantLR,
    "stepLr": LS.StepLR,
    "multiStepLr": LS.MultiStepLR,
    "exponentialLr": LS.ExponentialLR,
    "polynomialLr": LS.PolynomialLR,
    "cosineAnnealingLr": LS.CosineAnnealingLR,
    "cosineAnnealingWarmRestarts": LS.CosineAnnealingWarmRestarts,
    "lambdaLr": LS.LambdaLR,
    "cyclicLr": LS.CyclicLR,
    "oneCycleLr": LS.OneCycleLR,
    "sequentialLr": LS.SequentialLR,
    "reduceLrOnPlateau": LS.ReduceLROnPlateau,
    "multiplicativeLr": LS.MultiplicativeLR,
    "chainedScheduler": LS.ChainedScheduler,
    "swaLr": torch.optim.swa_utils.SWALR,
}

# Schedulers that set the optimizer's lr themselves (options carry no `lr`).
SETS_OWN_LR = ("cyclicLr", "oneCycleLr")

SCHED_OPTION_TO_TORCH = {
    "t0": "T_0",
    "tMult": "T_mult",
    "tMax": "T_max",
    "etaMin": "eta_min",
    "totalIters": "total_iters",
    "startFactor": "start_factor",
    "endFactor": "end_factor",
    "stepSize": "step_size",
    "gamma": "gamma",
    "milestones": "milestones",
    "power": "power",
    "factor": "factor",
    "baseLr": "base_lr",
    "maxLr": "max_lr",
    "stepSizeUp": "step_size_up",
    "stepSizeDown": "step_size_down",
    "mode": "mode",
    "scaleMode": "scale_mode",
    "cycleMomentum": "cycle_momentum",
    "baseMomentum": "base_momentum",
    "maxMomentum": "max_momentum",
    "totalSteps": "total_steps",
    "pctStart": "pct_start",
    "annealStrategy": "anneal_strategy",
    "divFactor": "div_factor",
    "finalDivFactor": "final_div_factor",
    "threePhase": "three_phase",
    "patience": "patience",
    "threshold": "threshold",
    "thresholdMode": "threshold_mode",
    "cooldown": "cooldown",
    "minLr": "min_lr",
    "eps": "eps",
    "swaLr": "swa_lr",
    "annealEpochs": "anneal_epochs",
    "annealStrategy": "anneal_strategy",
}

# lambdaLr: JSON names for the lambdas (exact Python definitions; see README).
LR_LAMBDAS = {
    "exp095": lambda e: 0.95 ** e,
    "inverse": lambda e: 1 / (1 + 0.1 * e),
    "warmup10": lambda e: min(1.0, (e + 1) / 10),
    # multiplicativeLr: factors applied to the previous lr
    "times099": lambda e: 0.99,
    "halveEvery50": lambda e: 0.5 if e % 50 == 0 else 1.0,
    "slowing": lambda e: 1 - 0.5 / (e + 1),
}


class CyclicLRBeta1(LS.CyclicLR):
    """EMULATION: current PyTorch's CyclicLR momentum cycling for Adam-style optimizers.

    torch 1.13's CyclicLR raises ``ValueError('optimizer must support momentum
    with `cycle_momentum` option enabled')`` for optimizers without a
    ``momentum`` default (Adam, AdamW, ...). Current PyTorch (pytorch PR
    #113548, 2024) accepts ``betas`` and cycles ``betas[0]`` exactly as it
    cycles ``momentum`` for SGD. This subclass builds the 1.13 scheduler with
    cycle_momentum=False, then turns the (unchanged) 1.13 momentum formula on
    and moves the value it writes to ``group['momentum']`` into
    ``group['betas'][0]``.
    """

    def __init__(self, optimizer, base_momentum=0.8, max_momentum=0.9, **kwargs):
        assert "betas" in optimizer.defaults and "momentum" not in optimizer.defaults
        super().__init__(optimizer, cycle_momentum=False, **kwargs)
        self.cycle_momentum = True
        self.base_momentums = [base_momentum] * len(optimizer.param_groups)
        self.max_momentums = [max_momentum] * len(optimizer.param_groups)
        # The initial step (last_epoch 0, scale_factor 0) gives max_momentum.
        for group in optimizer.param_groups:
            group["betas"] = (max_momentum, *group["betas"][1:])

    def get_lr(self):
        lrs = super().get_lr()  # writes group['momentum'] (1.13 formula) once cycle_momentum is on
        if not self.cycle_momentum:  # the initial step inside CyclicLR.__init__
            return lrs
        for group in self.optimizer.param_groups:
            group["betas"] = (group.pop("momentum"), *group["betas"][1:])
        return lrs


def torch_sched_kwargs(options):
    out = {}
    for key, value in options.items():
        if key == "lr":
            continue
        out[SCHED_OPTION_TO_TORCH[key]] = value
    return out


def build_scheduler(schedule, options, opt, emulate_beta1=False):
    """Build the torch scheduler for a momenta schedule name + options."""
    if schedule in SETS_OWN_LR:
        assert "lr" not in options, (schedule, options)
    else:
        # `lr` documents the optimizer's base lr the scheduler reads.
        group = opt.param_groups[0]
        assert options.get("lr") == group.get("initial_lr", group["lr"]), (schedule, options)
    if schedule == "lambdaLr":
        return LS.LambdaLR(opt, lr_lambda=LR_LAMBDAS[options["lrLambda"]])
    if schedule == "multiplicativeLr":
        return LS.MultiplicativeLR(opt, lr_lambda=LR_LAMBDAS[options["lrLambda"]])
    if schedule == "chainedScheduler":
        children = [build_scheduler(c["schedule"], c["options"], opt) for c in options["schedules"]]
        return LS.ChainedScheduler(children)
    if schedule == "sequentialLr":
        children = [build_scheduler(c["schedule"], c["options"], opt) for c in options["schedules"]]
        return LS.SequentialLR(opt, schedulers=children, milestones=list(options["milestones"]))
    kwargs = torch_sched_kwargs(options)
    if emulate_beta1:
        assert schedule == "cyclicLr" and kwargs.pop("cycle_momentum") is True
        return CyclicLRBeta1(opt, **kwargs)
    return SCHEDULER_CLASS[schedule](opt, **kwargs)


def cycles_momentum(schedule, options):
    return schedule in SETS_OWN_LR and options.get("cycleMomentum", True)


# --------------------------------------------------------------------------
# 1. schedules.json
# --------------------------------------------------------------------------


def plateau_metrics(n=SCHEDULE_STEPS):
    """Deterministic validation-loss-like sequence for ReduceLROnPlateau.

    m_k = 1/(1+0.05k) + 0.02 sin(0.7k), except: flat (equal to m_100) for
    k in [100, 160), and a rise of +0.004 per step on top of the base curve for
    k in [200, 230) (then it drops back to the base curve at k = 230).
    """
    def base(k):
        return 1 / (1 + 0.05 * k) + 0.02 * math.sin(0.7 * k)

    out = []
    for k in range(n):
        if 100 <= k < 160:
            v = base(100)
        elif 200 <= k < 230:
            v = base(k) + 0.004 * (k - 200)
        else:
            v = base(k)
        out.append(v)
    return out


LR = BASE_LR
SCHEDULE_CONFIGS = [
    # (name, schedule, options, host, steps) ; steps None = SCHEDULE_STEPS
    ("defaults", "linearLr", {"lr": LR, "startFactor": 1.0 / 3, "endFactor": 1.0, "totalIters": 5}, "sgd", None),
    ("warmup", "linearLr", {"lr": LR, "startFactor": 0.1, "endFactor": 1.0, "totalIters": 50}, "sgd", None),
    ("decay", "linearLr", {"lr": LR, "startFactor": 1.0, "endFactor": 0.05, "totalIters": 200}, "adam", None),

    ("defaults", "constantLr", {"lr": LR, "factor": 1.0 / 3, "totalIters": 5}, "sgd", None),
    ("half-100", "constantLr", {"lr": LR, "factor": 0.5, "totalIters": 100}, "sgd", None),
    # total_iters=0 is accepted by torch; the chainable form then never restores the lr.
    ("zero-iters", "constantLr", {"lr": LR, "factor": 0.1, "totalIters": 0}, "sgd", None),

    ("step30", "stepLr", {"lr": LR, "stepSize": 30, "gamma": 0.1}, "sgd", None),
    ("step7-half", "stepLr", {"lr": LR, "stepSize": 7, "gamma": 0.5}, "sgd", None),
    ("step100", "stepLr", {"lr": LR, "stepSize": 100, "gamma": 0.9}, "adam", None),

    ("three", "multiStepLr", {"lr": LR, "milestones": [30, 80, 200], "gamma": 0.1}, "sgd", None),
    ("repeated", "multiStepLr", {"lr": LR, "milestones": [10, 10, 50], "gamma": 0.5}, "sgd", None),
    ("single", "multiStepLr", {"lr": LR, "milestones": [150], "gamma": 0.3}, "sgd", None),

    ("g099", "exponentialLr", {"lr": LR, "gamma": 0.99}, "sgd", None),
    ("g09", "exponentialLr", {"lr": LR, "gamma": 0.9}, "sgd", None),
    ("g1", "exponentialLr", {"lr": LR, "gamma": 1.0}, "sgd", None),

    ("defaults", "polynomialLr", {"lr": LR, "totalIters": 5, "power": 1.0}, "sgd", None),
    ("quadratic", "polynomialLr", {"lr": LR, "totalIters": 200, "power": 2.0}, "sgd", None),
    ("sqrt", "polynomialLr", {"lr": LR, "totalIters": 100, "power": 0.5}, "adam", None),

    ("tmax100", "cosineAnnealingLr", {"lr": LR, "tMax": 100, "etaMin": 0.0}, "sgd", None),
    ("tmax50-etamin", "cosineAnnealingLr", {"lr": LR, "tMax": 50, "etaMin": 0.001}, "sgd", None),
    ("tmax300-etamin", "cosineAnnealingLr", {"lr": LR, "tMax": 300, "etaMin": 1e-5}, "adam", None),

    ("t10", "cosineAnnealingWarmRestarts", {"lr": LR, "t0": 10, "tMult": 1, "etaMin": 0.0}, "sgd", None),
    ("t10-mult2-etamin", "cosineAnnealingWarmRestarts", {"lr": LR, "t0": 10, "tMult": 2, "etaMin": 1e-4}, "sgd",
     None),
    ("t50-mult3", "cosineAnnealingWarmRestarts", {"lr": LR, "t0": 50, "tMult": 3, "etaMin": 0.0}, "adam", None),

    ("exp095", "lambdaLr", {"lr": LR, "lrLambda": "exp095"}, "sgd", None),
    ("inverse", "lambdaLr", {"lr": LR, "lrLambda": "inverse"}, "sgd", None),
    ("warmup10", "lambdaLr", {"lr": LR, "lrLambda": "warmup10"}, "adam", None),

    ("triangular", "cyclicLr",
     {"baseLr": 0.001, "maxLr": 0.1, "stepSizeUp": 20, "stepSizeDown": 20, "mode": "triangular", "gamma": 1.0,
      "scaleMode": "cycle", "cycleMomentum": True, "baseMomentum": 0.8, "maxMomentum": 0.9}, "sgd", None),
    ("triangular2-asym", "cyclicLr",
     {"baseLr": 0.001, "maxLr": 0.1, "stepSizeUp": 15, "stepSizeDown": 35, "mode": "triangular2", "gamma": 1.0,
      "scaleMode": "cycle", "cycleMomentum": True, "baseMomentum": 0.85, "maxMomentum": 0.95}, "sgd", None),
    ("exp-range-nomomentum", "cyclicLr",
     {"baseLr": 0.001, "maxLr": 0.1, "stepSizeUp": 25, "stepSizeDown": 25, "mode": "exp_range", "gamma": 0.99,
      "scaleMode": "iterations", "cycleMomentum": False, "baseMomentum": 0.8, "maxMomentum": 0.9}, "sgd", None),
    # EMULATION (current PyTorch): Adam host, cycles betas[0]. torch 1.13 raises here.
    ("adam-beta1-emulated", "cyclicLr",
     {"baseLr": 0.001, "maxLr": 0.1, "stepSizeUp": 20, "stepSizeDown": 20, "mode": "triangular", "gamma": 1.0,
      "scaleMode": "cycle", "cycleMomentum": True, "baseMomentum": 0.8, "maxMomentum": 0.9}, "adam", None),

    ("cos-defaults", "oneCycleLr",
     {"maxLr": 0.1, "totalSteps": 300, "pctStart": 0.3, "annealStrategy": "cos", "cycleMomentum": True,
      "baseMomentum": 0.85, "maxMomentum": 0.95, "divFactor": 25.0, "finalDivFactor": 1e4, "threePhase": False},
     "adam", 300),
    ("linear-three-phase", "oneCycleLr",
     {"maxLr": 0.05, "totalSteps": 300, "pctStart": 0.25, "annealStrategy": "linear", "cycleMomentum": True,
      "baseMomentum": 0.85, "maxMomentum": 0.95, "divFactor": 10.0, "finalDivFactor": 100.0, "threePhase": True},
     "adam", 300),
    ("sgd-momentum", "oneCycleLr",
     {"maxLr": 0.2, "totalSteps": 300, "pctStart": 0.3, "annealStrategy": "cos", "cycleMomentum": True,
      "baseMomentum": 0.8, "maxMomentum": 0.9, "divFactor": 25.0, "finalDivFactor": 1e4, "threePhase": False},
     "sgd", 300),

    ("warmup-cosine", "sequentialLr",
     {"lr": LR,
      "schedules": [
          {"schedule": "linearLr", "options": {"lr": LR, "startFactor": 0.01, "endFactor": 1.0, "totalIters": 20}},
          {"schedule": "cosineAnnealingLr", "options": {"lr": LR, "tMax": 280, "etaMin": 0.0}},
      ],
      "milestones": [20]}, "sgd", None),
    ("constant-exp-step", "sequentialLr",
     {"lr": LR,
      "schedules": [
          {"schedule": "constantLr", "options": {"lr": LR, "factor": 0.1, "totalIters": 10}},
          {"schedule": "exponentialLr", "options": {"lr": LR, "gamma": 0.98}},
          {"schedule": "stepLr", "options": {"lr": LR, "stepSize": 50, "gamma": 0.5}},
      ],
      "milestones": [10, 100]}, "sgd", None),
    ("warmup-restarts", "sequentialLr",
     {"lr": LR,
      "schedules": [
          {"schedule": "linearLr", "options": {"lr": LR, "startFactor": 0.1, "endFactor": 1.0, "totalIters": 30}},
          {"schedule": "cosineAnnealingWarmRestarts", "options": {"lr": LR, "t0": 40, "tMult": 1, "etaMin": 0.0}},
      ],
      "milestones": [30]}, "adam", None),

    ("times099", "multiplicativeLr", {"lr": LR, "lrLambda": "times099"}, "sgd", None),
    ("halve-every-50", "multiplicativeLr", {"lr": LR, "lrLambda": "halveEvery50"}, "sgd", None),
    ("slowing", "multiplicativeLr", {"lr": LR, "lrLambda": "slowing"}, "adam", None),

    # PyTorch's own example: a warm-up factor and an exponential decay at once.
    ("constant-exp", "chainedScheduler",
     {"lr": LR,
      "schedules": [
          {"schedule": "constantLr", "options": {"lr": LR, "factor": 0.1, "totalIters": 10}},
          {"schedule": "exponentialLr", "options": {"lr": LR, "gamma": 0.99}},
      ]}, "sgd", None),
    ("linear-step", "chainedScheduler",
     {"lr": LR,
      "schedules": [
          {"schedule": "linearLr", "options": {"lr": LR, "startFactor": 0.2, "endFactor": 1.0, "totalIters": 25}},
          {"schedule": "stepLr", "options": {"lr": LR, "stepSize": 40, "gamma": 0.5}},
      ]}, "sgd", None),
    ("multistep-multiplicative-exp", "chainedScheduler",
     {"lr": LR,
      "schedules": [
          {"schedule": "multiStepLr", "options": {"lr": LR, "milestones": [60, 120, 250], "gamma": 0.3}},
          {"schedule": "multiplicativeLr", "options": {"lr": LR, "lrLambda": "slowing"}},
          {"schedule": "exponentialLr", "options": {"lr": LR, "gamma": 0.995}},
      ]}, "adam", None),

    ("cos-10", "swaLr", {"lr": LR, "swaLr": 0.05, "annealEpochs": 10, "annealStrategy": "cos"}, "sgd", None),
    ("linear-37", "swaLr", {"lr": LR, "swaLr": 0.01, "annealEpochs": 37, "annealStrategy": "linear"}, "sgd", None),
    ("up-cos-5", "swaLr", {"lr": LR, "swaLr": 0.3, "annealEpochs": 5, "annealStrategy": "cos"}, "adam", None),
    ("no-anneal", "swaLr", {"lr": LR, "swaLr": 0.02, "annealEpochs": 0, "annealStrategy": "linear"}, "sgd", None),

    ("min-rel", "reduceLrOnPlateau",
     {"lr": LR, "mode": "min", "factor": 0.5, "patience": 5, "threshold": 1e-4, "thresholdMode": "rel",
      "cooldown": 0, "minLr": 0.0, "eps": 1e-8}, "sgd", None),
    ("min-abs-cooldown-minlr", "reduceLrOnPlateau",
     {"lr": LR, "mode": "min", "factor": 0.1, "patience": 10, "threshold": 0.01, "thresholdMode": "abs",
      "cooldown": 5, "minLr": 1e-4, "eps": 1e-8}, "sgd", None),
    # Same, but min_lr actually clamps (with 1e-4 the third reduction gives 1.0000000000000003e-4).
    ("min-abs-cooldown-minlr-clamp", "reduceLrOnPlateau",
     {"lr": LR, "mode": "min", "factor": 0.1, "patience": 10, "threshold": 0.01, "thresholdMode": "abs",
      "cooldown": 5, "minLr": 5e-4, "eps": 1e-8}, "sgd", None),
    ("max-rel", "reduceLrOnPlateau",
     {"lr": LR, "mode": "max", "factor": 0.5, "patience": 3, "threshold": 1e-4, "thresholdMode": "rel",
      "cooldown": 0, "minLr": 0.0, "eps": 1e-8}, "sgd", None),
    ("min-eps", "reduceLrOnPlateau",
     {"lr": LR, "mode": "min", "factor": 0.5, "patience": 2, "threshold": 1e-4, "thresholdMode": "rel",
      "cooldown": 0, "minLr": 0.0, "eps": 1e-3}, "sgd", None),
]


def make_host(host, lr):
    p = torch.zeros(1, dtype=torch.float64)
    if host == "sgd":
        return p, torch.optim.SGD([p], lr=lr, momentum=0.9, foreach=False)
    assert host == "adam"
    return p, torch.optim.Adam([p], lr=lr, foreach=False)


def host_momentum(host, opt):
    g = opt.param_groups[0]
    return float(g["momentum"]) if host == "sgd" else float(g["betas"][0])


def run_schedule_config(name, schedule, options, host, steps):
    torch.set_default_dtype(torch.float64)
    n = steps or SCHEDULE_STEPS
    p, opt = make_host(host, options.get("lr", BASE_LR))
    emulate = name.endswith("-emulated")
    sched = build_scheduler(schedule, options, opt, emulate_beta1=emulate)
    with_momentum = cycles_momentum(schedule, options)
    metrics = None
    if schedule == "reduceLrOnPlateau":
        metrics = plateau_metrics(n)
        if options["mode"] == "max":
            metrics = [-m for m in metrics]
    lrs, moms = [], []
    for k in range(n):
        lr = opt.param_groups[0]["lr"]
        assert isinstance(lr, float) and math.isfinite(lr), (name, k, lr)
        lrs.append(lr)
        if with_momentum:
            moms.append(host_momentum(host, opt))
        p.grad = torch.zeros_like(p)
        opt.step()
        if metrics is not None:
            sched.step(metrics[k])
        else:
            # OneCycleLR: this is scheduler.step() number k+1 <= total_steps, which 1.13
            # allows (it raises only when last_epoch > total_steps); checked below.
            sched.step()
    if schedule == "oneCycleLr":
        try:
            sched.step()
        except ValueError:
            pass
        else:
            raise AssertionError("OneCycleLR did not raise after total_steps + 1 steps")
    entry = {"name": name, "schedule": schedule, "options": options, "host": host, "steps": n, "lr": lrs}
    if with_momentum:
        entry["momentum"] = moms
    if metrics is not None:
        entry["metrics"] = metrics
    return entry


def check_torch_113_behaviour():
    """Assert the torch 1.13 behaviours the README and the fixtures rely on."""
    torch.set_default_dtype(torch.float64)
    # CyclicLR + Adam with cycle_momentum=True raises in 1.13 (current PyTorch cycles betas[0]).
    _, opt = make_host("adam", 0.1)
    try:
        LS.CyclicLR(opt, base_lr=0.001, max_lr=0.1, step_size_up=20)
    except ValueError:
        pass
    else:
        raise AssertionError("torch CyclicLR accepted Adam with cycle_momentum=True; revisit CyclicLRBeta1")
    # ConstantLR accepts total_iters=0.
    _, opt = make_host("sgd", 0.1)
    LS.ConstantLR(opt, factor=0.1, total_iters=0)


def build_schedules():
    check_torch_113_behaviour()
    seen = set()
    configs = []
    for name, schedule, options, host, steps in SCHEDULE_CONFIGS:
        assert (schedule, name) not in seen, (schedule, name)
        seen.add((schedule, name))
        configs.append(run_schedule_config(name, schedule, options, host, steps))
    torch.set_default_dtype(torch.float32)
    return {"torch": torch.__version__, "configs": configs}


# --------------------------------------------------------------------------
# 2. clipping.json
# --------------------------------------------------------------------------

CLIP_TARGET_NORMS = (0.1, 1.0, 10.0, 1000.0)
ZERO_LEAF = (2, "layers.0")  # (set index, leaf path) whose gradient is all zeros
NORM_CASES = ((1.0, 2.0), (5.0, 2.0), (1.0, 1.0), (0.5, "inf"), (2.0, 3.5))
CLIP_VALUES = (0.1, 1.0)
NORM_MARGIN = 1e-3  # every total norm is at least 0.1% away from its max_norm


def clip_gradient_sets():
    """4 float64 gradient vectors of N values: N(0,1) * target/sqrt(N)."""
    g = torch.Generator()
    g.manual_seed(CLIP_SEED)
    z = torch.randn(len(CLIP_TARGET_NORMS), G.N, generator=g, dtype=torch.float64)
    sets = []
    for i, target in enumerate(CLIP_TARGET_NORMS):
        v = z[i] * (target / math.sqrt(G.N))
        if i == ZERO_LEAF[0]:
            li = next(li for li in G.LEAF_INFO if li["path"] == ZERO_LEAF[1])
            v[li["offset"]:li["offset"] + li["size"]] = 0.0
        sets.append(v)
    return sets


def leaf_params(vec):
    """One leaf tensor per problem leaf, each with .grad = its slice of vec."""
    params = []
    for li in G.LEAF_INFO:
        p = torch.zeros(li["shape"], dtype=vec.dtype)
        p.grad = vec[li["offset"]:li["offset"] + li["size"]].reshape(li["shape"]).clone()
        params.append(p)
    return params


def torch_norm_type(nt):
    return float("inf") if nt == "inf" else float(nt)


def json_scalar(x):
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def build_clipping():
    sets64 = clip_gradient_sets()
    norm_entries, value_entries, nonfinite = [], [], []
    for dtype_name in ("float64", "float32"):
        dtype = G.DTYPES[dtype_name]
        torch.set_default_dtype(dtype)
        for i, v64 in enumerate(sets64):
            v = v64.to(dtype)
            for max_norm, nt in NORM_CASES:
                params = leaf_params(v)
                total = torch.nn.utils.clip_grad_norm_(params, max_norm, torch_norm_type(nt))
                assert total.dtype == dtype
                total = total.item()
                assert math.isfinite(total)
                assert abs(total / max_norm - 1) > NORM_MARGIN, (dtype_name, i, max_norm, nt, total)
                clipped = G.flat([p.grad for p in params])
                assert clipped.dtype == dtype
                norm_entries.append({"dtype": dtype_name, "set": i, "maxNorm": max_norm, "normType": nt,
                                     "grads": G.b64(v), "clipped": G.b64(clipped), "totalNorm": total})
            for clip_value in CLIP_VALUES:
                params = leaf_params(v)
                torch.nn.utils.clip_grad_value_(params, clip_value)
                clipped = G.flat([p.grad for p in params])
                value_entries.append({"dtype": dtype_name, "set": i, "clipValue": clip_value,
                                      "grads": G.b64(v), "clipped": G.b64(clipped)})

        # Non-finite gradients: set 1 (norm ~1) with one entry replaced.
        for case in ("inf", "-inf", "nan"):
            v = sets64[1].to(dtype).clone()
            v[7] = float(case)  # inside dense.weight
            for max_norm, nt in ((1.0, 2.0), (1.0, "inf")):
                params = leaf_params(v)
                total = torch.nn.utils.clip_grad_norm_(params, max_norm, torch_norm_type(nt),
                                                       error_if_nonfinite=False)
                clipped = G.flat([p.grad for p in params])
                params = leaf_params(v)
                try:
                    torch.nn.utils.clip_grad_norm_(params, max_norm, torch_norm_type(nt), error_if_nonfinite=True)
                except RuntimeError:
                    raises = True
                else:
                    raises = False
                assert raises
                untouched = bool(torch.equal(torch.nan_to_num(G.flat([p.grad for p in params]), 1.0, 2.0, 3.0),
                                             torch.nan_to_num(v, 1.0, 2.0, 3.0)))
                assert untouched  # raising leaves the gradients unchanged
                nonfinite.append({"dtype": dtype_name, "case": case, "index": 7, "maxNorm": max_norm, "normType": nt,
                                  "grads": G.b64(v), "clipped": G.b64(clipped),
                                  "totalNorm": json_scalar(total.item()), "errorIfNonfiniteRaises": raises})
    torch.set_default_dtype(torch.float32)
    return {"torch": torch.__version__, "sets": {"seed": CLIP_SEED, "targetNorms": list(CLIP_TARGET_NORMS),
                                                  "zeroLeaf": {"set": ZERO_LEAF[0], "path": ZERO_LEAF[1]}},
            "norm": norm_entries, "value": value_entries, "nonfinite": nonfinite}


# --------------------------------------------------------------------------
# 3. scheduled.json
# --------------------------------------------------------------------------

SCHEDULED_CONFIGS = [
    # (name, optimizer, momenta optimizer options, schedule (or None), clip (or None))
    ("adamw-onecycle", "adamw", {"weightDecay": 0.1},
     {"schedule": "oneCycleLr",
      "options": {"maxLr": 0.05, "totalSteps": 200, "pctStart": 0.3, "annealStrategy": "cos", "cycleMomentum": True,
                  "baseMomentum": 0.85, "maxMomentum": 0.95, "divFactor": 25.0, "finalDivFactor": 1e4,
                  "threePhase": False}}, None),
    # SGD's lr/momentum are overwritten by CyclicLR at construction (lr = baseLr, momentum cycled).
    ("sgd-cyclic-triangular2", "sgd", {"lr": 0.001, "momentum": 0.9, "weightDecay": 0.01},
     {"schedule": "cyclicLr",
      "options": {"baseLr": 0.001, "maxLr": 0.05, "stepSizeUp": 20, "stepSizeDown": 20, "mode": "triangular2",
                  "gamma": 1.0, "scaleMode": "cycle", "cycleMomentum": True, "baseMomentum": 0.8,
                  "maxMomentum": 0.95}}, None),
    ("adamw-warmup-cosine", "adamw", {"lr": 0.01, "weightDecay": 0.05},
     {"schedule": "sequentialLr",
      "options": {"lr": 0.01,
                  "schedules": [
                      {"schedule": "linearLr",
                       "options": {"lr": 0.01, "startFactor": 0.01, "endFactor": 1.0, "totalIters": 20}},
                      {"schedule": "cosineAnnealingLr", "options": {"lr": 0.01, "tMax": 180, "etaMin": 0.0}},
                  ],
                  "milestones": [20]}}, None),
    ("adam-amsgrad-restarts", "adam", {"lr": 0.02, "amsgrad": True},
     {"schedule": "cosineAnnealingWarmRestarts", "options": {"lr": 0.02, "t0": 30, "tMult": 2, "etaMin": 1e-4}},
     None),
    ("sgd-nesterov-step", "sgd", {"lr": 0.05, "momentum": 0.9, "nesterov": True},
     {"schedule": "stepLr", "options": {"lr": 0.05, "stepSize": 50, "gamma": 0.5}}, None),
    ("adamw-clip", "adamw", {"lr": 0.01, "weightDecay": 0.01}, None, {"maxNorm": 0.5, "normType": 2.0}),
]


def run_scheduled_config(opt_name, options, schedule, clip, dtype, problem):
    torch.set_default_dtype(dtype)
    a64, c64, init64, noise64 = problem
    a, c, init, noise = (x.to(dtype) for x in (a64, c64, init64, noise64))

    def split(vec):
        return [vec[li["offset"]:li["offset"] + li["size"]].reshape(li["shape"]) for li in G.LEAF_INFO]

    params = [t.clone() for t in split(init)]
    a_l, c_l = split(a), split(c)
    noise_l = [split(noise[t]) for t in range(G.STEPS)]

    kwargs, emulate_maximize, decoupled_wd, _ = G.build_torch_kwargs(opt_name, options)
    assert not emulate_maximize and decoupled_wd == 0.0
    opt = G.TORCH_CLASS[opt_name]([{"params": params}], **kwargs)
    sched = build_scheduler(schedule["schedule"], schedule["options"], opt) if schedule else None
    with_momentum = schedule is not None and cycles_momentum(schedule["schedule"], schedule["options"])

    trajectory = [G.flat(params).clone()]
    lrs, moms, norms = [], [], []
    for t in range(G.STEPS):
        for i, p in enumerate(params):
            # g = a * (p - c) + noise[t]   (sub, then mul, then add) -- as in generate.py
            p.grad = torch.add(torch.mul(a_l[i], torch.sub(p, c_l[i])), noise_l[t][i])
        if clip is not None:
            total = torch.nn.utils.clip_grad_norm_(params, clip["maxNorm"], torch_norm_type(clip["normType"]))
            norms.append(total.item())
        lrs.append(opt.param_groups[0]["lr"])
        if with_momentum:
            g0 = opt.param_groups[0]
            moms.append(float(g0["betas"][0] if "betas" in g0 else g0["momentum"]))
        opt.step()
        if sched is not None:
            sched.step()
        trajectory.append(G.flat(params).clone())

    traj = torch.stack(trajectory)
    assert traj.dtype == dtype
    assert bool(torch.isfinite(traj).all()), "non-finite values"
    max_abs = traj.abs().max().item()
    assert max_abs < G.DIVERGENCE_BOUND, "diverged: max |p| = %g" % max_abs
    return traj, lrs, moms, norms, max_abs


def build_scheduled(problem):
    configs, summary = [], []
    for name, opt_name, options, schedule, clip in SCHEDULED_CONFIGS:
        for dtype_name in ("float64", "float32"):
            traj, lrs, moms, norms, max_abs = run_scheduled_config(
                opt_name, options, schedule, clip, G.DTYPES[dtype_name], problem)
            entry = {"name": name, "dtype": dtype_name, "optimizer": opt_name, "options": options,
                     "schedule": schedule}
            if clip is not None:
                entry["clip"] = clip
            entry["trajectory"] = G.b64(traj)
            entry["lr"] = lrs
            if moms:
                entry["momentum"] = moms
            if norms:
                entry["totalNorms"] = norms
            configs.append(entry)
            summary.append((name, dtype_name, traj[-1].min().item(), traj[-1].max().item(), max_abs))
    torch.set_default_dtype(torch.float32)
    return {"torch": torch.__version__, "steps": G.STEPS, "configs": configs}, summary


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------


def main():
    torch.manual_seed(G.SEED)  # not used for the draws (explicit Generators)
    problem = G.make_problem()
    os.makedirs(G.OUT_DIR, exist_ok=True)
    sizes = {}

    schedules = build_schedules()
    sizes["schedules.json"] = dump(os.path.join(G.OUT_DIR, "schedules.json"), schedules)

    clipping = build_clipping()
    sizes["clipping.json"] = dump(os.path.join(G.OUT_DIR, "clipping.json"), clipping)

    scheduled, summary = build_scheduled(problem)
    sizes["scheduled.json"] = dump(os.path.join(G.OUT_DIR, "scheduled.json"), scheduled)

    print("torch %s" % torch.__version__)
    print()
    print("%-28s %-28s %5s %12s %12s" % ("schedule", "config", "steps", "first lr", "last lr"))
    for cfg in schedules["configs"]:
        print("%-28s %-28s %5d %12.6g %12.6g" % (cfg["schedule"], cfg["name"], cfg["steps"], cfg["lr"][0],
                                                 cfg["lr"][-1]))
    print()
    print("clipping: %d norm, %d value, %d non-finite records" % (
        len(clipping["norm"]), len(clipping["value"]), len(clipping["nonfinite"])))
    for e in clipping["nonfinite"]:
        print("  %-7s grad has %-4s normType %-3s -> totalNorm %s" % (e["dtype"], e["case"], e["normType"],
                                                                      e["totalNorm"]))
    print()
    print("%-28s %-8s %12s %12s %12s" % ("scheduled config", "dtype", "final min", "final max", "max |p|"))
    for row in summary:
        print("%-28s %-8s %12.6f %12.6f %12.6f" % row)
    print()
    total = 0
    for fname, size in sizes.items():
        print("%8d  packages/optim/test/golden/fixtures/%s" % (size, fname))
        total += size
    print("%8d  total" % total)


if __name__ == "__main__":
    main()
