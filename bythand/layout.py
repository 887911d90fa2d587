"""The by-hand picture in abstract grid units: which matrices form which cross, and where each sits.

One model for every surface. The printed sheet (millimetres), the xlsx workbook (rows and columns),
the terminal canvas and the practice screen (character cells) each turn a grid unit into their own
size; none of them places a matrix itself. A grid unit holds one cell of a matrix. Every matrix has
GAP free units above it (its title line, then its column labels) and GAP to its left (a space, then
its row labels), so a surface finds each label's place from the matrix alone.

The columns convention (tokens as columns) is drawn as on paper: X on top of Q, K, V with W_Q, W_K,
W_V to their left; Q (copied) on top of S with Kᵀ to its left, then scaled, E, Σ and A under S, and
Z under A with V (copied) to its left; heads in bands under one another, X once; concat and W_O·concat
last. The rows convention is the same picture transposed (X on the left, W_Q above Q = X·W_Q, Kᵀ
above S = Q·Kᵀ, softmax along rows, V above Z = A·V), since its every matrix is the transpose.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from .walk import Trace

GAP = 2  # units above a matrix (title, column labels) and to its left (space, row labels)
PANEL_GAP = 1  # one more unit between crosses than between the matrices of one cross

GIVEN_KINDS = frozenset({"X", "C", "WQ", "WK", "WV", "WO"})
COPY_KINDS = frozenset({"Qcopy", "Vcopy", "Zcopy"})  # drawn twice on paper; answered once (as Q, V, Z)
# Step 0 (X made from tokens): the word vectors and P are given, X = embed + P is answered ("Xsum")
# and drawn again on top of Q ("Xcopy")
GIVEN_KINDS |= {"embed", "P"}
COPY_KINDS |= {"Xcopy"}

PanelKind = Literal["qkv", "attention", "output", "embed"]
Track = Literal["cell", "label", "title", "space"]


@dataclass(frozen=True)
class Item:
    """One matrix on the canvas: its cells fill rows top..bottom-1 and columns left..right-1."""

    kind: str  # its part in the picture: X, WQ, Q, Qcopy, KT, S, scaled, E, sums, A, Vcopy, Z, concat, O...
    name: str  # the trace's name of the matrix drawn: "h2.S"
    step: int
    head: int | None  # 1-based with several heads, else None
    top: int
    left: int
    rows: int
    cols: int

    @property
    def bottom(self) -> int:
        """The first grid row below the cells."""
        return self.top + self.rows

    @property
    def right(self) -> int:
        """The first grid column right of the cells."""
        return self.left + self.cols

    @property
    def given(self) -> bool:
        """A given: printed on every sheet, never answered."""
        return self.kind in GIVEN_KINDS

    @property
    def copy(self) -> bool:
        """A second drawing of a matrix answered elsewhere (Q above S, V beside Z)."""
        return self.kind in COPY_KINDS

    @property
    def answered(self) -> bool:
        """Its cells are for the student to work out."""
        return not self.given and not self.copy

    def at(self, i: int, j: int) -> tuple[int, int]:
        """The grid (row, column) of the matrix's cell [i, j] (0-based, in the trace's own orientation)."""
        return self.top + i, self.left + j

    def cells(self) -> Iterator[tuple[int, int, int, int]]:
        """(i, j, grid row, grid column) of every cell."""
        for i in range(self.rows):
            for j in range(self.cols):
                yield i, j, self.top + i, self.left + j

    def moved(self, down: int, across: int) -> Item:
        """The same item shifted on the grid."""
        return replace(self, top=self.top + down, left=self.left + across)


@dataclass(frozen=True)
class Panel:
    """One cross of the picture; its items are placed relative to the panel's own top-left corner."""

    kind: PanelKind
    head: int | None
    items: tuple[Item, ...]
    height: int
    width: int
    signs: tuple[tuple[int, int, str], ...] = ()  # (row, column, "+" or "=") between the matrices of a sum


@dataclass(frozen=True)
class Canvas:
    """The whole exercise: its panels and where each one sits (row, column) on one grid."""

    convention: str
    panels: tuple[Panel, ...]
    origins: tuple[tuple[int, int], ...]
    height: int
    width: int

    def items(self) -> list[Item]:
        """Every item, in absolute grid units, in the order a student works them."""
        return [
            item.moved(top, left)
            for panel, (top, left) in zip(self.panels, self.origins, strict=True)
            for item in sorted(panel.items, key=lambda it: (it.step, _WORK_ORDER.index(it.kind)))
        ]

    def item(self, name: str) -> Item:
        """The item that holds a matrix (its answered drawing, not a copy)."""
        for it in self.items():
            if it.name == name and not it.copy:
                return it
        raise KeyError(name)

    def signs(self) -> list[tuple[int, int, str]]:
        """The "+" and "=" of step 0's embed + P = X, each one grid unit, in absolute grid units."""
        return [
            (top + row, left + col, sign)
            for panel, (top, left) in zip(self.panels, self.origins, strict=True)
            for row, col, sign in panel.signs
        ]

    def tracks(self, axis: Literal["rows", "columns"]) -> list[Track]:
        """What each grid row (or column) holds: cells, labels, titles, or nothing."""
        return tracks(self.items(), self.height if axis == "rows" else self.width, axis)


