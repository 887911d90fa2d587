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
    json_text,
    opt,
    parse_steps,
    stdout_console,
    write_atomic,
)  # fmt: skip

if TYPE_CHECKING:
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
    step: Annotated[str | None, opt("Only these steps: 4, 4-6 or 2,4-6.", DISPLAY_PANEL, "STEPS")] = None,
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
        Path | None, opt("Write to FILE instead of the screen.", DISPLAY_PANEL, "FILE", "--output", "-o")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite FILE if it exists.", rich_help_panel=DISPLAY_PANEL)
    ] = False,
) -> None:
    """Work the nine steps of self-attention and show every matrix."""
    fmt = "terminal" if output_format == "rich" else choice(output_format, (*FORMATS, "xlsx"), "--format")
    mode = cast("NumberMode", choice(numbers, NUMBER_MODES, "--numbers"))
    places, split = int_options(precision, heads)
    steps = parse_steps(step) if step is not None else None
    from ..walk import walk

    inline = {"X": x, "C": context, "WQ": wq, "WK": wk, "WV": wv}
    base = chosen_problem(problem, inline, convention, split, example, sheet)
    chosen = base.with_options(scale=scale, exp=exp, approx=approx, mask=mask)
    trace = walk(chosen)
    if steps is not None:
        present = sorted({s.number for s in trace.steps})
        if not set(steps) & set(present):
            raise ProblemError(f"--step: this problem has steps {present[0]} to {present[-1]}")
    if show_work and fmt not in SHOW_WORK_FORMATS:
        raise ProblemError(
            f"--show-work explains cells in the {', '.join(SHOW_WORK_FORMATS[:-1])} and "
            f"{SHOW_WORK_FORMATS[-1]} formats, not in {fmt}"
        )
    if fmt == "xlsx":
        _write_live(trace, output, force, steps)
        return
    if output is not None or fmt not in ("terminal", "plain"):
        text = formatted(trace, fmt, steps, mode, places, full, show_work)
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
    renderables = render(
        trace,
        steps=steps,
        numbers=mode,
        precision=places,
        plain=plain,
        width=console.width,
        full=full,
        show_work=show_work,
    )
    # soft_wrap: a line wider than the terminal is never cut or re-wrapped by rich
    console.print(Text("\n").join(renderables), soft_wrap=True)


def formatted(
    trace: Trace,
    fmt: str,
    steps: list[int] | None,
    mode: NumberMode,
    precision: int,
    full: bool = False,
    show_work: bool = False,
) -> str:
    """The trace as text in one of the file formats (the terminal views without colour codes)."""
    if fmt in ("numpy", "pytorch"):  # a script that computes the whole trace again: --step does not apply
        from ..render import code

        return code.to_numpy(trace) if fmt == "numpy" else code.to_pytorch(trace)
    if fmt == "json":
        from ..render.data import trace_dict

        return json_text(trace_dict(trace, __version__))
    if fmt in ("markdown", "latex", "csv"):
        from ..render import text

        if fmt == "csv":
            return text.to_csv(trace, steps=steps)
        if fmt == "markdown":
            return text.to_markdown(
                trace, steps=steps, numbers=mode, precision=precision, show_work=show_work
            )
        return text.to_latex(trace, steps=steps, numbers=mode, precision=precision)
    from ..render import export

    if fmt in ("html", "svg"):
        to_picture = export.to_html if fmt == "html" else export.to_svg
        return to_picture(
            trace, steps=steps, numbers=mode, precision=precision, full=full, show_work=show_work
        )
    return export.to_text(
        trace, steps=steps, numbers=mode, precision=precision, plain=fmt == "plain", full=full,
        show_work=show_work,
    )  # fmt: skip


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
