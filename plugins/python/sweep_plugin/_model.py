"""The Model base class and the Description it sends."""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from . import model_pb2 as pb
from ._params import Param

if TYPE_CHECKING:
    from ._trial import Trial


class Model:
    """A model that sweep can tune. Subclass it, set the class attributes and
    write train:

    - name: the model's name, as sweep shows it.
    - params: the hyperparameters, each made with param().
    - metrics: the scalar names train reports per epoch, e.g. "train_loss"
      and "val_loss" (the default objective).
    - version: bump it when the model's numbers change, so that sweep runs
      old configurations again rather than reusing their records.

    One instance serves every trial of its process, one trial at a time, in
    the process's main thread.
    """

    name: str = ""
    params: Sequence[Param] = ()
    metrics: Sequence[str] = ()
    version: str = ""

    def train(self, trial: Trial) -> None:
        """Runs one trial: calls trial.report once per epoch, from epoch 0.
        Returning ends the trial, successfully (after trial.stop_early() when
        the model's early stopping ended it); raising fails it with the
        exception's message. sweep computes the trial's score and best epoch
        from what was reported."""
        raise NotImplementedError


def describe(model: Model) -> pb.Description:
    """Checks model's declarations and returns its Description, or raises
    TypeError or ValueError saying what is wrong."""
    if isinstance(model, type):
        raise TypeError(f"serve() takes a model instance: serve({model.__name__}()), not serve({model.__name__})")
    if not isinstance(model, Model):
        raise TypeError(f"serve() takes an instance of a sweep_plugin.Model subclass, not {type(model).__name__}")
    cls = type(model).__name__
    if not isinstance(model.name, str) or not model.name:
        raise ValueError(f"{cls}.name must be a non-empty string")
    if type(model).train is Model.train:
        raise TypeError(f"{cls} must define train(self, trial)")
    names = [p.name for p in model.params if isinstance(p, Param)]
    if len(names) != len(model.params):
        raise TypeError(f"{cls}.params must hold only param(...) declarations")
    if len(set(names)) != len(names):
        raise ValueError(f"{cls}.params declares {_first_duplicate(names)!r} twice")
    metrics = list(model.metrics)
    if not metrics or not all(isinstance(m, str) and m for m in metrics):
        raise ValueError(f"{cls}.metrics must list the scalar names train reports, e.g. [\"train_loss\", \"val_loss\"]")
    if len(set(metrics)) != len(metrics):
        raise ValueError(f"{cls}.metrics lists {_first_duplicate(metrics)!r} twice")
    if not isinstance(model.version, str):
        raise TypeError(f"{cls}.version must be a string")
    return pb.Description(name=model.name, params=[p.to_proto() for p in model.params], metrics=metrics,
                          version=model.version)


def _first_duplicate(xs: list[str]) -> str:
    seen: set[str] = set()
    for x in xs:
        if x in seen:
            return x
        seen.add(x)
    return ""
