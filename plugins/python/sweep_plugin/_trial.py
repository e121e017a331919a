"""A trial as train sees it, and what trial.report sends."""

from __future__ import annotations

import operator
import os
import tempfile
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional, Sequence, Union

from . import _data
from . import model_pb2 as pb


class Stopped(Exception):
    """Raised by Trial.report and Trial.check_stop once sweep has stopped the
    trial: its timeout passed, the user pressed Ctrl-C, or a pruner stopped
    it. Let it propagate out of train; catch it only to clean up, and raise
    it again. The process lives on for the next trial."""


@dataclass(frozen=True)
class Node:
    """A layer in the graph TensorBoard draws. A "/" in name makes a
    collapsible scope; shape is the output's, with -1 for the batch."""

    name: str
    op: str
    inputs: Sequence[str] = ()
    shape: Sequence[int] = ()


class Trial:
    """One configuration to train, as train receives it.

    - id: the trial's identity (a hash), as sweep's records name it.
    - params: every declared hyperparameter, the grid's value or the
      default, of its declared Python type.
    - seed: the trial's seed; seed your generators with it.
    - histogram_every: the grid's log_every; see histograms_due.
    - data: the prepared arrays (a Data), read on first use.
    - data_spec: the grid's [data] table as a dict, for a model that loads
      its data itself.
    - checkpoint_dir: where sweep keeps the trial's files (its run
      directory), or None when the grid says checkpoint = "none"; write
      there with save.
    - checkpoint_last: the grid asks for the final weights too
      (checkpoint = "best+last"), beside the best.
    - checkpoint_metadata: the trial's provenance (trial_id, sweep,
      grid_hash, ...) as strings, to store in a file's own metadata.
    """

    def __init__(self, id: str, params: dict[str, Any], seed: int, histogram_every: int,
                 data_file: str, data_spec: dict[str, Any], metrics: Sequence[str],
                 send: Callable[[pb.Event], bool], stopped: Callable[[], bool],
                 checkpoint: Optional[pb.Checkpoint] = None):
        self.id, self.params, self.seed = id, params, seed
        self.histogram_every, self.data_spec = histogram_every, data_spec
        self._data_file, self._metrics = data_file, metrics
        self._send, self._stopped = send, stopped
        self._last_epoch: Optional[int] = None
        self._stopped_early = False
        self.checkpoint_dir: Optional[str] = checkpoint.dir if checkpoint is not None and checkpoint.dir else None
        self.checkpoint_last = bool(checkpoint is not None and checkpoint.last)
        self.checkpoint_metadata: dict[str, str] = dict(checkpoint.metadata) if checkpoint is not None else {}

    def save(self, data: Union[bytes, bytearray, memoryview, str, os.PathLike], name: str) -> Optional[str]:
        """Keeps a file of the trial (its trained weights, say) in its run
        directory as name, a plain file name such as "model.safetensors" or
        "model.pt": data is the file's bytes, or the path of a file the
        model wrote (torch.save's, say), which is copied. The file appears
        whole or not at all, even if the process is killed. Returns its
        path, or None when the grid keeps no files (checkpoint = "none").

        Raises ValueError for a name with a directory, a leading dot, or one
        of sweep's own files (trial.json, model.log, event files)."""
        if (not name or name.startswith(".") or "/" in name or "\\" in name or name in ("trial.json", "model.log")
                or name.startswith("events.out.tfevents.")):
            raise ValueError(f"save: {name!r}: want a plain file name, without directories or a leading dot, "
                             "and not one of sweep's own files")
        if self.checkpoint_dir is None:
            return None
        if isinstance(data, (str, os.PathLike)):
            with open(data, "rb") as f:
                data = f.read()
        path = os.path.join(self.checkpoint_dir, name)
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.tmp-", dir=self.checkpoint_dir)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
        return path

    @property
    def data(self) -> _data.Data:
        """The grid's [data] as the built-in network trains on it: the same
        rows, split and standardisation. Loaded once per process."""
        if not self._data_file:
            raise RuntimeError("sweep sent no data file: this host prepares none")
        return _data.load(self._data_file)

    def histograms_due(self, epoch: int, last: bool = False) -> bool:
        """Whether the grid asks for weight and gradient histograms at epoch:
        every histogram_every epochs, and at the last (say last=True)."""
        n = self.histogram_every
        return n > 0 and (epoch % n == 0 or last)

    def check_stop(self) -> None:
        """Raises Stopped if sweep has stopped the trial. report calls it;
        call it yourself within long epochs."""
        if self._stopped():
            raise Stopped(f"sweep stopped trial {self.id}")

    def stop_early(self) -> None:
        """Says that the model's own early stopping ended training before
        its last planned epoch (patience ran out at epoch 12 of 100), so that
        sweep records the trial as stopped early, as it does the built-in
        network's. It stops nothing itself: call it after the last report,
        then return from train. A report after it raises ValueError."""
        self._stopped_early = True

    def report(self, epoch: int, *, histograms: Optional[Mapping[str, Any]] = None,
               graph: Optional[Sequence[Node]] = None, **scalars: Any) -> None:
        """Reports an epoch (counted from 0) to sweep: each scalar keyword is
        a metric the model declares (train_loss=0.41, val_loss=0.39), each
        a number, a numpy scalar or a one-element tensor. histograms maps tags
        such as "weights/network.0.weight" to raw values (a numpy array, a
        torch tensor or a sequence; sweep bins them); graph, once, with the
        first epoch, describes the layers.

        Raises Stopped when sweep has stopped the trial, and ValueError or
        TypeError for a metric the model does not declare, a value that is
        not a number, or an epoch after stop_early.
        """
        self.check_stop()
        epoch = operator.index(epoch)
        if epoch < 0:
            raise ValueError(f"report: epoch {epoch} is negative; epochs count from 0")
        if self._stopped_early:
            raise ValueError(f"report: epoch {epoch} after stop_early(); call stop_early once training is over")
        ev = pb.Event(step=epoch)
        for tag, value in scalars.items():
            if tag not in self._metrics:
                raise ValueError(f"report: {tag!r} is not a declared metric; add it to the model's metrics "
                                 f"(now {list(self._metrics)})")
            try:
                ev.scalars.add(tag=tag, value=float(value))
            except (TypeError, ValueError):
                raise TypeError(f"report: {tag} = {value!r} is not a number") from None
        for tag, values in (histograms or {}).items():
            ev.histograms.add(tag=tag, values=_raw_values(values))
        for n in graph or ():
            ev.graph.nodes.add(name=n.name, op=n.op, inputs=list(n.inputs), shape=[int(d) for d in n.shape])
        if not self._send(ev):  # stopped while the host had not taken the last events
            self.check_stop()
        self._last_epoch = epoch


def _raw_values(x: Any) -> list[float]:
    """A tensor's values as a flat list, without importing numpy or torch."""
    if hasattr(x, "detach"):  # a torch tensor, maybe on a GPU, maybe requiring grad
        x = x.detach().cpu()
    if hasattr(x, "ravel") and hasattr(x, "tolist"):  # numpy, torch
        return x.ravel().tolist()
    return [float(v) for v in x]
