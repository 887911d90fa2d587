"""Modal screens: the keys, and the summary when the work is done (or the exam submitted)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS = """\
Moving        arrows · Tab / Shift+Tab · Enter (confirm, next cell) · ] / [ next / previous matrix
Typing        2   -1   9/46   0.20   -inf (or −∞) · Backspace deletes a character, Delete clears
Marks         ✓ correct   → carried (right from your own earlier numbers)   ✗ wrong   ? not a number
Help          h  hint for this cell: 1 the rule, 2 your numbers, 3 the whole working (each press one more)
              r  reveal the true value (recorded as revealed)
View          v  whole picture / only this step's operands and result
Exam          s  submit (with --exam: no marks until then)
Quit          q  or Ctrl+Q: everything is already saved; `bythand practice FILE` resumes

Every change is saved at once to the answers file, which `bythand check FILE` grades with
the same marks."""


class Dialog(ModalScreen[None]):
    """A text shown over the exercise until a key is pressed."""

    DEFAULT_CSS = """
    Dialog { align: center middle; }
    Dialog > Vertical { width: auto; max-width: 100%; height: auto; max-height: 100%;
                        border: round $accent; padding: 0 1; background: $surface; }
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
