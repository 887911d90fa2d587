"""Run the CLI in-process for fuzzing: no pytest fixtures, so hypothesis can call it thousands of times."""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator, Mapping

from bythand.cli import main


@contextlib.contextmanager
def environment(env: Mapping[str, str] | None) -> Iterator[None]:
    """Environment variables set for the call, and put back after it."""
    saved = {k: os.environ.get(k) for k in env or {}}
    os.environ.update(env or {})
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def call(
    *args: str, env: Mapping[str, str] | None = None, encoding: str | None = None
) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `bythand ARGS...`, with `env` set and, given `encoding`, a stdout
    that encodes strictly in it (as PYTHONIOENCODING or a C locale gives a real process)."""
    raw = io.BytesIO()
    out: io.TextIOBase = io.StringIO() if encoding is None else io.TextIOWrapper(raw, encoding=encoding)
    err = io.StringIO()
    code = 0
    with environment(env), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 0
    if isinstance(out, io.TextIOWrapper):
        out.flush()
        text = raw.getvalue().decode(encoding or "utf-8")
    else:
        text = out.getvalue()  # type: ignore[attr-defined]
    return code, text, err.getvalue()


def assert_clean(code: int, out: str, err: str, graded: bool = False) -> None:
    """Success (or, `graded`, wrong answers: 1), or one `Error:` line with exit 2; never a crash."""
    assert "Traceback" not in out + err
    if code == 0 or (graded and code == 1):
        assert err == "", err
    else:
        assert code == 2, (code, err)
        assert err.startswith("Error: ") and err.count("\n") == 1, err
        assert out == ""
