"""The printed surface of the layout: grid units to millimetres, and the crosses flowed onto pages.

bythand/layout.py decides which matrices form which cross and where each sits in grid units; this
module only sizes those grid rows and columns in millimetres (a cell column as wide as the widest key
value in it, never under the floor) and flows the crosses onto pages. A cross is cut only between its
stacked rows, never through a product's cross, and a head's crosses stay on one page where they fit.
Of all the arrangements tried (portrait or landscape, cuts, box sizes) a sheet gets the fewest pages,
then the fewest cuts, then the biggest boxes. Step 0 (embed + P = X), when there is one, runs across
the top of the first page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Literal

from ..errors import BythandError
from ..layout import GAP, Item, Panel, layout, sizes
from ..numbers import MINUS, Matrix, NumberMode, cell, format_number
from ..walk import MASKED, Trace
from .labels import display_mode, labels, matrix_mode
from .palette import base_name, colour, tint

PAPERS: dict[str, tuple[float, float]] = {"a4": (210.0, 297.0), "us-letter": (215.9, 279.4)}

# Millimetres. An answer box is never smaller than the floor: room for a handwritten 27/46, stacked.
MARGIN = 10.0
HEADER = 27.0  # the first page of a sheet: title, name and date, method, check line
STRIP = 7.0  # a continuation page's one-line header
FOOTER = 5.0
# The floor: the largest cell that still puts the classic (its attention cross is 12 cells across the
# page beside Q, K and V, and 23 cells and 7 titles down) on one A4 or US-letter page. Boxes grow
# beyond it wherever the page has room.
FLOOR_W, FLOOR_H = 11.0, 7.5
COPY_W = 8.0  # a column only a copy (V beside Z) uses: the student copies numbers already worked
GIVEN_W, GIVEN_H = 5.0, 5.5  # a given cell holds a small printed number
LABEL_W = 4.0  # the row labels left of a matrix (q1, k12, Σ)
SPACE_W = 2.5  # between a left operand and the product it sits beside
TITLE_H = 4.5
COLHEAD_H = 3.3  # the column labels above a matrix
SPACE_H = 2.0
CELL_PAD = 1.0  # each side of a printed value
BLOCK_GAP = 3.0  # between the pieces stacked in one column of a page
COLUMN_GAP = 5.0  # between columns of pieces
VALUE_PT, GIVEN_PT = 8.0, 8.5  # font sizes of answers (on the key) and of givens
GROWTH = tuple(1 + k / 20 for k in range(11))  # boxes grow (wider, then taller) by up to half on a roomy page

# Text widths in em of Libertinus Serif (the template's font), measured with typst.
_EM_MM = 25.4 / 72  # one point in millimetres
_CHAR_EM = {"−": 0.55, "-": 0.55, ".": 0.22, "∞": 0.79, "/": 0.33}
_DIGIT_EM = 0.4667
_MATH_DIGIT_EM = 0.5  # New Computer Modern Math, in a stacked fraction (at 0.9 of the size)

# The room each kind of box's title needs, in mm at 8 pt (step badge included): at least what typst
# prints (tests/test_pages.py measures every title of the examples and a few random sheets).
TITLE_MM = {
    "X": 16.0, "C": 26.0, "WQ": 17.0, "WK": 17.0, "WV": 17.0, "WO": 17.0,
    "Q": 21.0, "K": 21.0, "V": 21.0, "Qcopy": 18.0, "KT": 11.0, "S": 21.0,
    "scaled": 17.0, "scaled-mask": 44.0, "E": 17.0, "sums": 31.0, "sums-rows": 28.0,
    "A": 17.0, "Vcopy": 18.0, "Z": 19.0, "Zcopy": 18.0, "concat": 40.0, "O": 26.0,
    "embed": 41.0, "P": 28.0, "Xsum": 27.0, "Xcopy": 18.0,
}  # fmt: skip
HEAD_MM = 7.0  # "h2 ·" before a head's title

Orientation = Literal["portrait", "landscape"]
FILL_STEPS = {"Q": 2, "K": 2, "V": 2, "KT": 3, "S": 4, "scaled": 5, "E": 6, "sums": 7, "A": 8, "Z": 9}
FILL_STEPS |= {"concat": 10, "O": 11}
# Where a cross may be cut: before these rows of a stack (never between X and Q, Q and S, A and Z).
CUT_BEFORE = frozenset({"K", "C", "V", "scaled", "E", "sums", "A"})


def text_mm(text: str, pt: float) -> float:
    """The printed width of a number written as text."""
    return sum(_CHAR_EM.get(ch, _DIGIT_EM) for ch in text) * pt * _EM_MM


def value_mm(c: dict[str, Any] | None, pt: float) -> float:
    """The printed width of one cell's value (a stacked fraction or a number), without padding."""
    if c is None:
        return 0.0
    if "den" in c:
        num, den = c["num"], c["den"]
        digits = max(len(num.lstrip("−")), len(den))
        return ((digits + 0.5) * _MATH_DIGIT_EM + (0.9 if num.startswith("−") else 0)) * 0.9 * pt * _EM_MM
    return text_mm(c["text"], pt)


