"""ogpreview: safe, fast link previews (OpenGraph cards) for chat hosts and plugin APIs.

The public API is what ``__all__`` lists; everything else is internal.
"""

from typing import TYPE_CHECKING, Any

from ogpreview.cache import Cache, MemoryCache, NullCache
from ogpreview.card import Card, Image
from ogpreview.check.checker import Checker, CheckResult, Finding
from ogpreview.errors import (
    BlockedAddress,
    BlockedURL,
    CacheUnavailable,
    ConnectError,
    DNSError,
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    InvalidLocale,
    InvalidURL,
    PreviewError,
    TooLarge,
    TooManyRedirects,
    UnsupportedContent,
    UpstreamBusy,
)
from ogpreview.extraction.extractor import explain, extract
from ogpreview.extraction.links import links_in
from ogpreview.fetch.fetcher import Fetcher
from ogpreview.fetch.guard import is_blocked
from ogpreview.fetch.resolver import StaticResolver
from ogpreview.fetch.response import FetchResult
from ogpreview.locale import UserLocale
from ogpreview.previewer import Previewer, PreviewResult
from ogpreview.settings import Settings, __version__

if TYPE_CHECKING:
    from ogpreview.cache.redis import RedisCache

__all__ = [
    "BlockedAddress",
    "BlockedURL",
    "Cache",
    "CacheUnavailable",
    "Card",
    "CheckResult",
    "Checker",
    "ConnectError",
    "DNSError",
    "FetchError",
    "FetchResult",
    "FetchTimeout",
    "Fetcher",
    "Finding",
    "HTTPStatusError",
    "Image",
    "InvalidLocale",
    "InvalidURL",
    "MemoryCache",
    "NullCache",
    "PreviewError",
    "PreviewResult",
    "Previewer",
    "RedisCache",
    "Settings",
    "StaticResolver",
    "TooLarge",
    "TooManyRedirects",
    "UnsupportedContent",
    "UpstreamBusy",
    "UserLocale",
    "__version__",
    "explain",
    "extract",
    "is_blocked",
    "links_in",
]


def __getattr__(name: str) -> Any:
    # RedisCache is imported on first use: most processes never talk to Redis, and its
    # client costs them memory and start-up time.
    if name == "RedisCache":
        from ogpreview.cache.redis import RedisCache

        return RedisCache
    raise AttributeError(f"module 'ogpreview' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
