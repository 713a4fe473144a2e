"""OpenAPI 3.0 schemas derived from the answer types themselves, so the document cannot
drift from what ``to_dict()`` writes.

A dataclass becomes an object with one required property per field (every ``to_dict`` of
the API writes all of its fields, ``null`` included), plus the computed properties its
``to_dict`` adds, named with their types. Type hints map as JSON does: ``str``, ``int``,
``float``, ``bool``, ``X | None`` (nullable), ``Literal[...]`` (an enum), ``tuple[X, ...]``
and ``list[X]`` (arrays), ``dict[str, X]`` (an object of X), another dataclass (a
``$ref`` to its own component).

A field's ``metadata`` may add to its property: ``description`` (prose for the document)
and ``omitted`` (a field ``X | None`` that ``to_dict`` leaves out when None rather than
writing ``null``: an optional property of type X, not a required nullable one).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any

__all__ = ["DESCRIPTION", "OMITTED", "component", "schema_of"]

_SCALARS: Mapping[type, str] = {str: "string", int: "integer", float: "number", bool: "boolean"}
REF_PREFIX = "#/components/schemas/"
#: The field metadata keys :func:`component` reads.
DESCRIPTION = "description"
OMITTED = "omitted"


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


def _described(schema: dict[str, Any], description: str | None) -> dict[str, Any]:
    if description is None:
        return schema
    if "$ref" in schema:  # OpenAPI 3.0 ignores siblings of $ref: wrap it
        return {"allOf": [schema], "description": description}
    return {**schema, "description": description}


def _property(field: dataclasses.Field[Any], hint: Any) -> tuple[dict[str, Any], bool]:
    """A field's schema, and whether ``to_dict`` always writes it."""
    if not field.metadata.get(OMITTED):
        return _described(schema_of(hint), field.metadata.get(DESCRIPTION)), True
    present = [arg for arg in typing.get_args(hint) if arg is not type(None)]
    if typing.get_origin(hint) not in (typing.Union, types.UnionType) or len(present) != 1:
        raise TypeError(f"an omitted field is X | None, not {hint!r}")
    return _described(schema_of(present[0]), field.metadata.get(DESCRIPTION)), False


def component(cls: type, *, computed: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The object schema of a dataclass's ``to_dict()``: its fields, then ``computed``
    (property name -> type hint) for what ``to_dict`` adds beyond the fields."""
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls!r} is not a dataclass")
    hints = typing.get_type_hints(cls)
    properties: dict[str, Any] = {}
    required: list[str] = []
    for field in dataclasses.fields(cls):
        properties[field.name], always = _property(field, hints[field.name])
        if always:
            required.append(field.name)
    for name, hint in (computed or {}).items():
        properties[name] = schema_of(hint)
        required.append(name)
    return {"type": "object", "required": required, "properties": properties}
