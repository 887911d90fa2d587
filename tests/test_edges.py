"""Edges that mutation testing found no test for, each checked the way a user meets it."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from bythand import Problem, walk
from bythand.check import template_text
from bythand.explain import step_cells, worked_names
from bythand.generate import SheetIdError, class_set, make_params, named_problem
from bythand.layout import GAP, layout
from bythand.problem import Options

from fuzz import call
from test_explain import two_heads


def test_a_template_of_several_masked_heads_prefills_each_heads_masked_cells() -> None:
    text = template_text(walk(two_heads().with_options(mask="causal")), None)
    assert 'h2.scaled = [\n  ["?", "?", "?"],\n  ["-inf", "?", "?"],\n  ["-inf", "-inf", "?"],\n]' in text
    assert 'h2.E = [\n  ["?", "?", "?"],\n  [0, "?", "?"],\n  [0, 0, "?"],\n]' in text
    assert 'h1.A = [\n  ["?", "?", "?"],\n  [0, "?", "?"],\n  [0, 0, "?"],\n]' in text


def test_step_3_works_only_k_transposed() -> None:
    trace = walk(two_heads())
    steps = [s for s in trace.steps if s.number == 3]
    assert [worked_names(s) for s in steps] == [["h1.KT"], ["h2.KT"]]
    assert [c.name for c in step_cells(trace, steps[0])] == ["h1.KT"] * 6
    assert worked_names(trace.steps[0]) == []  # the givens are not worked


def test_seed_zero_and_the_largest_seed_make_a_class() -> None:
    params = make_params(tokens=2, heads=1, mask="none", approx=True, difficulty="easy")
    assert len(class_set(params, 0, 2)) == 2
    with pytest.raises(Exception, match="--seed: -1 is outside 0 to 1000000000"):
        class_set(params, -1, 1)


def test_an_empty_sheet_id_says_so() -> None:
    with pytest.raises(SheetIdError) as info:
        named_problem(None, "", [])
    assert str(info.value) == "sheet id '' is empty; copy the id printed at the top of the sheet"
    assert named_problem(None, None, []) is None


def test_the_output_cross_steps_and_place() -> None:
    one = Problem(X=[[1, 0], [0, 1]], WQ=[[1, 0]], WK=[[0, 1]], WV=[[1, 1]], WO=[[2]],
                  options=Options(scale="none", exp="2"))  # fmt: skip
    canvas = layout(walk(one))
    steps = {(it.kind, it.name): it.step for it in canvas.items() if it.kind in ("Zcopy", "WO", "O")}
    assert steps == {("Zcopy", "Z"): 9, ("WO", "WO"): 1, ("O", "O"): 11}
    assert canvas.item("O").step == 11
    with pytest.raises(KeyError) as info:
        canvas.item("nothing")
    assert info.value.args == ("nothing",)
    heads = layout(walk(replace(two_heads(), WO=None)))  # concat alone: nothing to its left
    concat = heads.item("concat")
    top, left = heads.origins[-1]
    assert (concat.step, concat.top, concat.left) == (10, top + GAP, left + GAP)
    with_wo = layout(walk(two_heads()))
    assert with_wo.item("O").step == 11 and with_wo.item("concat").step == 10



def test_check_json_names_every_field_of_a_report_and_of_a_failure(tmp_path: Path) -> None:
    """The JSON a gradebook script reads: the keys, an unreadable cell's row and column, a failure."""
    answers = tmp_path / "ax.toml"
    answers.write_text('name = "Ada"\nQ = [[2, "x", 0, 2], [0, 1, 1, 1], [3, 2, 2, 1]]\n', encoding="utf-8")
    code, out, err = call("check", str(answers), "-f", "json")
    assert (code, err) == (1, "")
    report = json.loads(out)
    assert list(report) == ["name", "answers", "problem", "graded_against", "note", "flags", "student",
                            "summary", "steps"]  # fmt: skip
    assert (report["answers"], report["problem"], report["student"]) == (
        str(answers), "built-in example self-attention-6x4", None)  # fmt: skip
    assert report["summary"] == {"correct": 11, "carried": 0, "wrong": 0, "blank": 0, "unreadable": 1,
                                 "total": 12}  # fmt: skip
    assert report["steps"]["Q"]["unreadable_cells"] == [
        {"row": 1, "column": 2, "text": "x", "reason": "'x' is not a number"}
    ]
    missing = tmp_path / "none.toml"
    code, out, err = call("check", str(missing), str(answers), "-f", "json")
    failure = json.loads(out)[0]
    assert failure == {"name": None, "answers": str(missing), "problem": None, "graded_against": None,
                       "flags": [], "student": None, "error": f"{missing}: no such file"}  # fmt: skip


def test_fill_naming_no_step_is_refused_with_a_suggestion(tmp_path: Path) -> None:
    answers = tmp_path / "af.toml"
    answers.write_text('name = "Ada"\nQ = [[2, 1, 0, 2], [0, 1, 1, 1], [3, 2, 2, 1]]\nfill = ["Zq"]\n',
                       encoding="utf-8")  # fmt: skip
    code, out, err = call("check", str(answers))
    assert (code, out) == (2, "")
    assert err == f"Error: {answers}: fill names Zq, which is not a step (did you mean Z?)\n"


def test_a_generated_problem_by_default_has_one_head_and_its_title() -> None:
    params = make_params(tokens=2)
    assert params.heads == 1
    sheet, problem = class_set(params, 5, 1)[0]
    assert problem.title.startswith("Self-attention by hand") and len(problem.heads) == 1
    assert named_problem(None, sheet, []) is not None


def test_a_huge_value_rounding_up_moves_its_exponent_at_any_precision() -> None:
    from fractions import Fraction

    from bythand.numbers import scientific_text

    assert scientific_text(Fraction(999, 100) * 10**15, 0) == "1.0e16"  # 9.99 → 10.0 → 1.0, one place
    assert scientific_text(Fraction(999, 100) * 10**15, 1) == "1.0e16"
