"""The prepared arrays sweep hands a model (plugins/dataset/arrays.go)."""

from __future__ import annotations

import json
import mmap
import struct
from dataclasses import dataclass
from typing import Any, Optional

_MAGIC = b"SWEEPARR"
_FLOAT = 8  # bytes of a float64


class DataError(Exception):
    """The prepared-arrays file cannot be read."""


@dataclass(frozen=True)
class Data:
    """A [data] table's rows as the built-in network sees them: split, and
    standardised with the training rows' statistics when the grid asks.

    The arrays are numpy float64 arrays, read-only: x is (rows, features), y
    is (rows,). Copy them (numpy.array(x), torch.tensor(x)) to change them.
    """

    train_x: Any
    train_y: Any
    val_x: Any
    val_y: Any
    features: list[str]
    target: str
    mean: Optional[list[float]]   # the standardisation, None when off
    scale: Optional[list[float]]


# The files this process has loaded, by path. A file's name is its content's
# hash, so a path never changes meaning.
_loaded: dict[str, Data] = {}


def load(path: str) -> Data:
    """Returns the arrays in path, mapping the file on first use.

    The arrays are views of a read-only memory map: every plugin process that
    maps the file shares one copy of it in the page cache, and a process
    keeps it mapped for its later trials.
    """
    if path not in _loaded:
        _loaded[path] = _read(path)
    return _loaded[path]


def _read(path: str) -> Data:
    import numpy  # only models that use data need numpy

    try:
        with open(path, "rb") as f:
            buf = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError) as e:  # ValueError: an empty file
        raise DataError(f"{path}: {e}") from None
    if buf[:8] != _MAGIC or len(buf) < 16:
        raise DataError(f"{path}: not a prepared-arrays file (no {_MAGIC.decode()} header)")
    (n,) = struct.unpack_from("<Q", buf, 8)
    try:
        h = json.loads(buf[16:16 + n])
        if h["version"] != 1:
            raise DataError(f"{path}: arrays format version {h['version']}; this sweep_plugin reads version 1")
        features, rows, val = list(h["features"]), int(h["num_train"]), int(h["num_val"])
    except (ValueError, KeyError, TypeError) as e:
        raise DataError(f"{path}: bad header: {e}") from None
    shapes = [(rows, len(features)), (rows,), (val, len(features)), (val,)]
    sizes = [numpy.prod(s, dtype=int) for s in shapes]
    if len(buf) != 16 + n + _FLOAT * sum(sizes):
        raise DataError(f"{path}: {len(buf)} bytes, not the size its header describes")
    arrays, offset = [], 16 + n
    for shape, size in zip(shapes, sizes):
        arrays.append(numpy.frombuffer(buf, dtype="<f8", count=size, offset=offset).reshape(shape))
        offset += _FLOAT * size
    return Data(*arrays, features=features, target=h.get("target", ""), mean=h.get("mean"), scale=h.get("scale"))
