"""The checks' shipped expected values are those the instructor notebooks' solutions give."""

from __future__ import annotations

from instructor import check_values


def test_expected_values_are_up_to_date():
    shipped = check_values.TARGET.read_text(encoding="utf8")
    assert check_values.compute() == shipped, (
        "helpers/checks/expected_values.json is stale: run `python -m instructor.check_values`"
    )
