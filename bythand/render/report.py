"""The checker's Report as rich renderables (one student), a class table, and the gradebook CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from rich.box import ASCII, ROUNDED, Box
from rich.console import Console, RenderableType
from rich.measure import Measurement
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from ..check import VERDICTS, Failure, Report, StepResult, gradebook_rows, percent, platform_rows, step_names
from ..explain import number_text
from ..walk import Trace
from .labels import labels
from .palette import VERDICT_MARKS, terminal_colour, verdict_style

# A matrix is a box with a header rule and no inner lines, as in the walkthrough's view.
MATRIX = Box("╭──╮\n│  │\n├──┤\n│  │\n├──┤\n├──┤\n│  │\n╰──╯\n")
MATRIX_ASCII = Box("+--+\n|  |\n|--|\n|  |\n|--|\n|--|\n|  |\n+--+\n", ascii=True)
LEGEND = "✓ correct  → carried (from your own numbers)  ✗ wrong (true value)  · blank"


def summary_line(report: Report) -> str:
    """ "28 correct, 3 carried, 1 wrong, 0 blank of 32 cells" (and the unreadable cells, if any)."""
    shown = [v for v in VERDICTS if v != "unreadable" or report.count(v)]
    counts = ", ".join(f"{report.count(v)} {v}" for v in shown)
    return f"{counts} of {report.total} cells"


def _cell_text(step: StepResult, i: int, j: int, precision: int) -> str:
    c = step.cells[i][j]
    mark = VERDICT_MARKS[c.verdict]
    if c.verdict == "blank":
        return mark
    if c.verdict == "wrong":
        return f"{mark} {c.answer} ({number_text(c.expected, precision)})"
    if c.verdict == "unreadable":
        return f"{mark} {c.answer!r}"
    return f"{mark} {c.answer}"


def _step_table(
    report: Report, step: StepResult, plain: bool, precision: int, color_system: str | None
) -> Table:
    rows, cols = labels(report.trace, step.name)
    hue = "" if plain else terminal_colour(step.name, color_system)
    table = Table(
        title=step.name,
        title_style=f"bold {hue}".strip(),
        box=MATRIX_ASCII if plain else MATRIX,
        border_style=hue,
        header_style=f"bold {hue}".strip(),
        padding=(0, 0, 0, 1),
    )
    table.add_column("", justify="right", style=hue, no_wrap=True)
    for c in cols:
        table.add_column(c, justify="right", no_wrap=True)
    table.add_column("", width=0)  # a space before the right edge
    for i, label in enumerate(rows):
        cells: list[Text | str] = [label]
        for j in range(len(cols)):
            verdict = step.cells[i][j].verdict
            cells.append(
                Text(
                    _cell_text(step, i, j, precision),
                    style="" if plain else verdict_style(verdict, color_system),
                )
            )
        table.add_row(*cells, "")
    return table


def render_report(
    report: Report, plain: bool = False, precision: int = 2, color_system: str | None = "truecolor"
) -> list[RenderableType]:
    """One student's report: each graded step's marked cells, the work for a first wrong cell, a summary;
    coloured for the terminal's colour system, so that no two verdicts or steps share a colour."""
    who = f" ({report.name})" if report.name else ""
    out: list[RenderableType] = [Text(report.note, style="" if plain else "bold")] if report.note else []
    out += [
        Text(f"Answers: {report.answers}{who}", style="" if plain else "bold"),
        Text(f"Problem: {report.problem}", style="" if plain else "bold"),
        Text(_method(report.trace), style="" if plain else "dim"),
        Text(LEGEND, style="" if plain else "dim"),
        *(
            [Text("? unreadable (not a number: see why under its step)", style="" if plain else "dim")]
            * bool(report.count("unreadable"))
        ),
    ]
    blank: list[StepResult] = []
    for step in report.steps:
        if step.total and step.count("blank") == step.total:
            blank.append(step)  # said in one line below, not as a table of dots
            continue
        out += _blank_line(blank, plain)
        blank = []
        hue = "" if plain else terminal_colour(step.name, color_system)
        out.append(Text(""))
        title = f" Step {step.number} · {step.name} "
        out.append(
            Rule(
                Text(title, style=f"bold {hue}".strip()),
                align="left",
                characters="-" if plain else "─",
                style=hue,
            )
        )
        out.append(_step_table(report, step, plain, precision, color_system))
        if step.work:
            out.append(Text("First wrong cell, worked:", style="" if plain else "bold"))
            out.extend(Text("  " + line, style="" if plain else "italic") for line in step.work)
        out.extend(_unreadable_lines(report, step, plain, color_system))
    out += _blank_line(blank, plain)
    out.append(Text(""))
    out.append(Text(summary_line(report), style="" if plain else "bold"))
    return out


