"""ogpreview: safe, fast link previews (OpenGraph cards) for chat hosts and plugin APIs.

The public API is what ``__all__`` lists; everything else is internal.
"""

from ogpreview.cache import Cache, MemoryCache, RedisCache
from ogpreview.card import Card, Image
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
)
from ogpreview.extractor import extract
from ogpreview.fetcher import Fetcher
from ogpreview.links import links_in
from ogpreview.netguard import is_blocked
from ogpreview.previewer import Previewer, PreviewResult
from ogpreview.resolver import StaticResolver
from ogpreview.response import FetchResult
from ogpreview.settings import Settings, __version__

__all__ = [
    "BlockedAddress",
    "BlockedURL",
    "Cache",
    "Card",
    "ConnectError",
    "DNSError",
    "FetchError",
    "FetchResult",
    "FetchTimeout",
    "Fetcher",
    "HTTPStatusError",
    "Image",
    "InvalidURL",
    "MemoryCache",
    "PreviewError",
    "PreviewResult",
    "Previewer",
    "RedisCache",
    "Settings",
    "StaticResolver",
    "TooLarge",
    "TooManyRedirects",
    "UnsupportedContent",
    "__version__",
    "extract",
    "is_blocked",
    "links_in",
]
