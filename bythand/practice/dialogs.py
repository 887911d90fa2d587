"""Modal screens: the keys, and the summary when the work is done (or the exam submitted); and what a
second browser tab shows."""

from __future__ import annotations

from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS = """\
Move      arrows (as the picture sits) · Tab / Shift+Tab (order of work)
          Enter: confirm and go on · ] / [: next / previous matrix
Type      2  -1  9/46  1 1/7  0.20  -inf (−∞) · Backspace, Delete clears
Marks     ✓ correct  → carried (right from your own numbers)  ✗ wrong
          ? not a number
h         a hint for this cell, one level per press:
          1 the rule, 2 your own numbers, 3 the whole working
r         reveal the true value (recorded as revealed)
v         the whole picture, or only this step's operands and result
s         submit an exam (--exam: no marks until then)
q         quit (Ctrl+Q too): everything is saved already

Every change is saved at once to the answers file: `bythand check FILE`
gives the same marks, `bythand practice FILE` resumes."""


class Dialog(ModalScreen[None]):
    """A text shown over the exercise until a key is pressed."""

    DEFAULT_CSS = """
    Dialog { align: center middle; }
    Dialog > Vertical { width: auto; max-width: 100%; height: auto; max-height: 100%;
                        border: round $accent; padding: 0 1; background: $surface; }
    Dialog Static { width: auto; }
    Dialog .dialog-title { text-style: bold; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter,q,question_mark,f1,space", "close", "Close"),
    ]

    def __init__(self, title: str, body: str) -> None:
        super().__init__()
        self.title_text = title
        self.body = body

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_text, markup=False, classes="dialog-title")
            yield Static(self.body, markup=False, id="dialog-body")
            yield Static("(any of Enter, Esc, q closes this)", markup=False, classes="dialog-hint")

    def action_close(self) -> None:
        self.dismiss(None)


def help_dialog() -> Dialog:
    """The keys."""
    return Dialog("bythand practice: keys", KEYS)


class AlreadyOpen(App[None]):
    """What a second browser tab shows while the exercise is open in another: why, and what to do."""

    CSS = """
    Screen { align: center middle; }
    #why { width: auto; max-width: 90%; border: round $warning; padding: 1 2; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("q,ctrl+q,escape", "quit", "Close")]

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def compose(self) -> ComposeResult:
        yield Static(
            f"{self.message}.\n\nWork on in that tab or window, or close it and reload this page. "
            "Nothing was changed here.",
            id="why",
        )
