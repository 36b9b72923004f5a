"""The digest parse_equal compares: a field one version adds can be left out of both sides."""

from __future__ import annotations

from bench.parse_equal import _shown
from pipeline.problems import Problem, Severity


def test_a_problem_is_shown_as_its_repr_unless_a_field_is_ignored():
    problem = Problem(Severity.WARNING, "unit_assumed", "第4行…", sheet="清单", excel_row=4, named=(3,))

    assert _shown(problem, frozenset()) == repr(problem)
    shown = _shown(problem, frozenset({"named"}))
    assert "named" not in shown and "excel_row=4" in shown and shown.startswith("Problem(")
    assert (
        _shown(
            Problem(Severity.WARNING, "unit_assumed", "第4行…", sheet="清单", excel_row=4),
            frozenset({"named"}),
        )
        == shown
    )
