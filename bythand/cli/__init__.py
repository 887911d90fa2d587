"""The command line: thin. The one place that prints, reads and writes files, and picks exit codes.

One module per command; only the command being run is imported (and built by typer)."""

from __future__ import annotations

import importlib
import os
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
