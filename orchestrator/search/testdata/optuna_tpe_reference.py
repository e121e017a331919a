#!/usr/bin/python3
"""Reference values of Optuna 3.1's TPE sampler for tpe_test.go.

Regenerate from the repository root with Debian's Optuna 3.1 (its
system python, which the package installs into):

    apt-get install -y python3-optuna      # 3.1.0-4 on Debian 12
    /usr/bin/python3 orchestrator/search/testdata/optuna_tpe_reference.py \
        > orchestrator/search/testdata/optuna_tpe_reference.json

It writes, as JSON, the inputs it used next to Optuna's outputs:

- log_ndtr, log_gauss_mass, ppf: the truncated-normal primitives of
  optuna/samplers/_tpe/_truncnorm.py.
- default_gamma, default_weights: optuna/samplers/_tpe/sampler.py.
- parzen: _ParzenEstimator (univariate) fitted to fixed observations of a
  float, log float, int and categorical distribution under several
  parameter sets: mixture weights, mus, sigmas (tied observations
  ordered stably, as the Go sampler does; see estimator_record), and
  log_pdf at fixed points. "log_pdf_optuna_3_1_0" is what 3.1.0 returns;
  "log_pdf" is the same with the fix of Optuna PR #5110 (the truncated
  normal's log density minus log(scale), which 3.1.0 omits), which the
  Go sampler implements.
- split: whole histories (Complete, Pruned with intermediate values,
  Running, Failed trials, some missing a parameter) in an in-memory study,
  run through _get_observation_pairs(constant_liar=True) and
  _split_observation_pairs as TPESampler.sample_independent does, with the
  resulting groups (as trial numbers) and the Parzen estimators of each
  parameter's good (below) and bad (above) groups.

Non-finite floats are written as the strings "inf", "-inf" and "nan",
since JSON has no literal for them.
"""

import json
import math
import sys

import numpy as np
import optuna
from optuna.distributions import CategoricalDistribution
from optuna.distributions import FloatDistribution
from optuna.distributions import IntDistribution
from optuna.samplers._tpe import _truncnorm
from optuna.samplers._tpe.parzen_estimator import _ParzenEstimator
from optuna.samplers._tpe.parzen_estimator import _ParzenEstimatorParameters
from optuna.samplers._tpe.sampler import _get_observation_pairs
from optuna.samplers._tpe.sampler import _split_observation_pairs
from optuna.samplers._tpe.sampler import default_gamma
from optuna.samplers._tpe.sampler import default_weights
from optuna.trial import TrialState
from optuna.trial import create_trial


_logpdf_3_1_0 = _truncnorm.logpdf


def _logpdf_fixed(x, a, b, loc=0, scale=1):
    # Optuna PR #5110: a scaled density is divided by its scale.
    return _logpdf_3_1_0(x, a, b, loc=loc, scale=scale) - np.log(scale)


def clean(v):
    """Turns numpy values into JSON ones, non-finite floats into strings."""
    if isinstance(v, dict):
        return {k: clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, np.ndarray)):
        return [clean(x) for x in v]
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if math.isnan(f):
            return "nan"
        if math.isinf(f):
            return "inf" if f > 0 else "-inf"
        return f
    return v


def distribution(kind, lo, hi, k):
    if kind == "uniform":
        return FloatDistribution(lo, hi)
    if kind == "log_uniform":
        return FloatDistribution(lo, hi, log=True)
    if kind == "int":
        return IntDistribution(int(lo), int(hi))
    return CategoricalDistribution(list(range(k)))


_argsort = np.argsort


def _stable_argsort(a, axis=-1, kind=None, order=None):
    return _argsort(a, axis=axis, kind="stable", order=order)


def fit(obs, dist, params, stable):
    if stable:
        np.argsort = _stable_argsort
    try:
        return _ParzenEstimator({"x": np.asarray(obs, dtype=float)}, {"x": dist}, params)
    finally:
        np.argsort = _argsort


def estimator_record(dist, obs, params, points):
    """Fits _ParzenEstimator to obs and describes it.

    The estimator sorts its mus with numpy's default argsort, whose order
    of tied values is an implementation detail (insertion sort, so stable,
    up to 16 elements; introsort past that in numpy 1.24; SIMD sorts in
    later versions on some CPUs), and tied values get different sigmas.
    The Go sampler keeps ties in the order observed, so the estimator is
    fitted with argsort made stable; "sigmas_default_argsort" records
    what numpy's default order gives, which differs only in which of the
    tied components gets which sigma.

    obs are values as the sampler holds them (a log float's not in log
    space; the estimator takes their log itself), while mus and sigmas are
    in the estimator's space (log space for a log float).
    """
    pe = fit(obs, dist, params, True)
    rec = {"weights": pe._weights}
    if not isinstance(dist, CategoricalDistribution):
        rec["mus"] = pe._mus["x"]
        rec["sigmas"] = pe._sigmas["x"]
        rec["sigmas_default_argsort"] = fit(obs, dist, params, False)._sigmas["x"]
    pts = np.asarray(points)
    _truncnorm.logpdf = _logpdf_3_1_0
    rec["log_pdf_optuna_3_1_0"] = pe.log_pdf({"x": pts})
    _truncnorm.logpdf = _logpdf_fixed
    rec["log_pdf"] = pe.log_pdf({"x": pts})
    _truncnorm.logpdf = _logpdf_3_1_0
    return rec


