#!/usr/bin/env python3
"""Writes timeseries_split.json: scikit-learn's TimeSeriesSplit folds, the
reference for sweep's walk-forward split (TestWalkForwardMatchesScikitLearn).

Run with Debian's python3-sklearn (1.2.1 made the committed file):
    /usr/bin/python3 timeseries_split.py > timeseries_split.json
Each case gives n_samples, n_splits, gap and max_train_size (0: none), and
for each fold the [first, last+1) ranges of its training and test indices
(TimeSeriesSplit's indices are always contiguous)."""
import json

import numpy as np
import sklearn
from sklearn.model_selection import TimeSeriesSplit

cases = []
for n, k, gap, max_train in [(20, 3, 0, 0), (20, 3, 2, 0), (100, 5, 5, 0), (101, 5, 5, 0), (57, 4, 3, 10),
                              (30, 2, 0, 5), (12, 5, 1, 0), (1000, 10, 7, 250)]:
    ts = TimeSeriesSplit(n_splits=k, gap=gap, max_train_size=max_train or None)
    folds = [{"train": [int(tr[0]), int(tr[-1]) + 1], "test": [int(te[0]), int(te[-1]) + 1]}
             for tr, te in ts.split(np.zeros(n))]
    cases.append({"n_samples": n, "n_splits": k, "gap": gap, "max_train_size": max_train, "folds": folds})
print(json.dumps({"sklearn": sklearn.__version__, "cases": cases}, indent=1))
