"""`bythand check`: grade answers files, one or a class."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..errors import BythandError, ProblemError
from ..render.formats import json_text
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
    check_writable,
    choice,
    chosen_problem,
    int_options,
    path_text,
    path_value,
    stdout_console,
    whole_number,
    write_atomic,
)  # fmt: skip

if TYPE_CHECKING:
    from ..check import Named
    from ..roster import Student


REPORT_FORMATS = ("terminal", "plain", "json")  # what `check` prints its report as


@app.command()
def check(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="[PROBLEM] ANSWERS...",
            help="Answers files (.toml, .json or .xlsx) or folders of them; a problem file first, if the "
            "answers do not name theirs (else the built-in example).",
            show_default=False,
            parser=path_value,
        ),
    ] = None,
    template: Annotated[
        bool, typer.Option("--template", help='Write an answers file to fill in, every cell "?".')
    ] = False,
    out: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Where --template writes (else stdout); a folder DIR/ for one template per sheet.",
            show_default=False,
            parser=path_text,
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
    roster: Annotated[
        Path | None,
        typer.Option(
            metavar="MANIFEST",
            help="The manifest `worksheet --roster` wrote: match each file to its student and sheet, "
            "and flag missing, duplicate and wrong-sheet files.",
            show_default=False,
        ),
    ] = None,
    gradebook: Annotated[
        str | None,
        typer.Option(
            metavar="KIND",
            help="With --csv: canvas or moodle, columns those platforms import as they are.",
            show_default=False,
        ),
    ] = None,
    fill: Annotated[
        str | None,
        typer.Option(
            metavar="STEPS",
            help="With --template: steps the sheet prints worked (Q,K,V or 2,5).",
            show_default=False,
        ),
    ] = None,
    random: Annotated[
        bool, typer.Option("--random", help="With --template: one template per sheet of a random class set.")
    ] = False,
    count: Annotated[
        str | None, typer.Option(metavar="N", help="With --random: how many sheets.", show_default=False)
    ] = None,
    seed: Annotated[
        str | None, typer.Option(metavar="S", help="With --random: the class set's seed.", show_default=False)
    ] = None,
    difficulty: Annotated[
        str | None,
        typer.Option(metavar="LEVEL", help="With --random: easy, medium or hard.", show_default=False),
    ] = None,
    step: Annotated[
        str | None,
        typer.Option(metavar="STEPS", help="Grade only these steps: 8, A, S-A or 7-8.", show_default=False),
    ] = None,
) -> None:
    """Grade hand-worked answers cell by cell, with errors carried forward."""
    from ..check import Failure, Report, Rules, answer_files, as_tolerance, grade_files

    fmt = "terminal" if output_format == "rich" else choice(output_format, REPORT_FORMATS, "--format")
    places, split = int_options(precision, heads)
    method: dict[str, Any] = {"scale": scale, "exp": exp, "approx": approx, "mask": mask}
    given = list(paths or [])
    randoms = {"--random": random or None, "--count": count, "--seed": seed, "--difficulty": difficulty}
    if template:
        students = _read_manifest(roster) if roster is not None else None
        spec = _TemplateSpec(convention, split, method, sheet, example, fill, students, randoms)
        folder = out is not None and (out.endswith(("/", os.sep)) or Path(out).is_dir())
        _write_templates(given, None if out is None else Path(out), folder, force, spec)
        return
    for flag, value in (*randoms.items(), ("--fill", fill)):
        if value is not None:
            raise ProblemError(f"{flag} is for --template (it writes answers files to fill in)")
    if out is not None:
        raise ProblemError("--output is where --template writes; for a gradebook use --csv FILE")
    if gradebook is not None:
        from ..check import GRADEBOOKS

        choice(gradebook, GRADEBOOKS, "--gradebook")
        if csv_file is None:
            raise ProblemError("--gradebook chooses the columns of the --csv FILE; give --csv too")
    named = _named_problem(given, sheet, example, convention, split)
    students = None
    if roster is not None:
        if named is not None:
            raise ProblemError(f"--roster names each student's sheet; leave out {named.reference.kind}")
        students = _read_manifest(roster)
    if not given:
        raise ProblemError("give an answers file to check (or --template to write one)")
    if len(given) == 1 and _is_problem(given[0]):
        raise ProblemError(
            f"{given[0]} is a problem file; give the answers file(s) after it, or write one with "
            f"bythand check --template {given[0]} -o answers.toml"
        )
    places_needed = whole_number(decimals, "--decimals", 0, 15)
    rules = Rules(places_needed, None if tolerance is None else as_tolerance(tolerance))
    whole_class = len(given) > 1 or any(p.is_dir() for p in given) or students is not None
    files, skipped = answer_files(given)
    results = grade_files(
        files, named, rules, convention, split, method, places, keep_going=whole_class, roster=students
    )
    if step is not None:
        results = _only_steps(results, step, whole_class)
    if csv_file is not None:
        from ..render.report import gradebook_csv

        write_atomic(csv_file, gradebook_csv(results, gradebook), force)
    _show_results(results, whole_class, fmt, places)
    if roster is not None:  # the manifest lies beside the work it lists: not a file left out
        skipped = [(path, reason) for path, reason in skipped if not _same_file(path, roster)]
    for path, reason in skipped:  # never silently: a file left out is named, with why
        print(f"Skipped {path}: {reason}", file=sys.stderr if fmt == "json" else sys.stdout)
    if any(isinstance(r, Failure) and not r.missing for r in results):
        raise typer.Exit(ExitStatus.BAD_INPUT)
    if not all(isinstance(r, Report) and r.passed and not r.flags for r in results):
        raise typer.Exit(ExitStatus.WRONG)


def _same_file(a: Path, b: Path) -> bool:
    """Are these the same file on disk (either may be missing)?"""
    try:
        return a.samefile(b)
    except OSError:
        return False


def _only_steps(results: list[Any], step: str, whole_class: bool) -> list[Any]:
    """check --step: each report cut down to the chosen steps; one file must have answers for them."""
    from ..check import Report
    from ..steps import graded_steps

    cut = [graded_steps(r, step) if isinstance(r, Report) else r for r in results]
    if not whole_class and isinstance(cut[0], Report) and not cut[0].steps:
        raise ProblemError(f"--step {step}: {cut[0].answers} has no answers for that step; nothing to grade")
    return cut


def _is_problem(path: Path) -> bool:
    from ..check import looks_like_problem

    return looks_like_problem(path)


def _named_problem(
    given: list[Path], sheet: str | None, example: str | None, convention: str | None, heads: int | None
) -> Named | None:
    """The problem the teacher names on the command line (a problem file first, --sheet or --example)."""
    from ..answers import Reference
    from ..check import Named
    from ..problem import build_problem, check_convention

    path = given.pop(0) if len(given) >= 2 and _is_problem(given[0]) else None
    if sheet is None and example is None:
        if path is None:
            return None
        return Named(Reference("problem", str(path)), build_problem(path, {}, convention, heads))
    from ..generate import named_problem

    others = ["PROBLEM"] * (path is not None) + ["--heads"] * (heads is not None)
    problem = named_problem(example, sheet, others)
    assert problem is not None  # a sheet or an example was given
    if convention is not None:
        problem = problem.in_convention(check_convention(convention, "--convention"))
    if sheet is not None:
        from ..check import canonical_sheet

        return Named(Reference("sheet", canonical_sheet(sheet)), problem)
    return Named(Reference("example", example or ""), problem)


def _read_manifest(path: Path) -> list[Student]:
    """A roster manifest: name and sheet columns (id, email optional), each sheet id checked."""
    from ..check import canonical_sheet
    from ..generate import parse_sheet_id
    from ..problem import _read_text
    from ..roster import read_roster

    students = read_roster(_read_text(path), str(path), need_sheet=True)
    for row, s in enumerate(students, start=2):
        try:
            parse_sheet_id(s.sheet)
        except BythandError as exc:
            raise ProblemError(f"{path}: row {row} ({s.name}): {exc}") from None
    return [replace(s, sheet=canonical_sheet(s.sheet)) for s in students]


@dataclass(frozen=True)
class _TemplateSpec:
    """What --template was asked for, beyond where it writes."""

    convention: str | None
    heads: int | None
    method: dict[str, Any]
    sheet: str | None
    example: str | None
    fill: str | None
    students: list[Student] | None
    randoms: dict[str, Any]


def _write_templates(
    given: list[Path], out: Path | None, folder: bool, force: bool, spec: _TemplateSpec
) -> None:
    """check --template: one answers file (stdout or --output), or one per sheet into --output DIR/."""
    from ..check import template_file_text, template_text
    from ..problem import EXAMPLE_NAME
    from ..render.worksheet import parse_fill
    from ..walk import walk

    fills = parse_fill(spec.fill)
    random = spec.randoms["--random"] is not None
    if not random:
        for flag, value in spec.randoms.items():
            if value is not None:
                raise ProblemError(f"{flag} makes random sheets; add --random")
    if random or spec.students is not None:
        _class_templates(given, out if folder else None, force, spec, fills)
        return
    if len(given) > 1:
        raise ProblemError("--template takes at most one argument, the problem file")
    problem = given[0] if given else None
    if spec.sheet is not None and any(v is not None for v in spec.method.values()):
        raise ProblemError("--sheet: the id fixes the method; leave out the method flags")
    chosen = chosen_problem(problem, {}, spec.convention, spec.heads, spec.example, spec.sheet)
    trace = walk(chosen.with_options(**spec.method))
    reference: tuple[str, str]
    if problem is not None:  # the answers file names its problem relative to itself
        where = out.parent if out is not None and not folder else out or Path()
        reference = ("problem", os.path.relpath(problem, where) if out is not None else str(problem))
    elif spec.sheet is not None:
        from ..check import canonical_sheet

        reference = ("sheet", canonical_sheet(spec.sheet))
    else:
        reference = ("example", spec.example or EXAMPLE_NAME)
    text = template_text(trace, reference, fills, spec.heads if problem is not None else None)
    if out is not None and not folder:  # a .json name gets JSON, never TOML in a .json file
        text = template_file_text(text, str(out))
    if out is None:
        sys.stdout.write(text)
        return
    target = out / f"{reference[1] if reference[0] != 'problem' else 'answers'}.toml" if folder else out
    if folder:
        _make_folder(out)
    write_atomic(target, text, force)
    print(f'Wrote {target}: fill in each "?", then run: bythand check {target}')


def _class_templates(
    given: list[Path], out: Path | None, force: bool, spec: _TemplateSpec, fills: frozenset[str]
) -> None:
    """One template per sheet of a random class set or a roster manifest, named by sheet id, into DIR/
    (out is None unless -o named a folder)."""
    from ..check import template_text
    from ..generate import class_set, make_params, problem_from_sheet_id
    from ..walk import walk

    if given or spec.sheet is not None or spec.example is not None:
        raise ProblemError("--random and --roster name the sheets; leave out PROBLEM, --sheet and --example")
    if any(v is not None for v in spec.method.values()) or spec.heads is not None:
        raise ProblemError("a sheet id fixes the method; leave out the method flags and --heads")
    if out is None:
        raise ProblemError("one template per sheet: give a folder, -o DIR/")
    if spec.students is not None:
        if spec.randoms["--random"] is not None:
            raise ProblemError("--roster gives the sheets; leave out --random")
        pairs = [(s.sheet, problem_from_sheet_id(s.sheet), s.name) for s in spec.students]
    else:
        level = spec.randoms["--difficulty"] or "medium"
        params = make_params(None, None, None, None, level, True, "none", 1)
        n = (
            1
            if spec.randoms["--count"] is None
            else whole_number(spec.randoms["--count"], "--count", 1, 1000)
        )
        s = 1 if spec.randoms["--seed"] is None else whole_number(spec.randoms["--seed"], "--seed", 0, 10**9)
        pairs = [(sid, p, "") for sid, p in class_set(params, s, n)]
    texts = []
    for sid, problem, name in pairs:
        trace = walk(problem.with_options(convention=spec.convention))
        texts.append((out / f"{sid}.toml", template_text(trace, ("sheet", sid), fills, None, name)))
    if out.is_dir():
        for path, _ in texts:  # all the files or none
            check_writable(path, force)
    _make_folder(out)
    for path, text in texts:
        write_atomic(path, text, force)
    print(f"Wrote {len(texts)} template{'s' * (len(texts) != 1)} to {out}{os.sep}")


def _make_folder(path: Path) -> None:
    """-o DIR/ that does not exist yet is made (its parent must exist)."""
    if path.is_dir():
        return
    if not path.parent.is_dir():
        raise ProblemError(f"-o {path}: the folder {path.parent} does not exist")
    path.mkdir()


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
        colours = console.color_system
        table = class_table(results, plain=plain, color_system=colours)
        wanted = natural_width(table)
        if console.is_terminal and wanted > console.width:  # too narrow for a column per step
            table = class_table(results, plain=plain, compact=True, color_system=colours)
            wanted = natural_width(table)
        renderables: list[Any] = [table, *class_lines(results)]
    else:
        renderables = render_report(
            results[0], plain=plain, precision=precision, color_system=console.color_system
        )
        wanted = min_width(renderables)
    if not console.is_terminal:  # a file or a pipe: never squeeze a table
        console.width = max(console.width, wanted)
    for renderable in renderables:
        console.print(renderable)
