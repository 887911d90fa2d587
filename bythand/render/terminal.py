"""The terminal view of a Trace: each step with its number, title and formula, MatMuls as crosses.

Tables are laid out here as lines of rich Text (fixed-width cells, box drawing by hand) rather than
with rich.Table: a trace has dozens of small matrices, and this keeps `bythand run` instant.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from rich.cells import cell_len
from rich.text import Text

from ..numbers import NumberMode
from ..walk import MASKED, Product, Step, Trace
from .labels import cell_text, display_mode, labels, matrix_mode, method_text, step_heading
from .palette import MASKED_STYLE, base_name, colour

GAP = 2  # spaces between the matrices of a cross
MAX_ROWS, MAX_COLS = 16, 10  # beyond these a matrix is shown with its middle elided (⋯), unless --full
ELLIPSIS = "⋯"


@dataclass(frozen=True)
class BoxChars:
    """The characters that draw a matrix's frame."""

    top: str  # left corner, line, right corner
    side: str
    rule: str  # under the column headings
    bottom: str


ROUNDED = BoxChars("╭─╮", "│", "├─┤", "╰─╯")
ASCII = BoxChars("+-+", "|", "|-|", "+-+")


@dataclass
class Block:
    """A rectangle of styled lines, `width` cells wide."""

    lines: list[Text]
    width: int

    def padded(self, row: int, align: str = "left", width: int | None = None) -> Text:
        """Line `row` padded with spaces to `width` (blank past the last line)."""
        target = self.width if width is None else width
        line = self.lines[row].copy() if row < len(self.lines) else Text()
        space = " " * (target - cell_len(line.plain))
        return Text(space).append_text(line) if align == "right" else line.append(space)


def hjoin(blocks: Sequence[Block], aligns: Sequence[str] | None = None, gap: int = GAP) -> Block:
    """Blocks side by side, top-aligned."""
    height = max(len(b.lines) for b in blocks)
    lines = []
    for row in range(height):
        line = Text()
        for k, b in enumerate(blocks):
            if k:
                line.append(" " * gap)
            line.append_text(b.padded(row, aligns[k] if aligns else "left"))
        lines.append(line)
    return Block(lines, sum(b.width for b in blocks) + gap * (len(blocks) - 1))


def vjoin(blocks: Sequence[Block]) -> Block:
    """Blocks one under another."""
    return Block([line for b in blocks for line in b.lines], max(b.width for b in blocks))


def widen(block: Block, width: int, align: str = "left") -> Block:
    """The block padded to `width` (on the left when right-aligned)."""
    return Block([block.padded(r, align, width) for r in range(len(block.lines))], max(width, block.width))


def visible(count: int, limit: int | None) -> list[int | None]:
    """The indices to show: all of them, or the first and last few around a None for "⋯"."""
    if limit is None or count <= limit:
        return list(range(count))
    head = (limit + 1) // 2
    return [*range(head), None, *range(count - (limit - head), count)]


