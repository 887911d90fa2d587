"""What the commands share: the app, option types, number and choice checks, atomic writing."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, BinaryIO

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
SHOW_WORK_FORMATS = ("terminal", "plain", "markdown", "latex", "html", "svg")

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


def whole_number(text: str, flag: str, low: int, high: int) -> int:
    """An integer option, checked here so every message reads the same whatever typer's version."""
    value = text.strip()
    if not re.fullmatch(r"[+-]?[0-9]{1,9}", value) or not low <= int(value) <= high:
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


def _special(mode: int) -> str | None:
    """What a file that is not a regular file is, in words; None for a regular file."""
    import stat

    for test, what in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):  # fmt: skip
        if test(mode):
            return what
    return None if stat.S_ISREG(mode) else "not a regular file"


def check_writable(path: Path, force: bool) -> None:
    """Refuse a target that is not a regular file, exists (without --force, even as a dangling link),
    has no folder to go in, or has a name the filesystem cannot hold."""
    import stat

    if not str(path):
        raise ProblemError("the output path is empty; give a file name")
    try:
        link = os.lstat(path)
    except FileNotFoundError:
        link = None
    except OSError as exc:
        raise ProblemError(f"{path}: cannot write there ({exc.strerror})") from None
    if link is not None:
        try:
            target = os.stat(path) if stat.S_ISLNK(link.st_mode) else link
        except OSError:  # a dangling symbolic link: it still names something we would replace
            target = link
        what = _special(target.st_mode) if not stat.S_ISLNK(target.st_mode) else None
        if what == "a folder":
            raise ProblemError(f"{path}: is a folder; give a file name")
        if what is not None:
            raise ProblemError(f"{path}: is {what}; bythand writes regular files only")
        if not force:
            raise ProblemError(f"{path}: already exists; use --force to overwrite it")
    if not path.parent.is_dir():
        raise ProblemError(f"{path}: the folder {path.parent} does not exist")


Content = str | bytes | Callable[[BinaryIO], object]
"""A file's content: text, bytes, or a function that writes it (a big file, never held whole)."""


def _written_temp(path: Path, content: Content) -> str:
    """The content in a new temporary file beside `path` (a short hidden name: `path` may be long)."""
    import tempfile

    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".bythand-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            if callable(content):
                content(handle)
            else:
                handle.write(content.encode("utf-8") if isinstance(content, str) else content)
            handle.flush()
            os.fsync(handle.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; a written file gets the usual permissions
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp


def _move_in(tmp: str, path: Path, force: bool) -> None:
    """Put the finished file in place: replace with --force, else link, which fails if the name exists
    (so of N writers racing for one name exactly one wins), never renaming over a special file."""
    if force:
        check_writable(path, True)  # again, just before: a FIFO or device made meanwhile is not replaced
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise
    except OSError:  # a filesystem without hard links: claim the name exclusively, then fill it
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        os.close(fd)
        os.replace(tmp, path)
        return
    os.unlink(tmp)


def write_files(files: Sequence[tuple[Path, Content]], force: bool) -> None:
    """Write a set of files all or none: each to a temporary name first, then all moved in."""
    for path, _ in files:
        check_writable(path, force)
    temps: list[tuple[str, Path]] = []
    placed: list[Path] = []
    current = files[0][0] if files else Path()
    try:
        for current, content in files:
            temps.append((_written_temp(current, content), current))
        for tmp, current in temps:
            _move_in(tmp, current, force)
            placed.append(current)
    except FileExistsError:
        _undo(temps, placed, force)
        raise ProblemError(f"{current}: already exists; use --force to overwrite it") from None
    except OSError as exc:
        _undo(temps, placed, force)
        raise ProblemError(f"{current}: cannot write it ({exc.strerror or exc})") from None
    except BaseException:
        _undo(temps, placed, force)
        raise


def _undo(temps: list[tuple[str, Path]], placed: list[Path], force: bool) -> None:
    """Take back a set half written: the temporary files, and (without --force) the files placed."""
    for tmp, _ in temps:
        Path(tmp).unlink(missing_ok=True)
    if not force:  # these names were free before: give them back
        for path in placed:
            path.unlink(missing_ok=True)


def write_atomic(path: Path, content: Content, force: bool) -> None:
    """Write a whole file or nothing, never over a special file, and without --force never over a file."""
    write_files([(path, content)], force)


def path_value(text: str) -> Path:
    """A path from the command line; an empty one is named as such (Path("") would mean ".")."""
    return Path(path_text(text))


def path_text(text: str) -> str:
    """A path from the command line kept as text (a trailing / says "a folder"); never empty."""
    if not text.strip():
        raise ProblemError(f"the path {text!r} is empty; give a file name")
    return text


ProblemArg = Annotated[
    Path | None,
    typer.Argument(
        help="A problem file (.toml or .json); the built-in example if left out.",
        show_default=False,
        parser=path_value,
    ),
]


GIVENS_PANEL, METHOD_PANEL, DISPLAY_PANEL = "Givens (instead of a file)", "Method", "Display"


def _matrix_option(flag: str, what: str) -> Any:
    return typer.Option(flag, metavar="MATRIX", help=what, rich_help_panel=GIVENS_PANEL, show_default=False)


def opt(help_text: str, panel: str, metavar: str | None = None, *flags: str, **more: Any) -> Any:
    return typer.Option(
        *flags, metavar=metavar, help=help_text, rich_help_panel=panel, show_default=False, **more
    )


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

    width = screen_width()
    if plain or os.environ.get("NO_COLOR"):  # no ANSI codes at all, not even bold
        return Console(color_system=None, highlight=False, markup=False, emoji=False, width=width)
    return Console(highlight=False, markup=False, emoji=False, width=width)


MIN_WIDTH, MAX_WIDTH = 20, 1000  # COLUMNS is clamped to these: 0 would print nothing, 10^20 overflows


def screen_width() -> int | None:
    """COLUMNS, clamped to a width that can be printed; None to let rich ask the terminal."""
    text = os.environ.get("COLUMNS", "").strip()
    if not (text.isascii() and text.isdigit()):  # unset or not a number: rich ignores it too
        return None
    return min(max(int(text[:7]) if len(text) <= 7 else MAX_WIDTH, MIN_WIDTH), MAX_WIDTH)
