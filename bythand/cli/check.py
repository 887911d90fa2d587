"""`bythand check`: grade answers files, one or a class."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..errors import ProblemError
from .common import (
    DISPLAY_PANEL,
    ApproxOpt,
    ConventionOpt,
    ExampleOpt,
    ExitStatus,
    ExpOpt,
    HeadsOpt,
    MaskOpt,
    PrecisionOpt,
    ScaleOpt,
    SheetOpt,
    app,
    choice,
    chosen_problem,
    int_options,
    json_text,
    path_value,
    stdout_console,
    whole_number,
    write_atomic,
)  # fmt: skip

if TYPE_CHECKING:
    from ..problem import Problem


REPORT_FORMATS = ("terminal", "plain", "json")  # what `check` prints its report as


@app.command()
def check(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="[PROBLEM] ANSWERS...",
            help="Answers files (.toml or .json) or folders of them; a problem file first, if the answers "
            "do not name theirs (else the built-in example).",
            show_default=False,
            parser=path_value,
        ),
    ] = None,
    template: Annotated[
        bool, typer.Option("--template", help='Write an answers file to fill in, every cell "?".')
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Where --template writes (else stdout).",
            show_default=False,
            parser=path_value,
        ),
    ] = None,
    csv_file: Annotated[
        Path | None,
        typer.Option(
            "--csv",
            metavar="FILE",
            help="Write the gradebook: one row per answers file.",
            show_default=False,
            parser=path_value,
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite the --output or --csv file.")] = False,
    decimals: Annotated[
        str, typer.Option(metavar="N", help="Decimal places a decimal answer needs (0 to 15).")
    ] = "2",
    tolerance: Annotated[
        str | None,
        typer.Option(metavar="ABS", help="Accept any answer this close instead.", show_default=False),
    ] = None,
    convention: ConventionOpt = None,
    scale: ScaleOpt = None,
    exp: ExpOpt = None,
    approx: ApproxOpt = None,
    mask: MaskOpt = None,
    heads: HeadsOpt = None,
    precision: PrecisionOpt = "2",
    output_format: Annotated[
        str,
        typer.Option(
            "--format", "-f", metavar="FORMAT", help="terminal, plain or json.", rich_help_panel=DISPLAY_PANEL
        ),
    ] = "terminal",
    sheet: SheetOpt = None,
    example: ExampleOpt = None,
) -> None:
    """Grade hand-worked answers cell by cell, with errors carried forward."""
    from ..check import Failure, Report, Rules, answer_files, as_tolerance, grade_files, looks_like_problem

    fmt = "terminal" if output_format == "rich" else choice(output_format, REPORT_FORMATS, "--format")
    places, split = int_options(precision, heads)
    method: dict[str, Any] = {"scale": scale, "exp": exp, "approx": approx, "mask": mask}
    given = list(paths or [])
    if template:
        _write_template(given, out, force, convention, split, method, sheet, example)
        return
    if out is not None:
        raise ProblemError("--output is where --template writes; for a gradebook use --csv FILE")
    problem: Path | Problem | None = None
    if len(given) >= 2 and looks_like_problem(given[0]):
        problem = given.pop(0)
    if sheet is not None or example is not None:
        from ..generate import named_problem

        problem = named_problem(example, sheet, ["PROBLEM"] if problem is not None else [])
    if not given:
        raise ProblemError("give an answers file to check (or --template to write one)")
    if len(given) == 1 and looks_like_problem(given[0]):
        raise ProblemError(
            f"{given[0]} is a problem file; give the answers file(s) after it, or write one with "
            f"bythand check --template {given[0]} -o answers.toml"
        )
    places_needed = whole_number(decimals, "--decimals", 0, 15)
    rules = Rules(places_needed, None if tolerance is None else as_tolerance(tolerance))
    whole_class = len(given) > 1 or any(p.is_dir() for p in given)
    files = answer_files(given)
    results = grade_files(files, problem, rules, convention, split, method, places, keep_going=whole_class)
    if csv_file is not None:
        from ..render.report import gradebook_csv

        write_atomic(csv_file, gradebook_csv(results), force)
    _show_results(results, whole_class, fmt, places)
    if any(isinstance(r, Failure) for r in results):
        raise typer.Exit(ExitStatus.BAD_INPUT)
    if not all(isinstance(r, Report) and r.passed for r in results):
        raise typer.Exit(ExitStatus.WRONG)


def _write_template(
    given: list[Path],
    out: Path | None,
    force: bool,
    convention: str | None,
    heads: int | None,
    method: dict[str, Any],
    sheet: str | None = None,
    example: str | None = None,
) -> None:
    """check --template: an answers file for the problem, to stdout or atomically to --output."""
    from ..check import template_file_text
    from ..walk import walk

    if len(given) > 1:
        raise ProblemError("--template takes at most one argument, the problem file")
    problem = given[0] if given else None
    trace = walk(chosen_problem(problem, {}, convention, heads, example, sheet).with_options(**method))
    ref = None
    if problem is not None:  # the answers file names its problem relative to itself
        ref = os.path.relpath(problem, out.parent) if out is not None else str(problem)
    tag = ("sheet", sheet) if sheet is not None else ("example", example) if example is not None else None
    text = template_file_text(trace, ref, tag, None if out is None else str(out))
    if out is None:
        sys.stdout.write(text)
        return
    write_atomic(out, text, force)
    print(f'Wrote {out}: fill in each "?", then run: bythand check {out}')


def _show_results(results: list[Any], whole_class: bool, fmt: str, precision: int) -> None:
    """Print one report, or a class table with a summary line per student, or the JSON."""
    from ..check import report_dict
    from ..render.report import class_lines, class_table, min_width, natural_width, render_report

    if fmt == "json":
        data: Any = [report_dict(r) for r in results] if whole_class else report_dict(results[0])
        sys.stdout.write(json_text(data))
        return
    plain = fmt == "plain"
    console = stdout_console(plain)
    if whole_class:
        table = class_table(results, plain=plain)
        wanted = natural_width(table)
        if console.is_terminal and wanted > console.width:  # too narrow for a column per step
            table = class_table(results, plain=plain, compact=True)
            wanted = natural_width(table)
        renderables: list[Any] = [table, *class_lines(results)]
    else:
        renderables = render_report(results[0], plain=plain, precision=precision)
        wanted = min_width(renderables)
    if not console.is_terminal:  # a file or a pipe: never squeeze a table
        console.width = max(console.width, wanted)
    for renderable in renderables:
        console.print(renderable)