def _minus(text: str) -> str:
    return text.replace(MINUS, "−") if text.startswith(MINUS) else text


class Cells:
    """Every cell's value as printed on the key, and which cells are masked."""

    def __init__(self, trace: Trace) -> None:
        self.trace = trace
        self.mode: NumberMode = display_mode(trace, "auto")
        self._cache: dict[str, list[list[dict[str, Any]]]] = {}
        self._widest: dict[tuple[str, int, float], float] = {}

    def of(self, name: str) -> list[list[dict[str, Any]]]:
        """The key's cells of a matrix, row by row."""
        if name not in self._cache:
            m = self.trace[name]
            mode = matrix_mode(m, self.mode)
            self._cache[name] = [[self._cell(name, m, i, j, mode) for j in range(m.shape[1])]
                                 for i in range(m.shape[0])]  # fmt: skip
        return self._cache[name]

    def _cell(self, name: str, m: Matrix, i: int, j: int, mode: NumberMode) -> dict[str, Any]:
        v = cell(m, i, j)
        if self.masked(name, i, j):
            return {"text": "−∞" if isinstance(v, float) and v == MASKED else "0", "masked": True}
        if isinstance(v, Fraction) and "/" in format_number(v, mode):  # shown as a fraction: stack it
            return {"num": _minus(str(v.numerator)), "den": str(v.denominator)}
        return {"text": _minus(format_number(v, mode, 2))}

    def widest(self, name: str, k: int, pt: float) -> float:
        """The printed width of the widest value in column k of a matrix."""
        if (name, k, pt) not in self._widest:
            self._widest[name, k, pt] = max(value_mm(row[k], pt) for row in self.of(name))
        return self._widest[name, k, pt]

    def masked(self, name: str, i: int, j: int) -> bool:
        """A cell the causal mask set (−∞ in scaled, 0 in E and A): printed on every sheet."""
        if self.trace.options.mask != "causal" or base_name(name) not in ("scaled", "E", "A"):
            return False
        prefix = name[: -len(base_name(name))]
        return bool(self.trace[prefix + "scaled"][i, j] == MASKED)


def title_mm(item: Item, trace: Trace) -> float:
    """The room a box's title needs (an estimate the template enforces by shrinking a wider title)."""
    kind = item.kind
    if kind == "scaled" and trace.options.mask == "causal":
        kind = "scaled-mask"
    elif kind == "sums" and trace.options.convention == "rows":
        kind = "sums-rows"
    return TITLE_MM.get(kind, 20.0) + (HEAD_MM if item.head is not None else 0.0)


