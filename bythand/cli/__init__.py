"""The command line: thin. The one place that prints, reads and writes files, and picks exit codes.

One module per command; only the command being run is imported (and built by typer)."""

from __future__ import annotations

import contextlib
import importlib
import os
import re
import sys
from typing import Any

import typer

from ..errors import BythandError
from .common import APP_SETTINGS, ExitStatus, app

# command name -> the module of this package that registers it
COMMANDS = {
    "run": "run",
    "explain": "explain",
    "examples": "examples",
    "worksheet": "worksheet",
    "new": "examples",
    "check": "check",
    "practice": "practice",
}


def _error(message: str) -> None:
    """One line on stderr, whatever the message holds (a path or key may contain a newline)."""
    line = message.replace("\n", "\\n").replace("\r", "\\r")
    line = re.sub(r"\S{200,}", lambda m: f"{m[0][:40]}…({len(m[0]):,} characters)…{m[0][-12:]}", line)
    if sys.stderr is None:  # started with stderr closed (print would fall back to stdout)
        return
    with contextlib.suppress(OSError, ValueError, AttributeError):  # stderr broken: the exit code says it
        print(f"Error: {line}", file=sys.stderr, flush=True)


# what a stream that cannot encode bythand's symbols shows instead (rather than failing)
ASCII_FALLBACKS = {"√": "sqrt", "Σ": "sum", "−": "-", "∞": "inf", "·": "*", "⌊": "floor(", "⌋": ")",
                   "≈": "~", "×": "x", "ᵀ": "^T", "⋯": "...", "…": "...", "→": "->", "≤": "<=", "≥": ">=",
                   "—": "-", "–": "-", "\u2009": " ", "ℯ": "e", "│": "|", "─": "-"}  # fmt: skip


def _ascii_fallback(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    return "".join(_ascii(c) for c in exc.object[exc.start : exc.end]), exc.end


def _ascii(c: str) -> str:
    """One character in ASCII: the table, box drawing as +-|, else its plain letter (ᵢ as i), else ?."""
    import unicodedata

    if c in ASCII_FALLBACKS:
        return ASCII_FALLBACKS[c]
    if "\u2500" <= c <= "\u257f":
        name = unicodedata.name(c, "")
        if "HORIZONTAL" in name and "VERTICAL" not in name:
            return "-"
        return "|" if "VERTICAL" in name and "HORIZONTAL" not in name and " AND " not in name else "+"
    plain = unicodedata.normalize("NFKD", c).encode("ascii", "ignore").decode("ascii")
    return plain or "?"


def _prepare_streams() -> bool:
    """Make stdout and stderr safe to write: a stream that cannot encode √ or Σ gets ASCII fallbacks,
    and a closed stream's descriptor is held by /dev/null, so no file bythand opens can take its
    place. False when stdout was closed (there is nowhere to print to)."""
    import codecs

    codecs.register_error("bythand-ascii", _ascii_fallback)
    stdout_open = True
    for fd, name in ((1, "stdout"), (2, "stderr")):
        stream = getattr(sys, name)
        if stream is None:  # started with the descriptor closed (`bythand run >&-`)
            stdout_open = stdout_open and fd != 1
            try:
                os.fstat(fd)
            except OSError:
                null = os.open(os.devnull, os.O_WRONLY)
                if null != fd:
                    os.dup2(null, fd)
                    os.close(null)
            continue
        encoding = getattr(stream, "encoding", None) or "utf-8"
        try:
            "√Σ−∞·⌊⌋".encode(encoding)
        except (UnicodeEncodeError, LookupError):
            reconfigure = getattr(stream, "reconfigure", None)
            if reconfigure is not None:
                reconfigure(errors="bythand-ascii")
    return stdout_open


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that Python's own flush at exit cannot fail a second time."""
    with contextlib.suppress(OSError, ValueError, AttributeError):  # no real descriptor (a test's StringIO)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


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
    if name not in COMMANDS:  # --help, --version, a typo: the whole app, which lists the commands
        for module in dict.fromkeys(COMMANDS.values()):
            importlib.import_module(f"{__name__}.{module}")
        return app
    importlib.import_module(f"{__name__}.{COMMANDS[name]}")
    chosen = [c for c in app.registered_commands if c.callback is not None and c.callback.__name__ == name]
    single = typer.Typer(**APP_SETTINGS)
    single.registered_callback = app.registered_callback
    single.registered_commands = chosen
    return single


def main(argv: list[str] | None = None) -> None:
    """Run the CLI: every failure becomes one `Error:` line and an exit code, never a traceback."""
    if not _prepare_streams():
        _error("stdout is closed; give bythand somewhere to print, such as > out.txt or > /dev/null")
        sys.exit(ExitStatus.BAD_INPUT)
    given = list(sys.argv[1:] if argv is None else argv)
    command = typer.main.get_command(_app_for(given))
    debug, args = _pop_debug(command, given)
    args = args or ["--help"]  # `bythand` alone: the help, as a friendly answer rather than an error
    try:
        code: Any = command.main(args=args, prog_name="bythand", standalone_mode=False)
        sys.stdout.flush()  # a full disk or a closed pipe shows here, not after exit as a traceback
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
        _silence_stdout()
        sys.exit(ExitStatus.OK)
    except OSError as exc:  # writing the output failed: a full disk, a device that refuses
        if debug:
            raise
        _silence_stdout()
        where = f"{exc.filename}: " if exc.filename else ""
        _error(f"{where}cannot write the output ({exc.strerror or exc})")
        sys.exit(ExitStatus.BAD_INPUT)
    except RecursionError:
        if debug:
            raise
        _error("the input nests too deeply to read")
        sys.exit(ExitStatus.BAD_INPUT)
    except Exception as exc:
        if debug:
            raise
        _error(
            f"internal error ({type(exc).__name__}: {exc}); this is a bug in bythand, please report it "
            "with the output of the same command run with --debug"
        )
        sys.exit(ExitStatus.INTERNAL)
    sys.exit(code if isinstance(code, int) else ExitStatus.OK)
