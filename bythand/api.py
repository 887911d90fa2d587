"""What the Python API adds for people at a prompt or in a notebook: a one-line repr of a Trace,
trace.show(), matrices shown as a student writes them, and render / grade as plain functions."""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ProblemError
from .numbers import Matrix, Number, cell

if TYPE_CHECKING:
    from .check import Answers, Report
    from .problem import Problem
    from .walk import Trace

REPR_VALUES = 80  # characters of the output's values a Trace's repr shows before "…"
FORMATS = ("terminal", "plain", "json", "markdown", "latex", "html", "svg", "csv", "numpy", "pytorch")


class MatrixNameError(KeyError):
    """trace["s"] for a matrix the trace does not have: the message names the ones it does."""

    def __str__(self) -> str:
        return str(self.args[0])


def missing_matrix(trace: Trace, name: object) -> MatrixNameError:
    """The error for trace[name] when there is no such matrix, with a near miss and every name."""
    from .problem import suggest

    hint = suggest(str(name), tuple(trace.matrices))
    return MatrixNameError(f"no matrix {name!r} in this trace{hint}; it has {', '.join(trace.matrices)}")


def _row_text(values: list[str]) -> str:
    return "[" + ", ".join(values) + "]"


def trace_repr(trace: Trace) -> str:
    """One line: the title, the sizes, the method, exact or not, and the output's values."""
    from .numbers import format_number
    from .render.labels import display_mode, matrix_mode, method_text

    p = trace.problem
    heads = f", {len(p.heads)} heads" if len(p.heads) > 1 else ""
    d = p.X.shape[0] if p.options.convention == "columns" else p.X.shape[1]
    out = trace[trace.output]
    mode = matrix_mode(out, display_mode(trace, "auto"))
    rows = [
        _row_text([format_number(cell(out, i, j), mode) for j in range(out.shape[1])])
        for i in range(out.shape[0])
    ]
    values = _row_text(rows)
    if len(values) > REPR_VALUES:
        values = values[: REPR_VALUES - 1] + "…"
    size = f"{d} features, {p.n} tokens, d_k = {p.d_k}{heads}"
    return f"<Trace {p.title!r}: {size}; {method_text(trace)}; {trace.output} = {values}>"