@dataclass(frozen=True)
class Sizer:
    """Grid rows and columns in millimetres at one growth factor of the answer boxes."""

    trace: Trace
    cells: Cells
    wider: float = 1.0  # growth of the answer cells' width over the floor
    taller: float = 1.0

    def _pt(self, it: Item) -> float:
        return GIVEN_PT if it.given else VALUE_PT

    def col_mm(self, it: Item, k: int) -> float:
        """Column k of an item: its widest value, the floor, and its share of its title's room."""
        widest = self.cells.widest(it.name, k, self._pt(it)) + 2 * CELL_PAD
        floor = GIVEN_W if it.given else COPY_W if it.copy else FLOOR_W * self.wider
        title = (title_mm(it, self.trace) - LABEL_W) / it.cols
        return max(widest, floor, title)

    def row_mm(self, it: Item, k: int) -> float:
        """Row k of an item: the floor (a stacked fraction fits under it)."""
        return GIVEN_H if it.given else FLOOR_H * self.taller

    def widths(self, items: Sequence[Item], count: int) -> list[float]:
        """Every grid column's width."""
        other = {"label": LABEL_W, "space": SPACE_W, "title": SPACE_W, "cell": FLOOR_W}
        return sizes(items, count, "columns", self.col_mm, other.__getitem__)

    def heights(self, items: Sequence[Item], count: int) -> list[float]:
        """Every grid row's height."""
        other = {"label": COLHEAD_H, "title": TITLE_H, "space": SPACE_H, "cell": FLOOR_H}
        return sizes(items, count, "rows", self.row_mm, other.__getitem__)


@dataclass
class Piece:
    """A run of a cross's stacked rows: one block to put on a page, sized in mm."""

    panel: int
    head: int | None
    items: list[Item]  # in the panel's grid units
    cols: range  # the panel's grid columns it spans
    rows: range  # ... and grid rows
    widths: list[float]  # mm of each of the panel's grid columns
    heights: list[float]
    panel_kind: str = ""
    signs: tuple[tuple[int, int, str], ...] = ()  # the panel's "+" and "=" (step 0), in its grid units
    page: int = 0
    x: float = 0.0  # top-left corner in mm, inside the page's margins
    y: float = 0.0

    @property
    def w(self) -> float:
        """Its width in mm."""
        return sum(self.widths[k] for k in self.cols)

    @property
    def h(self) -> float:
        """Its height in mm."""
        return sum(self.heights[k] for k in self.rows)


@dataclass
class PanelSizes:
    """One cross in mm, and the runs of stacked rows it may be cut into."""

    index: int
    panel: Panel
    widths: list[float]
    heights: list[float]
    entries: list[list[Item]]  # its stacked rows, in order along the stacking axis
    cuts: list[bool]  # cuts[i]: may the cross be cut before entry i?

    def piece(self, a: int, b: int) -> Piece:
        """Entries a..b-1 as one block, from its first title line and row-label column to its last cells."""
        items = [it for e in self.entries[a:b] for it in e]
        top = min(it.top for it in items) - GAP
        left = min(it.left for it in items) - 1
        bottom = max(it.bottom for it in items)
        right = max(it.right for it in items)
        return Piece(self.index, self.panel.head, items, range(left, right), range(top, bottom),
                     self.widths, self.heights, self.panel.kind, self.panel.signs)  # fmt: skip


def panel_sizes(canvas_panels: Sequence[Panel], sizer: Sizer, columns: bool) -> list[PanelSizes]:
    """Each cross in mm, with its stacked rows (entries) and where it may be cut."""
    out = []
    for index, panel in enumerate(canvas_panels):
        widths = sizer.widths(panel.items, panel.width)
        heights = sizer.heights(panel.items, panel.height)
        starts: dict[int, list[Item]] = {}
        for it in panel.items:  # the items of one stacked row share their start along the stack
            starts.setdefault(it.top if columns else it.left, []).append(it)
        entries = [starts[k] for k in sorted(starts)]
        cuts = [i > 0 and any(it.kind in CUT_BEFORE for it in e) for i, e in enumerate(entries)]
        out.append(PanelSizes(index, panel, widths, heights, entries, cuts))
    return out


@dataclass
class Page:
    """The area of one page left for the crosses, and its orientation."""

    orientation: Orientation
    width: float
    height: float
    pieces: list[Piece] = field(default_factory=list)


