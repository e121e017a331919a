#!/usr/bin/env python3
"""A sweep model plugin in Python: a one-hidden-layer MLP in PyTorch.

sweep starts this program, it prints the go-plugin handshake line and serves
the Model service of ../proto/model.proto over a Unix socket. It needs only
Debian's python3-grpcio, python3-protobuf and python3-torch. It reads CSV
data only (sweep's synthetic dataset is defined in Go), splits it itself and
standardises the features with the training rows' statistics.

Use it in a grid with plugin = "path/to/torch_mlp.py".
"""

import csv
import json
import math
import os
import signal
import sys
import tempfile
import threading
import time
from concurrent import futures

import grpc
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model_pb2 as pb  # noqa: E402  (generated from ../proto/model.proto)
import model_pb2_grpc as pb_grpc  # noqa: E402

COOKIE_KEY, COOKIE = "SWEEP_PLUGIN_COOKIE", "sweep-model-7f3c9a1e"
PROTOCOL_VERSION = 1

PARAMS = [
    pb.ParamSpec(name="hidden", type=pb.PARAM_TYPE_INT, default=pb.Value(int=32), help="hidden units"),
    pb.ParamSpec(name="lr", type=pb.PARAM_TYPE_FLOAT, default=pb.Value(float=0.01), help="Adam learning rate"),
    pb.ParamSpec(name="epochs", type=pb.PARAM_TYPE_INT, default=pb.Value(int=20), help="full-batch epochs"),
    pb.ParamSpec(name="sleep_ms", type=pb.PARAM_TYPE_INT, default=pb.Value(int=0), help="pause per epoch (tests)"),
]


class TrialError(Exception):
    """A trial that cannot run; sweep records the message."""


def value(v):
    """Decodes a pb.Value to the Python value of its kind."""
    kind = v.WhichOneof("kind")
    if kind in ("int_list", "float_list"):
        return list(getattr(v, kind).values)
    return getattr(v, kind)


def load_csv(spec):
    """Reads spec's CSV and returns standardised train and validation tensors."""
    path = spec.get("path")
    if not path:
        raise TrialError("this plugin reads CSV data only: set data.path")
    target = spec.get("target") or "target"
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    if target not in header:
        raise TrialError(f"{path}: no column {target!r}")
    features = spec.get("features") or [c for c in header if c != target]
    cols = [header.index(c) for c in features]
    try:
        x = torch.tensor([[float(r[c]) for c in cols] for r in body], dtype=torch.float64)
        y = torch.tensor([[float(r[header.index(target)])] for r in body], dtype=torch.float64)
    except ValueError as e:
        raise TrialError(f"{path}: {e}") from None
    n_train = int(len(body) * (1 - (spec.get("val_split") or 0.2)))
    if spec.get("split") != "chronological":
        perm = torch.randperm(len(body), generator=torch.Generator().manual_seed(spec.get("seed") or 0))
        x, y = x[perm], y[perm]
    xt, yt, xv, yv = x[:n_train], y[:n_train], x[n_train:], y[n_train:]
    if spec.get("standardize", True):
        mean, std = xt.mean(0), xt.std(0, unbiased=False)
        std[std == 0] = 1
        xt, xv = (xt - mean) / std, (xv - mean) / std
    return xt, yt, xv, yv


