"""Hyperparameter declarations (param) and hyperparameter values on the wire."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Optional

from . import model_pb2 as pb

# The Python types a hyperparameter may have, with their wire enums.
_TYPES: dict[Any, int] = {
    float: pb.PARAM_TYPE_FLOAT,
    int: pb.PARAM_TYPE_INT,
    str: pb.PARAM_TYPE_STRING,
    bool: pb.PARAM_TYPE_BOOL,
    list[int]: pb.PARAM_TYPE_INT_LIST,
    list[float]: pb.PARAM_TYPE_FLOAT_LIST,
}
_NUMERIC = (float, int, list[int], list[float])
_LISTS = (list[int], list[float])
_TYPE_NAMES = "float, int, str, bool, list[int] or list[float]"


@dataclass(frozen=True)
class Param:
    """One declared hyperparameter; make it with param()."""

    name: str
    type: Any
    default: Any  # None: no default, every grid must set it
    help: str = ""
    min: Optional[float] = None
    max: Optional[float] = None
    min_exclusive: bool = False
    max_exclusive: bool = False
    choices: tuple[str, ...] = ()
    min_len: int = 0
    max_len: Optional[int] = None

    def rule(self) -> str:
        """The allowed values in words, as sweep words them: "in [0, 1)",
        "> 0", "one of relu, tanh", "1 to 4 elements, each ≥ 1"."""
        values = ""
        if self.choices:
            values = "one of " + ", ".join(self.choices)
        elif self.min is not None and self.max is not None:
            values = "in %s%s, %s%s" % ("(" if self.min_exclusive else "[", _num(self.min),
                                        _num(self.max), ")" if self.max_exclusive else "]")
        elif self.min is not None:
            values = (">" if self.min_exclusive else "≥") + " " + _num(self.min)
        elif self.max is not None:
            values = ("<" if self.max_exclusive else "≤") + " " + _num(self.max)
        lengths = ""
        if self.max_len is not None:
            lengths = (f"exactly {self.max_len} elements" if self.min_len == self.max_len
                       else f"{self.min_len} to {self.max_len} elements")
        elif self.min_len:
            lengths = f"at least {self.min_len} elements"
        if lengths and values:
            return f"{lengths}, each {values}"
        return lengths or values

    def check(self, value: Any) -> None:
        """Raises ValueError if value (of this parameter's type) breaks the
        constraints."""
        if self.type in _LISTS:
            if len(value) < self.min_len or (self.max_len is not None and len(value) > self.max_len):
                raise ValueError(f"{len(value)} elements are not allowed: {self.name} takes {self.rule()}")
            elements = value
        else:
            elements = [value]
        for x in elements:
            if self.choices and x not in self.choices:
                raise ValueError(f"{x!r} is not allowed: {self.name} must be {self.rule()}")
            if self.type in _NUMERIC and not self._in_range(x):
                raise ValueError(f"{x!r} is out of range: {self.name} must be {self.rule()}")

    def _in_range(self, x: float) -> bool:
        if math.isnan(x):
            return self.min is None and self.max is None
        low = self.min is not None and (x < self.min or (self.min_exclusive and x == self.min))
        high = self.max is not None and (x > self.max or (self.max_exclusive and x == self.max))
        return not (low or high)

    def to_proto(self) -> pb.ParamSpec:
        spec = pb.ParamSpec(name=self.name, type=_TYPES[self.type], help=self.help)
        if self.default is not None:
            spec.default.CopyFrom(to_value(self.type, self.default))
        c = spec.constraints
        if self.min is not None:
            c.min.value, c.min.exclusive = self.min, self.min_exclusive
        if self.max is not None:
            c.max.value, c.max.exclusive = self.max, self.max_exclusive
        c.choices.extend(self.choices)
        c.min_len = self.min_len
        c.max_len = self.max_len or 0  # 0: no bound on the wire
        if c.ByteSize() == 0:
            spec.ClearField("constraints")
        return spec


def param(name: str, type: Any, default: Any = None, *, help: str = "",
          min: Optional[float] = None, max: Optional[float] = None,
          min_exclusive: bool = False, max_exclusive: bool = False,
          choices: Optional[list[str]] = None,
          min_len: Optional[int] = None, max_len: Optional[int] = None) -> Param:
    """Declares a hyperparameter.

    type is float, int, str, bool, list[int] or list[float]; default is a
    value of that type (an int is taken for a float), or None when every grid
    must set the hyperparameter. The constraints, checked by sweep against
    every value a grid gives before anything runs:

    - min, max: bounds of a number, or of each element of a list; inclusive
      unless min_exclusive / max_exclusive. dropout in [0, 1) is
      ``min=0, max=1, max_exclusive=True``.
    - choices: the allowed strings.
    - min_len, max_len: the allowed lengths of a list.

    A declaration that cannot hold (min above max, choices on a float, a
    default that breaks the constraints) raises TypeError or ValueError at
    once, naming the hyperparameter.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"param: the name must be a non-empty string, not {name!r}")
    what = f"param {name!r}"
    if type not in _TYPES:
        raise TypeError(f"{what}: type {type!r} is not one of {_TYPE_NAMES}")
    numeric, is_list = type in _NUMERIC, type in _LISTS
    if (min is not None or max is not None) and not numeric:
        raise ValueError(f"{what}: {_name(type)} cannot have a minimum or maximum")
    if (min_exclusive and min is None) or (max_exclusive and max is None):
        raise ValueError(f"{what}: min_exclusive needs min and max_exclusive needs max")
    if choices is not None and type is not str:
        raise ValueError(f"{what}: {_name(type)} cannot have choices (only a str can)")
    if choices is not None and (not choices or not all(isinstance(c, str) for c in choices)):
        raise ValueError(f"{what}: choices must be a non-empty list of strings")
    if (min_len is not None or max_len is not None) and not is_list:
        raise ValueError(f"{what}: {_name(type)} has no length")
    bounds = [_bound(what, "min", min), _bound(what, "max", max)]
    if min_len is not None and (not _is_int(min_len) or min_len < 0):
        raise ValueError(f"{what}: min_len must be an int >= 0, not {min_len!r}")
    if max_len is not None and (not _is_int(max_len) or max_len < 1 or max_len < (min_len or 0)):
        raise ValueError(f"{what}: max_len must be an int >= 1 and >= min_len, not {max_len!r}")
    if min is not None and max is not None and (min > max or (min == max and (min_exclusive or max_exclusive))):
        raise ValueError(f"{what}: no value is both above min {min!r} and below max {max!r}")
    p = Param(name, type, None if default is None else coerce(type, default, f"{what}: default"), help,
              bounds[0], bounds[1], min_exclusive, max_exclusive, tuple(choices or ()), min_len or 0, max_len)
    if p.default is not None:
        try:
            p.check(p.default)
        except ValueError as e:
            raise ValueError(f"{what}: the default breaks the constraints: {e}") from None
    return p