@dataclass(frozen=True)
class Arrangement:
    """A way to put a sheet on paper: its pages (with placed pieces) and the boxes' growth."""

    pages: list[Page]
    wider: float
    taller: float
    sizes: list[PanelSizes]
    cells: Cells


def content_area(paper: str, orientation: Orientation, first: bool) -> tuple[float, float]:
    """The width and height the crosses may use on a page."""
    w, h = PAPERS[paper]
    if orientation == "landscape":
        w, h = h, w
    return w - 2 * MARGIN, h - 2 * MARGIN - FOOTER - (HEADER if first else STRIP)


class NoFitError(Exception):
    """A block larger than a page."""


EPS = 1e-9


class _Flow:
    """Crosses onto pages, in a frame where the stacking axis runs down: (across, along) is (x, y) in
    the columns convention and (y, x) in the rows convention, whose crosses stack sideways."""

    def __init__(self, paper: str, orientation: Orientation, columns: bool) -> None:
        self.paper, self.orientation, self.columns = paper, orientation, columns
        self.pages: list[Page] = []
        self.cols: list[list[float]] = []  # this page's columns: [across position, across size, along used]
        self.band = 0.0  # along the top of this page: step 0 (embed + P = X), over every column

    def new_page(self) -> None:
        w, h = content_area(self.paper, self.orientation, not self.pages)
        self.pages.append(Page(self.orientation, w, h))
        self.cols.clear()
        self.band = 0.0

    def frame(self) -> tuple[float, float]:
        page = self.pages[-1]
        return (page.width, page.height) if self.columns else (page.height, page.width)

    def dims(self, p: Piece) -> tuple[float, float]:
        return (p.w, p.h) if self.columns else (p.h, p.w)

    def place(self, p: Piece, col: list[float]) -> None:
        across, along = col[0], col[2]
        p.page = len(self.pages) - 1
        p.x, p.y = (across, along) if self.columns else (along, across)
        self.pages[-1].pieces.append(p)
        col[1] = max(col[1], self.dims(p)[0])
        col[2] += self.dims(p)[1] + BLOCK_GAP

    def next_at(self) -> float:
        return self.cols[-1][0] + self.cols[-1][1] + COLUMN_GAP if self.cols else 0.0

    def open_column(self, size: float) -> list[float]:
        if not self.pages or self.next_at() + size > self.frame()[0] + EPS:
            self.new_page()
        self.cols.append([self.next_at(), 0.0, self.band])
        return self.cols[-1]

    def fits_beside(self, p: Piece) -> bool:
        across, along = self.frame()
        return self.next_at() + self.dims(p)[0] <= across + EPS and self.band + self.dims(p)[1] <= along + EPS

    def column_below(self, p: Piece) -> list[float] | None:
        across, along = self.frame()
        w, h = self.dims(p)
        for col in self.cols:
            room = across if col is self.cols[-1] else col[1]  # never into the next column's way
            if col[2] + h <= along + EPS and col[0] + w <= col[0] + room + EPS and col[0] + w <= across + EPS:
                return col
        return None

    def longest(self, ps: PanelSizes, i: int, col: list[float]) -> int:
        """The end of the longest run from entry i that fits in the column (i if none does)."""
        across, along = self.frame()
        for j in range(len(ps.entries), i, -1):
            if j == len(ps.entries) or ps.cuts[j]:
                w, h = self.dims(ps.piece(i, j))
                if col[2] + h <= along + EPS and col[0] + w <= across + EPS:
                    return j
        return i

    def panel(self, ps: PanelSizes) -> None:
        """One cross: beside the last as on paper, else under an earlier one with room, else cut
        between its stacked rows and continued in the next column (or page)."""
        if not self.pages:
            self.new_page()
        n = len(ps.entries)
        whole = ps.piece(0, n)
        if ps.panel.kind == "embed" and not self.cols and self.fits_beside(whole):
            self.place(whole, [0.0, 0.0, self.band])  # a band across the page: the crosses go under it
            self.band += self.dims(whole)[1] + COLUMN_GAP
            return
        if self.fits_beside(whole):
            self.place(whole, self.open_column(self.dims(whole)[0]))
            return
        below = self.column_below(whole)
        if below is not None:
            self.place(whole, below)
            return
        i = 0
        while i < n:
            col = self.open_column(self.dims(ps.piece(i, n))[0])
            j = self.longest(ps, i, col)
            if j == i:
                self.cols.pop()
                if not self.cols and len(self.pages) > 1:
                    raise NoFitError  # not even one stacked row fits a whole page
                self.new_page()
                col = self.open_column(self.dims(ps.piece(i, n))[0])
                j = self.longest(ps, i, col)
                if j == i:
                    raise NoFitError
            self.place(ps.piece(i, j), col)
            i = j

    def group(self, panels: list[PanelSizes], group: list[int]) -> None:
        """A head's crosses, moved to a fresh page rather than straddle two (unless one cannot hold them)."""
        start = len(self.pages)
        had_content = bool(self.pages and self.pages[-1].pieces)
        kept = [list(pg.pieces) for pg in self.pages]
        for k in group:
            self.panel(panels[k])
        spread = {p.page for pg in self.pages for p in pg.pieces if p.panel in group}
        if len(spread) > 1 and had_content:
            del self.pages[start:]
            for pg, pieces in zip(self.pages, kept, strict=True):
                pg.pieces[:] = pieces
            self.new_page()
            for k in group:
                self.panel(panels[k])


