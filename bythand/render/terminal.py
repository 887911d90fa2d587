"""The rich view of a Trace: each step with its number, title and formula, MatMuls as crosses."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

from rich.box import Box
from rich.columns import Columns
from rich.console import Console, Group, RenderableType
from rich.measure import Measurement
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from ..numbers import NumberMode, is_exact
from ..walk import MASKED, Product, Step, Trace
from .labels import cell_text, display_mode, labels, matrix_mode
from .palette import MASKED_STYLE, base_name, colour
from .work import WorkBudget, work_lines

GAP = 2  # spaces between the tables of a cross
# A matrix is a box with a header rule and no inner lines: compact enough for crosses in 80 columns.
OPEN = Box("╭──╮\n│  │\n├──┤\n│  │\n├──┤\n├──┤\n│  │\n╰──╯\n")
OPEN_ASCII = Box("+--+\n|  |\n|--|\n|  |\n|--|\n|--|\n|  |\n+--+\n", ascii=True)


class View:
    """Rendering settings shared by every table of one trace."""

    def __init__(self, trace: Trace, numbers: NumberMode, precision: int, plain: bool) -> None:
        self.trace = trace
        self.mode = display_mode(trace, numbers)
        self.precision = precision
        self.plain = plain
        self.box = OPEN_ASCII if plain else OPEN

    def texts(self, name: str) -> list[list[str]]:
        """Every cell of a matrix as shown."""
        m = self.trace[name]
        mode = matrix_mode(m, self.mode)
        return [
            [cell_text(m, i, j, mode, self.precision) for j in range(m.shape[1])] for i in range(m.shape[0])
        ]

    def widths(self, names: Iterable[str]) -> tuple[int, int]:
        """(label width, cell width) wide enough for every matrix named: shared so crosses align."""
        label_w, cell_w = 1, 1
        for name in names:
            rows, cols = labels(self.trace, name)
            label_w = max(label_w, *(len(r) for r in rows))
            cell_w = max(cell_w, *(len(c) for c in cols))
            for row in self.texts(name):
                cell_w = max(cell_w, *(len(t) for t in row))
        return label_w, cell_w

    def table(self, name: str, widths: tuple[int, int], title: str | None = None) -> Table:
        """One matrix as a table with labelled rows and columns, in its role's colour."""
        rows, cols = labels(self.trace, name)
        hue = "" if self.plain else colour(name)
        t = Table(
            title=title or name,
            title_style=f"bold {hue}".strip(),
            box=self.box,
            border_style=hue,
            header_style=f"bold {hue}".strip(),
            show_edge=True,
            pad_edge=True,
            padding=(0, 0, 0, 1),
        )
        label_w, cell_w = widths
        t.add_column("", justify="right", style=hue, width=label_w, no_wrap=True)
        for c in cols:
            t.add_column(c, justify="right", width=cell_w, no_wrap=True)
        t.add_column("", width=0)  # a space before the right edge
        texts = self.texts(name)
        for i, label in enumerate(rows):
            cells: list[Text | str] = [label]
            for j, text in enumerate(texts[i]):
                masked = self._masked(name, i, j)
                cells.append(Text(text, style=MASKED_STYLE if masked and not self.plain else ""))
            t.add_row(*cells, "")
        return t

    def _masked(self, name: str, i: int, j: int) -> bool:
        """True for a cell the causal mask removed (−∞ in scaled, 0 after it)."""
        if self.trace.options.mask != "causal" or base_name(name) not in ("scaled", "E", "A"):
            return False
        return bool(self.trace[_sibling(name, "scaled")][i, j] == MASKED)


def _cross(view: View, products: Sequence[Product]) -> Table:
    """The by-hand cross: right operand above, left operand to the left, product where they cross.

    Products that share their right operand (W·X in columns) stack down the left under one top;
    products that share their left operand (X·W in rows) sit side by side under their tops.
    """
    names = {n for p in products for n in (p.left, p.right, p.result)}
    widths = view.widths(names)
    grid = Table.grid(padding=(0, GAP))
    if len({p.right for p in products}) == 1:
        grid.add_column(justify="right")
        grid.add_column()
        grid.add_row("", view.table(products[0].right, widths))
        for p in products:
            grid.add_row(view.table(p.left, widths), view.table(p.result, widths, _product_title(p)))
        return grid
    grid.add_column(justify="right")
    for _ in products:
        grid.add_column()
    grid.add_row("", *(view.table(p.right, widths) for p in products))
    grid.add_row(
        view.table(products[0].left, widths),
        *(view.table(p.result, widths, _product_title(p)) for p in products),
    )
    return grid


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


