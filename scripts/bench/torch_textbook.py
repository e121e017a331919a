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
sweeps/hyperparam_search.toml with patience out of the way.
"""
import argparse
import time

import torch
from torch import nn


def network(hidden=(64, 32), dropout=0.3, inputs=50):
    layers, prev = [], inputs
    for h in hidden:
        layers += [nn.Linear(prev, h), nn.BatchNorm1d(h), nn.ReLU(), nn.Dropout(dropout)]
        prev = h
    layers.append(nn.Linear(prev, 1))
    return nn.Sequential(*layers)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--float64", action="store_true")
    ap.add_argument("--grid", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    dtype = torch.float64 if args.float64 else torch.float32
    x = torch.randn(20000, 50, dtype=dtype)
    y = (x[:, :5].sum(1, keepdim=True).tanh() + 0.5 * torch.randn(20000, 1, dtype=dtype))
    xt, yt, xv, yv = x[:16000], y[:16000], x[16000:], y[16000:]
    train = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(xt, yt), batch_size=64, shuffle=True)
    if args.grid:
        start = time.perf_counter()
        for dropout in (0.2, 0.3, 0.4, 0.5):
            for lr in (0.01, 0.001, 0.0001):
                fit(network(dropout=dropout).to(dtype), lr, train, xv, yv, args.epochs)
        print(f"torch {torch.__version__} threads={args.threads} {dtype}: textbook grid, "
              f"12 x {args.epochs} epochs in {time.perf_counter() - start:.1f} s")
        return
    per_epoch = fit(network().to(dtype), 1e-3, train, xv, yv, args.epochs)
    best = min(per_epoch)
    steps = len(train)
    print(f"torch {torch.__version__} threads={args.threads} {dtype}: "
          f"best epoch {best:.3f} s ({1000 * best / steps:.3f} ms per 64-row step incl. validation), "
          f"median {sorted(per_epoch)[len(per_epoch) // 2]:.3f} s")


def fit(model, lr, train, xv, yv, epochs):
    """Trains as the textbook does and returns each epoch's seconds."""
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.MSELoss()
    per_epoch = []
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
            loss_fn(model(xv), yv).item()
        per_epoch.append(time.perf_counter() - start)
    return per_epoch


if __name__ == "__main__":
    main()