def flow(
    panels: list[PanelSizes], groups: list[list[int]], paper: str, orientation: Orientation, columns: bool
) -> list[Page]:
    """Put the crosses on pages, each group (one head's crosses) on one page where it fits."""
    f = _Flow(paper, orientation, columns)
    for group in groups:
        f.group(panels, group)
    return f.pages


def arrange(trace: Trace, paper: str) -> Arrangement:
    """The fewest pages at the floor, then the biggest boxes on that many pages (portrait first)."""
    canvas = layout(trace)
    columns = canvas.convention == "columns"
    cells = Cells(trace)
    groups: list[list[int]] = []
    for k, panel in enumerate(canvas.panels):
        before = canvas.panels[groups[-1][-1]].kind if groups else None
        if (before, panel.kind) in (("qkv", "attention"), ("embed", "qkv")):
            groups[-1].append(k)  # a head's attention cross stays with its Q, K, V (and step 0 with X)
        else:
            groups.append([k])

    def attempt(orientation: Orientation, wider: float, taller: float) -> Arrangement | None:
        sized = panel_sizes(canvas.panels, Sizer(trace, cells, wider, taller), columns)
        try:
            return Arrangement(flow(sized, groups, paper, orientation, columns), wider, taller, sized, cells)
        except NoFitError:
            return None

    def cost(a: Arrangement) -> tuple[int, int]:  # pages, then cuts through crosses
        return len(a.pages), sum(len(pg.pieces) for pg in a.pages)

    best: Arrangement | None = None
    for orientation in ("portrait", "landscape"):
        floor = attempt(orientation, 1.0, 1.0)
        if floor is None or (best is not None and cost(floor) > cost(best)):
            continue
        found = floor
        for wider in GROWTH[1:]:  # as wide as the pages allow, then as tall: never at a page or a cut
            more = attempt(orientation, wider, 1.0)
            if more is None or cost(more) > cost(floor):
                break
            found = more
        for taller in GROWTH[1:]:
            more = attempt(orientation, found.wider, taller)
            if more is None or cost(more) > cost(floor):
                break
            found = more
        bigger = best is not None and found.wider * found.taller > best.wider * best.taller
        if best is None or cost(found) < cost(best) or (cost(found) == cost(best) and bigger):
            best = found
    if best is None:
        raise BythandError("this problem is too large to print on a sheet; use fewer tokens or features")
    return best


def _title_room(piece: Piece, it: Item, xs: list[float]) -> float:
    """How far right a box's title may run: to the next box on its title line, or the piece's edge."""
    row = it.top - GAP
    end = xs[piece.cols.stop - piece.cols.start]
    for other in piece.items:
        if other is it or other.left <= it.left:
            continue
        if other.top - GAP <= row < other.bottom:
            end = min(end, xs[other.left - GAP - piece.cols.start])
    return end


