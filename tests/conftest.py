"""Shared helpers: run the real CLI entry point in-process and capture what a user would see."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings

from bythand.cli import main

ROOT = Path(__file__).resolve().parent.parent

# Under mutmut every mutant must meet the same examples, or a mutant's verdict would depend on luck.
settings.register_profile("mutation", derandomize=True, database=None, print_blob=False)
if "MUTANT_UNDER_TEST" in os.environ:
    settings.load_profile("mutation")

# pyproject's `pythonpath` puts the working tree first for this process; subprocesses (`python -c`,
# `python -m bythand`, the `bythand` script) must import the same code, not a copy pip installed earlier.
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(ROOT), *(p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != str(ROOT))]
)


@dataclass
class Result:
    """What one CLI call printed and returned."""

    code: int
    out: str
    err: str


Runner = Callable[..., Result]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Runner:
    """Call `bythand ARGS...` through main(), as the console script does."""
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)

    def run(*args: str) -> Result:
        capsys.readouterr()
        try:
            main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 0
        else:  # pragma: no cover - main always exits
            code = 0
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run
