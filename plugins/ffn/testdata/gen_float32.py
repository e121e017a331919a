#!/usr/bin/python3
"""Generate the float32 PyTorch reference runs in testdata/float32/.

Each float64 reference run in testdata/*.json (copied from the project's shared reference set, see README.md) is
replayed in PyTorch in float32: the same architecture, activation and learning rate, the same initial state and
batches rounded to float32, the same steps. The output has the float64 files' layout (see README.md) plus "dtype":
"float32" and "torch_version"; every number in it is a float32 value, written as the shortest decimal that reads back
to it as a float64 (Python's repr of the float64 widening).

Run with Debian's python3-torch (PyTorch 1.13), from this directory:

    /usr/bin/python3 gen_float32.py            # writes float32/*.json
    /usr/bin/python3 gen_float32.py --check    # replays the float64 runs in float64 and compares

--check is the proof that this script follows the conventions the float64 references were made with: it replays
every float64 file in float64 and reports the largest relative difference from the stored numbers (about 1e-15 when
the conventions agree). Nothing here is random: Dropout has p = 0, as in the float64 runs.
"""

import argparse
import glob
import json
import math
import os
import sys

import torch
from torch import nn

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "leaky_relu": nn.LeakyReLU, "elu": nn.ELU}


def build(run, dtype):
    layers, width = [], run["input_dim"]
    bn = run["batchnorm"]
    for h in run["hidden_dims"]:
        layers += [nn.Linear(width, h), nn.BatchNorm1d(h, eps=bn["eps"], momentum=bn["momentum"]),
                   ACTIVATIONS[run["activation"]](), nn.Dropout(0.0)]
        width = h
    layers.append(nn.Linear(width, run["output_dim"]))
    model = nn.Sequential(*layers).to(dtype)
    state = {k: torch.tensor(v, dtype=dtype) for k, v in run["initial_state"].items()}
    # The files carry no num_batches_tracked; keep the model's own (0).
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or any(not k.endswith("num_batches_tracked") for k in missing):
        raise SystemExit(f"{run['name']}: state keys do not fit: missing {missing}, unexpected {unexpected}")
    return model


def tolist(t):
    # float32 → float64 is exact, so the JSON number reads back to the float32 value.
    return t.detach().to(torch.float64).tolist()


def state_of(model):
    return {k: tolist(v) for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}


def replay(run, dtype):
    torch.manual_seed(0)  # unused (p = 0), for form's sake
    model = build(run, dtype)
    a = run["adam"]
    opt = torch.optim.Adam(model.parameters(), lr=run["lr"], betas=(a["beta1"], a["beta2"]), eps=a["eps"])
    loss_fn = nn.MSELoss()
    out = {k: run[k] for k in ("name", "input_dim", "hidden_dims", "output_dim", "activation", "lr", "adam", "batchnorm")}
    out["dtype"] = str(dtype).removeprefix("torch.")
    out["torch_version"] = torch.__version__
    out["initial_state"] = state_of(model)
    out["steps"] = []
    model.train()
    for step in run["steps"]:
        x = torch.tensor(step["x"], dtype=dtype)
        y = torch.tensor(step["y"], dtype=dtype)
        opt.zero_grad()
        pred = model(x)
        loss = loss_fn(pred, y)
        loss.backward()
        grads = {k: tolist(p.grad) for k, p in model.named_parameters()}
        opt.step()
        out["steps"].append({"x": tolist(x), "y": tolist(y), "train_output": tolist(pred), "loss": float(loss),
                             "grads": grads, "state_after": state_of(model)})
    model.eval()
    with torch.no_grad():
        x = torch.tensor(run["eval"]["x"], dtype=dtype)
        y = torch.tensor(run["eval"]["y"], dtype=dtype)
        pred = model(x)
        out["eval"] = {"x": tolist(x), "y": tolist(y), "output": tolist(pred), "loss": float(loss_fn(pred, y))}
    return out


def max_rel(a, b, floor):
    """Largest |a − b| / max(|b|, floor) over two nested lists or numbers."""
    if isinstance(b, list):
        return max((max_rel(x, y, floor) for x, y in zip(a, b)), default=0.0)
    return abs(a - b) / max(abs(b), floor)


def check(runs):
    worst = 0.0
    for run in runs:
        got = replay(run, torch.float64)
        for s, (g, w) in enumerate(zip(got["steps"], run["steps"])):
            for key in ("train_output", "loss"):
                worst = max(worst, max_rel(g[key], w[key], 1e-12))
            for key in w["grads"]:
                worst = max(worst, max_rel(g["grads"][key], w["grads"][key], 1e-12))
            for key in w["state_after"]:
                worst = max(worst, max_rel(g["state_after"][key], w["state_after"][key], 1e-12))
        worst = max(worst, max_rel(got["eval"]["output"], run["eval"]["output"], 1e-12))
        print(f"{run['name']}: replayed in float64, largest relative difference so far {worst:.3g}")
    if worst > 1e-12:
        raise SystemExit(f"the float64 replay differs from the stored references by {worst:.3g}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--check", action="store_true", help="replay the float64 runs in float64 and compare")
    args = p.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    files = sorted(glob.glob(os.path.join(here, "*.json")))
    if not files:
        raise SystemExit("no float64 reference runs next to this script")
    runs = [json.load(open(f)) for f in files]
    torch.set_num_threads(1)
    if args.check:
        check(runs)
        return
    outdir = os.path.join(here, "float32")
    os.makedirs(outdir, exist_ok=True)
    for run in runs:
        out = replay(run, torch.float32)
        path = os.path.join(outdir, run["name"] + ".json")
        with open(path, "w") as f:
            json.dump(out, f)
            f.write("\n")
        print(f"wrote {os.path.relpath(path, here)}: {len(out['steps'])} steps, eval loss {out['eval']['loss']:.6g}")


if __name__ == "__main__":
    sys.exit(main())
