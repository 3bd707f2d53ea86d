#!/usr/bin/env python3
"""PyTorch anchor for momenta's optimizer-step benchmark.

Times `opt.step()` alone: float32 params and their (fixed, random) `.grad` are made before timing, the
optimizer is built with `foreach=True`, and each timed run repeats the step until it has taken at least
`--min-seconds` and `--min-steps` steps, then divides. A case's M params/s is the median over its runs
of params / (seconds per step) / 1e6. The runs are spread over `--passes` sweeps of all cases (fresh
params and optimizer each pass, same seed), so a slow spell of a shared machine spoils a few runs of a
case rather than all of them.

Allocator: PyTorch's CPU temporaries come from glibc malloc, which by default serves large blocks with
mmap and adjusts that threshold as blocks are freed, so the same step flips between ~0 and hundreds (at
1e7: tens of thousands) of page faults per step and 1e5/1e6 results come out bimodal (3-4x apart). By
default this script therefore sets M_MMAP_MAX=0 and a 1 GiB M_TRIM_THRESHOLD (mallopt, before torch is
imported): temporaries are reused from the heap, which is PyTorch at its steadiest and fastest.
`--system-malloc` keeps glibc's defaults. The JSON's "malloc" field says which was used.

Prints ONE JSON object on stdout; progress goes to stderr.

    /usr/bin/python3 bench/anchors/pytorch.py --threads 2 [--quick]
"""

import argparse
import ctypes
import gc
import json
import os
import random
import sys
import time

M_TRIM_THRESHOLD = -1
M_MMAP_MAX = -4


