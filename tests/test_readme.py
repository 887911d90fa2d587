"""The README's commands and sample output stay true."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import Runner

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def quick_start() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section)


def test_quick_start_is_two_commands_and_ci_runs_the_second() -> None:
    commands = quick_start()
    assert commands == [
        "pip install . && bythand run",
        'pip install ".[test]" && ruff check . && mypy && pytest',
    ]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci.splitlines()


def test_sample_output_is_real(cli: Runner) -> None:
    sample = README.split("```text\n", 1)[1].split("```", 1)[0]
    out = cli("run", "--step", "7-8", "--format", "plain").out
    assert [line.rstrip() for line in sample.splitlines()] == [line.rstrip() for line in out.splitlines()]


def test_error_examples_are_real(cli: Runner, tmp_path: Path) -> None:
    ragged = tmp_path / "ragged.toml"
    ragged.write_text("X = [[1, 2], [3]]\nWQ = [[1, 1]]\nWK = [[1, 1]]\nWV = [[1, 1]]\n", encoding="utf-8")
    err = cli("run", str(ragged)).err
    assert err.replace(str(tmp_path) + "/", "").strip() in README
