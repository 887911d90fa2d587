"""The answers file a practice session saves as it goes: one that `bythand check` reads as it is.

Text in, text out: the command writes it atomically. What `check` does not grade (the mode, hints,
revealed cells) sits in one comment line that `check` skips."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..check import Answers
from ..explain import Cell
from .grading import read_answers
from .model import Session

PRACTICE_LINE = "# practice: "  # then JSON: what `check` does not grade, for resuming


@dataclass(frozen=True)
class Saved:
    """A saved session read back: check's answers, and the practice record."""

    answers: Answers
    mode: str | None = None
    exam: bool = False
    submitted: bool = False
    fill: frozenset[str] = frozenset()
    revealed: frozenset[str] = frozenset()
    hints: dict[str, int] = field(default_factory=dict)


def _label(c: Cell) -> str:
    return f"{c.name}[{c.row + 1},{c.col + 1}]"


def _cell(text: str) -> Cell:
    name, _, rest = text.partition("[")
    i, j = rest.rstrip("]").split(",")
    return Cell(name, int(i) - 1, int(j) - 1)


def dump(session: Session) -> str:
    """The answers file for the session as it stands."""
    s, t = session, session.trace
    lines = [
        f"# bythand practice: {t.problem.title}",
        f"# Check it with: bythand check {s.path}",
        f"# Marks: {s.summary()}"
        if not (s.exam and not s.submitted)
        else "# Marks: after the exam is submitted",
        "",
        f"name = {json.dumps(s.name or '', ensure_ascii=False)}",
        f"{s.ref.kind} = {json.dumps(s.ref.value, ensure_ascii=False)}",
        "options = {" + ", ".join(f"{k} = {json.dumps(v)}" for k, v in s.options.items()) + "}",
    ]
    record: dict[str, Any] = {
        "mode": s.mode,
        "exam": s.exam,
        "submitted": s.submitted,
        "revealed": sorted(_label(c) for c in s.revealed),
        "hints": {
            _label(c): level for c, level in sorted(s.hints_used.items(), key=lambda kv: _label(kv[0]))
        },
    }
    lines.append(PRACTICE_LINE + json.dumps(record, ensure_ascii=False))
    filled = [n for n in s.names if n in s.filled_names()]
    if filled:
        lines.append(f"fill = {json.dumps(filled)}  # given already worked: not graded")
    for name in s.names:
        body = []
        for i, row in enumerate(s.texts[name]):
            cells = []
            for j in range(len(row)):
                written, _ = s.entry(Cell(name, i, j))  # a cell that is no number is kept as typed
                cells.append(json.dumps("?" if written is None else written.text, ensure_ascii=False))
            body.append("  [" + ", ".join(cells) + "],")
        lines += ["", f"# Step {s.step_of(name)}", f"{name} = [", *body, "]"]
    return "\n".join(lines) + "\n"


def load(text: str, path: str) -> Saved:
    """Read a saved session; the answers by check's own reader, the practice record from its comment."""
    answers = read_answers(text, path)
    record: dict[str, Any] = {}
    for line in text.splitlines():
        if line.startswith(PRACTICE_LINE):
            try:
                found = json.loads(line[len(PRACTICE_LINE) :])
            except ValueError:
                found = {}
            record = found if isinstance(found, dict) else {}
    mode = record.get("mode")
    return Saved(
        answers,
        mode if mode in ("free", "steps") else None,
        record.get("exam") is True,
        record.get("submitted") is True,
        frozenset(name.rpartition(".")[2] for name in answers.fill),
        frozenset(str(c) for c in record.get("revealed", []) if isinstance(c, str)),
        {str(k): int(v) for k, v in dict(record.get("hints", {})).items() if isinstance(v, int)},
    )


def restore(session: Session, saved: Saved) -> None:
    """Put a saved session's cells, hints and revealed cells back on the screen's model."""
    for name, rows in saved.answers.matrices.items():
        if name not in session.texts:
            continue
        shape = session.trace[name].shape
        grid = rows if (len(rows), len(rows[0])) == shape else [[a] for a in rows[0]]
        for i, row in enumerate(grid):
            for j, answer in enumerate(row):
                c = Cell(name, i, j)
                if c not in session.prefilled():
                    session.texts[name][i][j] = "" if answer is None else answer.text
    valid = set(session.cells())
    session.revealed = {r for r in map(_safe, saved.revealed) if r is not None and r in valid}
    session.hints_used = {
        h: min(3, max(1, v)) for k, v in saved.hints.items() if (h := _safe(k)) is not None and h in valid
    }
    session.submitted = saved.submitted
    session.regrade()


def _safe(label: str) -> Cell | None:
    try:
        return _cell(label)
    except ValueError:
        return None


def _number(v: object) -> str:
    from fractions import Fraction

    if isinstance(v, Fraction):
        return str(v.numerator) if v.denominator == 1 else json.dumps(str(v))
    return repr(float(v))  # type: ignore[arg-type]


def _matrix_toml(m: Any) -> str:
    rows = ", ".join("[" + ", ".join(_number(v) for v in row) + "]" for row in m.tolist())
    return f"[{rows}]"


def problem_text(problem: Any) -> str:
    """A problem file holding exactly these givens and this method, for answers `check` must find again
    (givens typed on the command line, or a file split into heads)."""
    o = problem.options
    lines = [
        "# The problem of a bythand practice session (its givens were not in a file of their own).",
        f"title = {json.dumps(problem.title, ensure_ascii=False)}",
        f"X = {_matrix_toml(problem.X)}",
    ]
    if problem.C is not None:
        lines.append(f"C = {_matrix_toml(problem.C)}")
    if problem.WO is not None:
        lines.append(f"WO = {_matrix_toml(problem.WO)}")
    if len(problem.heads) == 1:
        h = problem.heads[0]
        lines += [f"WQ = {_matrix_toml(h.WQ)}", f"WK = {_matrix_toml(h.WK)}", f"WV = {_matrix_toml(h.WV)}"]
    else:
        for h in problem.heads:
            lines += ["", "[[heads]]", f"WQ = {_matrix_toml(h.WQ)}", f"WK = {_matrix_toml(h.WK)}",
                      f"WV = {_matrix_toml(h.WV)}"]  # fmt: skip
    lines += ["", "[options]"]
    lines += [f"{k} = {json.dumps(getattr(o, k))}" for k in ("convention", "scale", "exp", "mask")]
    return "\n".join(lines) + "\n"
