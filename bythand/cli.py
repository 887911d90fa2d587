"""The command line: thin. The one place that prints, reads and writes files, and picks exit codes."""

from __future__ import annotations

import os
import re
import sys
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer

from . import __version__
from .errors import BythandError, ProblemError

# numpy, the maths and the renderers load inside the commands that need them: `--help` stays instant
if TYPE_CHECKING:
    from rich.console import Console

    from .numbers import NumberMode
    from .problem import Problem
    from .walk import Trace

if TYPE_CHECKING:
    from .render.worksheet import OutputFormat


class ExitStatus(IntEnum):
    """Exit codes: 0 all good, 1 wrong answers (check), 2 bad input, 3 a bug in bythand."""

    OK = 0
    WRONG = 1
    BAD_INPUT = 2
    INTERNAL = 3


FORMATS = ("terminal", "plain", "json", "markdown", "latex", "html", "svg", "csv")
NUMBER_MODES = ("auto", "fraction", "decimal")
SHOW_WORK_FORMATS = ("terminal", "plain", "markdown", "html", "svg")

APP_SETTINGS: dict[str, Any] = {
    "name": "bythand",
    "help": "Attention by hand: work the nine steps of self-attention and show every matrix.",
    "context_settings": {"help_option_names": ["-h", "--help"]},
    "no_args_is_help": True,
    "add_completion": False,
    "pretty_exceptions_enable": False,
    "rich_markup_mode": None,  # plain help: typer's rich help loads markdown and pygments (~0.1 s)
}
app = typer.Typer(**APP_SETTINGS)


def _version(value: bool) -> None:
    if value:
        print(f"bythand {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show a traceback on errors (for bug reports).")
    ] = False,
) -> None:
    """Attention by hand: work the nine steps of self-attention and show every matrix."""


def parse_steps(text: str) -> list[int]:
    """Step numbers from "4", "4-6" or "2,4-6" (1 to 9; 10 and 11 with several heads or W_O)."""
    chosen: list[int] = []
    for part in text.split(","):
        m = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if not m:
            raise ProblemError(f"--step: {text!r} is not a step or range (write 4, 4-6 or 2,4-6)")
        first, last = int(m[1]), int(m[2] or m[1])
        if not (1 <= first <= last <= 11):
            raise ProblemError(f"--step: {part.strip()!r} is outside the steps 1 to 11")
        chosen.extend(range(first, last + 1))
    return chosen


def whole_number(text: str, flag: str, low: int, high: int) -> int:
    """An integer option, checked here so every message reads the same whatever typer's version."""
    value = text.strip()
    if not re.fullmatch(r"[+-]?\d+", value) or not low <= int(value) <= high:
        raise ProblemError(f"{flag}: {text!r} is not a whole number from {low} to {high}")
    return int(value)


def _numbers(precision: str, heads: str | None) -> tuple[int, int | None]:
    """--precision and --heads as integers."""
    return whole_number(precision, "--precision", 0, 15), (
        whole_number(heads, "--heads", 1, 64) if heads is not None else None
    )


def _choice(value: str, valid: tuple[str, ...], flag: str) -> str:
    if value not in valid:
        raise ProblemError(f"{flag}: unknown value {value!r} (choose {', '.join(valid)})")
    return value


def json_text(data: Any) -> str:
    """JSON for machines: never NaN, and text as it is written (JSON loads only when asked for)."""
    import json

    return json.dumps(data, allow_nan=False, ensure_ascii=False) + "\n"


def check_writable(path: Path, force: bool) -> None:
    """Refuse a target that is a folder, exists (without --force) or has no folder to go in."""
    if path.is_dir():
        raise ProblemError(f"{path}: is a folder; give a file name")
    if path.exists() and not force:
        raise ProblemError(f"{path}: already exists; use --force to overwrite it")
    if not path.parent.is_dir():
        raise ProblemError(f"{path}: the folder {path.parent} does not exist")