class View:
    """Rendering settings shared by every matrix of one trace."""

    def __init__(
        self,
        trace: Trace,
        numbers: NumberMode,
        precision: int,
        plain: bool,
        full: bool = False,
        width: int | None = None,
    ) -> None:
        self.trace = trace
        self.mode = display_mode(trace, numbers)
        self.precision = precision
        self.plain = plain
        self.full = full
        self.box = ASCII if plain else ROUNDED
        self.elided = False
        self.width = width
        self._texts: dict[tuple[str, int | None], list[list[str]]] = {}
        self._limits: dict[str, int | None] = {}

    def style(self, name: str, bold: bool = False) -> str:
        """The matrix's role colour (nothing when plain)."""
        if self.plain:
            return ""
        return f"bold {colour(name)}" if bold else colour(name)

    def shown(self, name: str) -> tuple[list[int | None], list[int | None]]:
        """The row and column indices of a matrix that are shown."""
        rows, cols = self.trace[name].shape
        shown = visible(rows, None if self.full else MAX_ROWS), visible(cols, self.col_limit(name))
        self.elided = self.elided or None in shown[0] or None in shown[1]
        return shown

    def col_limit(self, name: str) -> int | None:
        """How many columns of a big matrix are shown (None: all of them)."""
        return None if self.full else self._limits.get(name, MAX_COLS)

    def fit_columns(self, names: Iterable[str]) -> None:
        """Keep as many columns as let each of these matrices fit the width; one count for all of them,
        so that matrices stacked in a cross keep their columns aligned."""
        big = [n for n in names if self.trace[n].shape[1] > MAX_COLS]
        if self.full or not big or self.width is None:
            return
        for n in big:
            self._limits[n] = MAX_COLS
        label_w, cell_w = self.widths(big)  # from the cells MAX_COLS would show
        fits = (self.width - 5 - label_w) // (2 + cell_w)  # the frame, the labels and the "⋯" column
        for n in big:
            self._limits[n] = max(2, min(MAX_COLS, fits - 1))

    def texts(self, name: str) -> list[list[str]]:
        """The shown cells of a matrix, as text ("⋯" where elided)."""
        key = (name, self.col_limit(name))
        if key not in self._texts:
            m = self.trace[name]
            mode = matrix_mode(m, self.mode)
            rows, cols = self.shown(name)
            self._texts[key] = [
                [
                    ELLIPSIS if i is None or j is None else cell_text(m, i, j, mode, self.precision)
                    for j in cols
                ]
                for i in rows
            ]
        return self._texts[key]

    def labels(self, name: str) -> tuple[list[str], list[str]]:
        """The shown row and column labels of a matrix."""
        row_labels, col_labels = labels(self.trace, name)
        rows, cols = self.shown(name)
        return (
            [ELLIPSIS if i is None else row_labels[i] for i in rows],
            [ELLIPSIS if j is None else col_labels[j] for j in cols],
        )

    def widths(self, names: Iterable[str]) -> tuple[int, int]:
        """(label width, cell width) wide enough for every matrix named: shared so crosses align."""
        label_w, cell_w = 1, 1
        for name in names:
            rows, cols = self.labels(name)
            label_w = max(label_w, *(cell_len(r) for r in rows))
            cell_w = max(cell_w, *(cell_len(c) for c in cols))
            for row in self.texts(name):
                cell_w = max(cell_w, *(cell_len(t) for t in row))
        return label_w, cell_w

    def table(self, name: str, widths: tuple[int, int], title: str | None = None) -> Block:
        """One matrix in a frame, its rows and columns labelled, in its role's colour."""
        row_labels, col_labels = self.labels(name)
        rows, cols = self.shown(name)
        label_w, cell_w = widths
        hue, strong = self.style(name), self.style(name, bold=True)
        grey = "" if self.plain else MASKED_STYLE
        inner = 1 + label_w + len(cols) * (2 + cell_w) + 2
        b = self.box
        lines = [
            Text((title or name).center(inner + 2), style=strong),
            Text(b.top[0] + b.top[1] * inner + b.top[2], style=hue),
        ]
        heading = Text(b.side, style=hue).append(" " * (1 + label_w))
        for col_label in col_labels:
            heading.append("  " + col_label.rjust(cell_w), style=strong)
        lines.append(heading.append("  " + b.side, style=hue))
        lines.append(Text(b.rule[0] + b.rule[1] * inner + b.rule[2], style=hue))
        texts = self.texts(name)
        for r, (i, label) in enumerate(zip(rows, row_labels, strict=True)):
            line = Text(b.side, style=hue).append(" " + label.rjust(label_w), style=hue)
            for c, j in enumerate(cols):
                dim = i is None or j is None or self._masked(name, i, j)
                shown = texts[r][c]
                pad = " " * (cell_w - cell_len(shown))  # ⋯ and −∞ are one cell wide, like digits
                line.append("  " + pad + shown, style=grey if dim else "")
            lines.append(line.append("  " + b.side, style=hue))
        lines.append(Text(b.bottom[0] + b.bottom[1] * inner + b.bottom[2], style=hue))
        return Block(lines, inner + 2)

    def _masked(self, name: str, i: int, j: int) -> bool:
        """True for a cell the causal mask removed (−∞ in scaled, 0 after it)."""
        if self.trace.options.mask != "causal" or base_name(name) not in ("scaled", "E", "A"):
            return False
        return bool(self.trace[_sibling(name, "scaled")][i, j] == MASKED)