def tracks(items: Sequence[Item], count: int, axis: Literal["rows", "columns"]) -> list[Track]:
    """What each of `count` grid rows or columns holds, for surfaces that size them."""
    kinds: list[Track] = ["space"] * count
    rank = {"space": 0, "title": 1, "label": 2, "cell": 3}
    for it in items:
        start, size = (it.top, it.rows) if axis == "rows" else (it.left, it.cols)
        marks: list[tuple[int, Track]] = [(k, "cell") for k in range(start, start + size)]
        marks.append((start - 1, "label"))
        if axis == "rows":
            marks.append((start - 2, "title"))
        for k, kind in marks:
            if 0 <= k < count and rank[kind] > rank[kinds[k]]:
                kinds[k] = kind
    return kinds


def sizes(
    items: Sequence[Item],
    count: int,
    axis: Literal["rows", "columns"],
    cell: Callable[[Item, int], float],
    other: Callable[[Track], float],
) -> list[float]:
    """The size of each grid row or column on a surface: the largest of the cells in it (`cell(item,
    k)` for the item's k-th row or column), else `other` of what the track holds."""
    out = [other(t) for t in tracks(items, count, axis)]
    has_cell = [False] * count
    for it in items:
        start, size = (it.top, it.rows) if axis == "rows" else (it.left, it.cols)
        for k in range(size):
            need = cell(it, k)
            out[start + k] = need if not has_cell[start + k] else max(out[start + k], need)
            has_cell[start + k] = True
    return out


_ORDER = ("X", "C", "WQ", "WK", "WV", "Q", "K", "V", "Qcopy", "KT", "S", "scaled", "E", "sums", "A",
          "Vcopy", "Z", "Zcopy", "concat", "WO", "O")  # fmt: skip
_WORK_ORDER = ("embed", "P", "Xsum", "Xcopy", *_ORDER)  # step 0 first


def layout(trace: Trace) -> Canvas:
    """The by-hand picture of a trace, in grid units, in the trace's own convention."""
    p = trace.problem
    columns = p.options.convention == "columns"

    def shape(name: str) -> tuple[int, int]:  # as drawn in the columns convention
        rows, cols = trace[name].shape
        return (int(rows), int(cols)) if columns else (int(cols), int(rows))

    multi = len(p.heads) > 1
    heads = len(p.heads)
    qkv: list[Panel] = []
    attention: list[Panel] = []
    for h in range(heads):
        pre, head = p.prefix(h), (h + 1 if multi else None)
        qkv.append(_qkv_panel(shape, pre, head, with_x=h == 0, cross=p.C is not None))
        attention.append(_attention_panel(shape, pre, head))
    output = _output_panel(shape, multi, p.WO is not None)
    embed = _embed_panel(shape, "P" in trace.matrices) if "embed" in trace.matrices else None
    if embed is not None:  # X is answered in step 0, so the X on top of Q is its copy
        qkv[0] = replace(qkv[0], items=tuple(replace(it, kind="Xcopy") if it.kind == "X" else it
                                             for it in qkv[0].items))  # fmt: skip

    # Bands of heads, one under another: [Q,K,V of head h | its attention cross]; the output cross right.
    panels: list[Panel] = []
    origins: list[tuple[int, int]] = []
    qkv_w = max(pn.width for pn in qkv) + PANEL_GAP
    att_w = max(pn.width for pn in attention) + PANEL_GAP
    top = 0
    for a, b in zip(qkv, attention, strict=True):
        panels += [a, b]
        origins += [(top, 0), (top, qkv_w)]
        top += max(a.height, b.height) + PANEL_GAP
    height, width = top - PANEL_GAP, qkv_w + att_w - PANEL_GAP
    if output is not None:
        panels.append(output)
        origins.append((0, qkv_w + att_w))
        height, width = max(height, output.height), qkv_w + att_w + output.width
    if embed is not None:  # step 0 on top of everything: embed + P = X, left to right
        down = embed.height + PANEL_GAP
        origins = [(0, 0)] + [(t + down, left) for t, left in origins]
        panels.insert(0, embed)
        height, width = height + down, max(width, embed.width)
    canvas = Canvas(p.options.convention, tuple(panels), tuple(origins), height, width)
    return canvas if columns else _transposed(canvas)


