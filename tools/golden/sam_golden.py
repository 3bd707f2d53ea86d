#!/usr/bin/env python3
"""Golden fixtures for momenta's `sam`: the PyTorch SAM most people use (davda54/sam, its `sam.py`,
with `adaptive` for ASAM) on the shared problem of ``generate.py`` (read back from
``packages/optim/test/golden/fixtures/problem.json``): the gradient ``a * (p - c) + noise[t]``, taken
at w and at the perturbed w + e(w) with the same noise[t], as one minibatch would be.

The reference is not vendored: give the path of its ``sam.py`` (e.g. a clone of
https://github.com/davda54/sam, commit 3c3afdb):

    /usr/bin/python3 tools/golden/sam_golden.py path/to/sam.py

Writes ``packages/optim/test/golden/fixtures/sam.json``; deterministic.
"""

import base64
import importlib.util
import json
import os
import struct
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FIXTURES = os.path.join(ROOT, "packages", "optim", "test", "golden", "fixtures")

CONFIGS = [
    # (name, momenta options of sam, the wrapped optimizer and its options)
    ("sgd-momentum", {"rho": 0.05}, "sgd", {"lr": 0.05, "momentum": 0.9}),
    ("adam-rho", {"rho": 0.2}, "adam", {"lr": 0.01}),
    ("adaptive-sgd", {"rho": 0.5, "adaptive": True}, "sgd", {"lr": 0.05, "momentum": 0.9}),
    ("adaptive-adamw", {"rho": 1.0, "adaptive": True}, "adamw", {"lr": 0.01, "weightDecay": 0.05}),
]
TORCH = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}
NAMES = {"lr": "lr", "momentum": "momentum", "weightDecay": "weight_decay"}


def floats(b64, dtype):
    raw = base64.b64decode(b64)
    fmt = "<%dd" % (len(raw) // 8)
    return torch.tensor(struct.unpack(fmt, raw), dtype=torch.float64).to(dtype)


def b64(t):
    t = t.detach().contiguous().view(-1)
    fmt = "<%dd" if t.dtype == torch.float64 else "<%df"
    return base64.b64encode(struct.pack(fmt % t.numel(), *t.tolist())).decode("ascii")


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    spec = importlib.util.spec_from_file_location("reference_sam", sys.argv[1])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    problem = json.load(open(os.path.join(FIXTURES, "problem.json")))
    steps, n = problem["steps"], problem["n"]
    out = {"generator": "tools/golden/sam_golden.py", "reference": "davda54/sam sam.py", "torch": torch.__version__,
           "configs": []}
    for name, options, base, base_options in CONFIGS:
        for dtype_name, dtype in (("float64", torch.float64), ("float32", torch.float32)):
            torch.set_default_dtype(dtype)
            a, c, init = (floats(problem[k], dtype) for k in ("a", "c", "init"))
            noise = floats(problem["noise"], dtype).reshape(steps, n)
            params = []
            for leaf in problem["leaves"]:
                o, size = leaf["offset"], leaf["size"]
                params.append(init[o:o + size].clone().reshape(leaf["shape"]))
            kwargs = {NAMES[k]: v for k, v in base_options.items()}
            opt = module.SAM(params, TORCH[base], rho=options["rho"], adaptive=options.get("adaptive", False),
                             foreach=False, **kwargs)

            def set_grads(t):
                for p, leaf in zip(params, problem["leaves"]):
                    o, size = leaf["offset"], leaf["size"]
                    sl = slice(o, o + size)
                    g = torch.add(torch.mul(a[sl], torch.sub(p.detach().reshape(-1), c[sl])), noise[t][sl])
                    p.grad = g.reshape(p.shape)

            trajectory = [torch.cat([p.detach().reshape(-1) for p in params])]
            for t in range(steps):
                set_grads(t)  # the gradient at w
                opt.step(lambda: set_grads(t))  # the closure: the gradient at w + e(w), same noise
                trajectory.append(torch.cat([p.detach().reshape(-1) for p in params]))
            traj = torch.stack(trajectory)
            assert bool(torch.isfinite(traj).all()) and traj.abs().max() < 100, name
            out["configs"].append({"name": name, "dtype": dtype_name, "options": options, "optimizer": base,
                                   "optimizerOptions": base_options, "trajectory": b64(traj)})
            print("%-16s %s final |p| max %.6g" % (name, dtype_name, traj[-1].abs().max().item()))
    torch.set_default_dtype(torch.float32)
    with open(os.path.join(FIXTURES, "sam.json"), "w", encoding="ascii", newline="\n") as f:
        f.write(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