def write_atomic(path: Path, content: str | bytes, force: bool) -> None:
    """Write a whole file or nothing: to a temporary file beside it, then rename over."""
    check_writable(path, force)
    folder = path.parent
    data = content.encode("utf-8") if isinstance(content, str) else content
    import tempfile

    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise ProblemError(f"{path}: cannot write there ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; a written file gets the usual permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


ProblemArg = Annotated[
    Path | None,
    typer.Argument(
        help="A problem file (.toml or .json); the built-in example if left out.", show_default=False
    ),
]


GIVENS_PANEL, METHOD_PANEL, DISPLAY_PANEL = "Givens (instead of a file)", "Method", "Display"


def _matrix_option(flag: str, what: str) -> Any:
    return typer.Option(flag, metavar="MATRIX", help=what, rich_help_panel=GIVENS_PANEL, show_default=False)


def _opt(help_text: str, panel: str, metavar: str | None = None, *flags: str) -> Any:
    return typer.Option(*flags, metavar=metavar, help=help_text, rich_help_panel=panel, show_default=False)


# The givens on the command line, shared by run and explain.
XOpt = Annotated[str | None, _matrix_option("--x", 'X: "2 0 0 2; 0 1 0 0; ..." or a .csv/.npy file.')]
WQOpt = Annotated[str | None, _matrix_option("--wq", "W_Q, written the same way.")]
WKOpt = Annotated[str | None, _matrix_option("--wk", "W_K, written the same way.")]
WVOpt = Annotated[str | None, _matrix_option("--wv", "W_V, written the same way.")]
ContextOpt = Annotated[
    str | None, _matrix_option("--context", "C, for cross-attention: keys and values come from it.")
]

# The method flags, shared by run, explain and check (integers are checked by whole_number).
ConventionOpt = Annotated[
    str | None, _opt("columns (tokens as columns, by hand) or rows (as in PyTorch).", METHOD_PANEL, "NAME")
]
ScaleOpt = Annotated[str | None, _opt("sqrt (÷√d_k), floor-half (⌊x/2⌋) or none.", METHOD_PANEL, "NAME")]
ExpOpt = Annotated[str | None, _opt("e, or an integer base such as 3 (3^x) or 2.", METHOD_PANEL, "BASE")]
ApproxOpt = Annotated[
    bool | None,
    _opt("The hand tricks ⌊x/2⌋ and 3^x, or √d_k and e.", METHOD_PANEL, None, "--approx/--no-approx"),
]
MaskOpt = Annotated[
    str | None, _opt("none, or causal (each token sees itself and earlier ones).", METHOD_PANEL, "NAME")
]
HeadsOpt = Annotated[str | None, _opt("Split WQ, WK, WV into H heads.", METHOD_PANEL, "H")]
ExampleOpt = Annotated[
    str | None,
    typer.Option(metavar="NAME", help="A ready problem (see: bythand examples).", show_default=False),
]
SheetOpt = Annotated[
    str | None,
    typer.Option(metavar="ID", help="The problem of a printed worksheet, by its id.", show_default=False),
]
PrecisionOpt = Annotated[
    str, typer.Option(metavar="N", help="Decimal places shown (0 to 15).", rich_help_panel=DISPLAY_PANEL)
]


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
    step: Annotated[str | None, _opt("Only these steps: 4, 4-6 or 2,4-6.", DISPLAY_PANEL, "STEPS")] = None,
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
            help="terminal, plain, json, markdown, latex, html, svg or csv.",
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
        Path | None, _opt("Write to FILE instead of the screen.", DISPLAY_PANEL, "FILE", "--output", "-o")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite FILE if it exists.", rich_help_panel=DISPLAY_PANEL)
    ] = False,
) -> None:
    """Work the nine steps of self-attention and show every matrix."""
    fmt = "terminal" if output_format == "rich" else _choice(output_format, FORMATS, "--format")
    mode = cast("NumberMode", _choice(numbers, NUMBER_MODES, "--numbers"))
    places, split = _numbers(precision, heads)
    steps = parse_steps(step) if step is not None else None
    from .walk import walk

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
    if output is not None or fmt not in ("terminal", "plain"):
        text = formatted(trace, fmt, steps, mode, places, full, show_work)
        if output is None:
            sys.stdout.write(text)
        else:
            write_atomic(output, text, force)
            print(f"Wrote {output} ({fmt})")
        return
    from rich.text import Text

    from .render.terminal import render

    plain = fmt == "plain"
    console = _console(plain)
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