def points_of(kind, lo, hi, k):
    if kind == "uniform":
        return list(np.linspace(lo, hi, 9)) + [lo + 0.123456789 * (hi - lo)]
    if kind == "log_uniform":
        return list(np.exp(np.linspace(np.log(lo), np.log(hi), 9)))
    if kind == "int":
        return list(range(int(lo), int(hi) + 1))
    return list(range(k))


def primitives():
    a_values = [-60.0, -25.0, -20.0, -19.5, -8.0, -1.0, -1e-3, 0.0, 0.5, 5.9, 6.1, 12.0]
    log_ndtr = [[a, float(_truncnorm._log_ndtr(np.asarray([a]))[0])] for a in a_values]
    pairs = [
        (-60.0, -59.0), (-30.0, -5.0), (-3.0, -1.0), (-2.0, 0.0), (-1.0, 1.0),
        (-100.0, 0.25), (-0.01, 99.0), (0.0, 3.0), (0.5, 0.6), (4.0, 30.0), (45.0, 46.5),
    ]
    mass = [
        [a, b, float(_truncnorm._log_gauss_mass(np.asarray([a]), np.asarray([b]))[0])]
        for a, b in pairs
    ]
    ppf = []
    for a, b in [(-3.0, 2.0), (-100.0, 0.5), (0.0, 100.0), (-0.5, 80.0), (-8.0, -2.0), (1.5, 9.0)]:
        # Not too near 1: Optuna's log-space formula for the upper tail
        # cancels there, leaving about |log(1-q)|*1e-16/(1-q) of error.
        for q in [1e-12, 0.001, 0.2, 0.5, 0.77, 0.999, 1 - 1e-6]:
            ppf.append([q, a, b, float(_truncnorm.ppf(np.asarray([q]), a, b)[0])])
    return {"log_ndtr": log_ndtr, "log_gauss_mass": mass, "ppf": ppf}


PARAM_SETS = {
    "default": dict(consider_prior=True, prior_weight=1.0, consider_magic_clip=True,
                    consider_endpoints=False),
    "endpoints": dict(consider_prior=True, prior_weight=1.0, consider_magic_clip=True,
                      consider_endpoints=True),
    "no_prior_no_clip": dict(consider_prior=False, prior_weight=1.0,
                             consider_magic_clip=False, consider_endpoints=False),
    "prior_weight_2.5": dict(consider_prior=True, prior_weight=2.5, consider_magic_clip=True,
                             consider_endpoints=False),
}


def parzen_params(name):
    p = PARAM_SETS[name]
    return _ParzenEstimatorParameters(
        p["consider_prior"], p["prior_weight"], p["consider_magic_clip"],
        p["consider_endpoints"], default_weights, False,
    )


def parzen_cases():
    rng = np.random.RandomState(20230120)
    spaces = [
        ("uniform", -2.0, 3.0, 0),
        ("log_uniform", 1e-5, 0.1, 0),
        ("int", 1.0, 12.0, 0),
        ("choice", 0.0, 0.0, 5),
    ]
    cases = []
    for kind, lo, hi, k in spaces:
        # Sizes: empty, one, two, a few, and past 25 (the weights ramp).
        # Int ones tie; numpy's default argsort is stable below 17
        # elements, so tied observations stay under 16 to pin its order.
        for n in [0, 1, 2, 7, 15, 40]:
            if kind == "uniform":
                obs = rng.uniform(lo, hi, n)
            elif kind == "log_uniform":
                obs = np.exp(rng.uniform(np.log(lo), np.log(hi), n))
            elif kind == "int":
                if n > 15:
                    continue
                obs = rng.randint(int(lo), int(hi) + 1, n).astype(float)
            else:
                obs = rng.randint(0, k, n).astype(float)
            for pname in PARAM_SETS:
                dist = distribution(kind, lo, hi, k)
                rec = {
                    "kind": kind, "lo": lo, "hi": hi, "choices": k, "params": pname,
                    "observations": obs, "points": points_of(kind, lo, hi, k),
                }
                rec.update(estimator_record(dist, obs, parzen_params(pname),
                                            rec["points"]))
                cases.append(rec)
    # A bound observed, and an observation shared by several trials.
    for obs in [[-2.0, -2.0, 3.0], [0.5, 0.5, 0.5, 0.5], [3.0]]:
        dist = distribution("uniform", -2.0, 3.0, 0)
        rec = {"kind": "uniform", "lo": -2.0, "hi": 3.0, "choices": 0, "params": "default",
               "observations": obs, "points": points_of("uniform", -2.0, 3.0, 0)}
        rec.update(estimator_record(dist, obs, parzen_params("default"), rec["points"]))
        cases.append(rec)
    return cases


