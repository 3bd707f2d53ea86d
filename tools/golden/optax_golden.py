#!/usr/bin/env python3
"""Golden fixtures from Optax (JAX on CPU) for the optimizers PyTorch lacks, and from Keras 3 (its JAX
backend) for FTRL, which Optax lacks too.

Replays the shared problem of ``generate.py`` (read back from
``packages/optim/test/golden/fixtures/problem.json``: the same leaves, a, c,
init and noise; the gradient ``a * (p - c) + noise[t]``, op by op in the run's
dtype) with Optax's own optimizers and writes, for each, its parameter
trajectories in float64 and float32 to ``fixtures/optax-<name>.json`` (``keras-<name>.json``):

  {optimizer, optax (keras), jax, configs: [{name, dtype, options, trajectory}]}

``options`` are momenta's (camelCase); ``trajectory`` is (STEPS+1) x N values
in the run's dtype, base64 of little-endian bytes, as in the torch fixtures.

Optax is not in Debian. Run with any Python 3.11: the first run creates
``tools/golden/.venv`` (git-ignored) and installs the pinned jax/jaxlib/optax
there from the machine's package index, then re-runs itself inside it:

    python3 tools/golden/optax_golden.py        # or: npm run golden:optax

Deterministic: eager JAX on CPU, float64 with jax_enable_x64; running twice
gives byte-identical files.
"""

import base64
import json
import os
import subprocess
import sys

sys.dont_write_bytecode = True

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT_DIR = os.path.join(ROOT, "packages", "optim", "test", "golden", "fixtures")
VENV = os.path.join(HERE, ".venv")
PINS = ["jax==0.10.2", "jaxlib==0.10.2", "optax==0.2.8", "keras==3.15.1"]


def ensure_optax():
    """Import optax, or create the venv, install the pins and re-run this script inside it."""
    try:
        import optax  # noqa: F401
        import jax  # noqa: F401
        import keras  # noqa: F401
        return
    except ImportError:
        pass
    if os.environ.get("MOMENTA_OPTAX_VENV") == "1":
        raise SystemExit("optax is still not importable inside %s" % VENV)
    python = os.path.join(VENV, "bin", "python")
    if not os.path.exists(python):
        subprocess.check_call([sys.executable, "-m", "venv", VENV])
    # short retries: an unreachable default index should not stall the extra indexes the machine configures
    subprocess.check_call([python, "-m", "pip", "install", "-q", "--retries", "1", "--timeout", "10", *PINS])
    os.environ["MOMENTA_OPTAX_VENV"] = "1"
    os.execv(python, [python, os.path.abspath(__file__), *sys.argv[1:]])


# Keras 3 on the JAX backend (for FTRL, which Optax lacks); set before keras is first imported
os.environ["KERAS_BACKEND"] = "jax"
ensure_optax()

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_platforms", "cpu")

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import keras  # noqa: E402
import optax  # noqa: E402
from optax import contrib  # noqa: E402

# ---------------------------------------------------------------------------
# The problem, as generate.py wrote it
# ---------------------------------------------------------------------------

with open(os.path.join(OUT_DIR, "problem.json"), encoding="ascii") as f:
    PROBLEM = json.load(f)
STEPS = PROBLEM["steps"]
LEAVES = PROBLEM["leaves"]
N = PROBLEM["n"]


def f64(b64):
    return np.frombuffer(base64.b64decode(b64), dtype="<f8")


A, C, INIT = f64(PROBLEM["a"]), f64(PROBLEM["c"]), f64(PROBLEM["init"])
NOISE = f64(PROBLEM["noise"]).reshape(STEPS, N)


def tree_of(vec, dtype):
    """momenta's tree {dense: {bias, weight}, layers: [l0, l1], scale}; JAX flattens it in this leaf order."""
    leaf = {}
    for li in LEAVES:
        leaf[li["path"]] = jnp.asarray(vec[li["offset"]:li["offset"] + li["size"]].reshape(li["shape"]), dtype=dtype)
    return {
        "dense": {"bias": leaf["dense.bias"], "weight": leaf["dense.weight"]},
        "layers": [leaf["layers.0"], leaf["layers.1"]],
        "scale": leaf["scale"],
    }


