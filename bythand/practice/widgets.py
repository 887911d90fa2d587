"""The practice screen's widgets: an entry cell, a matrix block, and the read-only blocks around them."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static

from ..explain import PRETTY, Cell
from ..render.labels import labels
from ..render.palette import VERDICT_MARKS, VERDICT_STYLES, colour
from ..walk import Trace
from .geometry import Box

TYPED = set("0123456789/.-−+∞infINF ")  # what a number, a fraction or −∞ is typed with
SHOWN = 7  # characters of an entry shown in its cell
MARKS = {**VERDICT_MARKS, "blank": " "}  # check's own marks: ✓ → ✗, and ? for a cell that is no number
MARK_STYLES = {**VERDICT_STYLES, "blank": ""}


class EntryCell(Widget, can_focus=True):
    """One cell to fill in: typing edits it, the screen marks it."""

    DEFAULT_CSS = """
    EntryCell { width: 9; height: 1; }
    """

    text: reactive[str] = reactive("", layout=False)
    mark: reactive[str | None] = reactive(None, layout=False)  # check's verdict, or None (an exam)
    locked: reactive[bool] = reactive(False, layout=False)
    revealed: reactive[bool] = reactive(False, layout=False)

    @dataclass
    class Edited(Message):
        """The student changed a cell's text."""

        entry: EntryCell
        cell: Cell
        text: str

    def __init__(self, c: Cell, width: int, prefilled: bool) -> None:
        super().__init__(classes="prefilled" if prefilled else None)
        self.cell = c
        self.prefilled = prefilled
        self.fresh = True  # the first key typed after arriving replaces the cell, as in a spreadsheet
        self.can_focus = not prefilled
        self.styles.width = width

    def render(self) -> Text:
        """The text, right-aligned, then the mark."""
        shown = self.text.replace("-", "−")
        if len(shown) > SHOWN:
            shown = "…" + shown[-(SHOWN - 1) :]
        if not shown:
            shown = "·" if not self.locked else "░"
        body = Text(
            f"{shown:>{SHOWN}}", style="dim" if not self.text else ("italic" if self.revealed else "")
        )
        # a cell given already worked (a masked score, a --fill step) is printed, not marked
        glyph = MARKS.get(self.mark or "", " ") if self.mark and not self.prefilled else " "
        out = body + Text(glyph, style=MARK_STYLES.get(self.mark or "", ""))
        return out

    def on_focus(self) -> None:
        self.fresh = True

    def on_key(self, event: events.Key) -> None:
        """Digits, /, ., minus and −∞ go into the cell; Backspace and Delete clear."""
        if self.locked or self.prefilled:
            return
        new: str | None = None
        if event.key == "backspace":
            new = self.text[:-1]
        elif event.key == "delete":
            new = ""
        elif event.character and event.character in TYPED and event.is_printable:
            new = event.character if self.fresh else self.text + event.character
        if new is None:
            return
        event.stop()
        event.prevent_default()
        self.fresh = False
        self.text = new
        self.post_message(self.Edited(self, self.cell, new))


def fit(text: str, width: int) -> str:
    """Text right-aligned in a column: under an entry's text in a cell column, else one space after."""
    gap = 2 if width >= 9 else 1
    return f"{text:>{width - gap}}{' ' * gap}"[-width:] if len(text) < width else text[:width]


def _pretty(name: str) -> str:
    head, dot, base = name.rpartition(".")
    return head + dot + PRETTY.get(base, base)


def title_of(trace: Trace, box: Box) -> str:
    """A matrix's title on screen: its step and formula ("4 S = Kᵀ·Q"), a given's name alone."""
    it = box.item
    if it.given or it.copy:
        return _pretty(it.name)
    columns = trace.options.convention == "columns"
    o = trace.options
    p = it.name[: -len(it.kind)] if it.name.endswith(it.kind) else ""
    source = "C" if "C" in trace.matrices else "X"
    multi = len(trace.problem.heads) > 1
    products = {
        "Q": ("W_Q", "X"),
        "K": ("W_K", source),
        "V": ("W_V", source),
        "S": ("Kᵀ", "Q"),
        "Z": ("V", "A"),
        "O": ("W_O", "concat" if multi else "Z"),
    }
    if it.kind in products:
        a, b = products[it.kind]
        formula = f"{a}·{b}" if columns else f"{b}·{a}"
        if it.kind == "S" and not columns:
            formula = "Q·Kᵀ"
    else:
        base = "e" if o.base is None else str(o.base)
        formula = {
            "KT": "Kᵀ",
            "scaled": {"floor-half": "⌊S/2⌋", "sqrt": f"S/√{trace.problem.d_k}", "none": "S"}[o.scale],
            "E": f"{base}^x",
            "sums": "Σ E",
            "A": "E/Σ",
            "concat": "heads' Z",
        }.get(it.kind, "")
    name = p + PRETTY.get(it.kind, it.kind)
    text = f"{it.step} {name}" + (f" = {formula}" if formula and formula != PRETTY.get(it.kind) else "")
    return text