def _stack(view: View, product: Product) -> Group:
    """A product too wide for a cross: right operand, left operand, product, one under another."""
    widths = view.widths((product.left, product.right, product.result))
    return Group(
        view.table(product.right, widths),
        view.table(product.left, widths),
        view.table(product.result, widths, _product_title(product)),
    )


def _fits(renderable: RenderableType, width: int) -> bool:
    console = Console(width=10_000, file=io.StringIO())
    return Measurement.get(console, console.options, renderable).maximum <= width


def _body(view: View, step: Step, width: int) -> RenderableType:
    """The matrices of one step, laid out as they are worked by hand."""
    if step.products:
        parts: list[RenderableType] = []
        for group in _groups(step.products):
            cross = _cross(view, group)
            if _fits(cross, width):
                parts.append(cross)
                continue
            for p in group:
                single = _cross(view, [p])
                parts.append(single if _fits(single, width) else _stack(view, p))
        return parts[0] if len(parts) == 1 else Group(*parts)
    if step.number == 7:  # the sums under E, columns aligned, as written on paper
        e_name, sums_name = _sibling(step.names[0], "E"), step.names[0]
        widths = view.widths((e_name, sums_name))
        if view.trace.options.convention == "columns":
            return Group(view.table(e_name, widths), view.table(sums_name, widths))
        grid = Table.grid(padding=(0, GAP))
        grid.add_row(view.table(e_name, widths), view.table(sums_name, widths))
        return grid
    widths = view.widths(step.names)
    tables = [view.table(n, widths) for n in step.names]
    if len(tables) == 1:
        return tables[0]
    return Columns(tables, padding=(0, GAP))


def _sibling(name: str, base: str) -> str:
    """The matrix `base` of the same head as `name`: ("h2.sums", "E") -> "h2.E"."""
    head, dot, _ = name.rpartition(".")
    return f"{head}{dot}{base}"


def header(trace: Trace, plain: bool) -> RenderableType:
    """The problem's title, the method in words, and the notes."""
    o = trace.options
    scale = {"sqrt": f"÷√{trace.problem.d_k}", "floor-half": "⌊x/2⌋", "none": "no scaling"}[o.scale]
    exp = "e^x" if o.base is None else f"{o.base}^x"
    numbers = "exact fractions" if trace.exact else "decimals"
    method = f"{o.convention} convention · scale {scale} · {exp} · mask {o.mask} · {numbers}"
    lines: list[RenderableType] = [
        Text(trace.problem.title, style="" if plain else "bold"),
        Text(method, style="" if plain else "dim"),
    ]
    lines.extend(Text(f"Note: {note}", style="" if plain else "italic") for note in trace.notes)
    return Group(*lines)


def render(
    trace: Trace,
    *,
    steps: Iterable[int] | None = None,
    numbers: NumberMode = "auto",
    precision: int = 2,
    plain: bool = False,
    width: int = 80,
    show_work: bool = False,
) -> list[RenderableType]:
    """The renderables for the chosen steps (all nine by default), each fitted to `width`."""
    view = View(trace, numbers, precision, plain)
    chosen = set(steps) if steps is not None else None
    out: list[RenderableType] = [header(trace, plain)]
    budget = WorkBudget()
    for step in trace.steps:
        if chosen is not None and step.number not in chosen:
            continue
        hue = "" if plain else colour(step.names[-1])
        head = step.names[-1].rpartition(".")[0]
        title = f" {head + ' · ' if head else ''}Step {step.number} · {step.title} "
        out.append(Text(""))
        out.append(
            Rule(
                Text(title, style=f"bold {hue}".strip()),
                align="left",
                characters="-" if plain else "─",
                style=hue,
            )
        )
        out.append(Text(step.formula, style="" if plain else "italic"))
        out.append(_body(view, step, width))
        if show_work:
            out += work_lines(trace, step, budget, precision, plain)
    return out


def min_width(renderables: Sequence[RenderableType]) -> int:
    """The width below which some table would have to be cut."""
    console = Console(width=10_000, file=io.StringIO())
    return max(Measurement.get(console, console.options, r).minimum for r in renderables)


def exact_label(trace: Trace) -> str:
    """ "exact" or "decimal", for the summary line."""
    return "exact" if all(is_exact(m) for m in trace.matrices.values()) else "decimal"
