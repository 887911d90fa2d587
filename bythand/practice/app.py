"""The practice app: the by-hand picture with a cell to fill for every computed number, marked by check."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, ScrollableContainer
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, ProgressBar, Static

from ..check import VERDICTS
from ..errors import BythandError
from ..explain import Cell, number_text
from ..numbers import cell as cell_value
from ..render.palette import VERDICT_MARKS
from . import geometry, storage
from .dialogs import Dialog, help_dialog
from .model import Session
from .widgets import Block, EntryCell

Saver = Callable[[str], None]
View = str  # "whole" or "step"

MESSAGES = {
    "correct": "✓ correct",
    "carried": "→ carried: right from your own earlier numbers",
    "wrong": "✗ wrong: try again, or press h for a hint",
    "blank": "",
    "unreadable": "? not a number",
}


class PracticeScreen(Screen[None]):
    """The exercise: every matrix in its place, a cell to fill for each computed number."""

    # Every key is either one of these, handled at once in the order typed, or a character for the
    # focused cell: a key that went the long way round (through the cell, then up to the screen)
    # could act after the digits typed behind it, and put them in the wrong cell.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(-1, 0)", "Move", show=False, priority=True),
        Binding("down", "move(1, 0)", "Move", show=False, priority=True),
        Binding("left", "move(0, -1)", "Move", show=False, priority=True),
        Binding("right", "move(0, 1)", "Move", show=False, priority=True),
        Binding("tab", "step_cell(1)", "Next", show=False, priority=True),
        Binding("shift+tab", "step_cell(-1)", "Previous", show=False, priority=True),
        Binding("enter", "step_cell(1)", "Next", show=False, priority=True),
        Binding("right_square_bracket,pagedown", "matrix(1)", "Next matrix", key_display="]", priority=True),
        Binding("left_square_bracket,pageup", "matrix(-1)", "Prev", show=False, priority=True),
        Binding("h", "hint", "Hint", priority=True),
        Binding("r", "reveal", "Reveal", priority=True),
        Binding("v", "view", "Step view", priority=True),
        Binding("s", "submit", "Submit", show=False, priority=True),
        Binding("question_mark,f1", "help", "Help", key_display="?", priority=True),
        Binding("q,ctrl+q", "quit_saved", "Quit", priority=True),
    ]

    def __init__(self, session: Session, save: Saver | None, view: View | None) -> None:
        super().__init__()
        self.session = session
        self.saver = save
        self.view: View = view or "auto"
        self.auto_view = view is None  # the window's size picks the view until the student does
        self.entries: dict[Cell, EntryCell] = {}
        self.blocks: dict[tuple[str, str], Block] = {}
        self.current: Cell | None = None
        self.shown_step: tuple[int, int | None] | None = None
        self.summary_shown = session.complete
        self.submit_armed = False
        self.order = list(session.cells())

    # Building the screen

    def compose(self) -> ComposeResult:
        s = self.session
        mode = " · exam" if s.exam else (" · steps mode" if s.mode == "steps" else "")
        yield Static(Text(f"answers: {s.path} · {s.trace.problem.title}{mode}"), id="title")
        # where to start and what to show are settled before anything is drawn, so it is drawn once
        todo = (c for c in self.order if self._open(c) and s.state(c) in ("blank", "unreadable"))
        self.current = next(todo, next((c for c in self.order if self._open(c)), None))
        whole = geometry.whole(s.trace, s.canvas)
        if self.view == "auto":
            self.view = self._fitting_view()
        placement, self.shown_step = self._placement()
        shown = {(b.item.kind, b.item.name): b for b in placement.boxes}
        prefilled = s.prefilled()
        for box in whole.boxes:
            it = box.item
            entries = None
            if it.answered:
                entries = {}
                for i in range(it.rows):
                    for j in range(it.cols):
                        c = Cell(it.name, i, j)
                        entry = EntryCell(c, box.col_w[j], c in prefilled)
                        entry.text = s.text(c)
                        entries[c] = entry
                        self.entries[c] = entry
            key = (it.kind, it.name)
            block = Block(s.trace, shown.get(key, box), entries)
            if not it.answered:
                block.texts = self._texts(*key)
            block.display = key in shown
            self.blocks[key] = block
        self.refresh_marks(progress=False)
        canvas = Widget(id="canvas")
        canvas.styles.width, canvas.styles.height = placement.width, placement.height
        picture = ScrollableContainer(id="picture")
        picture.can_focus = False  # a click on the picture keeps the cell: keys must go to a cell
        with picture, canvas:
            yield from self.blocks.values()
        yield Static("", id="status", markup=False)
        yield Static("", id="hint", markup=False, classes="-empty")
        with Horizontal(id="progress-row"):
            yield Static("", id="counts", markup=False)
            yield ProgressBar(total=len(self.order), show_eta=False, id="bar")
        yield Footer()

    def on_mount(self) -> None:
        self.update_progress()
        if self.current is not None:
            self.set_focus(self.entries[self.current])
        self.update_status()

    def _placement(self) -> tuple[geometry.Placement, tuple[int, int | None] | None]:
        """The whole picture, or the current step's operands and result, and which step that is."""
        s = self.session
        if self.view == "step" and self.current is not None:
            it = s.item(self.current.name)
            return geometry.step_view(s.trace, s.canvas, it.step, it.head), (it.step, it.head)
        return geometry.whole(s.trace, s.canvas), None

    def _texts(self, kind: str, name: str) -> list[list[str]]:
        """A given's printed numbers, or a copy of the student's own matrix (Q above S, V beside Z)."""
        s = self.session
        m = s.trace[name]
        if kind in geometry.STEP_VIEW[2] - {"Q", "K", "V"} or kind == "WO":
            return [[number_text(cell_value(m, i, j)) for j in range(m.shape[1])] for i in range(m.shape[0])]
        return [
            [t.replace("-", "−") if s.entry(Cell(name, i, j))[1] is None else "?" for j, t in enumerate(row)]
            for i, row in enumerate(s.texts[name])
        ]

    # Keeping the view in step with the model

    def _open(self, c: Cell) -> bool:
        return self.session.editable(c)

    def refresh_marks(self, progress: bool = True) -> None:
        """Every cell's mark and lock from the model (a change can carry into later steps)."""
        s = self.session
        open_step = s.open_step() if s.mode == "steps" else None
        for c, entry in self.entries.items():
            entry.mark = s.shown(c)
            locked = not entry.prefilled and (
                (s.exam and s.submitted) or (open_step is not None and s.step_of(c.name) > open_step)
            )  # as s.editable(c), with the open step worked out once
            if locked != entry.locked:
                entry.locked = locked
                entry.set_class(locked, "-locked")
                entry.can_focus = not locked and not entry.prefilled
            entry.revealed = c in s.revealed
        for (kind, name), block in self.blocks.items():
            if block.box.item.copy:
                block.show(self._texts(kind, name))
        if progress:
            self.update_progress()

    def update_progress(self) -> None:
        steps = self.session.steps()
        parts = []
        for st in steps:
            part = f"{st.number}:{st.done}/{st.total}"
            if st.wrong:
                part += f"✗{st.wrong}"
            parts.append(part)
        label = "filled " if self.session.exam and not self.session.submitted else ""
        self.query_one("#counts", Static).update(label + " ".join(parts), layout=False)
        self.query_one("#bar", ProgressBar).update(progress=sum(st.done for st in steps))

    def relayout(self) -> None:
        """Place the blocks for the whole picture, or for the current step only."""
        placement, self.shown_step = self._placement()
        shown = {(b.item.kind, b.item.name): b for b in placement.boxes}
        for k, block in self.blocks.items():
            block.display = k in shown
            if k in shown:
                block.place(shown[k])
        canvas = self.query_one("#canvas", Widget)
        canvas.styles.width = placement.width
        canvas.styles.height = placement.height

    def update_status(self, reason: str | None = None, note: str = "") -> None:
        """The current cell: where it is, its step, its mark or what is wrong with what was typed."""
        s, c = self.session, self.current
        status = self.query_one("#status", Static)
        if c is None:
            status.update(note or "nothing to fill in", layout=False)
            return
        step = next(st for st in s.trace.steps if st.number == s.step_of(c.name))
        where = f"{c.label(s.trace.options.convention == 'columns')} · Step {step.number} · {step.title}: "
        where += step.formula
        mark = s.shown(c)
        if mark == "unreadable":
            msg = f"? {reason or s.entry(c)[1]}"
        elif c in s.prefilled():
            msg = "given already worked, as on the printed sheet"
        elif not s.editable(c) and s.exam and s.submitted:
            msg = f"{VERDICT_MARKS[mark or 'blank']} {mark}  (exam submitted)"
        elif not s.editable(c):
            msg = f"locked: finish step {s.open_step()} first (--mode steps)"
        elif mark is None:
            msg = "exam: marks appear when you submit (s)"
        else:
            msg = MESSAGES[mark]
            if c in s.revealed:
                msg += " (revealed)"
        text = Text(where, style="bold")
        text.append("\n" + (note or msg))
        status.update(text, layout=False)

    def show_hint(self, text: str) -> None:
        hint = self.query_one("#hint", Static)
        if text == str(hint.render()):
            return
        hint.update(text)
        hint.set_class(not text, "-empty")

    # Events

    def on_descendant_focus(self, event: object) -> None:
        focused = self.focused
        if not isinstance(focused, EntryCell):
            return
        self.current = focused.cell
        self.submit_armed = False
        level = self.session.hints_used.get(focused.cell, 0)
        self.show_hint(self._hint_text(focused.cell, level) if level else "")
        if self.view == "step":
            it = self.session.item(focused.cell.name)
            if (it.step, it.head) != self.shown_step:
                self.relayout()
        self.update_status()
        self.call_after_refresh(focused.scroll_visible, animate=False)

    def on_descendant_blur(self, event: object) -> None:
        """A click outside the cells (or into the page in a browser) leaves the current cell focused."""
        self.call_after_refresh(self._keep_focus)

    def _keep_focus(self) -> None:
        if self.focused is None and self.current is not None and self.app.screen is self:
            self.set_focus(self.entries[self.current])

    def _hint_text(self, c: Cell, level: int) -> str:
        from .hints import hint

        return hint(self.session.trace, c, level, self.session.own_text)

    def on_entry_cell_edited(self, message: EntryCell.Edited) -> None:
        s = self.session
        reason = s.set(message.cell, message.text)
        self.refresh_marks()
        self.update_status(reason)
        self.save()
        if s.complete and not self.summary_shown and not s.exam:
            self.update_status(reason, note="every cell is filled: Enter shows the summary")

    def _summary_due(self) -> bool:
        """When the last cell is filled, the next Enter or move shows check's summary (once), so the
        dialog never takes the keys of a number still being typed."""
        s = self.session
        if s.complete and not self.summary_shown and not s.exam:
            self.summary_shown = True
            self.app.push_screen(self.summary_dialog("All cells filled"))
            return True
        return False

    def save(self) -> None:
        """Write the answers file (every change is saved at once)."""
        if self.saver is None:
            return
        try:
            self.saver(storage.dump(self.session))
        except (OSError, BythandError) as exc:
            self.update_status(note=f"could not save: {exc}")

    def summary_dialog(self, title: str) -> Dialog:
        """check's counts, matrix by matrix, and the whole."""
        r = self.session.report
        verdicts = [v for v in VERDICTS if v != "unreadable" or r.count(v)]
        lines = ["        " + "".join(f"{VERDICT_MARKS[v] + ' ' + v:>12}" for v in verdicts)]
        for st in r.steps:
            lines.append(f"{st.name:8}" + "".join(f"{st.count(v):>12}" for v in verdicts))
        path = self.session.path
        lines += ["", self.session.summary(), "", f"Saved to {path}:"]
        lines.append(f"`bythand check {path}` gives the same.")
        return Dialog(f"{title}: {self.session.summary()}", "\n".join(lines))

    # Actions

    @property
    def here(self) -> Cell | None:
        """The focused cell, read at once: keys typed fast must not wait for the focus message."""
        focused = self.focused
        return focused.cell if isinstance(focused, EntryCell) else self.current

    def _focus(self, c: Cell | None) -> None:
        if c is not None:
            self.set_focus(self.entries[c])  # at once: the next key typed goes to the new cell

    def action_move(self, dr: int, dc: int) -> None:
        """To the nearest open cell in that direction, across matrices as they sit in the picture."""
        here = self.here
        if here is None or self._summary_due():
            return
        s = self.session
        r0, c0 = s.item(here.name).at(here.row, here.col)
        best: tuple[int, int, Cell] | None = None
        for rank, c in enumerate(self.order):
            if c == here or not self.entries[c].can_focus:
                continue
            r, cc = s.item(c.name).at(c.row, c.col)
            along = (r - r0) * dr + (cc - c0) * dc
            if along <= 0:
                continue
            across = abs(r - r0) * abs(dc) + abs(cc - c0) * abs(dr)
            score = (along + 3 * across, rank)
            if best is None or score < best[:2]:
                best = (*score, c)
        if best is not None:
            self._focus(best[2])

    def action_step_cell(self, delta: int) -> None:
        """The next (or previous) open cell in the order the work is done."""
        here = self.here
        if here is None or self._summary_due():
            return
        start = self.order.index(here)
        n = len(self.order)
        for k in range(1, n + 1):
            c = self.order[(start + delta * k) % n]
            if self.entries[c].can_focus:
                self._focus(c)
                return

    def action_matrix(self, delta: int) -> None:
        """The first open cell of the next (or previous) matrix."""
        here = self.here
        if here is None:
            return
        names = self.session.names
        start = names.index(here.name)
        for k in range(1, len(names) + 1):
            name = names[(start + delta * k) % len(names)]
            first = next((c for c in self.order if c.name == name and self.entries[c].can_focus), None)
            if first is not None:
                self._focus(first)
                return

    def action_hint(self) -> None:
        s, c = self.session, self.here
        if c is None:
            return
        if s.exam and not s.submitted:
            self.update_status(note="no hints during an exam")
            return
        text = s.hint(c)
        self.show_hint(text)
        self.save()

    def action_reveal(self) -> None:
        s, c = self.session, self.here
        if c is None or not s.editable(c):
            return
        if s.exam and not s.submitted:
            self.update_status(note="no reveals during an exam")
            return
        value = s.reveal(c)
        self.entries[c].text = value
        self.refresh_marks()
        self.update_status()
        self.save()

    def on_resize(self, event: events.Resize) -> None:
        """Until the student picks a view, the size of the window picks it (a browser sends its own)."""
        if self.auto_view and self.view != self._fitting_view():
            self.view = self._fitting_view()
            self.relayout()

    def _fitting_view(self) -> View:
        whole = geometry.whole(self.session.trace, self.session.canvas)
        room_w, room_h = self.app.size.width - 1, self.app.size.height - 6
        return "whole" if whole.width <= room_w and whole.height <= room_h else "step"

    def action_view(self) -> None:
        self.auto_view = False
        self.view = "step" if self.view == "whole" else "whole"
        self.relayout()
        focused = self.focused
        if focused is not None:
            self.call_after_refresh(focused.scroll_visible, animate=False)

    def action_submit(self) -> None:
        s = self.session
        if not s.exam:
            self.update_status(note="s submits an exam (--exam); here every mark is already shown")
            return
        if s.submitted:
            self.app.push_screen(self.summary_dialog("Submitted"))
            return
        blank = sum(st.blank for st in s.steps())
        if blank and not self.submit_armed:
            self.submit_armed = True
            self.update_status(note=f"{blank} cells are still blank: press s again to submit")
            return
        s.submitted = True
        s.regrade()
        self.refresh_marks()
        self.update_status()
        self.save()
        self.app.push_screen(self.summary_dialog("Submitted"))

    def action_help(self) -> None:
        self.app.push_screen(help_dialog())

    def action_quit_saved(self) -> None:
        self.save()
        self.app.exit()


class PracticeApp(App[None]):
    """bythand practice: the App only pushes the exercise screen."""

    CSS_PATH = "app.tcss"
    TITLE = "bythand practice"
    ENABLE_COMMAND_PALETTE = False

    def __init__(self, session: Session, save: Saver | None = None, view: View | None = None) -> None:
        super().__init__()
        self.session = session
        self.saver = save
        self.start_view = view

    def on_mount(self) -> None:
        self.push_screen(PracticeScreen(self.session, self.saver, self.start_view))

    @property
    def exercise(self) -> PracticeScreen:
        """The exercise screen (under any dialog)."""
        return next(s for s in self.screen_stack if isinstance(s, PracticeScreen))


def css_path() -> Path:
    """The stylesheet, for tests that check it parses."""
    return Path(__file__).with_name("app.tcss")