def flat(tree):
    return np.concatenate([np.asarray(x).reshape(-1) for x in jax.tree_util.tree_leaves(tree)])


def b64(arr, dtype):
    return base64.b64encode(np.ascontiguousarray(arr, dtype="<f8" if dtype == "float64" else "<f4").tobytes()).decode(
        "ascii")


# ---------------------------------------------------------------------------
# Optimizers: momenta's options -> the Optax transform that defines them
# ---------------------------------------------------------------------------


def decoupled(pre, o):
    """momenta's decoupled chain: [negate] -> preconditioner -> +wd*p -> -lr (as Optax's adamw/adan)."""
    links = []
    if o.get("maximize"):
        links.append(optax.scale(-1.0))
    links.append(pre)
    if o.get("weightDecay", 0.0):
        links.append(optax.add_decayed_weights(o["weightDecay"]))
    links.append(optax.scale_by_learning_rate(o["lr"]))
    return optax.chain(*links)


def yogi(o):
    b1, b2 = o.get("betas", [0.9, 0.999])
    pre = optax.scale_by_yogi(b1=b1, b2=b2, eps=o.get("eps", 1e-3),
                              initial_accumulator_value=o.get("initialAccumulatorValue", 1e-6))
    return decoupled(pre, o)


def adabelief(o):
    b1, b2 = o.get("betas", [0.9, 0.999])
    pre = optax.scale_by_belief(b1=b1, b2=b2, eps=o.get("eps", 1e-16), eps_root=o.get("epsRoot", 1e-16),
                                nesterov=o.get("nesterov", False))
    return decoupled(pre, o)


def adan(o):
    b1, b2, b3 = o.get("betas", [0.98, 0.92, 0.99])
    if not o.get("maximize") and "weightDecay" in o:
        # Optax's own alias, which is this chain
        return optax.adan(o["lr"], b1=b1, b2=b2, b3=b3, eps=o.get("eps", 1e-8), eps_root=o.get("epsRoot", 1e-8),
                          weight_decay=o["weightDecay"])
    pre = optax.scale_by_adan(b1=b1, b2=b2, b3=b3, eps=o.get("eps", 1e-8), eps_root=o.get("epsRoot", 1e-8))
    return decoupled(pre, o)


def adopt(o):
    b1, b2 = o.get("betas", [0.9, 0.9999])
    pre = contrib.scale_by_adopt(b1=b1, b2=b2, eps=o.get("eps", 1e-6), nesterov=o.get("nesterov", False),
                                 use_clipping=o.get("useClipping", True))
    return decoupled(pre, o)


def ademamix(o):
    b1, b2, b3 = o.get("betas", [0.9, 0.999, 0.9999])
    if not o.get("maximize"):
        return contrib.ademamix(o["lr"], b1=b1, b2=b2, b3=b3, alpha=o.get("alpha", 5.0), eps=o.get("eps", 1e-8),
                                eps_root=o.get("epsRoot", 0.0), weight_decay=o.get("weightDecay", 0.0))
    pre = contrib.scale_by_ademamix(b1=b1, b2=b2, b3=b3, alpha=o.get("alpha", 5.0), eps=o.get("eps", 1e-8),
                                    eps_root=o.get("epsRoot", 0.0))
    return decoupled(pre, o)


def lars(o):
    assert not o.get("maximize")
    return optax.lars(o["lr"], weight_decay=o.get("weightDecay", 0.0),
                      trust_coefficient=o.get("trustCoefficient", 0.001), eps=o.get("eps", 0.0),
                      momentum=o.get("momentum", 0.9), nesterov=o.get("nesterov", False))


