#!/usr/bin/env python3
"""Golden fixtures for momenta's L-BFGS: torch.optim.LBFGS (PyTorch 1.13, whose LBFGS numerics are
those of 2.x: lbfgs.py is unchanged in substance) stepped with closures on three deterministic
problems, with and without the strong-Wolfe line search, in float64 and float32.

Each objective is computed without autograd, op by op in an order the TypeScript test repeats:
gradients elementwise in the params' dtype, the loss summed sequentially in float64 (so that the
line search compares the same numbers on both sides).

Run with Debian's interpreter:  /usr/bin/python3 tools/golden/lbfgs_golden.py
Writes packages/optim/test/golden/fixtures/lbfgs.json; deterministic (no random numbers).
"""

import base64
import json
import math
import os
import struct

import torch

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "packages", "optim", "test", "golden", "fixtures",
                   "lbfgs.json")
STEPS = 12
# the golden tree's leaves (sorted paths), 25 values
LEAVES = [("dense.bias", [3]), ("dense.weight", [3, 4]), ("layers.0", [5]), ("layers.1", [2, 2]), ("scale", [1])]


def b64(t):
    t = t.detach().contiguous().view(-1)
    if t.dtype == torch.float64:
        raw = struct.pack("<%dd" % t.numel(), *t.tolist())
    else:
        raw = struct.pack("<%df" % t.numel(), *t.tolist())
    return base64.b64encode(raw).decode("ascii")


def seq_sum(values):
    s = 0.0
    for v in values:
        s += v
    return s


def rosenbrock(flat):
    # f = (1 − x)² + 100 (y − x²)²; the gradient in the params' dtype
    x, y = flat[0], flat[1]
    t1 = 1 - x
    t2 = y - x * x
    gx = -2 * t1 - 400 * x * t2
    gy = 200 * t2
    xf, yf = float(x), float(y)
    loss = (1 - xf) ** 2 + 100 * (yf - xf * xf) ** 2
    return loss, torch.stack([gx, gy])


QA = torch.tensor([10 ** (-2 + 4 * i / 24) for i in range(25)], dtype=torch.float64)
QC = torch.tensor([math.sin(i + 1) for i in range(25)], dtype=torch.float64)


def quadratic(flat):
    # f = ½ Σ a_i (p_i − c_i)², a from 1e-2 to 1e2 (condition number 1e4)
    a = QA.to(flat.dtype)
    c = QC.to(flat.dtype)
    r = flat - c
    g = a * r
    loss = seq_sum(0.5 * float(QA[i]) * (float(flat[i]) - float(QC[i])) ** 2 for i in range(25))
    return loss, g


def chain_rosenbrock(flat):
    # f = Σ_{i<n−1} (1 − x_i)² + 10 (x_{i+1} − x_i²)²
    n = flat.numel()
    x = flat
    g = torch.zeros_like(x)
    for i in range(n - 1):
        t1 = 1 - x[i]
        t2 = x[i + 1] - x[i] * x[i]
        g[i] = g[i] + (-2 * t1 - 40 * x[i] * t2)
        g[i + 1] = g[i + 1] + 20 * t2
    xs = [float(v) for v in x]
    loss = seq_sum((1 - xs[i]) ** 2 + 10 * (xs[i + 1] - xs[i] * xs[i]) ** 2 for i in range(n - 1))
    return loss, g


PROBLEMS = {
    "rosenbrock": (rosenbrock, [("p", [2])], [-1.2, 1.0]),
    "quadratic": (quadratic, LEAVES, [math.cos(i) for i in range(25)]),
    "chain-rosenbrock": (chain_rosenbrock, LEAVES, [-0.5 + 0.1 * math.cos(i) for i in range(25)]),
}

CONFIGS = [
    # (problem, name, options)
    ("rosenbrock", "strong-wolfe", {"lineSearchFn": "strong_wolfe"}),
    ("rosenbrock", "fixed-lr", {"lr": 0.01, "maxIter": 10}),
    ("quadratic", "strong-wolfe", {"lineSearchFn": "strong_wolfe", "historySize": 5}),
    ("quadratic", "fixed-lr", {"lr": 0.5}),
    ("quadratic", "strong-wolfe-short", {"lineSearchFn": "strong_wolfe", "maxIter": 4, "maxEval": 6,
                                         "historySize": 2, "toleranceChange": 1e-12}),
    # one iteration per step: the golden rule's "one step from the reference's state", both modes
    ("quadratic", "one-iteration", {"lr": 0.5, "maxIter": 1}),
    ("quadratic", "one-iteration-wolfe", {"lineSearchFn": "strong_wolfe", "maxIter": 1}),
    ("chain-rosenbrock", "strong-wolfe", {"lineSearchFn": "strong_wolfe", "historySize": 10}),
    ("chain-rosenbrock", "fixed-lr", {"lr": 0.2, "maxIter": 8}),
]

TORCH_NAMES = {"lr": "lr", "maxIter": "max_iter", "maxEval": "max_eval", "toleranceGrad": "tolerance_grad",
               "toleranceChange": "tolerance_change", "historySize": "history_size",
               "lineSearchFn": "line_search_fn"}


def run(problem, options, dtype):
    torch.set_default_dtype(dtype)
    fn, leaves, init = PROBLEMS[problem]
    flat0 = torch.tensor(init, dtype=torch.float64).to(dtype)
    params = []
    off = 0
    for _, shape in leaves:
        n = 1
        for s in shape:
            n *= s
        params.append(flat0[off:off + n].clone().reshape(shape))
        off += n
    opt = torch.optim.LBFGS(params, **{TORCH_NAMES[k]: v for k, v in options.items()})
    evaluations = []

    def closure():
        flat = torch.cat([p.detach().reshape(-1) for p in params])
        loss, g = fn(flat)
        evaluations.append(loss)
        off = 0
        for p in params:
            n = p.numel()
            p.grad = g[off:off + n].clone().reshape(p.shape)
            off += n
        return torch.tensor(loss, dtype=torch.float64)

    steps = []
    for _ in range(STEPS):
        before = len(evaluations)
        loss = float(opt.step(closure))
        state = opt.state[params[0]]
        steps.append({
            "loss": loss,
            "params": b64(torch.cat([p.detach().reshape(-1) for p in params])),
            "evaluations": len(evaluations) - before,
            "funcEvals": state["func_evals"],
            "nIter": state["n_iter"],
        })
    torch.set_default_dtype(torch.float32)
    return {"init": b64(flat0), "leaves": [{"path": p, "shape": s} for p, s in leaves], "steps": steps}


def main():
    # the quadratic's coefficients as stored numbers: the test reads them rather than recomputing 10**x
    out = {"generator": "tools/golden/lbfgs_golden.py", "torch": torch.__version__, "steps": STEPS,
           "quadratic": {"a": b64(QA), "c": b64(QC)}, "configs": []}
    for problem, name, options in CONFIGS:
        for dtype_name, dtype in (("float64", torch.float64), ("float32", torch.float32)):
            r = run(problem, options, dtype)
            out["configs"].append({"problem": problem, "name": name, "dtype": dtype_name, "options": options, **r})
            last = r["steps"][-1]
            print("%-17s %-19s %s loss %.6g evals %d n_iter %d" % (problem, name, dtype_name, last["loss"],
                                                                 last["funcEvals"], last["nIter"]))
    with open(OUT, "w", encoding="ascii", newline="\n") as f:
        f.write(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
