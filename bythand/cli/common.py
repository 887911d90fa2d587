"""What the commands share: the app, option types, number and choice checks, atomic writing."""

from __future__ import annotations

import os
import re
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .. import __version__
from ..errors import ProblemError

if TYPE_CHECKING:
    from rich.console import Console

    from ..problem import Problem


class ExitStatus(IntEnum):
    """Exit codes: 0 all good, 1 wrong answers (check), 2 bad input, 3 a bug in bythand."""

    OK = 0
    WRONG = 1
    BAD_INPUT = 2
    INTERNAL = 3


FORMATS = ("terminal", "plain", "json", "markdown", "latex", "html", "svg", "csv", "numpy", "pytorch")
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
    """Step numbers from "4", "4-6" or "2,4-6" (0 to 11: 0 with tokens, 10-11 with heads or W_O)."""
    chosen: list[int] = []
    for part in text.split(","):
        m = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if not m:
            raise ProblemError(f"--step: {text!r} is not a step or range (write 4, 4-6 or 2,4-6)")
        first, last = int(m[1]), int(m[2] or m[1])
        if not (0 <= first <= last <= 11):
            raise ProblemError(f"--step: {part.strip()!r} is outside the steps 0 to 11")
        chosen.extend(range(first, last + 1))
    return chosen


def whole_number(text: str, flag: str, low: int, high: int) -> int:
    """An integer option, checked here so every message reads the same whatever typer's version."""
    value = text.strip()
    if not re.fullmatch(r"[+-]?\d+", value) or not low <= int(value) <= high:
        raise ProblemError(f"{flag}: {text!r} is not a whole number from {low} to {high}")
    return int(value)


def int_options(precision: str, heads: str | None) -> tuple[int, int | None]:
    """--precision and --heads as integers."""
    return whole_number(precision, "--precision", 0, 15), (
        whole_number(heads, "--heads", 1, 64) if heads is not None else None
    )


def choice(value: str, valid: tuple[str, ...], flag: str) -> str:
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


def opt(help_text: str, panel: str, metavar: str | None = None, *flags: str) -> Any:
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
    str | None, opt("columns (tokens as columns, by hand) or rows (as in PyTorch).", METHOD_PANEL, "NAME")
]
ScaleOpt = Annotated[str | None, opt("sqrt (÷√d_k), floor-half (⌊x/2⌋) or none.", METHOD_PANEL, "NAME")]
ExpOpt = Annotated[str | None, opt("e, or an integer base such as 3 (3^x) or 2.", METHOD_PANEL, "BASE")]
ApproxOpt = Annotated[
    bool | None,
    opt("The hand tricks ⌊x/2⌋ and 3^x, or √d_k and e.", METHOD_PANEL, None, "--approx/--no-approx"),
]
MaskOpt = Annotated[
    str | None, opt("none, or causal (each token sees itself and earlier ones).", METHOD_PANEL, "NAME")
]
HeadsOpt = Annotated[str | None, opt("Split WQ, WK, WV into H heads.", METHOD_PANEL, "H")]
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
    from ..problem import build_problem, check_convention

    if example is None and sheet is None:
        return build_problem(path, inline, convention, heads)
    from ..generate import named_problem

    others = [f"--{k.lower()}" for k, v in inline.items() if v is not None]
    others += ["PROBLEM"] * (path is not None) + ["--heads"] * (heads is not None)
    named = named_problem(example, sheet, others)
    assert named is not None  # an example or a sheet was given
    return named.in_convention(check_convention(convention, "--convention")) if convention else named


def stdout_console(plain: bool) -> Console:
    """The console for stdout: no colour when plain, piped or NO_COLOR (rich honours NO_COLOR)."""
    from rich.console import Console

    if plain or os.environ.get("NO_COLOR"):  # no ANSI codes at all, not even bold
        return Console(color_system=None, highlight=False, markup=False, emoji=False)
    return Console(highlight=False, markup=False, emoji=False)
