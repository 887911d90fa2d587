"""The practice session as plain data: the trace, what the student typed, and check's marks for it.

No Textual here: the screen is a view of this model, and the tests drive it directly too."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Literal

from ..answers import Written
from ..check import VERDICTS, Report, Verdict, graded_names
from ..explain import GIVEN_NAMES, Cell, number_text
from ..layout import Canvas, Item, layout
from ..numbers import Number, cell
from ..walk import MASKED, Trace
from . import grading, hints

Mode = Literal["free", "steps"]
Mark = Verdict  # check's verdicts: correct, carried, wrong, blank, unreadable (typed, but not a number)
MODES: tuple[str, ...] = ("free", "steps")
FILL_STEPS = {"Q": 2, "K": 2, "V": 2, "KT": 3, "S": 4, "scaled": 5, "E": 6, "sums": 7, "A": 8, "Z": 9,
              "concat": 10, "O": 11}  # fmt: skip


@dataclass(frozen=True)
class Ref:
    """Where the problem comes from, as the answers file records it: sheet id, example or problem path."""

    kind: Literal["sheet", "example", "problem"]
    value: str


@dataclass(frozen=True)
class StepCount:
    """One step's progress: its cells by mark."""

    number: int
    title: str
    total: int
    done: int  # correct or carried (in an exam: filled in)
    wrong: int
    blank: int


def exact_text(v: Number) -> str:
    """A true value as a student could type it, exact where the trace is exact."""
    if isinstance(v, float) and v == MASKED:
        return "−∞"
    if isinstance(v, Fraction):
        return str(v)
    if float(v).is_integer():
        return str(int(v))
    return f"{v:.6f}".rstrip("0")


