"""walk(): the nine steps against the published worked example and the independent reference."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bythand import Problem, ProblemError, builtin_example, walk
from bythand.numbers import is_exact, to_float
from bythand.problem import Options

import reference as ref

F = Fraction


def fr(rows: list[list[Any]]) -> list[list[Fraction]]:
    return [[F(v) for v in row] for row in rows]


def as_lists(m: Any) -> list[list[Any]]:
    return [[m[i, j] for j in range(m.shape[1])] for i in range(m.shape[0])]


# The classic exercise, worked on paper: columns = tokens, ⌊x/2⌋ and 3^x.
CLASSIC: dict[str, list[list[Any]]] = {
    "Q": [[2, 1, 0, 2], [0, 1, 1, 1], [3, 2, 2, 1]],
    "K": [[0, 2, 1, 0], [0, 1, 0, 0], [1, 0, -1, 1]],
    "V": [[20, 0, 0, 20], [0, 0, 10, 10], [0, 10, 0, 0]],
    "KT": [[0, 0, 1], [2, 1, 0], [1, 0, -1], [0, 0, 1]],
    "S": [[3, 2, 2, 1], [4, 3, 1, 5], [-1, -1, -2, 1], [3, 2, 2, 1]],
    "scaled": [[1, 1, 1, 0], [2, 1, 0, 2], [-1, -1, -1, 0], [1, 1, 1, 0]],
    "E": [[3, 3, 3, 1], [9, 3, 1, 9], [F(1, 3), F(1, 3), F(1, 3), 1], [3, 3, 3, 1]],
    "sums": [[F(46, 3), F(28, 3), F(22, 3), 12]],
    "A": [
        [F(9, 46), F(9, 28), F(9, 22), F(1, 12)],
        [F(27, 46), F(9, 28), F(3, 22), F(3, 4)],
        [F(1, 46), F(1, 28), F(1, 22), F(1, 12)],
        [F(9, 46), F(9, 28), F(9, 22), F(1, 12)],
    ],
    "Z": [
        [F(180, 23), F(90, 7), F(180, 11), F(10, 3)],
        [F(50, 23), F(25, 7), F(50, 11), F(5, 3)],
        [F(135, 23), F(45, 14), F(15, 11), F(15, 2)],
    ],
}


@pytest.mark.parametrize("name", list(CLASSIC))
def test_classic_example_matches_the_worked_exercise(name: str) -> None:
    trace = walk(builtin_example())
    assert trace.exact
    assert as_lists(trace[name]) == fr(CLASSIC[name])
    assert all(isinstance(v, Fraction) for v in trace[name].flat)


def test_classic_example_names_and_steps() -> None:
    trace = walk(builtin_example())
    assert [s.number for s in trace.steps] == list(range(1, 10))
    assert [s.title for s in trace.steps] == [
        "Given",
        "Query, Key, Value",
        "Prepare for MatMul",
        "MatMul",
        "Scale",
        "Softmax: exp",
        "Softmax: Σ",
        "Softmax: 1/sum",
        "MatMul",
    ]
    assert list(trace.matrices) == [
        "X",
        "WQ",
        "WK",
        "WV",
        "Q",
        "K",
        "V",
        "KT",
        "S",
        "scaled",
        "E",
        "sums",
        "A",
        "Z",
    ]
    assert trace.output == "Z"
    assert trace.notes == []


def small_matrix(rows: int, cols: int, lo: int = -1, hi: int = 1) -> st.SearchStrategy[list[list[int]]]:
    return st.lists(st.lists(st.integers(lo, hi), min_size=cols, max_size=cols), min_size=rows, max_size=rows)


@st.composite
def problems(draw: st.DrawFn, exact_only: bool = False) -> Problem:
    d, n, dk, dv = (draw(st.integers(1, 4)) for _ in range(4))
    convention = draw(st.sampled_from(["columns", "rows"]))
    if exact_only:
        scale, exp = draw(st.sampled_from([("floor-half", "3"), ("none", "2"), ("floor-half", "2")]))
    else:
        scale = draw(st.sampled_from(["sqrt", "floor-half", "none"]))
        exp = draw(st.sampled_from(["e", "3", "2"]))
    mask = draw(st.sampled_from(["none", "causal"]))
    X = draw(small_matrix(d, n, -2, 2))
    WQ, WK, WV = draw(small_matrix(dk, d)), draw(small_matrix(dk, d)), draw(small_matrix(dv, d, -3, 3))
    p = Problem(X=X, WQ=WQ, WK=WK, WV=WV, options=Options(scale=scale, exp=exp, mask=mask))  # type: ignore[arg-type]
    return p.in_convention(convention)  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None)
@given(problems())
def test_every_matrix_agrees_with_the_reference(p: Problem) -> None:
    trace = walk(p)
    assert ref.differences(trace.matrices, ref.of(p)) == []
    assert as_lists(trace["KT"]) == as_lists(trace["K"].T)


@settings(max_examples=100, deadline=None)
@given(problems(exact_only=True))
def test_hand_tricks_on_integers_are_exact_and_each_softmax_sums_to_one(p: Problem) -> None:
    trace = walk(p)
    assert trace.exact
    axis = 0 if p.options.convention == "columns" else 1
    totals = trace["A"].sum(axis=axis)
    assert all(t == 1 and isinstance(t, Fraction) for t in totals.flat)


@settings(max_examples=100, deadline=None)
@given(problems())
def test_rows_trace_is_the_transpose_of_the_columns_trace(p: Problem) -> None:
    cols = walk(p.in_convention("columns"))
    rows = walk(p.in_convention("rows"))
    assert set(cols.matrices) == set(rows.matrices)
    for name, m in cols.matrices.items():
        assert rows[name].shape == m.T.shape, name
        assert np.allclose(to_float(rows[name]).astype(float), to_float(m).T.astype(float)), name
    assert rows["sums"].shape == (rows["S"].shape[0], 1)
    assert cols["sums"].shape == (1, cols["S"].shape[1])


def test_sqrt_of_a_perfect_square_stays_exact() -> None:
    p = Problem(
        X=[[1, 2], [3, 4]],
        WQ=[[1, 0], [0, 1], [1, 1], [0, 0]],
        WK=[[1, 1], [0, 1], [1, 0], [2, 0]],
        WV=[[1, 0]],
        options=Options(scale="sqrt", exp="2"),
    )
    trace = walk(p)
    assert p.d_k == 4
    assert is_exact(trace["scaled"])
    assert as_lists(trace["scaled"]) == [[v / 2 for v in row] for row in as_lists(trace["S"])]


def test_sqrt_of_three_turns_to_decimals_with_a_note() -> None:
    trace = walk(builtin_example().with_options(approx=False))
    assert not trace.exact
    assert is_exact(trace["S"]) and not is_exact(trace["scaled"])
    assert trace.notes == ["√3 is irrational, so the trace is worked in decimals from step 5"]
    assert float(trace["scaled"][1, 3]) == pytest.approx(5 / math.sqrt(3))
    assert float(trace["E"][1, 3]) == pytest.approx(math.exp(5 / math.sqrt(3)))


def test_e_with_integer_scores_notes_where_decimals_begin() -> None:
    trace = walk(builtin_example().with_options(exp="e"))
    assert is_exact(trace["scaled"]) and not is_exact(trace["E"])
    assert trace.notes == ["e^x is irrational, so the trace is worked in decimals from step 6"]


def test_causal_mask_in_columns_masks_keys_after_the_query() -> None:
    trace = walk(builtin_example().with_options(mask="causal"))
    scaled, A = trace["scaled"], trace["A"]
    assert scaled[1, 0] == float("-inf")  # key 2 after query 1
    assert scaled[0, 1] == F(1)  # key 1 before query 2
    assert A[1, 0] == 0 and A[0, 0] == 1  # query 1 sees only itself
    assert [A[i, 1] for i in range(4)] == [F(1, 2), F(1, 2), 0, 0]  # scaled k1, k2 = 1, 1


def test_overflowing_exponent_is_a_clear_error() -> None:
    p = Problem(X=[[100]], WQ=[[100]], WK=[[100]], WV=[[1]], options=Options(scale="none", exp="e"))
    with pytest.raises(ProblemError) as info:
        walk(p)
    assert str(info.value) == (
        "scaled[1,1] = 100000000: e^100000000 is too large to compute or write down; "
        "scale the scores (--scale sqrt) or use smaller inputs"
    )
    scaled_already = Problem(X=[[2000]], WQ=[[1]], WK=[[1]], WV=[[1]], options=Options(scale="sqrt", exp="e"))
    with pytest.raises(ProblemError) as info:
        walk(scaled_already)
    assert str(info.value) == (
        "scaled[1,1] = 4000000: e^4000000 is too large to compute or write down; use smaller inputs"
    )


@pytest.mark.parametrize(
    ("score", "shown"),
    [
        (10**15 - 1, "999999999999999"),  # fifteen digits are written out
        (10**15, "1e+15"),  # sixteen are not: a student would miscount them
        (2 * 10**15, "2e+15"),
        ("100000000.5", "1e+08"),  # not whole: four significant digits
    ],
)
def test_a_too_large_score_is_written_whole_up_to_fifteen_digits(score: int | str, shown: str) -> None:
    p = Problem(X=[[1]], WQ=[[score]], WK=[[1]], WV=[[1]], options=Options(scale="none", exp="e"))
    with pytest.raises(ProblemError) as info:
        walk(p)
    assert str(info.value) == (
        f"scaled[1,1] = {shown}: e^{shown} is too large to compute or write down; "
        "scale the scores (--scale sqrt) or use smaller inputs"
    )


def test_decimal_inputs_stay_exact_but_are_remembered() -> None:
    p = Problem(X=[["0.5", 1]], WQ=[[2]], WK=[[2]], WV=[[1]], options=Options(scale="none", exp="2"))
    assert p.decimal_input
    trace = walk(p)
    assert trace.exact
    assert as_lists(trace["S"]) == [[F(1), F(2)], [F(2), F(4)]]


def test_float_arrays_give_a_float_trace() -> None:
    X = np.array([[0.5, 1.25], [2.0, -1.0]])
    p = Problem(X=X, WQ=np.eye(2), WK=np.eye(2), WV=np.eye(2))
    trace = walk(p)
    assert not trace.exact
    assert np.allclose(trace["A"].sum(axis=0), 1.0)


def test_powers_too_small_to_write_are_worked_in_decimals() -> None:
    p = Problem(X=[[1000000, 1]], WQ=[[1]], WK=[[-1]], WV=[[1]], options=Options(scale="none", exp="3"))
    trace = walk(p)  # 3^-1000000000000 would never finish as an exact fraction
    assert is_exact(trace["scaled"]) and not is_exact(trace["E"])
    assert float(trace["E"][1, 1]) == pytest.approx(1 / 3)
    assert trace["A"].tolist() == [[0.0, 0.0], [1.0, 1.0]]
    assert "some powers 3^x are too small to write exactly, so they are worked in decimals" in trace.notes


def test_a_column_whose_powers_all_underflow_is_noted_and_worked_stably() -> None:
    """Query 1 meets keys -60 and -30 at 30: e^-1800 and e^-900 are 0 in floats; query 2 is fine."""
    p = Problem(X=[[30, 0], [1, 1]], WQ=[[1, 0]], WK=[[-1, -30]], WV=[[1, 2]],
                options=Options(scale="none", exp="e"))  # fmt: skip
    trace = walk(p)
    assert trace["S"].tolist() == [[-1800, 0], [-900, 0]]
    assert to_float(trace["sums"]).tolist() == [[0.0, 2.0]]
    assert "some sums underflow to 0; A is computed stably from the scaled scores" in trace.notes
    assert to_float(trace["A"]).tolist() == [[0.0, 0.5], [1.0, 0.5]]  # e^(x - max): key 2 takes it all
