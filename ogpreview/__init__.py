"""ogpreview: safe, fast link previews (OpenGraph cards) for chat hosts and plugin APIs.

The public API is what ``__all__`` lists; everything else is internal.
"""

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
from ogpreview.netguard import is_blocked
from ogpreview.response import FetchResult
from ogpreview.settings import Settings, __version__

__all__ = [
    "BlockedAddress",
    "BlockedURL",
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
    "PreviewError",
    "Settings",
    "TooLarge",
    "TooManyRedirects",
    "UnsupportedContent",
    "__version__",
    "extract",
    "is_blocked",
]
