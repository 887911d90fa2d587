"""The one layout model: the by-hand picture in grid units, the same for every surface."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from bythand.generate import class_set, make_params
from bythand.layout import GAP, Canvas, Item, layout, sizes, tracks
from bythand.problem import Convention, Options, Problem, example_names, load_example
from bythand.walk import Trace, walk

from test_explain import two_heads


def problems() -> list[Problem]:
    """Every example, and random sheets over sizes, masks, heads and methods."""
    out = [load_example(name) for name in example_names()]
    for n, heads, mask, approx in itertools.product((2, 3, 5), (1, 2), ("none", "causal"), (True, False)):
        params = make_params(tokens=n, heads=heads, mask=mask, approx=approx, difficulty="easy")
        out += [p for _, p in class_set(params, 3, 2)]
    return out


CONVENTIONS: tuple[Convention, ...] = ("columns", "rows")
CASES = [(p, conv) for p in problems() for conv in CONVENTIONS]


def canvas_of(problem: Problem, convention: Convention) -> tuple[Trace, Canvas]:
    trace = walk(problem.in_convention(convention))
    return trace, layout(trace)


def test_the_classic_sits_as_on_paper() -> None:
    _, canvas = canvas_of(load_example("self-attention-6x4"), "columns")
    where = {it.kind: (it.top, it.left, it.rows, it.cols) for it in canvas.items()}
    assert where["X"] == (2, 10, 6, 4)  # X on top ...
    assert where["Q"] == (10, 10, 3, 4)  # ... over Q, in X's columns
    assert where["WQ"] == (10, 2, 3, 6)  # W_Q to the left of Q, in Q's rows
    assert where["K"] == (15, 10, 3, 4) and where["V"] == (20, 10, 3, 4)
    assert where["Qcopy"] == (2, 23, 3, 4)  # Q again on top of S ...
    assert where["S"] == (7, 23, 4, 4) and where["KT"] == (7, 18, 4, 3)  # ... with Kᵀ to its left
    assert [where[k][0] for k in ("scaled", "E", "sums", "A", "Z")] == [13, 19, 25, 28, 34]
    assert where["Vcopy"] == (34, 17, 3, 4)  # V beside Z
    assert (canvas.height, canvas.width) == (37, 27)
    assert [it.name for it in canvas.items() if it.answered] == [
        "Q", "K", "V", "KT", "S", "scaled", "E", "sums", "A", "Z"
    ]  # fmt: skip


def test_the_rows_picture_is_the_columns_picture_transposed() -> None:
    for problem in problems()[:12]:
        _, cols = canvas_of(problem, "columns")
        _, rows = canvas_of(problem, "rows")
        assert (rows.height, rows.width) == (cols.width, cols.height)
        flipped = {(it.name, it.kind): (it.left, it.top, it.cols, it.rows) for it in cols.items()}
        assert {(it.name, it.kind): (it.top, it.left, it.rows, it.cols) for it in rows.items()} == flipped


@pytest.mark.parametrize(("problem", "convention"), CASES)
def test_every_matrix_once_crosses_aligned_nothing_overlaps(problem: Problem, convention: Convention) -> None:
    trace, canvas = canvas_of(problem, convention)
    items = canvas.items()
    # each item has its matrix's shape, inside the canvas, with room above and left for its labels
    for it in items:
        assert trace[it.name].shape == (it.rows, it.cols), it
        assert it.top >= GAP and it.left >= GAP and it.bottom <= canvas.height and it.right <= canvas.width
    # every matrix of the trace is drawn exactly once as itself (copies aside)
    drawn = sorted(it.name for it in items if not it.copy)
    assert drawn == sorted(trace.matrices), set(drawn) ^ set(trace.matrices)
    # no two matrices, with their title and label lines, share a grid unit
    for a, b in itertools.combinations(items, 2):
        assert not _touch(a, b), (a, b)
    # each product is a cross: left operand in the product's rows, right operand above it in its columns
    cross = {"columns": lambda r, o: (o.top, o.rows) == (r.top, r.rows) and o.right < r.left,
             "rows": lambda r, o: (o.left, o.cols) == (r.left, r.cols) and o.bottom < r.top}  # fmt: skip
    for step in trace.steps:
        for prod in step.products:
            if prod.result == "O":
                continue  # O = W_O·concat: checked as a pair below
            result = canvas.item(prod.result)
            beside, above = (prod.left, prod.right) if convention == "columns" else (prod.right, prod.left)
            assert any(it.name == beside and cross[convention](result, it) for it in items), (
                f"{beside} is not beside {prod.result}"
            )
            assert any(it.name == above and _above(it, result, convention) for it in items), (
                f"{above} is not above {prod.result}"
            )


def _above(top: Item, result: Item, convention: str) -> bool:
    if convention == "columns":
        return (top.left, top.cols) == (result.left, result.cols) and top.bottom < result.top
    return (top.top, top.rows) == (result.top, result.rows) and top.right < result.left


def _touch(a: Item, b: Item) -> bool:
    """Do the two items' areas (cells plus the GAP above and to the left) overlap?"""

    def area(it: Item) -> tuple[int, int, int, int]:
        return it.top - GAP, it.left - GAP, it.bottom, it.right

    t1, l1, b1, r1 = area(a)
    t2, l2, b2, r2 = area(b)
    return t1 < b2 and t2 < b1 and l1 < r2 and l2 < r1


