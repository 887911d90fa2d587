"""The README's commands and sample output stay true."""

from __future__ import annotations

import importlib.util
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

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


def test_words_to_z_section_is_real(cli: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    section = README.split("## From words to Z", 1)[1].split("\n## ", 1)[0]
    problem = re.findall(r"```toml\n(.+?)\n```", section, re.S)[0]
    (tmp_path / "poem.toml").write_text(problem + "\n", encoding="utf-8")
    commands = re.findall(r"```sh\n(.+?)\n```", section)
    outputs = re.findall(r"```text\n(.+?)\n```", section, re.S)
    assert commands[:2] == ["bythand run poem.toml --step 0 -f plain", "bythand explain 'X[3,2]' poem.toml"]
    monkeypatch.chdir(tmp_path)
    for command, expected in zip(commands[:2], outputs, strict=True):
        result = cli(*shlex.split(command)[1:])
        assert result.code == 0, result.err
        assert [line.rstrip() for line in result.out.splitlines()] == expected.splitlines()
    write, run = commands[2].split(" && ")
    assert cli(*shlex.split(write)[1:]).code == 0
    python = [sys.executable, *shlex.split(run)[1:]]
    done = subprocess.run(python, check=False, capture_output=True, text=True)
    if importlib.util.find_spec("torch") is None:
        assert "No module named 'torch'" in done.stderr  # the script needs torch, and only torch
        pytest.skip("torch is not installed here, so the PyTorch script and snippet cannot run")
    assert done.returncode == 0, done.stderr
    assert "X =\n" in done.stdout and done.stdout.rstrip().endswith("0.8174")
    snippet = re.findall(r"```python\n(.+?)\n```", section, re.S)[0]
    printed = subprocess.run([sys.executable, "-c", snippet], check=True, capture_output=True, text=True)
    assert float(printed.stdout) < 1e-6
