#!/usr/bin/python3
"""Optuna's side of the search benchmark on benchfn (Hartmann-6 with a
learning curve); see README.md beside this file.

The objective reimplements plugins/internal/benchfn exactly: the same f, the
same search space, the same learning-curve formula. Only the noise stream
differs: Python's random.gauss rather than Go's PCG, so the curves have the
same distribution, not the same draws.

For each seed it runs four studies of --trials trials each:

  tpe          TPESampler(seed), every trial trained for all 27 epochs
  tpe+sha      the same with SuccessiveHalvingPruner(min_resource=1,
               reduction_factor=3), Optuna's asynchronous successive
               halving, i.e. its ASHA
  random       RandomSampler(seed), all 27 epochs
  random+sha   RandomSampler with the same pruner

A trial's value is the minimum of its val curve so far, as sweep scores a
trial; it is reported after every epoch with step = epochs trained (1..27),
so the pruner's rungs fall after 1, 3, 9 and 27 epochs. The best score of a
study is the minimum over all its trials, pruned ones included (their curve
so far is as real an observation as a finished trial's).

Needs Optuna 3.1, e.g. Debian's python3-optuna:

  /usr/bin/python3 scripts/bench/optuna_search.py [--workers 2] [--json out.json]
"""

import argparse
import json
import math
import random
import statistics
import threading
import time

import optuna

# --- benchfn, as in plugins/internal/benchfn ---------------------------------

OPTIMUM_VALUE = -3.32237
EPOCHS = 27
NOISE = 0.02

ACT_OFFSETS = {"gelu": 0.0, "relu": 0.05, "tanh": 0.2, "sigmoid": 0.5}

HART_ALPHA = (1.0, 1.2, 3.0, 3.2)
HART_A = (
    (10, 3, 17, 3.5, 1.7, 8),
    (0.05, 10, 17, 0.1, 8, 14),
    (3, 3.5, 1.7, 10, 17, 8),
    (17, 8, 0.05, 10, 0.1, 14),
)
HART_P = (
    (0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886),
    (0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991),
    (0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650),
    (0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381),
)


def hartmann6(x):
    """Hartmann-6; minimum -3.32237 on [0, 1]^6."""
    f = 0.0
    for alpha, a, p in zip(HART_ALPHA, HART_A, HART_P):
        f -= alpha * math.exp(-sum(aj * (xj - pj) ** 2 for aj, xj, pj in zip(a, x, p)))
    return f


def cube(h):
    """The hyperparameters h mapped onto Hartmann's unit cube."""
    return (
        h["dropout"],
        h["warmup"],
        (math.log10(h["lr"]) + 4) / 3,
        h["momentum"],
        h["smoothing"],
        (h["width"] - 8) / 248,
    )


def f(h):
    """The converged val loss: Hartmann-6 plus the activation's offset."""
    return hartmann6(cube(h)) + ACT_OFFSETS[h["act"]]


def val_clean(h, fh, epoch):
    """The noise-free val loss after epoch (from 0); fh is f(h)."""
    a = 1 + 0.5 * h["dropout"]
    tau = 2 + 2 * (1 - cube(h)[2])
    return fh + a * math.exp(-(epoch + 1) / tau)


def suggest(trial):
    return {
        "lr": trial.suggest_float("lr", 1e-4, 1e-1, log=True),
        "width": trial.suggest_int("width", 8, 256),
        "act": trial.suggest_categorical("act", list(ACT_OFFSETS)),
        "dropout": trial.suggest_float("dropout", 0.0, 1.0),
        "warmup": trial.suggest_float("warmup", 0.0, 1.0),
        "momentum": trial.suggest_float("momentum", 0.0, 1.0),
        "smoothing": trial.suggest_float("smoothing", 0.0, 1.0),
    }


# --- the benchmark -----------------------------------------------------------

VARIANTS = ("tpe", "tpe+sha", "random", "random+sha")


def make_objective(seed, prune):
    def objective(trial):
        h = suggest(trial)
        fh = f(h)
        # Each trial its own stream: threads (--workers 2) share nothing.
        rng = random.Random(seed * 1_000_003 + trial.number)
        best = math.inf
        trial.set_user_attr("f", fh)
        for epoch in range(EPOCHS):
            best = min(best, val_clean(h, fh, epoch) + NOISE * rng.gauss(0.0, 1.0))
            trial.set_user_attr("best", best)
            trial.set_user_attr("epochs", epoch + 1)
            if prune:
                trial.report(best, epoch + 1)
                if trial.should_prune():
                    raise optuna.TrialPruned()
        return best

    return objective