def test_several_heads_share_one_x_and_each_has_its_cross() -> None:
    _, canvas = canvas_of(load_example("multi-head-2x4"), "columns")
    items = canvas.items()
    assert [it.name for it in items].count("X") == 1
    x = canvas.item("X")
    for h in (1, 2):
        q = canvas.item(f"h{h}.Q")
        assert (q.left, q.cols) == (x.left, x.cols) and q.top > x.bottom  # X's columns, below it
        assert canvas.item(f"h{h}.S").left > q.right  # its attention cross beside its Q, K, V
    assert canvas.item("h2.Q").top > canvas.item("h1.Z").top  # head 2's band under head 1's
    assert canvas.item("h2.S").top > canvas.item("h1.Z").top
    concat, o = canvas.item("concat"), canvas.item("O")
    assert concat.left == o.left and concat.bottom < o.top
    assert canvas.item("WO").top == o.top and canvas.item("WO").right < o.left


def test_tracks_and_sizes_tell_a_surface_what_each_grid_line_holds() -> None:
    _, canvas = canvas_of(load_example("self-attention-6x4"), "columns")
    rows = canvas.tracks("rows")
    assert rows[:8] == ["title", "label", "cell", "cell", "cell", "cell", "cell", "cell"]
    assert len(rows) == canvas.height == 37 and rows[-3:] == ["cell"] * 3  # down to Z's last row
    cols = tracks(canvas.items(), canvas.width, "columns")
    assert canvas.tracks("columns") == cols and len(cols) == canvas.width == 27  # every column, across to S
    assert cols[-4:] == ["cell"] * 4
    assert cols[9] == "label" and cols[10:14] == ["cell"] * 4  # X's row labels, then its columns
    widths = sizes(canvas.items(), canvas.width, "columns",
                   lambda it, k: 3.0 if it.given else 5.0, {"label": 2.0, "space": 1.0, "title": 1.0}.get)  # type: ignore[arg-type]  # fmt: skip
    assert widths[10:14] == [5.0] * 4  # X's columns are as wide as Q's answers under them
    assert widths[2:8] == [3.0] * 6  # W_Q's columns hold only given numbers
    assert widths[0] == 1.0 and widths[9] == 2.0


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


def test_one_head_is_no_numbered_head() -> None:
    """Items of a one-head problem belong to no numbered head; with two heads, to head 1 or 2."""
    one = layout(walk(load_example("self-attention-6x4")))
    assert {it.head for it in one.items()} == {None}
    two = layout(walk(two_heads()))
    assert {it.head for it in two.items() if it.name.startswith("h2.")} == {2}


def test_each_cell_has_its_grid_unit_in_the_traces_own_orientation() -> None:
    """Item.at(i, j) and Item.cells() say where a surface writes cell [i, j] of a matrix (0-based)."""
    _, cols = canvas_of(load_example("self-attention-6x4"), "columns")
    kt = cols.item("KT")  # 4 keys × d_k = 3, at rows 7-10, columns 18-20
    assert kt.at(0, 0) == (7, 18) and kt.at(3, 2) == (10, 20) and kt.at(1, 2) == (8, 20)
    cells = list(kt.cells())
    assert len(cells) == 12 and cells[:4] == [(0, 0, 7, 18), (0, 1, 7, 19), (0, 2, 7, 20), (1, 0, 8, 18)]
    assert cells[-1] == (3, 2, 10, 20)
    _, rows = canvas_of(load_example("self-attention-6x4"), "rows")
    kt = rows.item("KT")  # in rows, Kᵀ is d_k = 3 × 4 keys, drawn above S: rows 18-20, columns 7-10
    assert (kt.rows, kt.cols) == (3, 4) and kt.at(2, 3) == (20, 10) and kt.at(0, 1) == (18, 8)
    assert list(kt.cells())[-2:] == [(2, 2, 20, 9), (2, 3, 20, 10)]
    sums = rows.item("sums")  # a column of n in rows
    assert [cell[2:] for cell in sums.cells()] == [(23, 25), (24, 25), (25, 25), (26, 25)]