SPLIT_SPACE = [("x", "uniform", 0.0, 10.0, 0), ("lr", "log_uniform", 1e-4, 1.0, 0),
               ("k", "int", 2.0, 9.0, 0), ("c", "choice", 0.0, 0.0, 3)]


def history(rng, n, p_missing):
    """A history of n trials of the split space, states and values mixed."""
    states = rng.choice(["complete", "pruned", "running", "failed"], n, p=[0.5, 0.3, 0.1, 0.1])
    out = []
    for i, st in enumerate(states):
        params = {}
        for name, kind, lo, hi, k in SPLIT_SPACE:
            if rng.rand() < p_missing:
                continue
            if kind == "uniform":
                params[name] = float(rng.uniform(lo, hi))
            elif kind == "log_uniform":
                params[name] = float(np.exp(rng.uniform(np.log(lo), np.log(hi))))
            elif kind == "int":
                params[name] = int(rng.randint(int(lo), int(hi) + 1))
            else:
                params[name] = int(rng.randint(0, k))
        value = float(np.round(rng.normal(), 3))  # rounded so that values tie
        if i % 11 == 5:
            value = math.inf
        if st == "pruned" and i % 13 == 7:
            value = math.nan  # Optuna ranks it as inf
        step = int(rng.randint(1, 4)) * 10
        out.append({"state": str(st), "params": params, "value": value, "step": step})
    return out


def split_case(trials, gamma_of):
    study = optuna.create_study()
    for t in trials:
        dists = {}
        for name, kind, lo, hi, k in SPLIT_SPACE:
            if name in t["params"]:
                dists[name] = distribution(kind, lo, hi, k)
        kw = dict(params=t["params"], distributions=dists)
        if t["state"] == "complete":
            ft = create_trial(state=TrialState.COMPLETE, value=t["value"], **kw)
        elif t["state"] == "pruned":
            # Earlier steps too: Optuna ranks by the last one.
            iv = {t["step"] - 5: -1000.0, t["step"]: t["value"]}
            ft = create_trial(state=TrialState.PRUNED, intermediate_values=iv, **kw)
        elif t["state"] == "running":
            ft = create_trial(state=TrialState.RUNNING, **kw)
        else:
            ft = create_trial(state=TrialState.FAIL, **kw)
        study.add_trial(ft)
    numbers = [t.number for t in study.trials
               if t.state in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING)]
    rec = {"trials": trials, "params": {}}
    params = parzen_params("default")
    for name, kind, lo, hi, k in SPLIT_SPACE:
        # As TPESampler.sample_independent (Optuna 3.1) does.
        values, scores, _ = _get_observation_pairs(study, [name], True, False)
        n = sum(s < float("inf") for s, v in scores)
        below, above = _split_observation_pairs(scores, gamma_of(n), None)
        rec["n"] = n
        rec["below"] = [numbers[i] for i in below]
        rec["above"] = [numbers[i] for i in above]
        config = np.asarray(values[name], dtype=float)
        mask = ~np.isnan(config)
        dist = distribution(kind, lo, hi, k)
        pts = points_of(kind, lo, hi, k)
        per = {}
        for group, idx in [("below", below), ("above", above)]:
            obs = config[idx[mask[idx]]]
            per[group] = estimator_record(dist, obs, params, pts)
        per["points"] = pts
        rec["params"][name] = per
    return rec


def split_cases():
    rng = np.random.RandomState(7)
    cases = []
    for n, p_missing in [(12, 0.0), (30, 0.15), (70, 0.1), (300, 0.05)]:
        cases.append(split_case(history(rng, n, p_missing), default_gamma))
    return cases


def main():
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    out = {
        "generator": "orchestrator/search/testdata/optuna_tpe_reference.py",
        "optuna_version": optuna.__version__,
        "numpy_version": np.__version__,
        "default_gamma": [[n, default_gamma(n)] for n in [0, 1, 9, 10, 11, 30, 99, 250, 251, 1000]],
        "default_weights": [{"n": n, "weights": default_weights(n)} for n in [0, 1, 24, 25, 26, 27, 40, 100]],
        "parzen": parzen_cases(),
        "split": split_cases(),
    }
    out.update(primitives())
    json.dump(clean(out), sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
