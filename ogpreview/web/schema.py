"""OpenAPI 3.0 schemas derived from the answer types themselves, so the document cannot
drift from what ``to_dict()`` writes.

A dataclass becomes an object with one required property per field (every ``to_dict`` of
the API writes all of its fields, ``null`` included), plus the computed properties its
``to_dict`` adds, named with their types. Type hints map as JSON does: ``str``, ``int``,
``float``, ``bool``, ``X | None`` (nullable), ``Literal[...]`` (an enum), ``tuple[X, ...]``
and ``list[X]`` (arrays), ``dict[str, X]`` (an object of X), another dataclass (a
``$ref`` to its own component).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any

__all__ = ["component", "schema_of"]

_SCALARS: Mapping[type, str] = {str: "string", int: "integer", float: "number", bool: "boolean"}
REF_PREFIX = "#/components/schemas/"


def schema_of(hint: Any) -> dict[str, Any]:
    """The schema of one type hint (see the module doc for what maps to what)."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        present = [arg for arg in args if arg is not type(None)]
        if len(present) != len(args) - 1 or len(present) != 1:
            raise TypeError(f"only X | None unions map to a schema, not {hint!r}")
        inner = schema_of(present[0])
        if "$ref" in inner:  # OpenAPI 3.0 ignores siblings of $ref: wrap it
            return {"allOf": [inner], "nullable": True}
        return {**inner, "nullable": True}
    if origin is typing.Literal:
        kinds = {type(arg) for arg in args}
        if len(kinds) != 1 or next(iter(kinds)) not in _SCALARS:
            raise TypeError(f"a Literal of one scalar type maps to an enum, not {hint!r}")
        return {"type": _SCALARS[next(iter(kinds))], "enum": list(args)}
    if origin in (tuple, list):
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            raise TypeError(f"only tuple[X, ...] maps to an array, not {hint!r}")
        return {"type": "array", "items": schema_of(args[0])}
    if origin is dict:
        if args[0] is not str:
            raise TypeError(f"only dict[str, X] maps to an object, not {hint!r}")
        return {"type": "object", "additionalProperties": schema_of(args[1])}
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return {"$ref": REF_PREFIX + hint.__name__}
    if hint in _SCALARS:
        return {"type": _SCALARS[hint]}
    raise TypeError(f"no schema for {hint!r}")


def component(cls: type, *, computed: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The object schema of a dataclass's ``to_dict()``: its fields, then ``computed``
    (property name -> type hint) for what ``to_dict`` adds beyond the fields."""
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls!r} is not a dataclass")
    hints = typing.get_type_hints(cls)
    properties = {field.name: schema_of(hints[field.name]) for field in dataclasses.fields(cls)}
    properties.update({name: schema_of(hint) for name, hint in (computed or {}).items()})
    return {"type": "object", "required": list(properties), "properties": properties}
