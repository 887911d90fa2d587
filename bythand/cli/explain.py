"""`bythand explain`: one cell's work."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

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
    json_text,
)  # fmt: skip


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
    output_format: Annotated[
        str,
        typer.Option("--format", "-f", metavar="FORMAT", help="text or json.", rich_help_panel=DISPLAY_PANEL),
    ] = "text",
) -> None:
    """Show the work for one cell: its operands written out and the arithmetic."""
    from ..explain import explain as explain_cell
    from ..walk import walk

    fmt = choice(output_format, ("text", "json"), "--format")
    places, split = int_options(precision, heads)
    inline = {"X": x, "C": context, "WQ": wq, "WK": wk, "WV": wv}
    base = chosen_problem(problem, inline, convention, split, example, sheet)
    trace = walk(base.with_options(scale=scale, exp=exp, approx=approx, mask=mask))
    done = explain_cell(trace, cell, precision=places)
    if fmt == "json":
        from ..render.data import explanation_dict

        data = explanation_dict(done, trace.exact)
        sys.stdout.write(json_text(data))
        return
    print(done.text)