class Block(Widget):
    """One matrix: its title, column labels, row labels and cells, at its place in the picture.

    A matrix to fill is a grid of entry cells; a given or a copy is one piece of text (fewer widgets
    make the screen start and redraw faster)."""

    DEFAULT_CSS = """
    Block { position: absolute; height: auto; }
    Block.-answered { layout: grid; }
    Block > .head { column-span: 99; width: 1fr; height: 2; }
    Block > .label { height: 1; }
    Block > .text { width: 1fr; height: auto; }
    """

    def __init__(self, trace: Trace, box: Box, entries: dict[Cell, EntryCell] | None) -> None:
        super().__init__(
            id=f"block-{box.item.kind}-{box.item.name.replace('.', '-')}",
            classes="-answered" if entries is not None else None,
        )
        self.trace = trace
        self.box = box
        self.entries = entries  # the answered matrix's cells; None for a given or a copy
        self.hue = colour(box.item.name)
        self.head = Static(markup=False, classes="head" if entries is not None else "text")
        self.texts: list[list[str]] = [["" for _ in range(box.item.cols)] for _ in range(box.item.rows)]

    def compose(self) -> ComposeResult:
        it = self.box.item
        rows, _ = labels(self.trace, it.name)
        yield self.head
        if self.entries is not None:
            for i in range(it.rows):
                yield Static(Text(rows[i], style=f"bold {self.hue}"), classes="label")
                for j in range(it.cols):
                    yield self.entries[Cell(it.name, i, j)]
        self.place(self.box)

    def _heading(self) -> Text:
        box, it = self.box, self.box.item
        title = title_of(self.trace, box)
        text = Text(title[: max(box.width, 12)], style=f"bold {self.hue}")
        _, cols = labels(self.trace, it.name)
        head = " " * box.label_w
        if it.kind != "sums":
            head += "".join(fit(c, w) for c, w in zip(cols, box.col_w, strict=True))
        text.append("\n" + head, style=f"bold {self.hue}")
        return text

    def _body(self) -> Text:
        """A given's or a copy's whole text: heading, then each row with its label."""
        box, it = self.box, self.box.item
        rows, _ = labels(self.trace, it.name)
        text = self._heading()
        for i in range(it.rows):
            text.append("\n" + f"{rows[i]:<{box.label_w}}", style=f"bold {self.hue}")
            for j in range(it.cols):
                value = self.texts[i][j]
                text.append(fit(value or "·", box.col_w[j]), style="" if value else "dim")
        return text

    def place(self, box: Box) -> None:
        """Move and size the block to a (new) box."""
        self.box = box
        self.styles.offset = (box.x, box.y)
        self.styles.width = box.width
        if self.entries is None:
            self.head.update(self._body())
            return
        self.styles.grid_size_columns = len(box.col_w) + 1
        self.styles.grid_columns = " ".join(str(w) for w in (box.label_w, *box.col_w))
        self.styles.grid_rows = " ".join(["2"] + ["1"] * box.item.rows)  # the title and labels, then rows
        self.head.update(self._heading())
        it = box.item
        for j in range(it.cols):
            for i in range(it.rows):
                self.entries[Cell(it.name, i, j)].styles.width = box.col_w[j]

    def show(self, texts: list[list[str]]) -> None:
        """A given's or a copy's numbers (redrawn only when they change; the size never does)."""
        if texts != self.texts and self.is_mounted:
            self.texts = [list(row) for row in texts]
            self.head.update(self._body(), layout=False)
