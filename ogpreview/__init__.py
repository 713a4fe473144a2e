"""ogpreview: safe, fast link previews (OpenGraph cards) for chat hosts and plugin APIs.

The public API is what ``__all__`` lists; everything else is internal.
"""

from typing import TYPE_CHECKING, Any

from ogpreview.cache import Cache, MemoryCache, NullCache
from ogpreview.card import Card, Image
from ogpreview.checker import Checker, CheckResult, Finding
from ogpreview.errors import (
    BlockedAddress,
    BlockedURL,
    ConnectError,
    DNSError,
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    InvalidURL,
    PreviewError,
    TooLarge,
    TooManyRedirects,
    UnsupportedContent,
    UpstreamBusy,
)
from ogpreview.extractor import explain, extract
from ogpreview.fetcher import Fetcher
from ogpreview.links import links_in
from ogpreview.netguard import is_blocked
from ogpreview.previewer import Previewer, PreviewResult
from ogpreview.resolver import StaticResolver
from ogpreview.response import FetchResult
from ogpreview.settings import Settings, __version__

if TYPE_CHECKING:
    from ogpreview.rediscache import RedisCache

__all__ = [
    "BlockedAddress",
    "BlockedURL",
    "Cache",
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
        from ogpreview.rediscache import RedisCache

        return RedisCache
    raise AttributeError(f"module 'ogpreview' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
