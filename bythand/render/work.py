"""The work `run --show-work` adds under a step, free of any format: each computed cell, up to a budget."""

from __future__ import annotations

from dataclasses import dataclass

from ..explain import MAX_WORK_CELLS, count_worked_cells, explain, step_cells
from ..walk import Step, Trace


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
