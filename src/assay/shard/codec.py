"""Reports read back from their JSON (`to_dict`'s output): what a partial file carries.

The model has only the writing half (`model.to_dict`); the merge needs each shard's
report as objects again, to combine them and hand them to every output format. The
dataclasses' own type hints drive the reading, so a field added to the model is read
without a change here; the wire protocol's classes read themselves (`Message.from_json`).
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from typing import Any, TypeVar

from assay.protocol import Message

T = TypeVar("T")


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    # names some modules import only for type checking (model/history.py's CompareReport,
    # a baseline's since_last, is not among assay.model's names)
    import assay.model
    import assay.model.history

    names = {**vars(assay.model.history), **vars(assay.model)}
    return typing.get_type_hints(cls, localns=names)


def from_dict(cls: type[T], data: Any) -> T:
    """An instance of the dataclass `cls` from its `to_dict` form."""
    value: T = _read(cls, data)
    return value


def _read(hint: Any, data: Any) -> Any:
    if data is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(options) == 1:
            return _read(options[0], data)
        for option in options:  # the first that fits
            if _fits(option, data):
                return _read(option, data)
        return data
    if origin is list:
        (item,) = typing.get_args(hint) or (Any,)
        return [_read(item, x) for x in data]
    if origin is tuple:
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_read(args[0], x) for x in data)
        return tuple(_read(a, x) for a, x in zip(args, data, strict=True))
    if origin is dict:
        _, value = typing.get_args(hint) or (Any, Any)
        return {k: _read(value, v) for k, v in data.items()}
    if isinstance(hint, type) and issubclass(hint, Message):
        return hint.from_json(data)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        hints = _hints(hint)
        values = {
            f.name: _read(hints[f.name], data[f.name])
            for f in dataclasses.fields(hint)
            if f.init and f.name in data
        }
        return hint(**values)
    if hint is float and isinstance(data, int):
        return float(data)
    return data


def _fits(hint: Any, data: Any) -> bool:
    origin = typing.get_origin(hint) or hint
    if origin in (list, tuple):
        return isinstance(data, list)
    if origin is dict or (isinstance(hint, type) and dataclasses.is_dataclass(hint)):
        return isinstance(data, dict)
    return isinstance(hint, type) and isinstance(data, hint)
