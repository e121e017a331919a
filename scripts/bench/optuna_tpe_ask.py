#!/usr/bin/python3
"""Times one ask of Optuna 3.1's TPESampler with 1,000 completed trials.

Optuna's side of BenchmarkTPEAsk1000 (orchestrator/search/tpe_test.go):
the same 7-dimensional space (benchfn's, see README.md: one log-uniform,
one int, one categorical and four uniform dimensions), 1,000 COMPLETE
trials drawn at random and added with study.add_trials to an in-memory
study, then one ask proposing all seven values, timed two ways:

  ask     study.ask(fixed_distributions=...): the trial is created and each
          parameter suggested, which calls TPESampler.sample_independent
          (univariate TPE is sampled parameter by parameter at suggest
          time); end to end, as a user's ask costs.
  sample  the seven sampler.sample_independent calls alone, on a trial
          asked beforehand: the sampler's own work (it still reads the
          1,000 trials from storage on every call, as it always does).

Each ask's trial is then told FAIL, which TPE ignores, so that every
repeat sees the same 1,000 observations.

Needs Optuna 3.1, e.g. Debian's python3-optuna:

  /usr/bin/python3 scripts/bench/optuna_tpe_ask.py [--repeats 7]

Compare with

  go test -run '^$' -bench TPEAsk1000 -benchmem ./orchestrator/search/
"""

import argparse
import random
import statistics
import subprocess
import time

import optuna
from optuna.distributions import CategoricalDistribution
from optuna.distributions import FloatDistribution
from optuna.distributions import IntDistribution
from optuna.trial import TrialState
from optuna.trial import create_trial

SPACE = {
    "lr": FloatDistribution(1e-4, 1e-1, log=True),
    "width": IntDistribution(8, 256),
    "act": CategoricalDistribution(["gelu", "relu", "tanh", "sigmoid"]),
    "dropout": FloatDistribution(0.0, 1.0),
    "warmup": FloatDistribution(0.0, 1.0),
    "momentum": FloatDistribution(0.0, 1.0),
    "smoothing": FloatDistribution(0.0, 1.0),
}


def draw(rng):
    return {
        "lr": 10 ** rng.uniform(-4, -1),
        "width": rng.randint(8, 256),
        "act": rng.choice(SPACE["act"].choices),
        "dropout": rng.random(),
        "warmup": rng.random(),
        "momentum": rng.random(),
        "smoothing": rng.random(),
    }


def study_with(n):
    rng = random.Random(2024)
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=1))
    study.add_trials(
        [
            create_trial(state=TrialState.COMPLETE, value=rng.gauss(0, 1), params=draw(rng),
                         distributions=SPACE)
            for _ in range(n)
        ]
    )
    return study


def time_ask(study):
    t0 = time.perf_counter()
    trial = study.ask(fixed_distributions=SPACE)
    dt = time.perf_counter() - t0
    study.tell(trial, state=TrialState.FAIL)
    return dt


def time_sample(study):
    trial = study.ask()
    frozen = study._storage.get_trial(trial._trial_id)
    t0 = time.perf_counter()
    for name, dist in SPACE.items():
        study.sampler.sample_independent(study, frozen, name, dist)
    dt = time.perf_counter() - t0
    study.tell(trial, state=TrialState.FAIL)
    return dt


def cpu_model():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    return "unknown"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = study_with(args.trials)
    time_ask(study)  # warm up: imports, caches
    asks = [time_ask(study) for _ in range(args.repeats)]
    samples = [time_sample(study) for _ in range(args.repeats)]
    print(f"Optuna {optuna.__version__}, {args.trials} COMPLETE trials, 7 dimensions, CPU {cpu_model()}")
    for name, ts in [("ask", asks), ("sample", samples)]:
        print(f"{name:7s} median {statistics.median(ts) * 1e3:8.1f} ms   min {min(ts) * 1e3:8.1f} ms"
              f"   ({args.repeats} repeats)")


if __name__ == "__main__":
    main()