class Table:
    """A matrix of a trace shown as a student writes it (9/46, not Fraction(9, 46)), rows and columns
    labelled as in the tables (k1, q2); indexing and .values give the numbers themselves."""

    def __init__(self, trace: Trace, name: str) -> None:
        self.name = name
        self.values: Matrix = trace[name]
        self._trace = trace

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns)."""
        rows, cols = self.values.shape
        return int(rows), int(cols)

    def __getitem__(self, index: Any) -> Any:
        return self.values[index]

    def tolist(self) -> list[list[Number]]:
        """The values row by row: Fractions when exact, else floats."""
        return [[cell(self.values, i, j) for j in range(self.shape[1])] for i in range(self.shape[0])]

    def _cells(self) -> tuple[list[str], list[str], list[list[str]]]:
        from .render.labels import cell_text, display_mode, labels, matrix_mode

        rows, cols = labels(self._trace, self.name)
        mode = matrix_mode(self.values, display_mode(self._trace, "auto"))
        texts = [
            [cell_text(self.values, i, j, mode, 2) for j in range(self.shape[1])]
            for i in range(self.shape[0])
        ]
        return rows, cols, texts

    def __str__(self) -> str:
        rows, cols, texts = self._cells()
        label_w = max(len(r) for r in rows)
        cell_w = max(len(t) for t in [*cols, *(t for row in texts for t in row)])
        lines = [f"{self.name} ({self.shape[0]}×{self.shape[1]})"]
        lines.append(" " * label_w + "".join("  " + c.rjust(cell_w) for c in cols))
        for label, row in zip(rows, texts, strict=True):
            lines.append(label.rjust(label_w) + "".join("  " + t.rjust(cell_w) for t in row))
        return "\n".join(line.rstrip() for line in lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        """An HTML table in a notebook."""
        from html import escape

        rows, cols, texts = self._cells()
        head = "".join(f"<th>{escape(c)}</th>" for c in cols)
        body = "".join(
            f"<tr><th>{escape(r)}</th>"
            + "".join(f'<td style="text-align:right">{escape(t)}</td>' for t in row)
            + "</tr>"
            for r, row in zip(rows, texts, strict=True)
        )
        return f"<table><caption>{escape(self.name)}</caption><tr><th></th>{head}</tr>{body}</table>"


def render(
    trace: Trace,
    format: str = "terminal",
    *,
    steps: str | Iterable[int] | None = None,
    numbers: str = "auto",
    precision: int = 2,
    width: int = 100,
    full: bool = False,
    show_work: bool = False,
    layout: str = "steps",
) -> str:
    """The trace as text in one of run's formats (terminal: with colour codes); `steps` as for --step;
    `layout="sheet"` draws the whole exercise on one canvas (terminal, plain, html and svg)."""
    if format not in FORMATS:
        raise ProblemError(f"format: unknown value {format!r} (choose {', '.join(FORMATS)})")
    if layout not in ("steps", "sheet"):
        raise ProblemError(f"layout: unknown value {layout!r} (choose steps, sheet)")
    sheet = layout == "sheet"
    if sheet and (format not in ("terminal", "plain", "html", "svg") or steps is not None or show_work):
        raise ProblemError(
            "layout sheet draws the whole exercise in the terminal, plain, html and svg formats"
        )
    if numbers not in ("auto", "fraction", "decimal"):
        raise ProblemError(f"numbers: unknown value {numbers!r} (choose auto, fraction, decimal)")
    chosen = _steps(trace, steps)
    mode: Any = numbers
    if format != "terminal":
        from .render.formats import as_text

        return as_text(trace, format, chosen, mode, precision, full, show_work, sheet)
    from rich.console import Console
    from rich.text import Text

    from .render.terminal import render as terminal_lines

    console = Console(file=io.StringIO(), force_terminal=True, color_system="truecolor", width=width,
                      highlight=False, markup=False, emoji=False)  # fmt: skip
    if sheet:
        from .render.canvas import sheet_lines

        lines = sheet_lines(trace, numbers=mode, precision=precision, color_system="truecolor")
    else:
        lines = terminal_lines(trace, steps=chosen, numbers=mode, precision=precision, width=width, full=full,
                               show_work=show_work, color_system="truecolor")  # fmt: skip
    console.print(Text("\n").join(lines), soft_wrap=True)
    out: str = console.file.getvalue()  # type: ignore[attr-defined]
    return out


def _steps(trace: Trace, steps: str | Iterable[int] | None) -> list[int] | None:
    if steps is None:
        return None
    from .steps import select_steps

    if isinstance(steps, str):
        return select_steps(trace, steps)
    return select_steps(trace, ",".join(str(s) for s in steps))


def show(
    trace: Trace, steps: str | int | Iterable[int] | None = None, layout: str = "steps", **options: Any
) -> None:
    """Print the coloured view (or only `steps`: "A", "S-A", 4, [7, 8]; or the whole sheet with
    layout="sheet") to the terminal."""
    from rich.console import Console
    from rich.text import Text

    from .render.terminal import render as terminal_lines

    chosen = _steps(trace, [steps] if isinstance(steps, int) else steps)
    console = Console(highlight=False, markup=False, emoji=False)
    if layout == "sheet":
        from .render.canvas import sheet_lines

        if chosen is not None:
            raise ProblemError("layout sheet shows the whole exercise; pick steps with the steps layout")
        console.print(Text("\n").join(sheet_lines(trace, color_system=console.color_system)), soft_wrap=True)
        return
    if layout != "steps":
        raise ProblemError(f"layout: unknown value {layout!r} (choose steps, sheet)")
    lines = terminal_lines(
        trace, steps=chosen, width=console.width, color_system=console.color_system, **options
    )
    console.print(Text("\n").join(lines), soft_wrap=True)


def grade(
    answers: str | Path | Mapping[str, Any] | Answers,
    problem: Problem | Trace | str | Path | None = None,
    *,
    decimals: int = 2,
    tolerance: Fraction | float | None = None,
) -> Report:
    """Grade hand-worked answers as `bythand check` does: an answers file (str or Path), a dict shaped
    like one ({"Q": [[...]], "A": [...]}), against `problem` (a Problem, a Trace or a problem file) or
    the problem the answers name (else the built-in example). Returns the Report check prints."""
    from .answers import Reference
    from .check import Answers, Named, Rules, check, load_answers, parse_answers, problem_for
    from .problem import load_problem
    from .walk import Trace, walk

    if isinstance(answers, Answers):
        parsed = answers
    elif isinstance(answers, str | Path):
        parsed = load_answers(Path(answers))
    elif isinstance(answers, Mapping):
        parsed = parse_answers(dict(answers), "<python>")
    else:
        raise ProblemError(f"answers must be a file name, a dict or Answers, not {type(answers).__name__}")
    if isinstance(problem, Trace):
        trace = problem
    else:
        named = None
        if isinstance(problem, str | Path):
            named = Named(Reference("problem", str(problem)), load_problem(problem))
        elif problem is not None:
            named = Named(Reference("problem", problem.source), problem)
        trace = walk(problem_for(parsed, named, None, None)[0])
    limit = None if tolerance is None else Fraction(tolerance)
    return check(trace, parsed, Rules(decimals, limit))