def _stack(
    rows: list[tuple[tuple[str, str, int, int, int] | None, tuple[str, str, int, int, int]]],
    kind: PanelKind,
    head: int | None,
) -> Panel:
    """A cross: right-hand matrices stacked and left-aligned, each with its left operand (if any)
    right-aligned beside it. Each matrix is (kind, name, step, rows, cols)."""
    left_w = max((left[4] for left, _ in rows if left is not None), default=0)
    right_x = GAP + left_w + GAP if left_w else GAP
    items: list[Item] = []
    y = 0
    for left, right in rows:
        top = y + GAP
        k, name, step, r, c = right
        items.append(Item(k, name, step, head, top, right_x, r, c))
        bottom = top + r
        if left is not None:
            lk, lname, lstep, lr, lc = left
            items.append(Item(lk, lname, lstep, head, top, right_x - GAP - lc, lr, lc))
            bottom = max(bottom, top + lr)
        y = bottom
    width = max(it.right for it in items)
    return Panel(kind, head, tuple(items), y, width)


def _qkv_panel(
    shape: Callable[[str], tuple[int, int]], pre: str, head: int | None, with_x: bool, cross: bool
) -> Panel:
    """X on top of Q, K and V, each weight matrix beside its product."""

    def m(kind: str, name: str, step: int) -> tuple[str, str, int, int, int]:
        return (kind, name, step, *shape(name))

    rows: list[tuple[tuple[str, str, int, int, int] | None, tuple[str, str, int, int, int]]] = []
    if with_x:
        rows.append((None, m("X", "X", 1)))
    rows.append((m("WQ", pre + "WQ", 1), m("Q", pre + "Q", 2)))
    if cross and with_x:
        rows.append((None, m("C", "C", 1)))
    rows.append((m("WK", pre + "WK", 1), m("K", pre + "K", 2)))
    rows.append((m("WV", pre + "WV", 1), m("V", pre + "V", 2)))
    return _stack(rows, "qkv", head)


def _attention_panel(shape: Callable[[str], tuple[int, int]], pre: str, head: int | None) -> Panel:
    """Q on top of S = Kᵀ·Q, then scaled, E, Σ, A under it, and Z = V·A at the foot."""

    def m(kind: str, name: str, step: int) -> tuple[str, str, int, int, int]:
        return (kind, pre + name, step, *shape(pre + name))

    return _stack(
        [
            (None, m("Qcopy", "Q", 3)),
            (m("KT", "KT", 3), m("S", "S", 4)),
            (None, m("scaled", "scaled", 5)),
            (None, m("E", "E", 6)),
            (None, m("sums", "sums", 7)),
            (None, m("A", "A", 8)),
            (m("Vcopy", "V", 9), m("Z", "Z", 9)),
        ],
        "attention",
        head,
    )


def _output_panel(shape: Callable[[str], tuple[int, int]], multi: bool, wo: bool) -> Panel | None:
    """The heads' Z stacked into concat, and O = W_O·concat."""
    if not multi and not wo:
        return None
    top = ("concat", "concat", 10) if multi else ("Zcopy", "Z", 9)
    rows: list[tuple[tuple[str, str, int, int, int] | None, tuple[str, str, int, int, int]]] = []
    rows.append((None, (*top, *shape(top[1]))))
    if wo:
        rows.append((("WO", "WO", 1, *shape("WO")), ("O", "O", 11, *shape("O"))))
    return _stack(rows, "output", None)


def _embed_panel(shape: Callable[[str], tuple[int, int]], has_p: bool) -> Panel:
    """Step 0 in a row: the word vectors + P = X, one unit between for each sign."""
    parts = [("embed", "embed"), *([("P", "P")] if has_p else []), ("Xsum", "X")]
    items: list[Item] = []
    signs: list[tuple[int, int, str]] = []
    left = GAP
    for k, (kind, name) in enumerate(parts):
        rows, cols = shape(name)
        if k:
            signs.append((GAP + (rows - 1) // 2, left, "=" if kind == "Xsum" else "+"))
            left += 1 + GAP  # the sign, then the next matrix's space and row labels
        items.append(Item(kind, name, 0, None, GAP, left, rows, cols))
        left += cols
    return Panel("embed", None, tuple(items), GAP + max(it.rows for it in items), left, tuple(signs))


def _transposed(canvas: Canvas) -> Canvas:
    """The rows convention: the columns picture mirrored across its diagonal."""

    def flip(it: Item) -> Item:
        return replace(it, top=it.left, left=it.top, rows=it.cols, cols=it.rows)

    panels = tuple(
        Panel(pn.kind, pn.head, tuple(flip(it) for it in pn.items), pn.width, pn.height,
              tuple((col, row, sign) for row, col, sign in pn.signs))
        for pn in canvas.panels
    )  # fmt: skip
    origins = tuple((left, top) for top, left in canvas.origins)
    return Canvas(canvas.convention, panels, origins, canvas.width, canvas.height)