def _cross(view: View, products: Sequence[Product]) -> Block:
    """The by-hand cross: right operand above, left operand to the left, product where they cross.

    Products that share their right operand (W·X in columns) stack down the left under one top;
    products that share their left operand (X·W in rows) sit side by side under their tops.
    """
    widths = view.widths({n for p in products for n in (p.left, p.right, p.result)})
    results = [view.table(p.result, widths, _product_title(p)) for p in products]
    if len({p.right for p in products}) == 1:
        lefts = [view.table(p.left, widths) for p in products]
        left_w = max(b.width for b in lefts)
        top = view.table(products[0].right, widths)
        rows = [hjoin([Block([], left_w), top])]
        rows += [
            hjoin([widen(left, left_w, "right"), result]) for left, result in zip(lefts, results, strict=True)
        ]
        return vjoin(rows)
    tops = [view.table(p.right, widths) for p in products]
    columns = [max(t.width, r.width) for t, r in zip(tops, results, strict=True)]
    left = view.table(products[0].left, widths)
    upper = hjoin([Block([], left.width), *(widen(t, w) for t, w in zip(tops, columns, strict=True))])
    lower = hjoin([left, *(widen(r, w) for r, w in zip(results, columns, strict=True))])
    return vjoin([upper, lower])


def _groups(products: Sequence[Product]) -> list[list[Product]]:
    """Consecutive products that can share one cross (the same top, or the same left operand)."""
    groups: list[list[Product]] = []
    for p in products:
        last = groups[-1] if groups else None
        if last and (all(q.right == p.right for q in last) or all(q.left == p.left for q in last)):
            last.append(p)
        else:
            groups.append([p])
    return groups


def _product_title(p: Product) -> str:
    pretty = {"KT": "Kᵀ", "WQ": "W_Q", "WK": "W_K", "WV": "W_V", "WO": "W_O"}

    def show(name: str) -> str:
        head, _, base = name.rpartition(".")
        return (head + "." if head else "") + pretty.get(base, base)

    return f"{p.result} = {show(p.left)}·{show(p.right)}"


def _stack(view: View, product: Product) -> Block:
    """A product too wide for a cross: right operand, left operand, product, one under another."""
    widths = view.widths((product.left, product.right, product.result))
    return vjoin([
        view.table(product.right, widths),
        view.table(product.left, widths),
        view.table(product.result, widths, _product_title(product)),
    ])  # fmt: skip


def flow(blocks: Sequence[Block], width: int) -> Block:
    """Blocks left to right, wrapping onto a new row when the next would pass `width`."""
    rows: list[list[Block]] = [[]]
    used = 0
    for b in blocks:
        if rows[-1] and used + GAP + b.width > width:
            rows.append([])
        used = b.width if not rows[-1] else used + GAP + b.width
        rows[-1].append(b)
    return vjoin([hjoin(row) for row in rows])


