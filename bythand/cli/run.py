"""`bythand run`: the trace in the terminal or as a file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer

from .. import __version__
from ..errors import ProblemError
from .common import (
    DISPLAY_PANEL,
    FORMATS,
    NUMBER_MODES,
    SHOW_WORK_FORMATS,
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
    opt,
    path_value,
    stdout_console,
    write_atomic,
)  # fmt: skip

if TYPE_CHECKING:
    from rich.console import Console

    from ..numbers import NumberMode
    from ..walk import Trace


@app.command()
def run(
    problem: ProblemArg = None,
    x: XOpt = None,
    wq: WQOpt = None,
    wk: WKOpt = None,
    wv: WVOpt = None,
    context: ContextOpt = None,
    heads: HeadsOpt = None,
    example: ExampleOpt = None,
    sheet: SheetOpt = None,
    convention: ConventionOpt = None,
    scale: ScaleOpt = None,
    exp: ExpOpt = None,
    approx: ApproxOpt = None,
    mask: MaskOpt = None,
    step: Annotated[
        str | None,
        opt(
            "Only these steps, by number or by the matrix made: 4, 4-6, A, S-A or 2,7-8.",
            DISPLAY_PANEL,
            "STEPS",
        ),
    ] = None,
    numbers: Annotated[
        str, typer.Option(metavar="MODE", help="auto, fraction or decimal.", rich_help_panel=DISPLAY_PANEL)
    ] = "auto",
    precision: PrecisionOpt = "2",
    output_format: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            metavar="FORMAT",
            help="terminal, plain, json, markdown, latex, html, svg, csv, xlsx (a live workbook), "
            "or a script: numpy or pytorch.",
            rich_help_panel=DISPLAY_PANEL,
        ),
    ] = "terminal",
    full: Annotated[
        bool,
        typer.Option(
            "--full", help="Show big matrices whole, not elided (⋯).", rich_help_panel=DISPLAY_PANEL
        ),
    ] = False,
    show_work: Annotated[
        bool,
        typer.Option(
            "--show-work", help="Explain every computed cell under its step.", rich_help_panel=DISPLAY_PANEL
        ),
    ] = False,
    output: Annotated[
        Path | None,
        opt(
            "Write to FILE instead of the screen.", DISPLAY_PANEL, "FILE", "--output", "-o", parser=path_value
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite FILE if it exists.", rich_help_panel=DISPLAY_PANEL)
    ] = False,
    layout: Annotated[
        str,
        typer.Option(
            metavar="NAME",
            help="sheet (the whole exercise on one canvas, as by hand), steps (one step at a time), or "
            "auto: the sheet when it fits the terminal.",
            rich_help_panel=DISPLAY_PANEL,
        ),
    ] = "auto",
) -> None:
    """Work the nine steps of self-attention and show every matrix."""
    fmt = "terminal" if output_format == "rich" else choice(output_format, (*FORMATS, "xlsx"), "--format")
    mode = cast("NumberMode", choice(numbers, NUMBER_MODES, "--numbers"))
    places, split = int_options(precision, heads)
    from ..walk import walk

    inline = {"X": x, "C": context, "WQ": wq, "WK": wk, "WV": wv}
    base = chosen_problem(problem, inline, convention, split, example, sheet)
    chosen = base.with_options(scale=scale, exp=exp, approx=approx, mask=mask)
    trace = walk(chosen)
    steps = None
    if step is not None:
        from ..steps import select_steps

        steps = select_steps(trace, step)
    if steps is not None and fmt in ("numpy", "pytorch"):
        raise ProblemError(f"--step: a {fmt} script computes the whole trace; leave --step out")
    if show_work and fmt not in SHOW_WORK_FORMATS:
        raise ProblemError(
            f"--show-work explains cells in the {', '.join(SHOW_WORK_FORMATS[:-1])} and "
            f"{SHOW_WORK_FORMATS[-1]} formats, not in {fmt}"
        )
    picked = choice(layout, LAYOUTS, "--layout")
    if picked == "sheet":
        _sheet_fits_the_request(fmt, step, show_work)
    if fmt == "json":  # written a row at a time: a 1024-token trace is ~100 MB of JSON
        from ..render.data import write_trace_json

        if output is None:
            write_trace_json(trace, __version__, sys.stdout.write)
            return
        write_atomic(
            output, lambda f: write_trace_json(trace, __version__, lambda s: f.write(s.encode())), force
        )
        print(f"Wrote {output} ({fmt})")
        return
    if fmt == "xlsx":
        _write_live(trace, output, force, steps)
        return
    if output is not None or fmt not in ("terminal", "plain"):
        from ..render.formats import as_text

        text = as_text(trace, fmt, steps, mode, places, full, show_work, sheet=picked == "sheet")
        if output is None:
            sys.stdout.write(text)
        else:
            write_atomic(output, text, force)
            print(f"Wrote {output} ({fmt})")
        return
    from rich.text import Text

    from ..render.terminal import render

    plain = fmt == "plain"
    console = stdout_console(plain)
    if picked == "sheet" or (
        picked == "auto" and _sheet_fits(trace, console, steps, show_work, mode, places)
    ):
        from ..render.canvas import sheet_lines

        lines = sheet_lines(
            trace, numbers=mode, precision=places, plain=plain, color_system=console.color_system
        )
        console.print(Text("\n").join(lines), soft_wrap=True)
        return
    renderables = render(
        trace,
        steps=steps,
        numbers=mode,
        precision=places,
        plain=plain,
        width=console.width,
        full=full,
        show_work=show_work,
        color_system=console.color_system,
    )
    # soft_wrap: a line wider than the terminal is never cut or re-wrapped by rich
    console.print(Text("\n").join(renderables), soft_wrap=True)


LAYOUTS = ("auto", "sheet", "steps")


def _sheet_fits_the_request(fmt: str, step: str | None, show_work: bool) -> None:
    """--layout sheet draws the whole exercise in the picture formats; say so for anything else."""
    if fmt not in ("terminal", "plain", "html", "svg"):
        raise ProblemError(f"--layout sheet draws the terminal, plain, html and svg views, not {fmt}")
    if step is not None:
        raise ProblemError("--layout sheet shows the whole exercise; --step goes with --layout steps")
    if show_work:
        raise ProblemError("--show-work writes its working under each step; use it with --layout steps")


def _sheet_fits(
    trace: Trace, console: Console, steps: list[int] | None, show_work: bool, mode: NumberMode, places: int
) -> bool:
    """--layout auto: the sheet on a terminal it fits (width and height), for the whole exercise."""
    if not console.is_terminal or steps is not None or show_work:
        return False
    from ..render.canvas import sheet_fits

    return sheet_fits(trace, console.width, console.height, mode, places)


def _write_live(trace: Trace, output: Path | None, force: bool, steps: list[int] | None) -> None:
    """--format xlsx: the trace as a live workbook of formulas, written to -o FILE.xlsx."""
    if output is None:
        raise ProblemError("--format xlsx writes a workbook; give -o FILE.xlsx")
    if output.suffix.lower() != ".xlsx":
        raise ProblemError(f"-o {output}: a workbook is written as .xlsx (-o {output.with_suffix('.xlsx')})")
    if steps is not None:
        raise ProblemError("--step: a live workbook holds every step (its formulas need them all)")
    from ..render.xlsx import live_workbook

    write_atomic(output, live_workbook(trace, trace.problem.source), force)
    print(f"Wrote {output} (a live workbook: edit a given and every step recomputes)")