def prodigy(o):
    """Optax's own contrib.prodigy (its lr and decay inside); maximize negates the gradient first."""
    tx = contrib.prodigy(learning_rate=o.get("lr", 1.0), betas=tuple(o.get("betas", [0.9, 0.999])),
                         beta3=o.get("beta3"), eps=o.get("eps", 1e-8), estim_lr0=o.get("d0", 1e-6),
                         estim_lr_coef=o.get("dCoef", 1.0), weight_decay=o.get("weightDecay", 0.0),
                         safeguard_warmup=o.get("safeguardWarmup", False))
    return optax.chain(optax.scale(-1.0), tx) if o.get("maximize") else tx


def dadapt_adamw(o):
    tx = contrib.dadapt_adamw(learning_rate=o.get("lr", 1.0), betas=tuple(o.get("betas", [0.9, 0.999])),
                              eps=o.get("eps", 1e-8), estim_lr0=o.get("d0", 1e-6),
                              weight_decay=o.get("weightDecay", 0.0))
    return optax.chain(optax.scale(-1.0), tx) if o.get("maximize") else tx


# name -> (builder, [(config name, momenta options)])
CONFIGS = {
    "yogi": (yogi, [
        ("defaults", {"lr": 0.01}),
        ("betas-eps-decay", {"lr": 0.02, "betas": [0.8, 0.99], "eps": 1e-4, "weightDecay": 0.05}),
        ("init-maximize", {"lr": 0.01, "initialAccumulatorValue": 0.5, "maximize": True}),
    ]),
    "adabelief": (adabelief, [
        ("defaults", {"lr": 0.01}),
        ("decay-eps", {"lr": 0.02, "betas": [0.85, 0.995], "eps": 1e-8, "epsRoot": 1e-12, "weightDecay": 0.1}),
        ("nesterov", {"lr": 0.01, "nesterov": True}),
    ]),
    "adan": (adan, [
        ("defaults", {"lr": 0.01, "weightDecay": 0.0}),
        ("betas-decay", {"lr": 0.02, "betas": [0.9, 0.9, 0.999], "weightDecay": 0.02}),
        ("eps-maximize", {"lr": 0.01, "eps": 1e-6, "epsRoot": 0.0, "maximize": True}),
    ]),
    "adopt": (adopt, [
        ("defaults", {"lr": 0.01}),
        ("no-clip-decay", {"lr": 0.01, "useClipping": False, "weightDecay": 0.05}),
        ("nesterov-betas", {"lr": 0.02, "betas": [0.8, 0.99], "eps": 1e-4, "nesterov": True}),
    ]),
    "ademamix": (ademamix, [
        ("defaults", {"lr": 0.01}),
        ("alpha-decay", {"lr": 0.005, "alpha": 8.0, "betas": [0.9, 0.99, 0.999], "weightDecay": 0.1}),
        ("maximize-eps", {"lr": 0.01, "eps": 1e-6, "epsRoot": 1e-10, "maximize": True}),
    ]),
    "prodigy": (prodigy, [
        ("defaults", {}),
        ("decay-beta3-coef", {"lr": 0.5, "betas": [0.8, 0.99], "beta3": 0.9, "dCoef": 0.5, "weightDecay": 0.05,
                              "d0": 1e-4}),
        ("safeguard-eps", {"safeguardWarmup": True, "eps": 1e-6, "d0": 1e-3}),
        ("maximize", {"maximize": True, "lr": 0.02, "d0": 0.1}),
    ]),
    "dadaptAdamw": (dadapt_adamw, [
        ("defaults", {}),
        ("decay-betas", {"lr": 0.5, "betas": [0.8, 0.99], "weightDecay": 0.05, "d0": 1e-4}),
        ("eps-d0", {"eps": 1e-6, "d0": 1e-3}),
        ("maximize", {"maximize": True, "lr": 0.02, "d0": 0.1}),
    ]),
    "lars": (lars, [
        ("defaults", {"lr": 1.0}),
        ("decay-nesterov", {"lr": 2.0, "weightDecay": 0.01, "nesterov": True, "momentum": 0.8}),
        ("coefficient-eps", {"lr": 0.5, "trustCoefficient": 0.01, "eps": 1e-3, "momentum": 0.5}),
    ]),
}