def _body(view: View, step: Step, width: int) -> Block:
    """The matrices of one step, laid out as they are worked by hand."""
    if step.products:
        parts: list[Block] = []
        for group in _groups(step.products):
            view.fit_columns({n for p in group for n in (p.left, p.right, p.result)})
            cross = _cross(view, group)
            if cross.width <= width:
                parts.append(cross)
                continue
            for p in group:
                single = _cross(view, [p])
                parts.append(single if single.width <= width else _stack(view, p))
        return vjoin(parts)
    if step.number == 0:  # embed + P = X side by side, as written on paper (stacked if too wide)
        view.fit_columns(step.names)
        shared = view.widths(step.names)  # one width for all when stacked, so the columns line up
        own = [view.table(n, view.widths([n])) for n in step.names]  # side by side, rows line up anyway
        middle = (len(own[0].lines) + 2) // 2  # level with the middle row of numbers
        parts = [own[0]]
        for sign, table in zip(("+", "=") if len(own) == 3 else ("=",), own[1:], strict=True):
            parts += [Block([Text("")] * middle + [Text(sign, style="" if view.plain else "bold")], 1), table]
        row = hjoin(parts, gap=1)
        return row if row.width <= width else flow([view.table(n, shared) for n in step.names], width)
    if step.number == 7:  # the sums under E (beside it in rows), columns aligned, as written on paper
        e_name, sums_name = _sibling(step.names[0], "E"), step.names[0]
        view.fit_columns((e_name, sums_name))
        widths = view.widths((e_name, sums_name))
        tables = [view.table(e_name, widths), view.table(sums_name, widths)]
        return vjoin(tables) if view.trace.options.convention == "columns" else hjoin(tables)
    view.fit_columns(step.names)
    widths = view.widths(step.names)
    return flow([view.table(n, widths) for n in step.names], width)


def _sibling(name: str, base: str) -> str:
    """The matrix `base` of the same head as `name`: ("h2.sums", "E") -> "h2.E"."""
    head, dot, _ = name.rpartition(".")
    return f"{head}{dot}{base}"


def header(trace: Trace, plain: bool) -> list[Text]:
    """The problem's title, the method in words, and the notes."""
    lines = [
        Text(trace.problem.title, style="" if plain else "bold"),
        Text(method_text(trace), style="" if plain else "dim"),
    ]
    lines += [Text(f"Note: {note}", style="" if plain else "italic") for note in trace.notes]
    return lines


def rule(heading: str, width: int, style: str, plain: bool) -> Text:
    """A step's heading line: " Step 4 · MatMul  ─────"."""
    title = f" {heading} "
    line = Text(title, style=f"bold {style}".strip())
    return line.append(" " + ("-" if plain else "─") * max(3, width - cell_len(title) - 1), style=style)


def render(
    trace: Trace,
    *,
    steps: Iterable[int] | None = None,
    numbers: NumberMode = "auto",
    precision: int = 2,
    plain: bool = False,
    width: int = 80,
    full: bool = False,
    show_work: bool = False,
) -> list[Text]:
    """The lines of the view for the chosen steps (all by default); crosses fitted to `width`."""
    view = View(trace, numbers, precision, plain, full, width)
    chosen = set(steps) if steps is not None else None
    lines = header(trace, plain)
    work = _work_for(trace, precision, plain) if show_work else None
    for step in trace.steps:
        if chosen is not None and step.number not in chosen:
            continue
        hue = "" if plain else colour(step.names[-1])
        lines += [Text(""), rule(step_heading(step), width, hue, plain)]
        lines.append(Text(step.formula, style="" if plain else "italic"))
        lines += _body(view, step, width).lines
        if work is not None:
            lines += work(step)
    if view.elided:
        note = f"Note: {ELLIPSIS} marks rows and columns left out; --full shows every cell"
        lines.insert(2, Text(note, style="" if plain else "italic"))
    for line in lines:
        line.rstrip()
    return lines


def _work_for(trace: Trace, precision: int, plain: bool) -> Callable[[Step], list[Text]]:
    """--show-work's lines under each step, from one budget; the explanations load only when asked for."""
    from .work import WorkBudget, step_work

    budget = WorkBudget()

    def lines(step: Step) -> list[Text]:
        work = step_work(trace, step, budget, precision)
        if work is None:
            return []
        out = [Text("Work:", style="" if plain else "bold")] if work.cells else []
        for name, explained in work.cells:
            out += [Text("  " + line, style="" if plain else colour(name)) for line in explained]
        if work.stop is not None:
            out.append(Text(work.stop, style="" if plain else "italic"))
        return out

    return lines


def min_width(lines: Sequence[Text]) -> int:
    """The widest line: below this width a table would have to be cut."""
    return max(cell_len(line.plain) for line in lines)