class Model(pb_grpc.ModelServicer):
    def __init__(self):
        self.active = 0
        self.idle = threading.Condition()
        self.marks = 0

    def mark(self, context):
        """Ends a call's stderr output with a mark line named in the call's
        trailer: the host waits for it, so the call's last lines reach the
        trial's log rather than the next trial's."""
        with self.idle:
            self.marks += 1
            n = self.marks
        sys.stderr.write(f"\0sweep-stderr-mark {n}\n")
        sys.stderr.flush()
        context.set_trailing_metadata((("sweep-stderr-mark", str(n)),))

    def Describe(self, request, context):
        return pb.Description(name="torch-mlp", params=PARAMS, metrics=["train_loss", "val_loss"])

    def Train(self, request, context):
        with self.idle:
            self.active += 1
        try:
            yield from self.train(request, context)
            self.mark(context)
        except TrialError as e:
            self.mark(context)
            context.abort(grpc.StatusCode.ABORTED, str(e))
        finally:
            with self.idle:
                self.active -= 1
                self.idle.notify_all()

    def train(self, request, context):
        p = {s.name: value(s.default) for s in PARAMS}
        p.update({k: value(v) for k, v in request.params.items()})
        if p["lr"] <= 0 or p["hidden"] < 1 or p["epochs"] < 1:
            raise TrialError("want lr > 0, hidden >= 1 and epochs >= 1")
        xt, yt, xv, yv = load_csv(json.loads(request.data_json or b"{}"))
        torch.manual_seed(request.seed)
        net = torch.nn.Sequential(torch.nn.Linear(xt.shape[1], p["hidden"]), torch.nn.ReLU(),
                                  torch.nn.Linear(p["hidden"], 1)).double()
        opt = torch.optim.Adam(net.parameters(), lr=p["lr"])
        loss_fn = torch.nn.MSELoss()
        best, best_epoch = math.inf, 0
        for epoch in range(p["epochs"]):
            if not context.is_active():  # cancelled by the host
                print(f"trial {request.trial_id} cancelled at epoch {epoch}", file=sys.stderr)
                return
            time.sleep(p["sleep_ms"] / 1000)
            opt.zero_grad()
            train_loss = loss_fn(net(xt), yt)
            train_loss.backward()
            ev = pb.Event(step=epoch)
            every = request.histogram_every
            if every > 0 and (epoch % every == 0 or epoch == p["epochs"] - 1):
                for name, t in net.named_parameters():
                    ev.histograms.add(tag=f"weights/network.{name}", values=t.detach().flatten().tolist())
                    ev.histograms.add(tag=f"gradients/network.{name}", values=t.grad.flatten().tolist())
            opt.step()
            with torch.no_grad():
                val = loss_fn(net(xv), yv).item()
            ev.scalars.add(tag="train_loss", value=train_loss.item())
            ev.scalars.add(tag="val_loss", value=val)
            if epoch == 0:
                ev.graph.nodes.add(name="input", op="Placeholder", shape=[-1, xt.shape[1]])
                ev.graph.nodes.add(name="network/0", op="Linear", inputs=["input"], shape=[-1, p["hidden"]])
                ev.graph.nodes.add(name="network/1", op="ReLU", inputs=["network/0"], shape=[-1, p["hidden"]])
                ev.graph.nodes.add(name="network/2", op="Linear", inputs=["network/1"], shape=[-1, 1])
            if val < best:
                best, best_epoch = val, epoch
            try:
                yield pb.TrainEvent(event=ev)
            except GeneratorExit:  # gRPC closes the stream's generator when the host cancels
                print(f"trial {request.trial_id} cancelled at epoch {epoch}", file=sys.stderr)
                raise
        yield pb.TrainEvent(outcome=pb.Outcome(
            best_val_loss=best, best_epoch=best_epoch, epochs_run=p["epochs"],
            final_train_loss=train_loss.item(), final_val_loss=val))

    def Wait(self, request, context):
        with self.idle:
            self.idle.wait_for(lambda: self.active == 0)
        self.mark(context)
        return pb.WaitReply()


def shutdown_handler(stop):
    """go-plugin's GRPCController.Shutdown, so that the host's Close ends this
    process at once instead of killing it after a grace period."""
    def shutdown(request, context):
        stop.set()
        return b""
    return grpc.method_handlers_generic_handler("plugin.GRPCController", {
        "Shutdown": grpc.unary_unary_rpc_method_handler(
            shutdown, request_deserializer=lambda b: b, response_serializer=lambda b: b)})


def main():
    if os.environ.get(COOKIE_KEY) != COOKIE:
        print("This is a sweep model plugin: sweep starts it (plugin = \"...\" in a grid).", file=sys.stderr)
        sys.exit(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the host's to handle
    stop = threading.Event()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    pb_grpc.add_ModelServicer_to_server(Model(), server)
    server.add_generic_rpc_handlers((shutdown_handler(stop),))
    sock = os.path.join(tempfile.mkdtemp(prefix="sweep-plugin-"), "plugin.sock")
    server.add_insecure_port("unix:" + sock)
    server.start()
    print(f"1|{PROTOCOL_VERSION}|unix|{sock}|grpc|", flush=True)
    sys.stdout = sys.stderr  # from now on, prints go to the trial's log
    parent = os.getppid()
    while not stop.wait(0.2):
        if os.getppid() != parent:  # the host died
            break
    server.stop(0)
    os.unlink(sock)
    os.rmdir(os.path.dirname(sock))


if __name__ == "__main__":
    main()
