"""A model on the Python SDK that misbehaves on request, for sweep's tests
(plugins/python_test.go, tests/testdata/python.txtar) and benchmarks; the
Python twin of ../main.go's test model.

At epoch fail_at, fail makes it "raise" (a ValueError), "hang" (sleep
forever, never reporting, so that only a kill ends it), "kill" (SIGKILL
itself), "exit" (sys.exit(7)) or report an "undeclared" metric. checksum
logs the SHA-256 of the prepared arrays' float64 bytes, which the tests
compare with the arrays Go loads. stop_after ends training after that many
epochs, as early stopping would, and says so with trial.stop_early(). A
trial that sweep stops logs "saw Stopped".
"""

import hashlib
import os
import signal
import sys
import time

from sweep_plugin import Model, Node, Stopped, param, serve

GRAPH = [Node("input", "Input", shape=[-1, 4]), Node("network/0", "Linear", ["input"], [-1, 1])]


class TestModel(Model):
    name = "pytest"
    version = "7"
    metrics = ["train_loss", "val_loss", "pid"]
    # One hyperparameter of every type, so that the tests see each cross the wire.
    params = [
        param("epochs", int, 3, min=0, help="epochs to run"),
        param("sleep_ms", int, 0, min=0, help="sleep per epoch"),
        param("fail", str, "no", choices=["no", "raise", "hang", "kill", "exit", "undeclared"], help="how to fail"),
        param("fail_at", int, 1, min=0, help="epoch at which to fail"),
        param("hist", int, 0, min=0, help="values per histogram (numpy)"),
        param("checksum", bool, False, help="log the SHA-256 of the data"),
        param("lr", float, 1.0, min=0, min_exclusive=True, help="a float that looks like an int"),
        param("dims", list[int], [64, 32], min=1, max_len=4, help="an int list"),
        param("weights", list[float], [0.5, 1.0], help="a float list"),
        param("stop_after", int, 0, min=0, help="stop early after this many epochs (0: never)"),
    ]

    def train(self, trial):
        p = trial.params
        for spec in self.params:  # every value arrives with its declared type
            v, d = p[spec.name], spec.default
            if type(v) is not type(d) or (isinstance(v, list) and any(type(x) is not type(d[0]) for x in v)):
                raise TypeError(f"{spec.name} arrived as {v!r}, want the type of {d!r}")
        print(f"trial {trial.id} starts in pid {os.getpid()}", file=sys.stderr)
        if p["checksum"]:
            log_checksum(trial.data)
        epoch = 0
        try:
            for epoch in range(p["epochs"]):
                if epoch == p["fail_at"]:
                    misbehave(p["fail"], trial)
                time.sleep(p["sleep_ms"] / 1000)
                loss = 1 / (epoch + 1)
                hist = None
                if p["hist"]:
                    import numpy
                    hist = {"weights/network.0.weight": numpy.arange(p["hist"]) * loss}
                trial.report(epoch, train_loss=loss, val_loss=2 * loss, pid=os.getpid(),
                             graph=GRAPH if epoch == 0 else None, histograms=hist)
                if epoch + 1 == p["stop_after"] < p["epochs"]:
                    trial.stop_early()
                    break
        except Stopped:
            print(f"trial {trial.id} saw Stopped at epoch {epoch}", file=sys.stderr)
            raise


def log_checksum(d):
    h = hashlib.sha256()
    for a in (d.train_x, d.train_y, d.val_x, d.val_y):
        h.update(a.astype("<f8").tobytes())
    print(f"data sha256 {h.hexdigest()} train {d.train_x.shape} val {d.val_x.shape} "
          f"features {','.join(d.features)} target {d.target}", file=sys.stderr)


def misbehave(fail, trial):
    if fail == "no":
        return
    print(f"trial {trial.id}: about to {fail}", file=sys.stderr)
    if fail == "raise":
        raise ValueError(f"deliberate failure in trial {trial.id}")
    if fail == "hang":
        while True:
            time.sleep(1)
    if fail == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if fail == "exit":
        sys.exit(7)
    trial.report(trial.params["fail_at"], accuracy=1.0)  # "undeclared"


if __name__ == "__main__":
    serve(TestModel())
