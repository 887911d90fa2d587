"""bythand's walk against the independent reference (tests/reference.py) over drawn problems."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings

from bythand import builtin_example, walk

import reference as ref
from strategies import Drawn, drawn

F = Fraction


def test_the_reference_works_the_classic_exercise_as_on_paper() -> None:
    """The oracle itself, checked against numbers worked by hand (⌊x/2⌋, 3^x, tokens as columns)."""
    p = builtin_example()
    got = ref.of(p)
    assert got["S"] == [[3, 2, 2, 1], [4, 3, 1, 5], [-1, -1, -2, 1], [3, 2, 2, 1]]
    assert got["scaled"][2] == [-1, -1, -1, 0]
    assert got["E"][2] == [F(1, 3), F(1, 3), F(1, 3), 1]
    assert got["sums"] == [[F(46, 3), F(28, 3), F(22, 3), 12]]
    assert [got["A"][i][0] for i in range(4)] == [F(9, 46), F(27, 46), F(1, 46), F(9, 46)]
    assert got["Z"][2] == [F(135, 23), F(45, 14), F(15, 11), F(15, 2)]
    rows = ref.of(p.in_convention("rows"))
    assert rows["sums"] == [[F(46, 3)], [F(28, 3)], [F(22, 3)], [12]]
    assert rows["Z"] == ref.transpose(got["Z"])


def test_the_reference_masks_splits_and_concatenates() -> None:
    assert ref.mask([[1, 2], [3, 4]], columns=True) == [[1, 2], [ref.MASKED, 4]]
    assert ref.mask([[1, 2], [3, 4]], columns=False) == [[1, ref.MASKED], [3, 4]]
    W = [[1, 2, 3, 4], [5, 6, 7, 8]]
    assert ref.split(W, 2, columns=False) == [[[1, 2], [5, 6]], [[3, 4], [7, 8]]]
    assert ref.split(ref.transpose(W), 2, columns=True) == [[[1, 5], [2, 6]], [[3, 7], [4, 8]]]
    Zs: list[ref.Mat] = [[[F(1)], [F(2)]], [[F(3)], [F(4)]]]
    assert ref.concatenate(Zs, columns=True) == [[1], [2], [3], [4]]
    assert ref.concatenate(Zs, columns=False) == [[1, 3], [2, 4]]
    mixed = ref.concatenate([[[0.5]], [[F(1)]]], columns=True)  # a float head makes the whole of concat float
    assert mixed == [[0.5], [1.0]] and all(isinstance(row[0], float) for row in mixed)
    assert ref.scale([[F(5), F(-1)]], "floor-half", 3) == [[2, -1]]
    assert ref.scale([[5.5, -0.5]], "floor-half", 3) == [[2.0, -1.0]]
    assert ref.scale([[F(5)]], "sqrt", 4) == [[F(5, 2)]]
    assert ref.exponentiate([[F(-1), ref.MASKED]], "3") == [[F(1, 3), 0]]


def check(d: Drawn) -> None:
    trace = walk(d.problem())
    assert ref.differences(trace.matrices, d.reference()) == []


@settings(max_examples=300, deadline=None)
@given(drawn())
def test_every_matrix_agrees_with_the_reference(d: Drawn) -> None:
    """Both conventions, masks, cross-attention, heads (listed or split) and W_O; ints, decimals, floats."""
    check(d)


@settings(max_examples=100, deadline=None)
@given(drawn(scales=("floor-half",), exps=("3",), variants=False))
def test_the_hand_tricks_agree_with_the_reference(d: Drawn) -> None:
    """floor-half and 3^x: exact on whole numbers and decimals, ⌊x/2⌋ on non-integer floats."""
    check(d)


@settings(max_examples=100, deadline=None)
@given(drawn(scales=("sqrt",), exps=("e",), conventions=("rows",)))
def test_rows_with_sqrt_agree_with_the_reference(d: Drawn) -> None:
    """S/√d_k with d_k the columns of W_Q in rows (a perfect square stays exact)."""
    check(d)