def run_study(variant, seed, trials, workers):
    sampler = (
        optuna.samplers.TPESampler(seed=seed)
        if variant.startswith("tpe")
        else optuna.samplers.RandomSampler(seed=seed)
    )
    prune = variant.endswith("+sha")
    pruner = (
        optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
        if prune
        else optuna.pruners.NopPruner()
    )
    study = optuna.create_study(direction="minimize", sampler=sampler, pruner=pruner)
    start = time.perf_counter()
    study.optimize(make_objective(seed, prune), n_trials=trials, n_jobs=workers)
    seconds = time.perf_counter() - start
    done = [t for t in study.trials if "best" in t.user_attrs]
    best = min(done, key=lambda t: t.user_attrs["best"])
    complete = [t for t in done if t.state == optuna.trial.TrialState.COMPLETE]
    return {
        "seed": seed,
        "best": best.user_attrs["best"],
        "f_of_best": best.user_attrs["f"],
        "best_complete": min((t.value for t in complete), default=None),
        "best_params": best.params,
        "epochs": sum(t.user_attrs["epochs"] for t in done),
        "pruned": sum(t.state == optuna.trial.TrialState.PRUNED for t in done),
        # A trial pruned at the last rung (27 epochs) has saved nothing.
        "stopped_early": sum(t.user_attrs["epochs"] < EPOCHS for t in done),
        "seconds": seconds,
    }


def summarise(variant, runs, trials):
    full = trials * EPOCHS
    bests = [r["best"] for r in runs]
    epochs = statistics.mean(r["epochs"] for r in runs)
    return (
        f"{variant:<11} {statistics.mean(bests):>9.4f} {statistics.median(bests):>9.4f} "
        f"{statistics.mean(r['f_of_best'] for r in runs):>10.4f} "
        f"{epochs:>8.1f} {epochs / full:>6.3f} "
        f"{statistics.mean(r['stopped_early'] for r in runs):>7.1f} "
        f"{sum(r['seconds'] for r in runs):>7.1f}"
    )


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=10, help="seeds 0..N-1 (default 10)")
    ap.add_argument("--trials", type=int, default=60, help="trials per study (default 60)")
    ap.add_argument("--workers", type=int, default=1, help="Optuna n_jobs: parallel threads (default 1)")
    ap.add_argument("--json", metavar="FILE", help="write the per-seed results to FILE")
    ap.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated subset of " + ",".join(VARIANTS))
    args = ap.parse_args()
    variants = args.variants.split(",")
    if unknown := set(variants) - set(VARIANTS):
        ap.error(f"unknown variants {sorted(unknown)}")

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    results = {}
    print(
        f"optuna {optuna.__version__}, {args.seeds} seeds x {args.trials} trials x {EPOCHS} epochs, "
        f"noise {NOISE}, workers {args.workers}; optimum {OPTIMUM_VALUE}"
    )
    print(f"{'variant':<11} {'mean':>9} {'median':>9} {'f(cfg)':>10} {'epochs':>8} {'frac':>6} {'early':>7} {'sec':>7}")
    for variant in variants:
        results[variant] = [run_study(variant, seed, args.trials, args.workers) for seed in range(args.seeds)]
        print(summarise(variant, results[variant], args.trials), flush=True)
    print(
        "mean/median: best score (min val loss over all trials, pruned included); f(cfg): noise-free f\n"
        f"of the best trial's configuration, mean; epochs: mean epochs trained per study, frac: of {args.trials}x{EPOCHS};\n"
        "early: mean trials per study pruned before their last epoch; sec: wall time of all seeds"
    )
    if args.json:
        config = {"seeds": args.seeds, "trials": args.trials, "epochs": EPOCHS, "noise": NOISE,
                  "workers": args.workers, "optuna": optuna.__version__, "optimum": OPTIMUM_VALUE}
        with open(args.json, "w") as out:
            json.dump({"config": config, "results": results}, out, indent=1)
            out.write("\n")


if __name__ == "__main__":
    main()