def keras_ftrl(o):
    return keras.optimizers.Ftrl(
        learning_rate=o.get("lr", 1e-3), learning_rate_power=o.get("lrPower", -0.5),
        initial_accumulator_value=o.get("initialAccumulatorValue", 0.1),
        l1_regularization_strength=o.get("l1RegularizationStrength", 0.0),
        l2_regularization_strength=o.get("l2RegularizationStrength", 0.0),
        l2_shrinkage_regularization_strength=o.get("l2ShrinkageRegularizationStrength", 0.0),
        beta=o.get("beta", 0.0))


# Keras optimizers: name -> (builder, [(config name, momenta options)]); run by run_keras
KERAS_CONFIGS = {
    "ftrl": (keras_ftrl, [
        ("defaults", {"lr": 0.1}),
        ("l1-l2", {"lr": 0.2, "l1RegularizationStrength": 0.05, "l2RegularizationStrength": 0.1}),
        ("power-shrinkage-beta", {"lr": 0.1, "lrPower": -0.7, "initialAccumulatorValue": 0.5,
                                  "l2ShrinkageRegularizationStrength": 0.05, "beta": 0.3}),
        ("power-zero", {"lr": 0.05, "lrPower": 0.0, "l1RegularizationStrength": 0.01}),
    ]),
}


def run_keras(builder, options, dtype):
    """The same problem through a Keras optimizer: one keras.Variable per leaf, apply_gradients per step."""
    assert not options.get("maximize")
    keras.config.set_floatx(dtype)
    jdt = jnp.float64 if dtype == "float64" else jnp.float32
    a, c = tree_of(A, jdt), tree_of(C, jdt)
    leaves = jax.tree_util.tree_leaves(tree_of(INIT, jdt))
    variables = [keras.Variable(np.asarray(x), dtype=dtype) for x in leaves]
    opt = builder(options)
    traj = [np.concatenate([np.asarray(v.value).reshape(-1) for v in variables])]
    for t in range(STEPS):
        noise = jax.tree_util.tree_leaves(tree_of(NOISE[t], jdt))
        grads = [ai * (jnp.asarray(v.value) - ci) + ni for ai, v, ci, ni in
                 zip(jax.tree_util.tree_leaves(a), variables, jax.tree_util.tree_leaves(c), noise)]
        opt.apply_gradients(list(zip(grads, variables)))
        for v in variables:
            assert v.value.dtype == jdt, (v.value.dtype, jdt)
        traj.append(np.concatenate([np.asarray(v.value).reshape(-1) for v in variables]))
    out = np.stack(traj)
    assert np.isfinite(out).all(), "non-finite values"
    assert np.abs(out).max() < 100, "diverged"
    return out


def run(builder, options, dtype):
    jdt = jnp.float64 if dtype == "float64" else jnp.float32
    a, c = tree_of(A, jdt), tree_of(C, jdt)
    params = tree_of(INIT, jdt)
    tx = builder(options)
    state = tx.init(params)
    traj = [flat(params)]
    for t in range(STEPS):
        noise = tree_of(NOISE[t], jdt)
        # g = a * (p - c) + noise[t]   (sub, then mul, then add)
        grads = jax.tree_util.tree_map(lambda ai, p, ci, ni: ai * (p - ci) + ni, a, params, c, noise)
        updates, state = tx.update(grads, state, params)
        params = optax.apply_updates(params, updates)
        for leaf in jax.tree_util.tree_leaves(params):
            assert leaf.dtype == jdt, (leaf.dtype, jdt)
        traj.append(flat(params))
    out = np.stack(traj)
    assert np.isfinite(out).all(), "non-finite values"
    assert np.abs(out).max() < 100, "diverged"
    return out


