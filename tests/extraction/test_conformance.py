"""The shared conformance corpus: real pages other projects test against.

The floors below are what ogpreview scores today (bench/conformance.py prints the table);
a change that loses a hit fails here. The issue's targets are higher for image and
site_name (bench/conformance.py THRESHOLDS); see its note for the misses and their causes.
"""

from __future__ import annotations

import sys

import pytest

from tests.conftest import CORPUS, IN_CI, ROOT

sys.path.insert(0, str(ROOT / "bench"))
import conformance

#: Percent per field this tree reaches; raising them is welcome, lowering them is a regression.
#: url: 86 of 93 since og:url and canonical are trusted only on the page's own site (issue 11
#: section 3): the 7 misses are all an og:url on another site, 5 real ones (x.com naming
#: twitter.com, theregister.co.uk naming .com, a substack page naming its custom domain,
#: wnycstudios.org naming radiolab.org) and 2 extruct samples saved without their address.
FLOORS = {"title": 99.0, "description": 98.0, "image": 92.0, "url": 92.0, "site_name": 83.0}


@pytest.fixture(scope="module")
def scores() -> dict[str, conformance.Score]:
    if not CORPUS.is_dir():
        if IN_CI:
            pytest.fail(f"the conformance corpus is missing at {CORPUS}")
        pytest.skip("no shared corpus beside the project")
    return conformance.score(CORPUS)


@pytest.mark.parametrize("field", conformance.FIELDS)
def test_field_scores_at_least_its_floor(scores: dict[str, conformance.Score], field: str) -> None:
    """Each field matches the corpus's expected values at least as often as it does today."""
    score = scores[field]
    misses = [case for case, _, _ in score.misses]
    assert score.percent >= FLOORS[field], f"{field}: {score.percent:.1f}% misses={misses}"
