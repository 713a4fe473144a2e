"""ogpreview.web.schema: OpenAPI schemas generated from the answer types."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from ogpreview.card import Image
from ogpreview.web.apierror import Problem
from ogpreview.web.schema import DESCRIPTION, OMITTED, component


@dataclass(frozen=True)
class _Described:
    when: float = field(metadata={DESCRIPTION: "Unix time"})
    image: Image = field(metadata={DESCRIPTION: "the picture"})
    icon: Image | None = field(default=None, metadata={DESCRIPTION: "the icon"})


@dataclass(frozen=True)
class _WronglyOmitted:
    count: int = field(metadata={OMITTED: True})


def test_field_descriptions_come_from_metadata() -> None:
    """A field's description is on its property; beside a $ref it wraps the ref."""
    assert component(_Described) == {
        "type": "object",
        "required": ["when", "image", "icon"],
        "properties": {
            "when": {"type": "number", "description": "Unix time"},
            "image": {
                "allOf": [{"$ref": "#/components/schemas/Image"}],
                "description": "the picture",
            },
            "icon": {
                "allOf": [{"$ref": "#/components/schemas/Image"}],
                "nullable": True,
                "description": "the icon",
            },
        },
    }


def test_omitted_fields_are_optional_and_not_nullable() -> None:
    """A field to_dict leaves out when None is an optional property of its inner type."""
    schema = component(Problem)
    assert (schema["required"], schema["properties"]["status"]) == (
        ["code", "message"],
        {"type": "integer", "description": "the upstream HTTP status"},
    )
    assert Problem("busy", "m", retry_after=3).to_dict() == {
        "code": "busy",
        "message": "m",
        "retry_after": 3,
    }


def test_an_omitted_field_must_be_optional_in_its_type() -> None:
    """Only an X | None field can be left out: anything else is refused at once."""
    with pytest.raises(TypeError, match="omitted field"):
        component(_WronglyOmitted)
