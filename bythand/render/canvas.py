"""The sheet on screen: the whole exercise on one canvas, placed by the shared layout model.

bythand.layout places every matrix in abstract grid units; this module only turns those units into
character cells (a cell column as wide as its widest number, a label column as wide as its labels,
one line per grid row) and draws each matrix there: title, column labels, row labels, cells."""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len
from rich.text import Text

from ..layout import Item, layout, sizes
from ..numbers import NumberMode
from ..walk import MASKED, Trace
from .labels import cell_text, display_mode, labels, matrix_mode
from .palette import masked_colour, terminal_colour
from .terminal import header

CELL_PAD = 2  # spaces before each number, so neighbouring cells never touch
SPACE = 3  # characters of a grid column between matrices
PRETTY = {"KT": "Kᵀ", "WQ": "W_Q", "WK": "W_K", "WV": "W_V", "WO": "W_O", "sums": "Σ"}
PRODUCTS = {  # the result's title in each convention: the cross it is the product of
    "Q": ("Q = W_Q·X", "Q = X·W_Q"),
    "K": ("K = W_K·{src}", "K = {src}·W_K"),
    "V": ("V = W_V·{src}", "V = {src}·W_V"),
    "S": ("S = Kᵀ·Q", "S = Q·Kᵀ"),
    "Z": ("Z = V·A", "Z = A·V"),
    "O": ("O = W_O·{out}", "O = {out}·W_O"),
}


@dataclass
class _Drawn:
    """One item's texts: its cells, its row and column labels."""

    item: Item
    cells: list[list[str]]
    rows: list[str]
    cols: list[str]


def _title(trace: Trace, it: Item) -> tuple[str, str]:
    """(full title, short title) of an item: "[4] S = Kᵀ·Q" and "[4] S"."""
    head, _, base = it.name.rpartition(".")
    prefix = f"{head}." if head else ""
    name = prefix + PRETTY.get(base, base)
    if it.copy:
        return f"{name} (copy)", name
    if it.given:
        return name, name
    columns = trace.options.convention == "columns"
    short = f"[{it.step}] {name}"
    if base == "X":  # step 0: X made from the tokens
        return f"{short} = embed + P" if "P" in trace.matrices else f"{short} = embed", short
    if base in PRODUCTS:
        src = "X" if trace.problem.C is None else "C"
        out = "concat" if "concat" in trace.matrices else "Z"
        formula = PRODUCTS[base][0 if columns else 1].format(src=src, out=out)
        return f"[{it.step}] {prefix}{formula}", short
    return short, short


def _drawn(trace: Trace, it: Item, numbers: NumberMode, precision: int) -> _Drawn:
    m = trace[it.name]
    mode = matrix_mode(m, display_mode(trace, numbers))
    texts = [[cell_text(m, i, j, mode, precision) for j in range(it.cols)] for i in range(it.rows)]
    rows, cols = labels(trace, it.name)
    return _Drawn(it, texts, rows, cols)


def _masked(trace: Trace, name: str, i: int, j: int) -> bool:
    """A cell the causal mask removed: −∞ in scaled, 0 from E on."""
    head, dot, base = name.rpartition(".")
    if trace.options.mask != "causal" or base not in ("scaled", "E", "A"):
        return False
    return bool(trace[f"{head}{dot}scaled"][i, j] == MASKED)


def _track_width(track: str) -> int:
    """Characters for a grid column without cells: a gap between matrices, or labels (widened below)."""
    return SPACE if track == "space" else 1


def sheet_lines(
    trace: Trace,
    *,
    numbers: NumberMode = "auto",
    precision: int = 2,
    plain: bool = False,
    color_system: str | None = "truecolor",
) -> list[Text]:
    """The header, then every matrix of the exercise where the layout model puts it."""
    canvas = layout(trace)
    items = canvas.items()
    drawn = {id(it): _drawn(trace, it, numbers, precision) for it in items}

    def cell_width(it: Item, k: int) -> float:  # the k-th column of an item: its widest number or label
        d = drawn[id(it)]
        return CELL_PAD + max(cell_len(d.cols[k]), *(cell_len(row[k]) for row in d.cells))

    widths = [int(w) for w in sizes(items, canvas.width, "columns", cell_width, _track_width)]
    for it in items:  # a label column is as wide as the row labels it holds
        k = it.left - 1
        widths[k] = max(widths[k], *(cell_len(r) for r in drawn[id(it)].rows))
    starts = [sum(widths[:k]) for k in range(len(widths) + 1)]
    total = starts[-1]
    chars = [[" "] * total for _ in range(canvas.height)]
    styles: list[list[str]] = [[""] * total for _ in range(canvas.height)]

    def put(row: int, x: int, text: str, style: str) -> None:
        for k, ch in enumerate(text):
            if 0 <= row < canvas.height and 0 <= x + k < total:
                chars[row][x + k] = ch
                styles[row][x + k] = "" if plain else style

    grey = masked_colour(color_system)
    # A title may run past its own matrix into blank space, up to the next matrix's title on that row.
    own = {id(it): (starts[it.left - 1], starts[it.right]) for it in items}
    for it in items:
        d = drawn[id(it)]
        hue = terminal_colour(it.name, color_system)
        body = f"dim {hue}" if it.copy else hue
        strong = f"bold {body}"
        label_x, right_x = own[id(it)]
        room = (
            min(
                [x for other in items if other.top == it.top and (x := own[id(other)][0]) > label_x]
                + [total + 1]
            )
            - 1
        )  # a space before the next title
        full, short = _title(trace, it)
        title = full if cell_len(full) <= max(room - label_x, right_x - label_x) else short
        put(it.top - 2, label_x, title[: max(room, right_x) - label_x], strong)
        for j in range(it.cols):
            x, w = starts[it.left + j], widths[it.left + j]
            put(it.top - 1, x, d.cols[j].rjust(w), strong)
        for i in range(it.rows):
            put(it.top + i, label_x, d.rows[i].rjust(widths[it.left - 1]), body)
            for j in range(it.cols):
                x, w = starts[it.left + j], widths[it.left + j]
                dim = _masked(trace, it.name, i, j)
                put(it.top + i, x, d.cells[i][j].rjust(w), grey if dim else body)
    lines = [*header(trace, plain), Text("")]
    for row_chars, row_styles in zip(chars, styles, strict=True):
        line = Text()
        run_start = 0
        for x in range(1, total + 1):
            if x == total or row_styles[x] != row_styles[run_start]:
                line.append("".join(row_chars[run_start:x]), style=row_styles[run_start])
                run_start = x
        line.rstrip()
        lines.append(line)
    return lines


def sheet_size(trace: Trace, numbers: NumberMode = "auto", precision: int = 2) -> tuple[int, int]:
    """(columns, lines) the sheet needs on screen, to choose it only where it fits."""
    lines = sheet_lines(trace, numbers=numbers, precision=precision, plain=True)
    return max(cell_len(line.plain) for line in lines), len(lines)


def sheet_fits(
    trace: Trace, columns: int, lines: int, numbers: NumberMode = "auto", precision: int = 2
) -> bool:
    """True when the sheet fits a terminal of `columns` × `lines` (one line kept for the prompt); a big
    problem is ruled out from its grid alone, before anything is drawn."""
    canvas = layout(trace)
    if canvas.width > columns or canvas.height + len(header(trace, True)) + 1 >= lines:
        return False  # every grid column takes at least a character, every grid row a line
    width, height = sheet_size(trace, numbers, precision)
    return width <= columns and height < lines
