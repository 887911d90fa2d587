"""Shared by the practice tests: a session on a problem, saved to a real file, and check's verdicts for it."""

from __future__ import annotations

from pathlib import Path

from bythand.check import Report, Rules, Verdict, grade_files
from bythand.explain import Cell
from bythand.practice import storage
from bythand.practice.model import Ref, Session
from bythand.problem import Problem, load_example
from bythand.walk import walk


def session_for(tmp_path: Path, example: str = "self-attention-6x4", **kwargs: object) -> Session:
    """A fresh session on a ready example, saving to tmp_path."""
    path = tmp_path / f"{example}-answers.toml"
    return Session(walk(load_example(example)), Ref("example", example), str(path), **kwargs)  # type: ignore[arg-type]


def sheet_session(tmp_path: Path, sheet: str, problem: Problem) -> Session:
    """A fresh session on a generated sheet."""
    return Session(walk(problem), Ref("sheet", sheet), str(tmp_path / f"{sheet}-answers.toml"))


def saver(path: Path) -> object:
    """What the command passes the app: write the whole file."""

    def save(text: str) -> None:
        path.write_text(text, encoding="utf-8")

    return save


def check_verdicts(path: Path) -> dict[Cell, Verdict]:
    """`bythand check`'s own verdicts for a saved file, found by its recorded problem and method."""
    (report,) = grade_files([path], None, Rules())
    assert isinstance(report, Report), report
    out: dict[Cell, Verdict] = {}
    for step in report.steps:
        for i, row in enumerate(step.cells):
            for j, c in enumerate(row):
                out[Cell(step.name, i, j)] = c.verdict
    return out


def save(session: Session) -> Path:
    """Write the session's answers file."""
    path = Path(session.path)
    path.write_text(storage.dump(session), encoding="utf-8")
    return path