def _unreadable_lines(
    report: Report, step: StepResult, plain: bool, color_system: str | None
) -> list[RenderableType]:
    """Each cell that could not be read, where and why."""
    return [
        Text(
            f"Unreadable {step.name}[{i + 1},{j + 1}]: {c.reason}",
            style="" if plain else verdict_style("unreadable", color_system),
        )
        for i, line in enumerate(step.cells)
        for j, c in enumerate(line)
        if c.verdict == "unreadable"
    ]


def _blank_line(steps: Sequence[StepResult], plain: bool) -> list[RenderableType]:
    """Matrices left wholly blank (not reached yet), named in one line."""
    if not steps:
        return []
    cells = sum(s.total for s in steps)
    names = ", ".join(s.name for s in steps)
    count = f"{cells} cell" + "s" * (cells != 1)
    return [Text(""), Text(f"Left blank: {names} ({count})", style="" if plain else "dim")]


def class_table(
    results: Sequence[Report | Failure],
    plain: bool = False,
    compact: bool = False,
    color_system: str | None = "truecolor",
) -> Table:
    """A whole class: one row per file with what it was graded against, its score and each step's
    credited cells, and any roster flag.

    Compact (for a narrow terminal): the score alone; the errors are the lines under the table.
    """
    names = [] if compact else step_names(results)
    table = Table(box=ASCII if plain else ROUNDED, header_style="" if plain else "bold")
    for heading in ("file", "name", "problem", "score", "%"):
        table.add_column(heading, justify="right" if heading in ("score", "%") else "left", no_wrap=True)
    for name in names:
        hue = "" if plain else f"bold {terminal_colour(name, color_system)}"
        table.add_column(name, justify="right", header_style=hue, no_wrap=True)
    flagged = any(r.flags for r in results)
    if flagged:
        table.add_column("flag", no_wrap=True)
    failed = any(isinstance(r, Failure) for r in results) and not compact
    if failed:
        table.add_column("error", no_wrap=True)
    style = "" if plain else verdict_style("wrong", color_system)
    for r in results:
        flag = [Text("; ".join(r.flags), style=style)] if flagged else []
        name = r.student.name if r.student is not None else r.name or ""
        if isinstance(r, Failure):
            message = r.error.removeprefix(f"{r.answers}: ")  # the file column already names it
            shown = [Text(message, style=style)] if failed else []
            status = "missing" if r.missing else "error"
            table.add_row(
                r.answers or "–",
                name,
                r.reference,
                Text(status, style=style),
                "",
                *("" for _ in names),
                *flag,
                *shown,
            )
            continue
        steps = {s.name: s for s in r.steps}
        cells = [f"{steps[n].score}/{steps[n].total}" if n in steps else "–" for n in names]
        table.add_row(
            r.answers,
            name,
            r.reference,
            f"{r.score}/{r.total}",
            percent(r),
            *cells,
            *flag,
            *([""] if failed else []),
        )
    return table


def _method(trace: Trace) -> str:
    """The method the answers are graded by, in one line."""
    o = trace.options
    scale = {"sqrt": f"÷√{trace.problem.d_k}", "floor-half": "⌊x/2⌋", "none": "no scaling"}[o.scale]
    exp = "e^x" if o.base is None else f"{o.base}^x"
    return f"{o.convention} convention · scale {scale} · {exp} · mask {o.mask}"


def min_width(renderables: Sequence[RenderableType]) -> int:
    """The width below which some table of the report would have to be cut."""
    console = Console(width=10_000, file=io.StringIO())
    return max(Measurement.get(console, console.options, r).minimum for r in renderables)


def natural_width(renderable: RenderableType) -> int:
    """The width a renderable takes when nothing is squeezed."""
    console = Console(width=10_000, file=io.StringIO())
    return Measurement.get(console, console.options, renderable).maximum


def class_lines(results: Sequence[Report | Failure]) -> list[str]:
    """One line per file under the class table: its summary, or why it could not be graded."""
    lines = []
    for r in results:
        if isinstance(r, Report):
            lines.append(f"{r.answers}: {summary_line(r)}")
        elif r.missing:
            lines.append(f"Missing: {r.error} (sheet {r.reference.removeprefix('sheet ')})")
        else:
            lines.append(f"Error: {r.error}")
    return lines


def gradebook_csv(results: Sequence[Report | Failure], platform: str | None = None) -> str:
    """The gradebook as CSV text, one row per file; or in the columns Canvas or Moodle import."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(gradebook_rows(results) if platform is None else platform_rows(results, platform))
    return buffer.getvalue()
