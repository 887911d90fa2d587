"""The one adapter between the practice screen and `check`: every mark on screen comes from here.

The screen never decides right or wrong itself. It builds the same in-memory answers record that
`bythand check` builds from the saved file, and asks `check` for the report."""

from __future__ import annotations

from pathlib import Path

from ..answers import Answers, AnswersError, Unreadable, Written, parse_answers_text, parse_cell
from ..check import Report, Rules, Verdict, check
from ..explain import Cell
from ..walk import Trace

__all__ = ["AnswersError", "Verdict", "grade", "parse_entry", "read_answers", "verdicts"]


def parse_entry(text: str) -> tuple[Written, str | None]:
    """A cell as typed, read as `check` reads it: (what it is, why it is not a number or None)."""
    written = parse_cell(text, "cell")
    return written, written.reason if isinstance(written, Unreadable) else None


def grade(
    trace: Trace,
    written: dict[str, list[list[Written]]],
    path: str,
    meta: dict[str, str | None],
    options: dict[str, str],
    fill: frozenset[str],
    rules: Rules | None = None,
) -> Report:
    """`check`'s report for the answers on screen, built exactly as from the saved file."""
    problem = meta.get("problem")
    answers = Answers(
        path,
        meta.get("name") or None,
        Path(path).parent / problem if problem else None,
        meta.get("sheet") or None,
        written,
        meta.get("example") or None,
        dict(options),
        None,
        fill,
    )
    return check(trace, answers, rules)


def verdicts(report: Report) -> dict[Cell, Verdict]:
    """Each graded cell's verdict, keyed by the cell."""
    out: dict[Cell, Verdict] = {}
    for step in report.steps:
        for i, row in enumerate(step.cells):
            for j, result in enumerate(row):
                out[Cell(step.name, i, j)] = result.verdict
    return out


def read_answers(text: str, path: str) -> Answers:
    """A saved answers file, read by `check`'s own reader."""
    return parse_answers_text(text, path, "toml")
