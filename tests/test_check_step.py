"""`check --step`: grade one step (or a range) of an answers file, by number or by name."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

from bythand import builtin_example

from conftest import Runner
from student import toml, work


def _slipped(tmp_path: Path) -> Path:
    """The classic worked with one slip in S (S[2,4] = 6, not 5), carried into the later steps."""
    path = tmp_path / "ada.toml"
    path.write_text(toml(work(builtin_example(), {"S": (1, 3, Fraction(6))})), encoding="utf-8")
    return path


def test_check_step_grades_only_that_step(cli: Runner, tmp_path: Path) -> None:
    answers = _slipped(tmp_path)
    whole = cli("check", str(answers), "-f", "json")
    assert whole.code == 1  # the slip in S is wrong
    assert set(json.loads(whole.out)["steps"]) == {"Q", "K", "V", "KT", "S", "scaled", "E", "sums", "A", "Z"}
    only_a = cli("check", str(answers), "--step", "A", "-f", "json")
    data = json.loads(only_a.out)
    assert only_a.code == 0, only_a.out  # A is right from Ada's own numbers: carried, nothing wrong
    assert set(data["steps"]) == {"A"}
    assert data["summary"] == {
        "correct": 12,
        "carried": 4,
        "wrong": 0,
        "blank": 0,
        "unreadable": 0,
        "total": 16,
    }
    only_s = cli("check", str(answers), "--step", "4", "-f", "json")
    assert only_s.code == 1 and set(json.loads(only_s.out)["steps"]) == {"S"}
    assert json.loads(only_s.out)["summary"]["wrong"] == 1
    softmax = cli("check", str(answers), "--step", "E-A", "-f", "json")
    assert set(json.loads(softmax.out)["steps"]) == {"E", "sums", "A"}
    plain = cli("check", str(answers), "--step", "S", "-f", "plain").out
    assert "Step 4" in plain and "Step 8" not in plain and "Step 2" not in plain


def test_check_step_errors(cli: Runner, tmp_path: Path) -> None:
    answers = _slipped(tmp_path)
    bad = cli("check", str(answers), "--step", "12")
    assert bad.code == 2
    assert bad.err.startswith("Error: --step: 12 is not a step of this problem; its steps are 1 (Given)")
    partial = tmp_path / "partial.toml"
    partial.write_text('name = "Bo"\nQ = [[2, 1, 0, 2], [0, 1, 1, 1], [3, 2, 2, 1]]\n', encoding="utf-8")
    none = cli("check", str(partial), "--step", "A")
    assert none.code == 2
    assert none.err == f"Error: --step A: {partial} has no answers for that step; nothing to grade\n"
