"""sweep_plugin: write a sweep model plugin in Python.

A model is a class with its hyperparameters, its metrics and a train method;
serve() does the rest (the handshake with sweep, the gRPC server, the
trial's log, cancellation)::

    from sweep_plugin import Model, param, serve

    class Ridge(Model):
        name = "ridge"
        params = [param("lr", float, 0.1, min=0, min_exclusive=True, help="step size")]
        metrics = ["train_loss", "val_loss"]

        def train(self, trial):
            d = trial.data                   # numpy arrays, as the built-in network sees them
            for epoch in range(100):
                ...
                trial.report(epoch, train_loss=tl, val_loss=vl)   # raises Stopped when sweep stops the trial

    if __name__ == "__main__":
        serve(Ridge())

It needs grpcio and protobuf (Debian: python3-grpcio, python3-protobuf), and
numpy for trial.data. plugins/README.md in sweep's repository has the whole
guide.
"""

from ._data import Data, DataError
from ._model import Model
from ._params import Param, param
from ._server import serve
from ._trial import Node, Stopped, Trial

__all__ = ["Data", "DataError", "Model", "Node", "Param", "Stopped", "Trial", "param", "serve"]