def boxes(arrangement: Arrangement, trace: Trace, key: bool, fill: frozenset[str]) -> list[dict[str, Any]]:
    """Each page's boxes as the template draws them, every length in mm from the page's content corner."""
    cells = arrangement.cells
    pages = []
    for page_index, page in enumerate(arrangement.pages):
        top = HEADER if page_index == 0 else STRIP
        out: list[dict[str, Any]] = []
        signs_out: list[dict[str, Any]] = []
        for run, piece in enumerate(page.pieces):
            xs = [0.0]
            for k in piece.cols:
                xs.append(xs[-1] + piece.widths[k])
            ys = [0.0]
            for k in piece.rows:
                ys.append(ys[-1] + piece.heights[k])
            for it in sorted(piece.items, key=lambda i: (i.top, i.left)):
                c0, r0 = it.left - piece.cols.start, it.top - piece.rows.start
                x = piece.x + xs[c0 - 1]  # the row-label column
                y = top + piece.y + ys[r0 - GAP]  # the title line
                out.append(_box(it, trace, cells, key, fill, {
                    "x": round(x, 3),
                    "y": round(y, 3),
                    "lw": round(xs[c0] - xs[c0 - 1], 3),
                    "th": round(ys[r0 - 1] - ys[r0 - GAP], 3),
                    "hh": round(ys[r0] - ys[r0 - 1], 3),
                    "cws": [round(piece.widths[k], 3) for k in range(it.left, it.right)],
                    "chs": [round(piece.heights[k], 3) for k in range(it.top, it.bottom)],
                    "tw": round(_title_room(piece, it, xs) - xs[c0 - 1], 3),
                    "run": run,  # which uncut run of a cross on the page it belongs to
                }))  # fmt: skip
            signs = piece.signs if piece.panel_kind == "embed" else ()
            for row, col, sign in signs:  # step 0's "+" and "=" between its matrices
                if row in piece.rows and col in piece.cols:
                    c, r = col - piece.cols.start, row - piece.rows.start
                    x, y = piece.x + xs[c], top + piece.y + ys[r]
                    w, h = xs[c + 1] - xs[c], ys[r + 1] - ys[r]
                    signs_out.append(
                        {"sign": sign, "x": round(x, 3), "y": round(y, 3), "w": round(w, 3), "h": round(h, 3)}
                    )
        pages.append({"orientation": page.orientation, "boxes": out, "signs": signs_out})
    return pages


def _box(
    it: Item, trace: Trace, cells: Cells, key: bool, fill: frozenset[str], geometry: dict[str, Any]
) -> dict[str, Any]:
    """One matrix as the template draws it: its geometry, labels, colours and the cells shown."""
    name = it.name
    fill_name = {"Qcopy": "Q", "Vcopy": "V", "Zcopy": "Z", "Xcopy": "X", "Xsum": "X"}.get(
        it.kind, base_name(name)
    )
    filled = it.given or key or fill_name in fill or (it.kind == "Qcopy" and "KT" in fill)
    row_labels, col_labels = labels(trace, name)
    values = cells.of(name)
    shown = [[c if filled or c.get("masked") else None for c in row] for row in values]
    hue = colour(name)
    head = None if it.kind in ("X", "C", "Xcopy") else it.head  # shared by every head: no "h1 ·" on it
    p = trace.problem
    return {
        "name": name,
        "kind": it.kind,
        "step": it.step,
        "head": head,
        "colour": hue,
        "fill": tint(hue, 0.93 if filled and not it.given else 0.88),
        "rows": row_labels,
        "cols": col_labels,
        "cells": shown,
        "size": GIVEN_PT if it.given else VALUE_PT,
        "dk": p.d_k_of(p.heads[max(0, (head or 1) - 1)]),
        **geometry,
        "w": round(geometry["lw"] + sum(geometry["cws"]), 3),
        "h": round(geometry["th"] + geometry["hh"] + sum(geometry["chs"]), 3),
    }