# SAM: Optax's contrib.sam with the normalized-SGD adversary of its docstring, sync_period 2 — two
# Optax updates make one SAM step (the adversarial one, then the real one), both gradients taken with
# step t's noise; momenta's `sam` does the pair in one update. name -> [(config, sam options,
# wrapped optimizer, its options)]
SAM_CONFIGS = [
    ("sgd-momentum", {"rho": 0.05}, "sgd", {"lr": 0.05, "momentum": 0.9}),
    ("adam-rho", {"rho": 0.2}, "adam", {"lr": 0.01}),
]


def run_sam(options, base, base_options, dtype):
    jdt = jnp.float64 if dtype == "float64" else jnp.float32
    a, c = tree_of(A, jdt), tree_of(C, jdt)
    params = tree_of(INIT, jdt)
    if base == "sgd":
        outer = optax.sgd(base_options["lr"], momentum=base_options["momentum"])
    else:
        outer = optax.adam(base_options["lr"])
    adversary = optax.chain(optax.contrib.normalize(), optax.sgd(options["rho"]))
    tx = optax.contrib.sam(outer, adversary, sync_period=2, reset_state=True, opaque_mode=False)
    state = tx.init(params)
    traj = [flat(params)]
    for t in range(STEPS):
        noise = tree_of(NOISE[t], jdt)
        for _ in range(2):
            grads = jax.tree_util.tree_map(lambda ai, p, ci, ni: ai * (p - ci) + ni, a, params, c, noise)
            updates, state = tx.update(grads, state, params)
            params = optax.apply_updates(params, updates)
        traj.append(flat(params))
    out = np.stack(traj)
    assert np.isfinite(out).all() and np.abs(out).max() < 100
    return out


def dump(path, obj):
    text = json.dumps(obj, indent=2, ensure_ascii=True) + "\n"
    with open(path, "w", encoding="ascii", newline="\n") as f:
        f.write(text)
    return len(text)


def main():
    only = sys.argv[1:]  # optional: the optimizers to regenerate (default: all)
    known = {**CONFIGS, **KERAS_CONFIGS, "sam": None}
    unknown = [n for n in only if n not in known]
    if unknown:
        raise SystemExit("unknown optimizer(s) %s; known: %s" % (", ".join(unknown), ", ".join(known)))
    if not only or "sam" in only:
        out = []
        for config_name, options, base, base_options in SAM_CONFIGS:
            for dtype in ("float64", "float32"):
                traj = run_sam(options, base, base_options, dtype)
                out.append({"name": config_name, "dtype": dtype, "options": options, "optimizer": base,
                            "optimizerOptions": base_options, "trajectory": b64(traj, dtype)})
                print("%-10s %-16s %s  final |p| max %.6g" % ("sam", config_name, dtype, np.abs(traj[-1]).max()))
        size = dump(os.path.join(OUT_DIR, "optax-sam.json"),
                    {"optimizer": "sam", "optax": optax.__version__, "jax": jax.__version__, "configs": out})
        print("  optax-sam.json: %d bytes" % size)
    for name, entry in known.items():
        if name == "sam" or (only and name not in only):
            continue
        builder, configs = entry
        runner = run_keras if name in KERAS_CONFIGS else run
        out = []
        for config_name, options in configs:
            for dtype in ("float64", "float32"):
                traj = runner(builder, options, dtype)
                out.append({"name": config_name, "dtype": dtype, "options": options, "trajectory": b64(traj, dtype)})
                print("%-10s %-16s %s  final |p| max %.6g" % (name, config_name, dtype, np.abs(traj[-1]).max()))
        if name in KERAS_CONFIGS:
            file, ref = "keras-%s.json" % name, {"keras": keras.__version__}
        else:
            file, ref = "optax-%s.json" % name, {"optax": optax.__version__}
        size = dump(os.path.join(OUT_DIR, file), {"optimizer": name, **ref, "jax": jax.__version__, "configs": out})
        print("  %s: %d bytes" % (file, size))


if __name__ == "__main__":
    main()