def chosen_problem(
    path: Path | None,
    inline: dict[str, str | None],
    convention: str | None,
    heads: int | None,
    example: str | None = None,
    sheet: str | None = None,
) -> Problem:
    """The problem named on the command line: --example, --sheet, a file, inline matrices, or the
    built-in example."""
    from .problem import build_problem, check_convention

    if example is None and sheet is None:
        return build_problem(path, inline, convention, heads)
    from .generate import named_problem

    others = [f"--{k.lower()}" for k, v in inline.items() if v is not None]
    others += ["PROBLEM"] * (path is not None) + ["--heads"] * (heads is not None)
    named = named_problem(example, sheet, others)
    assert named is not None  # an example or a sheet was given
    return named.in_convention(check_convention(convention, "--convention")) if convention else named


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
    if fmt == "json":
        from .render.data import trace_dict

        return json_text(trace_dict(trace, __version__))
    if fmt in ("markdown", "latex", "csv"):
        from .render import text

        if fmt == "csv":
            return text.to_csv(trace, steps=steps)
        if fmt == "markdown":
            return text.to_markdown(
                trace, steps=steps, numbers=mode, precision=precision, show_work=show_work
            )
        return text.to_latex(trace, steps=steps, numbers=mode, precision=precision)
    from .render import export

    if fmt in ("html", "svg"):
        to_picture = export.to_html if fmt == "html" else export.to_svg
        return to_picture(
            trace, steps=steps, numbers=mode, precision=precision, full=full, show_work=show_work
        )
    return export.to_text(
        trace, steps=steps, numbers=mode, precision=precision, plain=fmt == "plain", full=full,
        show_work=show_work,
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
    from .explain import explain as explain_cell
    from .walk import walk

    fmt = _choice(output_format, ("text", "json"), "--format")
    places, split = _numbers(precision, heads)
    inline = {"X": x, "C": context, "WQ": wq, "WK": wk, "WV": wv}
    base = chosen_problem(problem, inline, convention, split, example, sheet)
    trace = walk(base.with_options(scale=scale, exp=exp, approx=approx, mask=mask))
    done = explain_cell(trace, cell, precision=places)
    if fmt == "json":
        from .render.data import explanation_dict

        data = explanation_dict(done, trace.exact)
        sys.stdout.write(json_text(data))
        return
    print(done.text)


def _console(plain: bool) -> Console:
    """The console for stdout: no colour when plain, piped or NO_COLOR (rich honours NO_COLOR)."""
    from rich.console import Console

    if plain or os.environ.get("NO_COLOR"):  # no ANSI codes at all, not even bold
        return Console(color_system=None, highlight=False, markup=False, emoji=False)
    return Console(highlight=False, markup=False, emoji=False)


@app.command()
def examples(
    names_only: Annotated[
        bool, typer.Option("--names", help="Only the names, one a line (for scripts).")
    ] = False,
) -> None:
    """List the ready problems that ship with bythand."""
    from .problem import example_names, load_example

    names = example_names()
    if names_only:
        print("\n".join(names))
        return
    width = max(len(n) for n in names)
    for name in names:
        print(f"{name:<{width}}  {load_example(name).title}")
    print("\nUse one: bythand run --example NAME, or bythand worksheet --example NAME")


SOURCE_PANEL, RANDOM_PANEL, OUTPUT_PANEL = "Problem", "Random sheets (with --random)", "Output"


@app.command()
def worksheet(
    problem: ProblemArg = None,
    example: Annotated[
        str | None, _opt("A ready problem (see: bythand examples).", SOURCE_PANEL, "NAME")
    ] = None,
    sheet: Annotated[str | None, _opt("Rebuild the sheet with this id.", SOURCE_PANEL, "ID")] = None,
    random: Annotated[
        bool, _opt("Make random hand-friendly problems.", RANDOM_PANEL, None, "--random")
    ] = False,
    count: Annotated[int | None, _opt("How many random sheets (default 1).", RANDOM_PANEL, "N")] = None,
    seed: Annotated[
        int | None, _opt("The seed of a random class set (default 1).", RANDOM_PANEL, "S")
    ] = None,
    tokens: Annotated[int | None, _opt("Tokens n (2 to 8).", RANDOM_PANEL, "N")] = None,
    dim: Annotated[int | None, _opt("Features d (2 to 8).", RANDOM_PANEL, "D")] = None,
    dk: Annotated[int | None, _opt("Width d_k of queries and keys (1 to 8).", RANDOM_PANEL, "K")] = None,
    dv: Annotated[int | None, _opt("Width d_v of values (1 to 8).", RANDOM_PANEL, "V")] = None,
    difficulty: Annotated[
        str | None, _opt("easy, medium or hard (default medium).", RANDOM_PANEL, "LEVEL")
    ] = None,
    heads: Annotated[int | None, _opt("Heads (1 to 4).", RANDOM_PANEL, "H")] = None,
    approx: Annotated[
        bool | None,
        _opt("The hand tricks ⌊x/2⌋ and 3^x, or √d_k and e.", METHOD_PANEL, None, "--approx/--no-approx"),
    ] = None,
    mask: Annotated[str | None, _opt("none, or causal.", METHOD_PANEL, "NAME")] = None,
    key: Annotated[
        bool, _opt("Also write the answer key (FILE-key.pdf).", OUTPUT_PANEL, None, "--key")
    ] = False,
    key_only: Annotated[bool, _opt("Write only the answer key.", OUTPUT_PANEL, None, "--key-only")] = False,
    fill: Annotated[
        str | None, _opt("Print these steps already worked: Q,K,V or 2,5.", OUTPUT_PANEL, "STEPS")
    ] = None,
    paper: Annotated[str, _opt("a4 or us-letter (default a4).", OUTPUT_PANEL, "SIZE")] = "a4",
    output_format: Annotated[
        str | None, _opt("pdf, png, svg or typ (the typst source).", OUTPUT_PANEL, "FORMAT", "--format", "-f")
    ] = None,
    output: Annotated[
        str | None,
        _opt(
            "FILE.pdf (all sheets in one file) or DIR/ (one file per sheet).",
            OUTPUT_PANEL,
            "PATH",
            "--output",
            "-o",
        ),
    ] = None,
    force: Annotated[bool, _opt("Overwrite files that exist.", OUTPUT_PANEL, None, "--force")] = False,
) -> None:
    """Print worksheets and answer keys in the by-hand layout (PDF, PNG, SVG or typst source)."""
    from .render import worksheet as ws

    params = ws.random_params(random, count, seed, tokens, dim, dk, dv, difficulty, heads, approx, mask)
    fills = ws.parse_fill(fill)
    sheets = ws.build_sheets(
        problem, example, sheet, params, seed, count, None if random else approx, None if random else mask
    )
    fmt, target, per_sheet = _worksheet_target(output, output_format, sheets)
    docs = ws.plan(sheets, target, per_sheet, key or key_only, key_only, named=output is not None)
    paths = [p for doc in docs for p in ws.file_names(doc, fmt, paper, fills)]
    for path in paths:  # refuse before compiling anything: all the files or none
        check_writable(path, force)
    files = [f for doc in docs for f in ws.render_document(doc, fmt, fills, paper)]  # compile all, then write
    for path, content in files:
        write_atomic(path, content, force)
    print(
        f"Wrote {', '.join(str(p) for p in paths)}"
        if len(paths) <= 4
        else f"Wrote {len(paths)} files: {paths[0]} ... {paths[-1]}"
    )


def _worksheet_target(
    output: str | None, output_format: str | None, sheets: list[Any]
) -> tuple[OutputFormat, Path, bool]:
    """(format, path without suffix, one file per sheet?) from -o and --format."""
    from .render.worksheet import FORMATS

    fmt = cast("OutputFormat | None", _choice(output_format, FORMATS, "--format") if output_format else None)
    if output is None:
        name = sheets[0].sheet_id if len(sheets) == 1 else "sheets"
        return fmt or "pdf", Path(name), False
    path = Path(output)
    if output.endswith(("/", os.sep)) or path.is_dir():  # -o DIR/: one file per sheet
        if not path.is_dir():
            raise ProblemError(
                f"-o {output}: no such folder; make it first (mkdir {output.rstrip('/' + os.sep)})"
            )
        return fmt or "pdf", path, True
    suffix = path.suffix.lower().lstrip(".")
    if suffix in FORMATS:
        if fmt is not None and fmt != suffix:
            raise ProblemError(f"-o {output}: the name says {suffix}, but --format says {fmt}")
        return cast("OutputFormat", suffix), path.with_suffix(""), False
    if suffix:  # z.docx would silently become z.docx.pdf
        raise ProblemError(f"-o {output}: worksheets are written as {', '.join(FORMATS)}, not .{suffix}")
    return fmt or "pdf", path, False


@app.command()
def new(
    file: Annotated[Path, typer.Argument(help="The problem file to write (.toml).", show_default=False)],
    force: Annotated[bool, typer.Option("--force", help="Overwrite the file if it exists.")] = False,
) -> None:
    """Write a commented problem file to fill in."""
    from .problem import template_text

    write_atomic(file, template_text(str(file)), force)
    print(f"Wrote {file}: fill in the numbers, then run: bythand run {file}")


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
        ),
    ] = None,
    csv_file: Annotated[
        Path | None,
        typer.Option(
            "--csv", metavar="FILE", help="Write the gradebook: one row per answers file.", show_default=False
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
    from .check import Failure, Report, Rules, answer_files, as_tolerance, grade_files, looks_like_problem

    fmt = "terminal" if output_format == "rich" else _choice(output_format, REPORT_FORMATS, "--format")
    places, split = _numbers(precision, heads)
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
        from .generate import named_problem

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
        from .render.report import gradebook_csv

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
    from .check import template_text
    from .walk import walk

    if len(given) > 1:
        raise ProblemError("--template takes at most one argument, the problem file")
    problem = given[0] if given else None
    trace = walk(chosen_problem(problem, {}, convention, heads, example, sheet).with_options(**method))
    ref = None
    if problem is not None:  # the answers file names its problem relative to itself
        ref = os.path.relpath(problem, out.parent) if out is not None else str(problem)
    tag = ("sheet", sheet) if sheet is not None else ("example", example) if example is not None else None
    text = template_text(trace, ref, tag)
    if out is None:
        sys.stdout.write(text)
        return
    write_atomic(out, text, force)
    print(f'Wrote {out}: fill in each "?", then run: bythand check {out}')


def _show_results(results: list[Any], whole_class: bool, fmt: str, precision: int) -> None:
    """Print one report, or a class table with a summary line per student, or the JSON."""
    from .check import report_dict
    from .render.report import class_lines, class_table, min_width, natural_width, render_report

    if fmt == "json":
        data: Any = [report_dict(r) for r in results] if whole_class else report_dict(results[0])
        sys.stdout.write(json_text(data))
        return
    plain = fmt == "plain"
    console = _console(plain)
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


def _error(message: str) -> None:
    print(f"Error: {message}", file=sys.stderr)


def _pop_debug(command: Any, args: list[str]) -> tuple[bool, list[str]]:
    """Take `--debug` from anywhere on the line (not where it is the value of an option like --x)."""
    takes_value: set[str] = set()
    for cmd in [command, *getattr(command, "commands", {}).values()]:
        for param in cmd.params:
            if param.param_type_name == "option" and not (param.is_flag or param.count):
                takes_value.update(param.opts)
    kept: list[str] = []
    debug = False
    for arg in args:
        if arg == "--debug" and not (kept and kept[-1] in takes_value):
            debug = True
        else:
            kept.append(arg)
    return debug, kept


def _app_for(args: list[str]) -> typer.Typer:
    """The app with only the command being run: typer builds every command's options up front
    (about 30 ms for all of bythand's), and `bythand run` should start at once."""
    name = next((a for a in args if not a.startswith("-")), None)
    chosen = [c for c in app.registered_commands if c.callback is not None and c.callback.__name__ == name]
    if not chosen:  # --help, --version, a typo: the whole app, which lists the commands
        return app
    single = typer.Typer(**APP_SETTINGS)
    single.registered_callback = app.registered_callback
    single.registered_commands = chosen
    return single


def main(argv: list[str] | None = None) -> None:
    """Run the CLI: every failure becomes one `Error:` line and an exit code, never a traceback."""
    given = list(sys.argv[1:] if argv is None else argv)
    command = typer.main.get_command(_app_for(given))
    debug, args = _pop_debug(command, given)
    args = args or ["--help"]  # `bythand` alone: the help, as a friendly answer rather than an error
    try:
        code: Any = command.main(args=args, prog_name="bythand", standalone_mode=False)
    except BythandError as exc:
        if debug:
            raise
        _error(str(exc))
        sys.exit(ExitStatus.BAD_INPUT)
    except typer.TyperException as exc:  # unknown flags, missing arguments, bad types
        # a usage slip, even with --debug: typer's parser holds nothing to report
        _error(exc.format_message().replace("\n", " "))
        sys.exit(ExitStatus.BAD_INPUT)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        _error("interrupted")
        sys.exit(130)
    except BrokenPipeError:  # `bythand run | head`: the reader left; nothing is wrong
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(ExitStatus.OK)
    except Exception as exc:
        if debug:
            raise
        _error(
            f"internal error ({type(exc).__name__}: {exc}); this is a bug in bythand, please report it "
            "with the output of the same command run with --debug"
        )
        sys.exit(ExitStatus.INTERNAL)
    sys.exit(code if isinstance(code, int) else ExitStatus.OK)
