"""``ogpreview check`` settings from a config file, found as linters find theirs.

From the current directory upward, the first directory holding either file wins:

- ``.ogpreview.toml`` with a ``[check]`` table (it is read even when that table is absent);
- ``pyproject.toml`` with a ``[tool.ogpreview.check]`` table (one without it is passed over).

Keys (all optional): ``min-severity`` (``"error"``, ``"warning"`` or ``"info"``),
``ignore`` (a list of finding codes), ``fail-on`` (``"error"``, ``"warning"`` or
``"never"``) and ``slow-ms`` (a number). An unknown key or code, a wrong type or a file that
is no valid TOML is a :class:`ConfigError`. The command line overrides each setting;
``--ignore`` codes are added to the file's.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from ogpreview.check.checker import Severity
from ogpreview.check.filters import SEVERITIES, unknown_codes

__all__ = [
    "CONFIG_NAMES",
    "FAIL_ON",
    "CheckConfig",
    "ConfigError",
    "find_config",
    "load_config",
]

#: The files looked for in each directory, the first found first.
CONFIG_NAMES = (".ogpreview.toml", "pyproject.toml")
#: The ``--fail-on`` choices.
FAIL_ON = ("error", "warning", "never")
_KEYS = ("min-severity", "ignore", "fail-on", "slow-ms")


class ConfigError(ValueError):
    """A config file that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True, slots=True)
class CheckConfig:
    """The settings a config file gives (None: not set there)."""

    #: The file they came from (None: no config file).
    path: Path | None = None
    min_severity: Severity | None = None
    ignore: tuple[str, ...] = ()
    fail_on: str | None = None
    slow_ms: float | None = None


def _table(path: Path) -> tuple[Mapping[str, Any] | None, str]:
    """The check settings table of ``path`` (None when a pyproject.toml has none) and
    how messages name it."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    if path.name == "pyproject.toml":
        tool = data.get("tool")
        ours = tool.get("ogpreview") if isinstance(tool, dict) else None
        if ours is None:
            return None, "[tool.ogpreview.check]"
        where = "[tool.ogpreview]"
        if not isinstance(ours, dict):
            raise ConfigError(f"{path}: {where} must be a table")
        _no_unknown(path, where, ours, ("check",))
        table = ours.get("check")
        if table is None:
            return None, "[tool.ogpreview.check]"
        name = "[tool.ogpreview.check]"
    else:
        _no_unknown(path, "the file", data, ("check",))
        table = data.get("check", {})
        name = "[check]"
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: {name} must be a table")
    return table, name


def _no_unknown(path: Path, where: str, table: Mapping[str, Any], known: tuple[str, ...]) -> None:
    unknown = [key for key in table if key not in known]
    if unknown:
        raise ConfigError(
            f"{path}: {where}: unknown key {', '.join(repr(k) for k in unknown)} "
            f"(known: {', '.join(known)})"
        )


def find_config(start: Path | None = None) -> Path | None:
    """The config file that applies in ``start`` (default: the current directory)."""
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        for name in CONFIG_NAMES:
            path = directory / name
            if not path.is_file():
                continue
            if name == "pyproject.toml" and _table(path)[0] is None:
                continue
            return path
    return None


def load_config(path: Path | None) -> CheckConfig:
    """The settings in ``path`` (a file :func:`find_config` found, or one named on the
    command line); ``None`` gives the defaults."""
    if path is None:
        return CheckConfig()
    table, name = _table(path)
    if table is None:
        return CheckConfig(path=path)
    where = f"{path}: {name}"
    _no_unknown(path, name, table, _KEYS)
    min_severity = table.get("min-severity")
    if min_severity is not None and min_severity not in SEVERITIES:
        raise ConfigError(f"{where}: min-severity must be one of {', '.join(SEVERITIES)}")
    ignore = table.get("ignore", [])
    if not isinstance(ignore, list) or not all(isinstance(code, str) for code in ignore):
        raise ConfigError(f"{where}: ignore must be a list of finding codes")
    unknown = unknown_codes(ignore)
    if unknown:
        raise ConfigError(f"{where}: ignore: unknown finding code {', '.join(unknown)}")
    fail_on = table.get("fail-on")
    if fail_on is not None and fail_on not in FAIL_ON:
        raise ConfigError(f"{where}: fail-on must be one of {', '.join(FAIL_ON)}")
    slow_ms = table.get("slow-ms")
    if slow_ms is not None and (
        isinstance(slow_ms, bool)
        or not isinstance(slow_ms, int | float)
        or not math.isfinite(slow_ms)
        or slow_ms < 0
    ):
        raise ConfigError(f"{where}: slow-ms must be a number of milliseconds, 0 or more")
    return CheckConfig(
        path=path,
        min_severity=cast(Severity | None, min_severity),
        ignore=tuple(ignore),
        fail_on=fail_on,
        slow_ms=None if slow_ms is None else float(slow_ms),
    )
