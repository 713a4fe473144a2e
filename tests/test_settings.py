"""Settings: frozen, validated, readable from OGPREVIEW_* variables."""

from __future__ import annotations

import dataclasses

import pytest

from ogpreview import Settings
from ogpreview.settings import DEFAULT_ALLOWED_PORTS


def test_defaults_match_the_documented_limits() -> None:
    """The fetch limits default to the values the issue documents."""
    s = Settings()
    assert (
        s.allow_networks,
        s.allowed_ports,
        s.max_redirects,
        s.connect_timeout,
        s.total_timeout,
        s.max_body_bytes,
    ) == ((), frozenset({80, 443, 8080, 8443}), 5, 5.0, 10.0, 2 * 1024 * 1024)


def test_settings_are_frozen() -> None:
    """A Settings object cannot be changed in place."""
    with pytest.raises(dataclasses.FrozenInstanceError):
        Settings().max_redirects = 1  # type: ignore[misc]


def test_networks_accept_any_iterable_and_are_normalised() -> None:
    """allow_networks takes any iterable of CIDRs and stores a normalised tuple."""
    s = Settings(allow_networks=iter(["127.0.0.1/8", "::1"]))
    assert s.allow_networks == ("127.0.0.0/8", "::1/128")


def test_a_bad_network_is_a_value_error() -> None:
    """A string that is not a CIDR is refused with its name in the message."""
    with pytest.raises(ValueError, match="allow_networks: 'nope'"):
        Settings(allow_networks=["nope"])


def test_from_env_reads_every_kind_of_field() -> None:
    """Lists are comma-separated, numbers parsed, an empty Redis URL means none."""
    s = Settings.from_env(
        {
            "OGPREVIEW_ALLOW_NETWORKS": "10.0.0.0/8, 192.168.0.0/16",
            "OGPREVIEW_ALLOWED_PORTS": "80,8000",
            "OGPREVIEW_MAX_REDIRECTS": "2",
            "OGPREVIEW_TOTAL_TIMEOUT": "2.5",
            "OGPREVIEW_REDIS_URL": "",
            "OGPREVIEW_OEMBED": "off",
            "OGPREVIEW_USER_AGENT": "bot/1",
        }
    )
    assert (
        s.allow_networks,
        s.allowed_ports,
        s.max_redirects,
        s.total_timeout,
        s.redis_url,
        s.oembed,
        s.user_agent,
    ) == (("10.0.0.0/8", "192.168.0.0/16"), frozenset({80, 8000}), 2, 2.5, None, False, "bot/1")


def test_from_env_any_port() -> None:
    """OGPREVIEW_ALLOWED_PORTS=any allows every port."""
    assert Settings.from_env({"OGPREVIEW_ALLOWED_PORTS": "any"}).allowed_ports is None


def test_from_env_ignores_unset_variables() -> None:
    """With no variables set, from_env gives the defaults."""
    assert Settings.from_env({}) == Settings()


def test_from_env_names_the_bad_variable() -> None:
    """A malformed value raises ValueError naming the variable."""
    with pytest.raises(ValueError, match="OGPREVIEW_MAX_REDIRECTS"):
        Settings.from_env({"OGPREVIEW_MAX_REDIRECTS": "many"})


def test_overrides_win_over_the_environment() -> None:
    """Keyword overrides are applied on top of the environment."""
    s = Settings.from_env({"OGPREVIEW_MAX_REDIRECTS": "2"}, max_redirects=7)
    assert s.max_redirects == 7


def test_out_of_range_port_is_refused() -> None:
    """Ports outside 1-65535 are a ValueError."""
    with pytest.raises(ValueError, match="out of range"):
        Settings(allowed_ports=[70000])


def test_default_ports_constant_is_the_default() -> None:
    """The named constant is what Settings uses."""
    assert Settings().allowed_ports == DEFAULT_ALLOWED_PORTS


@pytest.mark.parametrize("url", ["127.0.0.1:6379", "http://127.0.0.1:6379", ""])
def test_redis_url_needs_a_redis_scheme(url: str) -> None:
    """A Redis URL without redis://, rediss:// or unix:// is refused at once."""
    with pytest.raises(ValueError, match="redis_url must start with"):
        Settings(redis_url=url)


def test_job_ttl_under_a_second_is_refused() -> None:
    """Job TTLs are whole seconds in Redis: under one would expire a job at once."""
    with pytest.raises(ValueError, match="check_job_ttl must be at least 1"):
        Settings(check_job_ttl=0.5)


def test_every_field_belongs_to_exactly_one_part() -> None:
    """Each Settings field is in one part, under its own name and type, so no knob is lost
    to the layer that needs it and none is kept twice."""
    from ogpreview.settings import PARTS

    owners: dict[str, list[str]] = {}
    for part_name, part in PARTS.items():
        for f in dataclasses.fields(part):
            owners.setdefault(f.name, []).append(part_name)
    fields = {f.name: f.type for f in dataclasses.fields(Settings)}
    assert {name: len(parts) for name, parts in owners.items()} == dict.fromkeys(fields, 1)
    typed = {f.name: f.type for part in PARTS.values() for f in dataclasses.fields(part)}
    assert typed == fields


def test_parts_follow_the_settings_they_come_from() -> None:
    """A part holds the values of the Settings it came from, replaced ones too."""
    from ogpreview.settings import FetchPolicy

    settings = Settings(allow_networks=["127.0.0.1/32"], allowed_ports=None)
    changed = settings.replace(total_timeout=3.5, allowed_ports=[8080])
    assert (settings.policy, changed.fetch.total_timeout, changed.policy.allowed_ports) == (
        FetchPolicy(allow_networks=("127.0.0.1/32",), block_networks=(), allowed_ports=None),
        3.5,
        frozenset({8080}),
    )


def test_parts_are_frozen() -> None:
    """A layer cannot change the part it was given."""
    with pytest.raises(dataclasses.FrozenInstanceError):
        Settings().api.port = 1  # type: ignore[misc]