@dataclass
class Session:
    """One student's work on one problem: typed cells, marks, hints used, cells revealed."""

    trace: Trace
    ref: Ref
    path: str  # the answers file, as `check` names it
    mode: Mode = "free"
    exam: bool = False
    fill: frozenset[str] = frozenset()  # base names of steps printed already worked
    name: str | None = None
    submitted: bool = False
    texts: dict[str, list[list[str]]] = field(default_factory=dict)
    revealed: set[Cell] = field(default_factory=set)
    hints_used: dict[Cell, int] = field(default_factory=dict)
    canvas: Canvas = field(init=False)
    _report: Report | None = field(default=None, init=False, repr=False)
    _marks: dict[Cell, Verdict] = field(default_factory=dict, init=False, repr=False)
    _prefilled: set[Cell] = field(default_factory=set, init=False, repr=False)
    _names: list[str] = field(default_factory=list, init=False, repr=False)
    _steps: dict[str, int] = field(default_factory=dict, init=False, repr=False)
    _parsed: dict[Cell, tuple[Written, str | None]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self.canvas = layout(self.trace)
        self._names = graded_names(self.trace)
        self._steps = {name: self.canvas.item(name).step for name in self._names}
        for name in self.names:
            rows, cols = self.trace[name].shape
            have = self.texts.get(name)
            self.texts[name] = [[have[i][j] if have else "" for j in range(cols)] for i in range(rows)]
        self._prefilled = self._given_worked()
        for c in self._prefilled:
            self.texts[c.name][c.row][c.col] = exact_text(cell(self.trace[c.name], c.row, c.col))
        self.regrade()

    # What there is to fill in

    @property
    def names(self) -> list[str]:
        """The matrices the student works, in order."""
        return self._names

    @property
    def options(self) -> dict[str, str]:
        """The method, as the answers file records it."""
        o = self.trace.options
        return {"convention": o.convention, "scale": o.scale, "exp": o.exp, "mask": o.mask}

    def item(self, name: str) -> Item:
        """Where a matrix sits on the canvas."""
        return self.canvas.item(name)

    def step_of(self, name: str) -> int:
        """The step that makes a matrix."""
        return self._steps[name]

    def cells(self) -> Iterator[Cell]:
        """Every cell to fill, in the order a student works them."""
        for name in self.names:
            rows, cols = self.trace[name].shape
            for i in range(rows):
                for j in range(cols):
                    yield Cell(name, i, j)

    def prefilled(self) -> set[Cell]:
        """Cells given already worked, as on the printed sheet: masked scores, and the --fill steps."""
        return self._prefilled

    def _given_worked(self) -> set[Cell]:
        out: set[Cell] = set()
        causal = self.trace.options.mask == "causal"
        for c in self.cells():
            if c.base in self.fill or (
                causal
                and c.base in ("scaled", "E", "A")
                and self.trace[c.prefix + "scaled"][c.row, c.col] == MASKED
            ):
                out.add(c)
        return out

    def editable(self, c: Cell) -> bool:
        """True when the student may type in the cell now."""
        if c in self.prefilled() or (self.exam and self.submitted):
            return False
        return self.mode == "free" or self.step_of(c.name) <= self.open_step()

    def open_step(self) -> int:
        """In --mode steps: the last open step (a step opens when the one before has no blank or ✗)."""
        for name in self.names:
            for i, row in enumerate(self.texts[name]):
                for j in range(len(row)):
                    mark = self.state(Cell(name, i, j))
                    if mark in ("blank", "unreadable") or (mark == "wrong" and not self.exam):
                        return self.step_of(name)
        return max(self.step_of(n) for n in self.names)

    # Typing

    def text(self, c: Cell) -> str:
        """What the student typed in a cell."""
        return self.texts[c.name][c.row][c.col]

    def entry(self, c: Cell) -> tuple[Written, str | None]:
        """The cell read as `check` reads it, and why it is not a number (or None)."""
        if c not in self._parsed:
            self._parsed[c] = grading.parse_entry(self.text(c))
        return self._parsed[c]

    def set(self, c: Cell, text: str) -> str | None:
        """Type into a cell (the whole text); returns the reason when it is not a number."""
        self.texts[c.name][c.row][c.col] = text
        self._parsed.pop(c, None)
        self.regrade(keep=True)
        return self.entry(c)[1]

    def reveal(self, c: Cell) -> str:
        """Fill in the true value and record the cell as revealed."""
        value = exact_text(cell(self.trace[c.name], c.row, c.col))
        self.revealed.add(c)
        self.set(c, value)
        return value

    def hint(self, c: Cell) -> str:
        """The next hint level for the cell (up to 3), recorded, and the hints so far."""
        level = min(3, self.hints_used.get(c, 0) + 1)
        self.hints_used[c] = level
        return hints.hint(self.trace, c, level, self.own_text)

    def own_text(self, name: str, i: int, j: int) -> str:
        """A cell as the student has it: their text, a given's value, or "?"."""
        if name.rpartition(".")[2] in GIVEN_NAMES:
            return number_text(cell(self.trace[name], i, j))
        answer, reason = self.entry(Cell(name, i, j))
        return answer.text.replace("-", "−") if answer is not None and reason is None else "?"

    # Marks, from check

    def written(self) -> dict[str, list[list[Written]]]:
        """The answers as `check` reads them from the saved file."""
        return {
            name: [[self.entry(Cell(name, i, j))[0] for j in range(len(row))] for i, row in enumerate(rows)]
            for name, rows in ((n, self.texts[n]) for n in self.names)
        }

    def meta(self) -> dict[str, str | None]:
        """The answers file's name and problem reference."""
        return {"name": self.name, self.ref.kind: self.ref.value}

    def regrade(self, keep: bool = False) -> None:
        """Ask check for every mark again (carried errors make a change ripple into later steps)."""
        if not keep:  # the texts may have been changed directly (a resumed file): parse them all again
            self._parsed.clear()
        self._report = grading.grade(
            self.trace, self.written(), self.path, self.meta(), self.options, self.filled_names()
        )
        self._marks = grading.verdicts(self._report)

    @property
    def report(self) -> Report:
        """check's report for the answers as they stand."""
        assert self._report is not None
        return self._report

    def filled_names(self) -> frozenset[str]:
        """The matrices given already worked (--fill): printed, not the student's, not graded."""
        return frozenset(n for n in self.names if n.rpartition(".")[2] in self.fill)

    def verdict(self, c: Cell) -> Verdict:
        """check's verdict for the cell (a --fill cell, printed with its true value, is not graded)."""
        return self._marks.get(c, "correct")

    def state(self, c: Cell) -> Mark:
        """What the cell shows: check's verdict."""
        return self.verdict(c)

    def shown(self, c: Cell) -> Mark | None:
        """The mark on screen: none in an exam until it is submitted (a cell that is no number: always)."""
        mark = self.state(c)
        if self.exam and not self.submitted and mark != "unreadable":
            return None
        return mark

    def graded(self) -> Iterator[Cell]:
        """The cells check grades (all but the --fill steps)."""
        filled = self.filled_names()
        return (c for c in self.cells() if c.name not in filled)

    @property
    def complete(self) -> bool:
        """Every cell has a number in it."""
        return all(self.state(c) not in ("blank", "unreadable") for c in self.cells())

    def steps(self) -> list[StepCount]:
        """Per-step counts, in step order."""
        titles = {s.number: s.title for s in self.trace.steps}
        counts: dict[int, list[int]] = {}
        for c in self.graded():
            n = self.step_of(c.name)
            row = counts.setdefault(n, [0, 0, 0, 0])
            mark = self.state(c)
            row[0] += 1
            hidden = self.exam and not self.submitted
            if mark in ("correct", "carried") or (hidden and mark == "wrong"):
                row[1] += 1
            elif mark == "wrong":
                row[2] += 1
            else:
                row[3] += 1
        return [StepCount(n, titles.get(n, ""), *v) for n, v in sorted(counts.items())]

    def summary(self) -> str:
        """The counts `bythand check` prints for the saved file (its summary line, word for word)."""
        r = self.report
        shown = [v for v in VERDICTS if v != "unreadable" or r.count(v)]
        counts = ", ".join(f"{r.count(v)} {v}" for v in shown)
        return f"{counts} of {r.total} cells"
