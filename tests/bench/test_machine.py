"""The benchmark's machine section: how quick the hour was, beside the load average."""

from __future__ import annotations

from bench import measure
from bench.printout import print_machine


def test_the_machine_section_prints_the_hours_pace_as_measured(capsys, monkeypatch):
    monkeypatch.setattr(measure, "python_pace", lambda: 5.1789)

    print_machine(measure.machine())

    [line] = [line for line in capsys.readouterr().out.splitlines() if "pace of the hour" in line]
    assert "5.18 s for a bare Python loop of 30 million additions in a function" in line
