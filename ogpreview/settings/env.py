"""Reading settings from text: ``OGPREVIEW_*`` variables (:func:`values_from_env`,
behind :meth:`Settings.from_env <ogpreview.Settings.from_env>`), and the network and port
lists the constructor also accepts as strings."""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["ENV_PREFIX", "parse_networks", "parse_ports", "values_from_env"]

ENV_PREFIX = "OGPREVIEW_"


def parse_networks(value: Iterable[str] | str, name: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    out: list[str] = []
    for item in value:
        text = str(item).strip()
        if not text:
            continue
        try:
            out.append(str(ipaddress.ip_network(text, strict=False)))
        except ValueError as exc:
            raise ValueError(f"{name}: {text!r} is not an IP network (CIDR)") from exc
    return tuple(out)


def parse_ports(value: Iterable[int | str] | None) -> frozenset[int] | None:
    if value is None:
        return None
    ports: set[int] = set()
    for item in value:
        if isinstance(item, str) and item.strip().lower() == "any":
            return None
        try:
            port = int(item)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"allowed_ports: {item!r} is not a port number") from exc
        if not 0 < port < 65536:
            raise ValueError(f"allowed_ports: {port} is out of range 1-65535")
        ports.add(port)
    return frozenset(ports)


def values_from_env(
    fields: Iterable[dataclasses.Field[Any]], environ: Mapping[str, str]
) -> dict[str, Any]:
    """The values of ``fields`` set by ``OGPREVIEW_<FIELD>`` variables in ``environ``,
    parsed by each field's type; a malformed value raises ``ValueError`` naming the
    variable."""
    values: dict[str, Any] = {}
    for f in fields:
        raw = environ.get(ENV_PREFIX + f.name.upper())
        if raw is None:
            continue
        try:
            values[f.name] = _parse_env(f, raw)
        except ValueError as exc:
            raise ValueError(f"{ENV_PREFIX}{f.name.upper()}: {exc}") from exc
    return values


def _parse_env(f: dataclasses.Field[Any], raw: str) -> Any:
    kind = str(f.type)
    text = raw.strip()
    if f.name == "allowed_ports":
        return parse_ports(p for p in text.split(",") if p.strip())
    if kind.startswith("tuple"):
        return tuple(p.strip() for p in text.split(",") if p.strip())
    if kind == "bool | None" and not text:
        return None
    if kind in ("bool", "bool | None"):
        lowered = text.lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off"}:
            return False
        raise ValueError(f"{raw!r} is not a boolean")
    if kind == "int":
        return int(text)
    if kind == "float":
        return float(text)
    if kind == "str | None":
        return text or None
    return raw
