"""Captions true to the problem: step 5 names √d_k with each head's own d_k; degenerate ones read plainly."""

from __future__ import annotations

import math
import random
import re

import pytest

from bythand import Problem, walk
from bythand.problem import Options
from bythand.render.labels import method_text
from bythand.render.text import to_latex


def _head(rng: random.Random, d: int, dk: int) -> dict[str, list[list[int]]]:
    def m(rows: int) -> list[list[int]]:
        return [[rng.randint(-1, 1) for _ in range(d)] for _ in range(rows)]

    return {"WQ": m(dk), "WK": m(dk), "WV": m(2)}


@pytest.mark.parametrize("seed", range(40))
def test_step_five_names_each_heads_own_d_k(seed: int) -> None:
    rng = random.Random(seed)
    d, n = rng.randint(2, 5), rng.randint(2, 4)
    dks = [rng.randint(1, 9) for _ in range(rng.choice([1, 1, 2, 3]))]
    method = rng.choice(["sqrt", "floor-half"])
    X = [[rng.randint(-2, 2) for _ in range(n)] for _ in range(d)]
    p = Problem(X, heads=[_head(rng, d, dk) for dk in dks], options=Options(scale=method, exp="3"))  # type: ignore[arg-type]
    trace = walk(p)
    fives = [s for s in trace.steps if s.number == 5]
    assert len(fives) == len(dks)
    for step, dk in zip(fives, dks, strict=True):
        text = step.formula
        roots = set(re.findall(r"√(\d+)", text))
        allowed = {str(dk)} | ({"3"} if method == "floor-half" and dk == 3 else set())
        assert roots == allowed, (dk, text)  # √d_k with this head's d_k, never another head's or √3
        r = math.isqrt(dk)
        if method == "sqrt" and dk == 1:
            assert text == "S / √d_k = S / √1 = S: with d_k = 1 there is nothing to scale"
        elif method == "sqrt" and r * r == dk:
            assert text == f"S / √d_k = S / √{dk} = S / {r}"
        elif method == "sqrt":
            assert text == f"S / √d_k = S / √{dk} ≈ S / {math.sqrt(dk):.2f}"
        elif dk == 3:
            assert text == "⌊S/2⌋, the hand trick for S / √3 ≈ S / 1.73"
        elif dk == 4:
            assert text == "⌊S/2⌋: S / √4 = S / 2, rounded down"
        elif dk == 1:
            assert "with d_k = 1, S / √1 would leave S as it is" in text
        else:
            assert text == f"⌊S/2⌋, the hand trick in place of S / √{dk} ≈ S / {math.sqrt(dk):.2f}"
        assert "≈ S / 1.00" not in text and "√1 ≈" not in text
    line = method_text(trace)
    if method == "sqrt" and len(set(dks)) > 1:
        for i, dk in enumerate(dks, start=1):
            assert f"h{i}: ÷√{dk}" in line
    elif method == "sqrt":
        assert f"÷√{dks[0]}" in line and "÷√d_k" not in line
    if method == "floor-half":
        for dk in set(dks) - {3}:
            assert any(f"d_k = {dk}" in note for note in trace.notes), trace.notes
        assert not any("≈ ÷1.00" in note for note in trace.notes)
    # the LaTeX view names each head's own root too
    tex = to_latex(trace, steps=[5])
    assert set(re.findall(r"\\sqrt\{(\d+)\}", tex)) == {str(dk) for dk in dks} | (
        {"3"} if method == "floor-half" and 3 in dks else set()
    ) | ({str(dks[0])} if method == "sqrt" and len(set(dks)) == 1 else set()), tex


def test_the_classic_caption_is_unchanged_in_meaning() -> None:
    from bythand import builtin_example

    trace = walk(builtin_example())
    assert trace.step(5).formula == "⌊S/2⌋, the hand trick for S / √3 ≈ S / 1.73"
    assert "scale ⌊x/2⌋" in method_text(trace)
    assert trace.notes == []


def test_divide_by_one_reads_naturally() -> None:
    p = Problem([[1, 0], [0, 1]], [[1, 1]], [[1, -1]], [[2, 0]], options=Options(scale="sqrt", exp="2"))
    trace = walk(p)
    assert "scale ÷√1 = ÷1, no change" in method_text(trace)
    assert trace.step(5).formula == "S / √d_k = S / √1 = S: with d_k = 1 there is nothing to scale"
