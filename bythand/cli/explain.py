"""`bythand explain`: one cell's work."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..render.formats import json_text
from .common import (
    DISPLAY_PANEL,
    ApproxOpt,
    ContextOpt,
    ConventionOpt,
    ExampleOpt,
    ExpOpt,
    HeadsOpt,
    MaskOpt,
    PrecisionOpt,
    ProblemArg,
    ScaleOpt,
    SheetOpt,
    WKOpt,
    WQOpt,
    WVOpt,
    XOpt,
    app,
    choice,
    chosen_problem,
    int_options,
)  # fmt: skip


def _named(
    path: Path | None,
    inline: dict[str, str | None],
    convention: str | None,
    heads: int | None,
    example: str | None,
    sheet: str | None,
) -> Named | None:
    """With --answers, the problem named on the command line (else the one the answers file names)."""
    from ..answers import Reference
    from ..check import Named, canonical_sheet

    if path is None and example is None and sheet is None and all(v is None for v in inline.values()):
        return None
    problem = chosen_problem(path, inline, convention, heads, example, sheet)
    if sheet is not None:
        return Named(Reference("sheet", canonical_sheet(sheet)), problem)
    if example is not None:
        return Named(Reference("example", example), problem)
    return Named(Reference("problem", str(path) if path is not None else "(the command line)"), problem)


if TYPE_CHECKING:
    from ..check import Named


@app.command()
def explain(
    cell: Annotated[str, typer.Argument(help='The cell, 1-based: "S[2,4]", "sums[1]", "h2.A[1,3]".')],
    problem: ProblemArg = None,
    x: XOpt = None,
    wq: WQOpt = None,
    wk: WKOpt = None,
    wv: WVOpt = None,
    context: ContextOpt = None,
    convention: ConventionOpt = None,
    scale: ScaleOpt = None,
    exp: ExpOpt = None,
    approx: ApproxOpt = None,
    mask: MaskOpt = None,
    heads: HeadsOpt = None,
    precision: PrecisionOpt = "2",
    example: ExampleOpt = None,
    sheet: SheetOpt = None,
    answers: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            help="Work the cell from your own answers file and say where your value differs, and why.",
            show_default=False,
        ),
    ] = None,
    output_format: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            metavar="FORMAT",
            help="text, markdown, latex or json.",
            rich_help_panel=DISPLAY_PANEL,
        ),
    ] = "text",
) -> None:
    """Show the work for one cell: its operands written out and the arithmetic."""
    from ..explain import explain as explain_cell
    from ..walk import walk

    fmt = choice(output_format, ("text", "markdown", "latex", "json"), "--format")
    places, split = int_options(precision, heads)
    inline = {"X": x, "C": context, "WQ": wq, "WK": wk, "WV": wv}
    method: dict[str, Any] = {"scale": scale, "exp": exp, "approx": approx, "mask": mask}
    diagnosis = None
    if answers is not None:
        from ..check import load_answers
        from ..explain import answers_problem, diagnose

        mine = load_answers(answers)
        named = _named(problem, inline, convention, split, example, sheet)
        trace = walk(answers_problem(mine, named, convention, split, method))
        diagnosis = diagnose(trace, cell, mine, places)
        done = diagnosis.explanation
    else:
        base = chosen_problem(problem, inline, convention, split, example, sheet)
        trace = walk(base.with_options(**method))
        done = explain_cell(trace, cell, precision=places)
    from ..render.work import explanation_text

    if fmt == "json":
        from ..render.data import explanation_dict

        data = explanation_dict(done, trace.exact, diagnosis)
        sys.stdout.write(json_text(data))
        return
    sys.stdout.write(explanation_text(done, fmt, diagnosis))
