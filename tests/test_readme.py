"""README.md as a user meets it: its set-up commands and its Python examples, run as written.

Each ```python block is run as a program of its own, with the fixture site served on loopback
where the README says to serve it on 127.0.0.1:8000; a ```text block right after a program is
the output it must print.
"""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ogpreview.check.checker import FINDINGS
from ogpreview.check.config import CheckConfig, load_config
from ogpreview.check.help import FINDING_HELP
from ogpreview.cli import build_parser
from tests.conftest import ROOT
from tests.servers import Site

README = (ROOT / "README.md").read_text(encoding="utf-8")
_BLOCK = re.compile(r"^```(\w+)\n(.*?)^```\n", re.S | re.M)
#: Where the README tells a reader to serve the fixture pages.
README_SITE = "127.0.0.1:8000"


def _examples() -> list[tuple[str, str | None]]:
    """Each Python block with the text block that directly follows it (its output), if any."""
    blocks = [(m.group(1), m.group(2), m.start(), m.end()) for m in _BLOCK.finditer(README)]
    out: list[tuple[str, str | None]] = []
    for i, (lang, body, _, end) in enumerate(blocks):
        if lang != "python":
            continue
        following = blocks[i + 1] if i + 1 < len(blocks) else None
        if following and following[0] == "text" and not README[end : following[2]].strip():
            out.append((body, following[1]))
        else:
            out.append((body, None))
    return out


def _commands() -> list[str]:
    return [body.strip() for lang, body in _BLOCK.findall(README) if lang == "sh"]


EXAMPLES = _examples()


def test_readme_has_examples() -> None:
    """The README shows the library with at least the extract and Previewer programs."""
    assert len(EXAMPLES) >= 2


@pytest.mark.parametrize("index", range(len(EXAMPLES)))
async def test_python_example_runs_as_written(site: Site, index: int) -> None:
    """A README example runs as a complete program and prints what the README says."""
    code, expected = EXAMPLES[index]
    address = f"127.0.0.1:{site.port}"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        code.replace(README_SITE, address),
        cwd=ROOT,
        env={**os.environ, "PYTHONWARNINGS": "error"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert (process.returncode, stderr.decode()) == (0, "")
    if expected is not None:
        assert stdout.decode() == expected.replace(README_SITE, address)


def test_set_up_commands_install_the_locked_versions() -> None:
    """Both set-up commands install from a lock file, every file checked against its hash."""
    serve, tests = _commands()[:2]
    assert "--require-hashes -r requirements.lock" in serve and serve.endswith("ogpreview serve")
    assert "--require-hashes -r requirements-test.lock" in tests and tests.endswith("pytest -q")
    for command in (serve, tests):
        assert "--no-deps" in command  # the project itself adds no unlocked version


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    """.ci/run runs exactly the README's test command, so the two cannot drift apart."""
    tests = _commands()[1]
    assert tests in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize("lock", ["requirements.lock", "requirements-test.lock"])
def test_lock_pins_every_dependency_with_hashes(lock: str) -> None:
    """Every package in a lock file has one exact version and at least one hash."""
    text = (ROOT / lock).read_text(encoding="utf-8")
    entry = r"^([A-Za-z0-9_.\-]+)==(\S+) \\\n((?:    --hash=sha256:\w+(?: \\)?\n)+)"
    entries = re.findall(entry, text, re.M)
    names = {name.lower() for name, _, _ in entries}
    pinned = re.findall(r"^[A-Za-z0-9_.\-]+==", text, re.M)
    assert len(entries) == len(pinned) and {"aiohttp", "redis", "setuptools"} <= names


def _declared(text: str) -> set[str]:
    start = text.index("dependencies = [")
    body = text[start : text.index("]", start)]
    items = re.findall(r'^\s+"([^"]+)"', body, re.M)
    return {re.split(r"[<>=!\[ ;]", item)[0].lower().replace("_", "-") for item in items}


def test_lock_holds_every_declared_dependency() -> None:
    """What pyproject.toml declares is in the lock, so no dependency escapes it."""
    declared = _declared((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    locked = {name.lower().replace("_", "-") for name in re.findall(r"^([\w.\-]+)==", text, re.M)}
    assert declared - locked == set()


def test_readme_names_the_test_environment_variables() -> None:
    """The README says how the tests find Redis and the corpus."""
    assert "OGPREVIEW_TEST_REDIS_URL" in README and "OGPREVIEW_TEST_CORPUS" in README


def test_corpus_location_follows_the_environment(tmp_path: Path) -> None:
    """OGPREVIEW_TEST_CORPUS moves where the tests look for the corpus."""
    code = "from tests.conftest import CORPUS; print(CORPUS)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "OGPREVIEW_TEST_CORPUS": str(tmp_path)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == str(tmp_path)


def _block(lang: str, containing: str) -> str:
    blocks = [body for kind, body in _BLOCK.findall(README) if kind == lang and containing in body]
    assert len(blocks) == 1, f"one ```{lang} block with {containing!r}"
    return blocks[0]


def test_findings_table_matches_the_checker() -> None:
    """The README's table of findings lists every code, its severity and the meaning the
    reports (SARIF rules, the HTML page) give, in the checker's order."""
    rows = re.findall(r"^\| `(\w+)` \| (\w+) \| (.+) \|$", README, re.M)
    assert rows == [(code, sev, FINDING_HELP[code].summary) for code, sev in FINDINGS.items()]


def test_ci_workflow_runs_a_valid_check_and_uploads_its_report() -> None:
    """The GitHub Actions example: its check step is a valid ``ogpreview check`` command
    writing SARIF to the file that the upload-sarif step uploads."""
    workflow = yaml.safe_load(_block("yaml", "upload-sarif"))
    steps = workflow["jobs"]["previews"]["steps"]
    run = next(s["run"] for s in steps if "ogpreview check" in s.get("run", ""))
    words = shlex.split(run)
    command, target = words[: words.index(">")], words[words.index(">") + 1]
    args = build_parser().parse_args(command[1:])
    upload = next(s for s in steps if str(s.get("uses", "")).startswith("github/codeql-action/"))
    assert (
        args.command,
        args.format,
        args.files,
        upload["uses"],
        upload["with"]["sarif_file"],
    ) == (
        "check",
        "sarif",
        ["openapi.yaml", "samples/*.json"],
        "github/codeql-action/upload-sarif@v3",
        target,
    )


def test_config_example_is_a_valid_config(tmp_path: Path) -> None:
    """The README's [tool.ogpreview.check] example is accepted as it stands."""
    path = tmp_path / "pyproject.toml"
    path.write_text(_block("toml", "[tool.ogpreview.check]"))
    assert load_config(path) == CheckConfig(
        path=path,
        min_severity="warning",
        ignore=("og_url_mismatch",),
        fail_on="error",
        slow_ms=3000.0,
    )
