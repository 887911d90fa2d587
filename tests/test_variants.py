"""Causal mask, cross-attention and multi-head with W_O, against the independent reference."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bythand import Problem, ProblemError, walk
from bythand.numbers import to_float
from bythand.problem import Convention, Head, Mask, Options, Scale, load_problem

import reference as ref
from conftest import Runner


def ints(rows: int, cols: int, lo: int = -1, hi: int = 1) -> st.SearchStrategy[list[list[int]]]:
    row = st.lists(st.integers(lo, hi), min_size=cols, max_size=cols)
    return st.lists(row, min_size=rows, max_size=rows)


@st.composite
def layers(draw: st.DrawFn) -> Problem:
    """Random problems with a context, several heads (listed or split) and an optional W_O."""
    d, n, dk, dv, h = (draw(st.integers(1, 3)) for _ in range(5))
    cross = draw(st.booleans())
    n_c = draw(st.integers(1, 3)) if cross else n
    mask: Mask = "causal" if n_c == n and draw(st.booleans()) else "none"
    scale: Scale = draw(st.sampled_from(["sqrt", "floor-half", "none"]))
    exp = draw(st.sampled_from(["e", "3", "2"]))
    X = draw(ints(d, n, -2, 2))
    C = draw(ints(d, n_c, -2, 2)) if cross else None
    with_wo = draw(st.booleans())
    WO = draw(ints(draw(st.integers(1, 3)), h * dv)) if with_wo else None
    options = Options(scale=scale, exp=exp, mask=mask)
    if draw(st.booleans()):
        heads = [
            {"WQ": draw(ints(dk, d)), "WK": draw(ints(dk, d)), "WV": draw(ints(dv, d))} for _ in range(h)
        ]
        p = Problem(X=X, C=C, heads=heads, WO=WO, options=options)
    else:
        p = Problem(X=X, C=C, WQ=draw(ints(h * dk, d)), WK=draw(ints(h * dk, d)), WV=draw(ints(h * dv, d)),
                    heads=h, WO=WO, options=options)  # fmt: skip
    convention: Convention = draw(st.sampled_from(["columns", "rows"]))
    return p.in_convention(convention)


@settings(max_examples=150, deadline=None)
@given(layers())
def test_masked_cross_and_multihead_agree_with_the_reference(p: Problem) -> None:
    trace = walk(p)
    assert ref.differences(trace.matrices, ref.of(p)) == []
    assert trace.output == ("O" if p.WO is not None else "concat" if len(p.heads) > 1 else "Z")


@settings(max_examples=60, deadline=None)
@given(layers())
def test_rows_and_columns_agree_for_every_variant(p: Problem) -> None:
    cols, rows = walk(p.in_convention("columns")), walk(p.in_convention("rows"))
    assert list(cols.matrices) == list(rows.matrices)
    for name, m in cols.matrices.items():
        assert np.allclose(np.asarray(to_float(rows[name]), float), np.asarray(to_float(m), float).T), name


def test_split_heads_equal_heads_built_from_the_same_row_blocks() -> None:
    X = [[1, 0, 2], [0, 1, 1], [1, 1, 0], [2, 0, 1]]
    WQ = [[1, 0, 0, 1], [0, 1, 1, 0], [1, 1, 0, 0], [0, 0, 1, 1]]
    WK = [[0, 1, 0, 0], [1, 0, 0, 1], [0, 0, 1, 0], [1, 1, 1, 0]]
    WV = [[2, 0, 0, 0], [0, 0, 2, 0]]
    opts = Options(scale="floor-half", exp="3")
    split = walk(Problem(X=X, WQ=WQ, WK=WK, WV=WV, heads=2, WO=[[1, 1]], options=opts))
    blocks = [{"WQ": WQ[:2], "WK": WK[:2], "WV": WV[:1]}, {"WQ": WQ[2:], "WK": WK[2:], "WV": WV[1:]}]
    listed = walk(Problem(X=X, heads=blocks, WO=[[1, 1]], options=opts))
    assert list(split.matrices) == list(listed.matrices)
    for name, m in split.matrices.items():
        assert m.tolist() == listed[name].tolist(), name
    assert split.exact and split["O"].shape == (1, 3)
    assert [s.number for s in split.steps] == [*range(1, 10), *range(1, 10), 10, 11]
    assert split.steps[-2].formula == "concat = [h1.Z, h2.Z], one under the other"
    assert split.steps[-1].formula == "O = W_O·concat"


def test_cross_attention_shapes_and_formulas() -> None:
    p = Problem(X=[[1, 0, 1], [0, 1, 1]], C=[[1, 0], [0, 1]], WQ=[[1, 0], [0, 1]], WK=[[1, 1], [0, 1]],
                WV=[[2, 0]], options=Options(scale="none", exp="2"))  # fmt: skip
    trace = walk(p)
    assert trace["S"].shape == (2, 3)  # keys from C (rows), queries from X (columns)
    assert trace["Z"].shape == (1, 3)
    assert trace.step(2).formula == "Q = W_Q·X, K = W_K·C, V = W_V·C"
    assert trace.step(1).names == ("X", "C", "WQ", "WK", "WV")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            dict(X=[[1, 0, 1]], C=[[1, 1]], WQ=[[1]], WK=[[1]], WV=[[1]], options=Options(mask="causal")),
            "<python>: a causal mask needs as many keys as queries, "
            "but the context C has 2 tokens and X has 3; use mask none for this cross-attention",
        ),
        (
            dict(X=[[1, 0]], WQ=[[1], [1], [1]], WK=[[1], [1], [1]], WV=[[1], [1]], heads=2),
            "<python>: WQ has 3 rows, which do not split into 2 equal heads",
        ),
        (
            dict(X=[[1, 0]], WQ=[[1], [1]], WK=[[1], [1]], WV=[[1], [1]], heads=2, WO=[[1, 1, 1]]),
            "<python>: WO is 1×3, but the heads' values stacked have 2 rows (h·d_v), so WO needs 2 columns",
        ),
        (
            dict(X=[[1, 0]], WQ=[[1]], WK=[[1]], WV=[[1]], WO=[[1, 1]]),
            "<python>: WO is 1×2, but V has d_v = 1, so WO needs 1 column",
        ),
        (
            dict(X=[[1, 0]], heads=[{"WQ": [[1]], "WK": [[1]]}]),
            "<python>: head 1 has no WV (each head needs WQ, WK and WV)",
        ),
        (
            dict(X=[[1, 0]], WQ=[[1]], heads=[{"WQ": [[1]], "WK": [[1]], "WV": [[1]]}]),
            "<python>: give either WQ, WK, WV or a list of heads, not both",
        ),
        (
            dict(
                X=[[1, 0], [1, 1]],
                heads=[
                    {"WQ": [[1, 0]], "WK": [[1, 0]], "WV": [[1, 0]]},
                    {"WQ": [[1]], "WK": [[1, 0]], "WV": [[1, 0]]},
                ],
            ),
            "<python>: h2.WQ is 1×1, but X is 2×2 with 2 features (its rows), so h2.WQ needs 2 columns",
        ),
    ],
)
def test_variant_errors(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ProblemError) as info:
        Problem(**kwargs)  # type: ignore[arg-type]
    assert str(info.value) == message


def test_multihead_problem_file_and_cli(tmp_path: Path, cli: Runner) -> None:
    path = tmp_path / "two.toml"
    path.write_text(
        'title = "Two heads"\nX = [[1, 0, 1], [0, 1, 1]]\nWO = [[1, -1]]\n'
        "[[heads]]\nWQ = [[1, 0]]\nWK = [[0, 1]]\nWV = [[1, 1]]\n"
        "[[heads]]\nWQ = [[0, 1]]\nWK = [[1, 0]]\nWV = [[2, 0]]\n"
        '[options]\nscale = "none"\nexp = "2"\nmask = "causal"\n',
        encoding="utf-8",
    )
    p = load_problem(path)
    assert len(p.heads) == 2 and isinstance(p.heads[1], Head)
    result = cli("run", str(path), "--step", "10-11", "-f", "plain")
    assert result.code == 0, result.err
    assert "Step 10 · Concatenate" in result.out and "Step 11 · Output projection" in result.out
    assert "O = W_O·concat" in result.out
    data = cli("run", str(path), "-f", "json").out
    assert '"output": "O"' in data and '"h2.A"' in data
    result = cli("run", str(path), "--heads", "2")
    assert result.err == f"Error: {path}: already lists its heads; --heads splits a single WQ, WK, WV\n"


def test_heads_and_context_flags(cli: Runner) -> None:
    result = cli("run", "--heads", "3", "--step", "10", "-f", "plain")
    assert result.code == 0, result.err
    assert "concat = [h1.Z, h2.Z, h3.Z], one under the other" in result.out
    result = cli("run", "--heads", "2")
    assert result.code == 2
    assert (
        result.err == "Error: built-in example self-attention-6x4: "
        "WQ has 3 rows, which do not split into 2 equal heads\n"
    )
    inline = ["--x", "1 0 1; 0 1 1", "--context", "1 0; 0 1", "--wq", "1 0; 0 1", "--wk", "1 1; 0 1"]
    result = cli("run", *inline, "--wv", "2 0", "--scale", "none", "--exp", "2", "-f", "json")
    assert result.code == 0, result.err
    assert '"S": {"shape": [2, 3]' in result.out
    result = cli(
        "run", "--x", "1 0 1", "--context", "1 1", "--wq", "1", "--wk", "1", "--wv", "1", "--mask", "causal"
    )
    assert result.code == 2 and "a causal mask needs as many keys as queries" in result.err