def tune_malloc():
    """Keep freed temporaries in the heap (no mmap, no trimming); returns what was set."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        ok = libc.mallopt(M_MMAP_MAX, 0) == 1 and libc.mallopt(M_TRIM_THRESHOLD, 1 << 30) == 1
    except (OSError, AttributeError):
        ok = False
    return "glibc: M_MMAP_MAX=0, M_TRIM_THRESHOLD=1GiB" if ok else "system (mallopt unavailable)"


# Before torch is imported (and allocates anything), hence read from argv before argparse runs.
MALLOC = "system" if "--system-malloc" in sys.argv else tune_malloc()

import torch  # noqa: E402

MANY = 10_000
SIZES = [100_000, 1_000_000, 10_000_000]
QUICK_SIZES = [100_000, 1_000_000]
LAYOUTS = ["one", "many"]
OPTIMIZERS = ["adamw", "adam", "sgd-momentum", "rmsprop", "adagrad"]
SEED = 1234


def make_optimizer(name, params):
    if name == "adamw":
        return torch.optim.AdamW(params, lr=1e-3, weight_decay=0.01, foreach=True)
    if name == "adam":
        return torch.optim.Adam(params, lr=1e-3, foreach=True)
    if name == "sgd-momentum":
        return torch.optim.SGD(params, lr=0.01, momentum=0.9, foreach=True)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=0.01, foreach=True)
    if name == "adagrad":
        return torch.optim.Adagrad(params, lr=0.01, foreach=True)
    raise ValueError(f"unknown optimizer {name}")


def make_params(n, layout):
    """Float32 leaf params with `.grad` set once to standard-normal data."""
    torch.manual_seed(SEED)
    count, size = (1, n) if layout == "one" else (MANY, n // MANY)
    params = []
    for _ in range(count):
        p = torch.nn.Parameter(torch.randn(size, dtype=torch.float32))
        p.grad = torch.randn(size, dtype=torch.float32)
        params.append(p)
    return params


def others_cpu_seconds():
    """CPU seconds spent so far by everything on the machine except this process (None off Linux)."""
    try:
        with open("/proc/stat") as f:
            ticks = [int(x) for x in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    busy = (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # less idle and iowait
    own = os.times()
    return busy - own.user - own.system


def others_cores(since, wall):
    """Cores that other processes kept busy, on average, over `wall` seconds since `since`."""
    now = others_cpu_seconds()
    if now is None or since is None or wall <= 0:
        return None
    return max(0.0, (now - since) / wall)


def wait_for_quiet(budget, threshold):
    """Sleep (up to budget["left"] seconds in all) while other processes keep > threshold cores busy."""
    while budget["left"] > 0:
        since, t0 = others_cpu_seconds(), time.perf_counter()
        time.sleep(0.25)
        load = others_cores(since, time.perf_counter() - t0)
        if load is None or load <= threshold:
            return
        budget["left"] -= 0.25
        budget["waited"] += 0.25


def time_steps(step, min_seconds, min_steps):
    """One run: steps until both minimums are reached; (seconds per step, steps, cores others used)."""
    steps = 0
    since = others_cpu_seconds()
    start = time.perf_counter()
    while True:
        step()
        steps += 1
        elapsed = time.perf_counter() - start
        if steps >= min_steps and elapsed >= min_seconds:
            return elapsed / steps, steps, others_cores(since, elapsed)


def span(xs, fmt="d"):
    """'2' for [2], '1-2' for [1, 2]."""
    lo, hi = format(min(xs), fmt), format(max(xs), fmt)
    return lo if lo == hi else f"{lo}-{hi}"


def median(xs):
    s = sorted(xs)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2


def measure(step, n, runs, budget_seconds, args):
    """Warm up; then `runs` timed runs; past the budget: fewer steps per run, then fewer runs."""
    warm_start = time.perf_counter()
    warm_steps = 0
    last = 0.0
    while warm_steps < args.warmup or time.perf_counter() - warm_start < args.warmup_seconds:
        t0 = time.perf_counter()
        step()
        last = time.perf_counter() - t0
        warm_steps += 1

    min_steps, min_seconds = args.min_steps, args.min_seconds
    reduced = None
    if runs * max(min_steps * last, min_seconds) > budget_seconds:
        min_steps = max(1, min(min_steps, int(budget_seconds / (runs * last))))
        if runs * min_steps * last > budget_seconds:
            runs = max(1, min(runs, int(budget_seconds / last)))
        min_seconds = 0.0
        reduced = (runs, min_steps, last)

    per_run, steps, others = [], [], []
    for _ in range(runs):
        seconds, k, load = time_steps(step, min_seconds, min_steps)
        per_run.append(n / seconds / 1e6)
        steps.append(k)
        others.append(load)
    return per_run, steps, others, reduced


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="only n = 1e5 and 1e6")
    parser.add_argument("--sizes", type=str, default=None, help="comma-separated sizes (overrides --quick)")
    parser.add_argument("--layouts", type=str, default=",".join(LAYOUTS))
    parser.add_argument("--optimizers", type=str, default=",".join(OPTIMIZERS))
    parser.add_argument("--runs", type=int, default=6, help="timed runs per case, over all passes")
    parser.add_argument("--passes", type=int, default=3, help="sweeps over the cases; each times runs/passes")
    parser.add_argument("--warmup", type=int, default=1, help="minimum warm-up steps per pass")
    parser.add_argument("--warmup-seconds", type=float, default=0.1, help="minimum warm-up time per pass")
    parser.add_argument("--min-seconds", type=float, default=0.2)
    parser.add_argument("--min-steps", type=int, default=3)
    parser.add_argument(
        "--budget-seconds", type=float, default=3.0, help="per-case budget for the timed runs, all passes"
    )
    parser.add_argument("--system-malloc", action="store_true", help="keep glibc's default mmap behaviour")
    parser.add_argument(
        "--busy-cores",
        type=float,
        default=0.25,
        help="a run during which other processes kept more cores than this busy is 'busy'",
    )
    parser.add_argument(
        "--max-wait", type=float, default=60.0, help="seconds in all to wait for other processes to calm down"
    )
    args = parser.parse_args()

    random.seed(SEED)
    torch.manual_seed(SEED)
    torch.set_num_threads(args.threads)

    if args.sizes:
        sizes = [int(float(s)) for s in args.sizes.split(",")]
    else:
        sizes = QUICK_SIZES if args.quick else SIZES
    layouts = args.layouts.split(",")
    optimizers = args.optimizers.split(",")

    # Cases are swept `passes` times, each pass timing its share of the runs on fresh params and a fresh
    # optimizer: a slow spell of this shared machine then spoils one pass's runs, not a whole case.
    cases = [(n, layout, name) for n in sizes for layout in layouts for name in optimizers]
    per_pass = -(-args.runs // args.passes)
    budget = args.budget_seconds / args.passes
    results = {case: {"runs": [], "steps": [], "others": [], "reduced": []} for case in cases}
    wait = {"left": args.max_wait, "waited": 0.0}
    started = time.perf_counter()
    for p in range(args.passes):
        for case in cases:
            n, layout, name = case
            wait_for_quiet(wait, args.busy_cores)
            params = make_params(n, layout)  # the same seed for every optimizer and pass
            opt = make_optimizer(name, params)
            per_run, steps, others, reduced = measure(opt.step, n, per_pass, budget, args)
            acc = results[case]
            acc["runs"] += per_run
            acc["steps"] += steps
            acc["others"] += others
            if reduced:
                acc["reduced"].append(reduced)
            print(
                f"pytorch-{args.threads}t pass {p + 1}/{args.passes} {name:>12} n={n:.0e} {layout:>4}: "
                f"{median(per_run):9.1f} M params/s",
                file=sys.stderr,
                flush=True,
            )
            del opt, params
            gc.collect()

    # With 2 threads on 2 cores, one busy neighbour stalls every parallel region (3x to 100x slower steps):
    # the median is taken over the runs no other process disturbed, when there are enough of them.
    rows = []
    for case in cases:
        n, layout, name = case
        acc = results[case]
        notes = []
        if acc["reduced"]:
            runs = sorted({r[0] for r in acc["reduced"]})
            steps = sorted({r[1] for r in acc["reduced"]})
            secs = [r[2] for r in acc["reduced"]]
            notes.append(
                f"reduced to {span(runs)} run(s) x {span(steps)} step(s) per pass in {len(acc['reduced'])} "
                f"of {args.passes} passes: a step takes ~{span([min(secs), max(secs)], '.2f')} s"
            )
        quiet = [r for r, load in zip(acc["runs"], acc["others"]) if load is None or load <= args.busy_cores]
        busy = len(acc["runs"]) - len(quiet)
        if busy and len(quiet) >= min(3, len(acc["runs"])):
            kept = quiet
            notes.append(f"median of the {len(quiet)} runs without other load ({busy} busy runs left out)")
        else:
            kept = acc["runs"]
            if busy:
                worst = max(load for load in acc["others"] if load is not None)
                notes.append(f"MACHINE BUSY: other processes used up to {worst:.1f} cores in {busy} runs")
        row = {
            "optimizer": name,
            "n": n,
            "layout": layout,
            "mparams": median(kept),
            "runs": acc["runs"],
            "steps": acc["steps"],
            "others_cores": acc["others"],
        }
        if notes:
            row["note"] = "; ".join(notes)
        rows.append(row)

    result = {
        "available": True,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "malloc": MALLOC,
        "passes": args.passes,
        "waited_for_quiet_seconds": wait["waited"],
        "seconds": time.perf_counter() - started,
        "rows": rows,
    }
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
