"""How a card was served: the fields beside the card in every answer that has one.

One definition for the handlers' answers and the OpenAPI document's schema of them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from ogpreview.card import CacheStatus, PreviewResult
from ogpreview.web.schema import DESCRIPTION

__all__ = ["Served"]


@dataclass(frozen=True, slots=True)
class Served:
    """Where a served card came from and when."""

    cache: CacheStatus
    fetched_at: float = field(metadata={DESCRIPTION: "when the card was fetched (Unix time)"})
    requested_url: str = field(
        metadata={
            DESCRIPTION: "the URL asked for, as checked and normalised (where the fetch starts)"
        }
    )
    final_url: str | None = field(
        metadata={
            DESCRIPTION: "where the redirects of the fetch that made the card ended (kept "
            "with the card in the cache; null only for a card cached by an older version)"
        }
    )

    @classmethod
    def of(cls, result: PreviewResult) -> Served:
        return cls(result.cache, result.fetched_at, result.requested_url, result.final_url)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