def coerce(type: Any, value: Any, what: str) -> Any:
    """Returns value as the Python value of hyperparameter type type, or
    raises TypeError. bool is never taken for an int."""
    def number(x: Any, want: Any) -> Any:
        if isinstance(x, bool) or not isinstance(x, (int, float)) or (want is int and not isinstance(x, int)):
            raise TypeError(f"{what}: {value!r} is not {_name(type)}")
        return want(x)
    if type in _LISTS:
        if not isinstance(value, (list, tuple)):
            raise TypeError(f"{what}: {value!r} is not {_name(type)}")
        return [number(x, type.__args__[0]) for x in value]
    if type in (float, int):
        return number(value, type)
    if not isinstance(value, type):
        raise TypeError(f"{what}: {value!r} is not {_name(type)}")
    return value


def to_value(type: Any, v: Any) -> pb.Value:
    """Encodes a value of hyperparameter type type."""
    if type is float:
        return pb.Value(float=v)
    if type is bool:
        return pb.Value(bool=v)
    if type is int:
        return pb.Value(int=v)
    if type is str:
        return pb.Value(string=v)
    if type == list[int]:
        return pb.Value(int_list=pb.IntList(values=v))
    return pb.Value(float_list=pb.FloatList(values=v))


def from_value(v: pb.Value) -> Any:
    """Decodes a value into the Python type its wire kind names."""
    kind = v.WhichOneof("kind")
    if kind is None:
        raise ValueError("a value without a kind")
    if kind in ("int_list", "float_list"):
        return list(getattr(v, kind).values)
    return getattr(v, kind)


def _bound(what: str, side: str, x: Any) -> Optional[float]:
    if x is None:
        return None
    if isinstance(x, bool) or not isinstance(x, (int, float)) or math.isnan(x):
        raise ValueError(f"{what}: {side} must be a number, not {x!r}")
    return float(x)


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _name(type: Any) -> str:
    """The type with its article: "a float", "an int", "a list[int]"."""
    return ("an " if type is int else "a ") + (str(type) if type in _LISTS else type.__name__)


def _num(x: float) -> str:
    """A bound as sweep prints it: 0 rather than 0.0."""
    return str(int(x)) if x.is_integer() else repr(x)
