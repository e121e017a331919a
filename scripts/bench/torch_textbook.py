#!/usr/bin/env python3
"""The textbook training loop in PyTorch, timed, for comparison with sweep's FFN.

Same network (50 -> [64, 32] -> 1, Linear -> BatchNorm1d -> ReLU -> Dropout 0.3),
Adam lr 1e-3, MSE, batch 64, 16,000 training and 4,000 validation rows, float32
as users run it (pass --float64 for sweep's precision). Prints seconds per epoch
and milliseconds per training step. Needs Debian's python3-torch:

    /usr/bin/python3 scripts/bench/torch_textbook.py --epochs 5 --threads 1

--grid runs the whole textbook grid (dropout 0.2-0.5 x lr 0.01-0.0001, 12
configurations of --epochs epochs each, one after another, no early
stopping) and prints its wall time: what `sweep run` does for
sweeps/hyperparam_search.toml with patience out of the way. With --workers N
the grid's configurations are shared among N processes (one thread each
with --threads 1), as `sweep run` shares trials among its workers. --arrays
FILE trains on a sweep's prepared data (runs/<name>/.data/*.f64, the
standardised split every trial of that sweep sees) instead of the script's
own random data, so that the best val loss compares with the sweep's; the
grid then prints each configuration's best val loss.

    scripts/bench/textbook_vs_torch.sh   # both sides, same data, same run
"""
import argparse
import json
import multiprocessing
import struct
import time

import numpy as np

import torch
from torch import nn


def network(hidden=(64, 32), dropout=0.3, inputs=50):
    layers, prev = [], inputs
    for h in hidden:
        layers += [nn.Linear(prev, h), nn.BatchNorm1d(h), nn.ReLU(), nn.Dropout(dropout)]
        prev = h
    layers.append(nn.Linear(prev, 1))
    return nn.Sequential(*layers)


GRID = [(d, lr) for d in (0.2, 0.3, 0.4, 0.5) for lr in (0.01, 0.001, 0.0001)]


def read_arrays(path, dtype):
    """Reads a prepared-arrays file (plugins/dataset/arrays.go's layout)."""
    with open(path, "rb") as f:
        if f.read(8) != b"SWEEPARR":
            raise SystemExit(f"{path}: not a prepared-arrays file")
        (n,) = struct.unpack("<Q", f.read(8))
        h = json.loads(f.read(n))
        a = np.frombuffer(f.read(), dtype="<f8")
    nf, nt, nv = len(h["features"]), h["num_train"], h["num_val"]
    parts, off = [], 0
    for size in (nt * nf, nt, nv * nf, nv):
        parts.append(a[off:off + size])
        off += size
    xt, yt, xv, yv = (torch.tensor(p, dtype=dtype) for p in parts)
    return xt.view(nt, nf), yt.view(nt, 1), xv.view(nv, nf), yv.view(nv, 1)


def load(args, dtype):
    if args.arrays:
        return read_arrays(args.arrays, dtype)
    x = torch.randn(20000, 50, dtype=dtype)
    y = (x[:, :5].sum(1, keepdim=True).tanh() + 0.5 * torch.randn(20000, 1, dtype=dtype))
    return x[:16000], y[:16000], x[16000:], y[16000:]


def grid_part(args, part):
    """Trains the configurations GRID[part::workers]; returns their best val losses."""
    torch.set_num_threads(args.threads)
    torch.manual_seed(part)
    dtype = torch.float64 if args.float64 else torch.float32
    xt, yt, xv, yv = load(args, dtype)
    train = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(xt, yt), batch_size=64, shuffle=True)
    out = []
    for dropout, lr in GRID[part::args.workers]:
        model = network(dropout=dropout, inputs=xt.shape[1]).to(dtype)
        _, val = fit(model, lr, train, xv, yv, args.epochs)
        out.append((dropout, lr, min(val)))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--float64", action="store_true")
    ap.add_argument("--grid", action="store_true")
    ap.add_argument("--workers", type=int, default=1, help="processes sharing the grid")
    ap.add_argument("--arrays", help="a sweep's prepared-arrays file to train on")
    args = ap.parse_args()
    dtype = torch.float64 if args.float64 else torch.float32
    if args.grid:
        start = time.perf_counter()
        with multiprocessing.get_context("fork").Pool(args.workers) as pool:
            results = [r for part in pool.starmap(grid_part, [(args, i) for i in range(args.workers)]) for r in part]
        wall = time.perf_counter() - start
        for dropout, lr, best in sorted(results):
            print(f"dropout={dropout} lr={lr}: best val loss {best:.4f}")
        best = min(results, key=lambda r: r[2])
        print(f"torch {torch.__version__} workers={args.workers} threads={args.threads} {dtype}: textbook grid, "
              f"12 x {args.epochs} epochs in {wall:.1f} s; best val loss {best[2]:.4f} "
              f"(dropout={best[0]} lr={best[1]})")
        return
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    xt, yt, xv, yv = load(args, dtype)
    train = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(xt, yt), batch_size=64, shuffle=True)
    per_epoch, _ = fit(network(inputs=xt.shape[1]).to(dtype), 1e-3, train, xv, yv, args.epochs)
    best = min(per_epoch)
    steps = len(train)
    print(f"torch {torch.__version__} threads={args.threads} {dtype}: "
          f"best epoch {best:.3f} s ({1000 * best / steps:.3f} ms per 64-row step incl. validation), "
          f"median {sorted(per_epoch)[len(per_epoch) // 2]:.3f} s")


def fit(model, lr, train, xv, yv, epochs):
    """Trains as the textbook does; returns each epoch's seconds and val loss."""
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.MSELoss()
    per_epoch, val = [], []
    for _ in range(epochs):
        start = time.perf_counter()
        model.train()
        for xb, yb in train:
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            val.append(loss_fn(model(xv), yv).item())
        per_epoch.append(time.perf_counter() - start)
    return per_epoch, val


if __name__ == "__main__":
    main()
