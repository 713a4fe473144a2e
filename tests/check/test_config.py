"""``ogpreview check``'s config file: found from the current directory up, and checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from ogpreview.check.config import CheckConfig, ConfigError, find_config, load_config


def test_nearest_config_is_found_from_a_subdirectory(tmp_path: Path) -> None:
    """A .ogpreview.toml in a parent directory applies in its subdirectories."""
    (tmp_path / ".ogpreview.toml").write_text('[check]\nmin-severity = "warning"\n')
    deep = tmp_path / "docs" / "api"
    deep.mkdir(parents=True)
    assert find_config(deep) == tmp_path.resolve() / ".ogpreview.toml"


def test_pyproject_without_our_table_is_passed_over(tmp_path: Path) -> None:
    """A pyproject.toml with no [tool.ogpreview.check] does not stop the search."""
    (tmp_path / ".ogpreview.toml").write_text("[check]\n")
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text("[tool.ruff]\nline-length = 100\n")
    assert find_config(project) == tmp_path.resolve() / ".ogpreview.toml"


def test_pyproject_with_our_table_is_found(tmp_path: Path) -> None:
    """A pyproject.toml with [tool.ogpreview.check] is the config of its directory."""
    (tmp_path / "pyproject.toml").write_text('[tool.ogpreview.check]\nignore = ["redirected"]\n')
    assert find_config(tmp_path) == tmp_path.resolve() / "pyproject.toml"


def test_dot_file_wins_over_pyproject_in_one_directory(tmp_path: Path) -> None:
    """In one directory, .ogpreview.toml comes before pyproject.toml, as with linters."""
    (tmp_path / "pyproject.toml").write_text("[tool.ogpreview.check]\n")
    (tmp_path / ".ogpreview.toml").write_text("[check]\n")
    assert find_config(tmp_path) == tmp_path.resolve() / ".ogpreview.toml"


def test_no_config_file(tmp_path: Path) -> None:
    """Without any file, the defaults."""
    assert (find_config(tmp_path), load_config(None)) == (None, CheckConfig())


def test_every_setting_is_read(tmp_path: Path) -> None:
    """The four keys are read with their types."""
    path = tmp_path / "pyproject.toml"
    path.write_text(
        "[tool.ogpreview.check]\n"
        'min-severity = "warning"\n'
        'ignore = ["og_url_mismatch", "redirected"]\n'
        'fail-on = "warning"\n'
        "slow-ms = 1500\n"
    )
    assert load_config(path) == CheckConfig(
        path=path,
        min_severity="warning",
        ignore=("og_url_mismatch", "redirected"),
        fail_on="warning",
        slow_ms=1500.0,
    )


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (
            ".ogpreview.toml",
            "[check]\nignore-codes = []\n",
            "[check]: unknown key 'ignore-codes' (known: min-severity, ignore, fail-on, slow-ms)",
        ),
        (
            ".ogpreview.toml",
            "[checks]\n",
            "the file: unknown key 'checks' (known: check)",
        ),
        (
            "pyproject.toml",
            "[tool.ogpreview.check]\nignore = ['og_url_mismatch', 'no_such_code']\n",
            "[tool.ogpreview.check]: ignore: unknown finding code no_such_code",
        ),
        (
            "pyproject.toml",
            "[tool.ogpreview]\nchecks = {}\n",
            "[tool.ogpreview]: unknown key 'checks' (known: check)",
        ),
        (
            ".ogpreview.toml",
            '[check]\nmin-severity = "notice"\n',
            "[check]: min-severity must be one of error, warning, info",
        ),
        (
            ".ogpreview.toml",
            '[check]\nignore = "redirected"\n',
            "[check]: ignore must be a list of finding codes",
        ),
        (
            ".ogpreview.toml",
            "[check]\nslow-ms = -1\n",
            "[check]: slow-ms must be a number of milliseconds, 0 or more",
        ),
        (
            ".ogpreview.toml",
            '[check]\nfail-on = "info"\n',
            "[check]: fail-on must be one of error, warning, never",
        ),
    ],
)
def test_mistakes_are_config_errors(tmp_path: Path, name: str, text: str, message: str) -> None:
    """An unknown key or code or a wrong value names the file, the table and the fix."""
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == f"{path}: {message}"


def test_broken_toml_is_a_config_error(tmp_path: Path) -> None:
    """A file that is no TOML is reported with the parser's reason, found or named."""
    path = tmp_path / ".ogpreview.toml"
    path.write_text("[check\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}: not valid TOML: ")
