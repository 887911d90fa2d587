"""The work `run --show-work` adds under a step: every computed cell's expansion, up to a budget."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text

from ..explain import MAX_WORK_CELLS, count_worked_cells, explain, step_cells
from ..walk import Step, Trace
from .palette import colour


@dataclass
class WorkBudget:
    """How many more cells --show-work may explain; shared by every step of one view."""

    left: int = MAX_WORK_CELLS
    stopped: bool = False


@dataclass(frozen=True)
class Work:
    """One step's work, free of any format: each explained cell's name and lines, and why it stopped."""

    cells: list[tuple[str, tuple[str, ...]]]
    stop: str | None = None


def step_work(trace: Trace, step: Step, budget: WorkBudget, precision: int) -> Work | None:
    """The step's computed cells explained until the budget runs out (which is said once), or None."""
    cells = step_cells(trace, step)
    if not cells or budget.stopped:
        return None
    done: list[tuple[str, tuple[str, ...]]] = []
    for c in cells:
        if budget.left == 0:
            budget.stopped = True
            return Work(
                done,
                f"--show-work stops here: it explains at most {MAX_WORK_CELLS} cells and this problem "
                f"has {count_worked_cells(trace)}; use bythand explain CELL for any other cell",
            )
        budget.left -= 1
        done.append((c.name, explain(trace, c, precision=precision).lines))
    return Work(done)


def work_lines(trace: Trace, step: Step, budget: WorkBudget, precision: int, plain: bool) -> list[Text]:
    """ "Work:" and one line per computed cell of the step, in the cell's colour."""
    work = step_work(trace, step, budget, precision)
    if work is None:
        return []
    lines = [Text("Work:", style="" if plain else "bold")]
    for name, explained in work.cells:
        lines += [Text("  " + line, style="" if plain else colour(name)) for line in explained]
    if work.stop is not None:
        lines.append(Text(work.stop, style="" if plain else "italic"))
    return lines
