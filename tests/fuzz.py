"""Run the CLI in-process for fuzzing: no pytest fixtures, so hypothesis can call it thousands of times."""

from __future__ import annotations

import contextlib
import io

from bythand.cli import main


def call(*args: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `bythand ARGS...`."""
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 0
    return code, out.getvalue(), err.getvalue()


def assert_clean(code: int, out: str, err: str, graded: bool = False) -> None:
    """Success (or, `graded`, wrong answers: 1), or one `Error:` line with exit 2; never a crash."""
    assert "Traceback" not in out + err
    if code == 0 or (graded and code == 1):
        assert err == "", err
    else:
        assert code == 2, (code, err)
        assert err.startswith("Error: ") and err.count("\n") == 1, err
        assert out == ""
