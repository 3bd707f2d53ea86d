#!/usr/bin/python3
"""Golden fixtures for SOAP from the authors' own code (nikhilvyas/SOAP, ``soap.py``).

SOAP is in neither torch.optim nor Optax, and not on the package index, so the authors' file is read
from a path given on the command line (clone https://github.com/nikhilvyas/SOAP; the fixtures were
made from commit a1e5535):

    /usr/bin/python3 tools/golden/soap_golden.py path/to/SOAP/soap.py     # Debian's python3-torch

It replays the shared problem of ``generate.py`` (``fixtures/problem.json``: the same leaves, with
their shapes, and the gradient ``a * (p - c) + noise[t]`` op by op in the run's dtype) and writes
the parameter trajectories in float64 and float32 to ``fixtures/soap.json``:

  {optimizer, reference, torch, configs: [{name, dtype, options, trajectory}]}

One change is made to the authors' code, and only to let float64 runs stay float64: their
preconditioner matrices are created in the default dtype and cast to float32 (``.float()``) for
``eigh`` and ``qr``; here the default dtype is the run's and the casts are removed. Float32 runs are
the authors' numerics unchanged. Deterministic: running twice gives byte-identical files.
"""

import base64
import json
import os
import sys
import types

sys.dont_write_bytecode = True

import numpy as np  # noqa: E402
import torch  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(ROOT, "packages", "optim", "test", "golden", "fixtures", "soap.json")

with open(os.path.join(os.path.dirname(OUT), "problem.json"), encoding="ascii") as f:
    PROBLEM = json.load(f)
STEPS, LEAVES, N = PROBLEM["steps"], PROBLEM["leaves"], PROBLEM["n"]


def f64(b64):
    return torch.from_numpy(np.frombuffer(base64.b64decode(b64), dtype="<f8").copy())


A, C, INIT = f64(PROBLEM["a"]), f64(PROBLEM["c"]), f64(PROBLEM["init"])
NOISE = f64(PROBLEM["noise"]).reshape(STEPS, N)


def load_soap(path):
    """The authors' SOAP class, with the float32 casts of its preconditioner removed (see above)."""
    with open(path, encoding="utf8") as f:
        source = f.read()
    casts = source.count("m.data.float()") + source.count("o.data.float()")
    assert casts == 5, "unexpected soap.py: found %d of the 5 casts this script removes" % casts
    source = source.replace("m.data.float()", "m.data").replace("o.data.float()", "o.data")
    module = types.ModuleType("soap_reference")
    exec(compile(source, path, "exec"), module.__dict__)  # the file the user named, as a module
    return module.SOAP


# momenta's options (camelCase) -> the authors' keyword arguments
KWARGS = {"lr": "lr", "betas": "betas", "shampooBeta": "shampoo_beta", "eps": "eps",
          "weightDecay": "weight_decay", "preconditionFrequency": "precondition_frequency",
          "maxPrecondDim": "max_precond_dim", "mergeDims": "merge_dims", "precondition1d": "precondition_1d",
          "normalizeGrads": "normalize_grads", "correctBias": "correct_bias"}

CONFIGS = [
    ("defaults", {}),
    ("frequency-3-decay", {"lr": 0.01, "preconditionFrequency": 3, "weightDecay": 0.05, "betas": [0.9, 0.99]}),
    # (no precondition1d or mergeDims here: a 1-D leaf's first G is rank one, and the basis of its null
    # space is arbitrary — LAPACK's and momenta's differ, and the runs with them)
    ("shampoo-beta", {"lr": 0.005, "shampooBeta": 0.8, "preconditionFrequency": 5}),
    ("max-dim-no-bias-correction", {"lr": 0.003, "maxPrecondDim": 3, "correctBias": False, "weightDecay": 0.0,
                                    "preconditionFrequency": 4}),
    ("normalize-lerp-weight", {"lr": 0.002, "normalizeGrads": True, "shampooBeta": 0.3,
                               "preconditionFrequency": 2}),
]


def run(SOAP, options, dtype):
    torch.set_default_dtype(dtype)
    a, c, init, noise = (x.to(dtype) for x in (A, C, INIT, NOISE))

    def split(vec):
        return [vec[li["offset"]:li["offset"] + li["size"]].reshape(li["shape"]) for li in LEAVES]

    params = [t.clone().requires_grad_(False) for t in split(init)]
    a_l, c_l = split(a), split(c)
    kwargs = {KWARGS[k]: (tuple(v) if k == "betas" else v) for k, v in options.items()}
    if kwargs.get("shampoo_beta") is None:
        kwargs.pop("shampoo_beta", None)
    opt = SOAP(params, **kwargs)
    traj = [torch.cat([p.reshape(-1) for p in params]).clone()]
    for t in range(STEPS):
        noise_l = split(noise[t])
        for i, p in enumerate(params):
            # g = a * (p - c) + noise[t]   (sub, then mul, then add)
            p.grad = torch.add(torch.mul(a_l[i], torch.sub(p, c_l[i])), noise_l[i])
        opt.step()
        for p in params:
            assert p.dtype == dtype
        traj.append(torch.cat([p.reshape(-1) for p in params]).clone())
    out = torch.stack(traj)
    assert bool(torch.isfinite(out).all()), "non-finite values"
    assert out.abs().max().item() < 100, "diverged"
    return out


def main():
    if len(sys.argv) != 2:
        raise SystemExit("usage: soap_golden.py path/to/nikhilvyas/SOAP/soap.py")
    SOAP = load_soap(sys.argv[1])
    torch.set_num_threads(1)
    out = []
    for name, options in CONFIGS:
        for dtype, tag, np_dtype in ((torch.float64, "float64", "<f8"), (torch.float32, "float32", "<f4")):
            traj = run(SOAP, options, dtype)
            data = np.ascontiguousarray(traj.numpy(), dtype=np_dtype).tobytes()
            out.append({"name": name, "dtype": tag, "options": options,
                        "trajectory": base64.b64encode(data).decode("ascii")})
            print("soap %-28s %s final |p| max %.6g" % (name, tag, traj[-1].abs().max().item()))
    text = json.dumps({"optimizer": "soap", "reference": "nikhilvyas/SOAP soap.py (a1e5535)",
                       "torch": torch.__version__, "configs": out}, indent=2, ensure_ascii=True) + "\n"
    with open(OUT, "w", encoding="ascii", newline="\n") as f:
        f.write(text)
    print("  soap.json: %d bytes" % len(text))


if __name__ == "__main__":
    main()
