"""The shared layout's grid units turned into character cells, for the practice screen.

No placement is decided here: the items and their relative places come from bythand.layout; this
module only sizes each grid row and column in characters (and, for the step view, drops the grid
units that no shown matrix uses, so the operands of one step sit together as in the whole picture).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from ..explain import number_text
from ..layout import GAP, Canvas, Item, Track, sizes
from ..numbers import cell
from ..walk import Trace

CELL_W = 9  # an entry: seven characters, its mark, a space
LABEL_W = 4  # row labels: k12 and a space
SPACE_W = 1

# What the step view shows for each step: the operands and the result, by the item's part in the picture.
STEP_VIEW: dict[int, frozenset[str]] = {
    2: frozenset({"X", "C", "WQ", "WK", "WV", "Q", "K", "V"}),
    3: frozenset({"K", "Qcopy", "KT"}),
    4: frozenset({"Qcopy", "KT", "S"}),
    5: frozenset({"S", "scaled"}),
    6: frozenset({"scaled", "E"}),
    7: frozenset({"E", "sums"}),
    8: frozenset({"E", "sums", "A"}),
    9: frozenset({"Vcopy", "A", "Z"}),
    10: frozenset({"Z", "concat"}),
    11: frozenset({"Zcopy", "concat", "WO", "O"}),
}


@dataclass(frozen=True)
class Box:
    """One matrix on screen: its item, where its block starts (the label column, the title line), its
    size, and the width of its label column and of each of its columns, in characters."""

    item: Item
    x: int
    y: int
    width: int
    height: int
    label_w: int
    col_w: tuple[int, ...]


@dataclass(frozen=True)
class Placement:
    """Every shown matrix's box and the size of the whole picture in characters."""

    boxes: tuple[Box, ...]
    width: int
    height: int


def _given_width(trace: Trace, it: Item, k: int) -> int:
    """A given's column k: as wide as its widest printed number, and a space."""
    m = trace[it.name]  # an item's rows and columns are the matrix's own, in either convention
    texts = [number_text(cell(m, i, k)) for i in range(it.rows)]
    return max(3, *(len(t) + 1 for t in texts))


def place(trace: Trace, items: Sequence[Item], height: int, width: int) -> Placement:
    """Character positions of these items on a grid of height × width units."""

    def cell_w(it: Item, k: int) -> float:
        return float(_given_width(trace, it, k) if it.given else CELL_W)

    def other_w(track: Track) -> float:
        return float(LABEL_W if track == "label" else SPACE_W)

    widths = [int(w) for w in sizes(items, width, "columns", cell_w, other_w)]
    heights = [int(h) for h in sizes(items, height, "rows", lambda it, k: 1.0, lambda t: 1.0)]
    xs = _starts(widths)
    ys = _starts(heights)
    boxes = []
    for it in items:
        x0, y0 = xs[it.left - 1], ys[it.top - GAP]
        cols = tuple(widths[it.left + k] for k in range(it.cols))
        boxes.append(Box(it, x0, y0, xs[it.right] - x0, ys[it.bottom] - y0, widths[it.left - 1], cols))
    return Placement(tuple(boxes), xs[-1], ys[-1])


def _starts(sizes_: Sequence[int]) -> list[int]:
    out = [0]
    for s in sizes_:
        out.append(out[-1] + s)
    return out


def whole(trace: Trace, canvas: Canvas) -> Placement:
    """The whole picture."""
    return place(trace, canvas.items(), canvas.height, canvas.width)


def step_items(canvas: Canvas, step: int, head: int | None) -> list[Item]:
    """The items the step view shows for one step of one head."""
    kinds = STEP_VIEW.get(step, frozenset())
    chosen = []
    for it in canvas.items():
        if it.kind not in kinds:
            continue
        if step < 10 and it.head not in (head, None) and it.kind not in ("X", "C"):
            continue
        chosen.append(it)
    return chosen


def compact(items: Iterable[Item]) -> tuple[list[Item], int, int]:
    """The items moved together: grid rows and columns that none of them uses are dropped."""
    chosen = list(items)
    rows = sorted({r for it in chosen for r in range(it.top - GAP, it.bottom)})
    cols = sorted({c for it in chosen for c in range(it.left - GAP, it.right)})
    row_at = {r: k for k, r in enumerate(rows)}
    col_at = {c: k for k, c in enumerate(cols)}
    moved = [replace(it, top=row_at[it.top], left=col_at[it.left]) for it in chosen]
    return moved, len(rows), len(cols)


def step_view(trace: Trace, canvas: Canvas, step: int, head: int | None) -> Placement:
    """One step's operands and result, in their places in the picture, pulled together."""
    items, height, width = compact(step_items(canvas, step, head))
    return place(trace, items, height, width)
