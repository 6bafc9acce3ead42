"""The catalogue of bad inputs (``fault_catalogue.py``): each is refused with a clear error naming the bad value,
and nothing is written or changed."""

from __future__ import annotations

import pytest
from fault_catalogue import cases, outcome  # tests/ is on sys.path under pytest's default import mode

CASES = cases()


def test_the_catalogue_is_large_and_spans_every_area():
    assert len(CASES) >= 100
    assert len({c.id for c in CASES}) == len(CASES)
    assert {c.area for c in CASES} == {"cli", "api", "loader", "widget"}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_refused_clearly_and_writes_nothing(case, tmp_path):
    kind, detail = outcome(case, tmp_path)
    assert kind == "clear_error", detail
