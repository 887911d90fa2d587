"""bythand practice, driven as a student drives it: keys typed with Textual's Pilot, marks from check."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from practice_helpers import check_verdicts, save, saver, session_for, sheet_session

from bythand.explain import Cell
from bythand.generate import class_set, make_params
from bythand.practice import storage
from bythand.practice.app import PracticeApp, PracticeScreen
from bythand.practice.model import Session

K11, KT11, Q11, Q12 = Cell("K", 0, 0), Cell("KT", 0, 0), Cell("Q", 0, 0), Cell("Q", 0, 1)


def run(coro: object) -> None:
    asyncio.run(coro)  # type: ignore[arg-type]


async def focus(screen: PracticeScreen, c: Cell) -> None:
    screen.set_focus(screen.entries[c])


# The model alone (no screen): check's verdicts, carried errors, typos, hints, reveals, modes


def test_marks_come_from_check_with_errors_carried(tmp_path: Path) -> None:
    s = session_for(tmp_path)
    assert s.set(Q11, "2") is None and s.state(Q11) == "correct"
    s.set(Q12, "5")
    assert s.state(Q12) == "wrong"
    s.set(K11, "7")  # K[1,1] is 0: wrong, and Kᵀ[1,1] = 7 is then right from the student's own K
    s.set(KT11, "7")
    assert (s.state(K11), s.state(KT11)) == ("wrong", "carried")
    s.set(KT11, "0")  # the true value is still correct
    assert s.state(KT11) == "correct"
    assert s.summary() == "2 correct, 0 carried, 2 wrong, 124 blank of 128 cells"


def test_a_typo_is_a_reason_not_a_crash(tmp_path: Path) -> None:
    s = session_for(tmp_path)
    assert s.set(Q11, "9//4") == "'9//4' is not a number"
    assert s.state(Q11) == "unreadable"  # check's own verdict for a cell that is no number
    for text, mark in (("-inf", "wrong"), ("−∞", "wrong"), ("4/2", "correct"), ("2.00", "correct")):
        s.set(Q11, text)
        assert s.state(Q11) == mark, text


def test_hints_rule_own_numbers_then_explain(tmp_path: Path) -> None:
    s = session_for(tmp_path)
    s.set(Cell("KT", 1, 0), "2")
    s.set(Cell("KT", 1, 1), "9")  # the student's own (wrong) number shows in hint 2
    target = Cell("S", 1, 3)
    one = s.hint(target)
    assert one == (
        "Hint 1: S[2,4] = row 2 of Kᵀ times column 4 of Q: multiply them entry by entry and add the products."
    )
    two = s.hint(target)
    assert "row 2 of Kᵀ (yours): 2, 9, ?" in two and "column 4 of Q (yours): ?, ?, ?" in two
    three = s.hint(target)
    assert three.endswith("Hint 3: S[2,4] = k2·q4 = 2·2 + 1·1 + 0·1 = 5")  # bythand explain's own line
    assert s.hints_used == {target: 3}
    s.hint(target)
    assert s.hints_used == {target: 3}  # three levels, no more


def test_reveal_fills_the_true_value_and_records_it(tmp_path: Path) -> None:
    s = session_for(tmp_path)
    assert s.reveal(Cell("A", 0, 0)) == "9/46"
    assert s.state(Cell("A", 0, 0)) == "correct" and Cell("A", 0, 0) in s.revealed


def test_steps_mode_opens_a_step_when_the_one_before_is_right(tmp_path: Path) -> None:
    s = session_for(tmp_path, mode="steps")
    assert s.open_step() == 2 and s.editable(Q11) and not s.editable(KT11)
    for c in list(s.cells()):
        if s.step_of(c.name) == 2:
            s.reveal(c)
    assert s.open_step() == 3 and s.editable(KT11) and not s.editable(Cell("S", 0, 0))
    s.set(Q11, "5")  # a wrong cell in step 2 closes step 3 again
    assert s.open_step() == 2 and not s.editable(KT11)


def test_exam_hides_marks_until_submitted(tmp_path: Path) -> None:
    s = session_for(tmp_path, exam=True)
    s.set(Q11, "2")
    s.set(Q12, "5")
    assert (s.shown(Q11), s.shown(Q12)) == (None, None)
    s.set(Cell("Q", 0, 2), "x")
    assert s.shown(Cell("Q", 0, 2)) == "unreadable"  # a typo is not a mark: shown at once
    s.submitted = True
    assert (s.shown(Q11), s.shown(Q12)) == ("correct", "wrong")
    assert not s.editable(Q11)


def test_masked_and_filled_cells_come_worked(tmp_path: Path) -> None:
    s = session_for(tmp_path, "masked-6x4", fill=frozenset({"Q", "K", "V"}))
    pre = s.prefilled()
    assert Cell("scaled", 1, 0) in pre and s.text(Cell("scaled", 1, 0)) == "−∞"
    assert s.text(Cell("E", 1, 0)) == "0" and s.text(Cell("A", 1, 0)) == "0"
    assert Cell("scaled", 0, 1) not in pre  # key 1 may attend to query 2
    assert all(c in pre for c in s.cells() if c.name in ("Q", "K", "V"))
    assert all(s.state(c) == "correct" for c in pre) and not s.editable(Cell("E", 1, 0))


# The saved file is one check reads, with exactly the marks on screen


def test_saved_file_resumes_and_check_agrees(tmp_path: Path) -> None:
    s = session_for(tmp_path)
    s.set(Q11, "2")
    s.set(K11, "7")
    s.set(KT11, "7")
    s.set(Q12, "1/")
    s.hint(Cell("S", 0, 0))
    s.reveal(Cell("A", 0, 0))
    path = save(s)
    text = path.read_text(encoding="utf-8")
    assert 'example = "self-attention-6x4"' in text and 'scale = "floor-half"' in text
    verdicts = check_verdicts(path)
    assert {c: verdicts[c] for c in (Q11, K11, KT11, Q12)} == {
        Q11: "correct", K11: "wrong", KT11: "carried", Q12: "unreadable"
    }  # fmt: skip
    back = session_for(tmp_path)
    storage.restore(back, storage.load(text, str(path)))
    assert back.texts == s.texts and back.revealed == s.revealed and back.hints_used == s.hints_used
    assert back.state(Q12) == "unreadable"


OPS = st.lists(
    st.tuples(
        st.integers(0, 10**6),
        st.sampled_from(["truth", "truth", "wrong", "unreadable", "clear", "reveal", "carry", "decimal"]),
    ),
    min_size=1,
    max_size=25,
)
SHEETS = [
    pair
    for n, heads, mask in ((3, 1, "none"), (2, 2, "none"), (3, 1, "causal"), (4, 1, "none"))
    for pair in class_set(make_params(tokens=n, heads=heads, mask=mask, difficulty="easy"), 11, 2)
]


def apply(s: Session, ops: list[tuple[int, str]]) -> None:
    """Type as a student does: true values, slips, typos, clears, reveals, values carried from a slip."""
    from bythand.numbers import cell

    cells = [c for c in s.cells() if s.editable(c)]
    for pick, op in ops:
        c = cells[pick % len(cells)]
        truth = cell(s.trace[c.name], c.row, c.col)
        if op == "truth":
            s.set(c, s.reveal(c) if False else _text(truth))
        elif op == "wrong":
            s.set(c, str(pick % 7 - 3) + "/7")
        elif op == "unreadable":
            s.set(c, "1/")
        elif op == "clear":
            s.set(c, "")
        elif op == "reveal":
            s.reveal(c)
        elif op == "decimal":
            s.set(c, f"{float(truth):.3f}" if truth != float("-inf") else "-inf")
        else:  # the value the student's own earlier numbers give, if there is one
            own = next((r.own for st_ in s.report.steps for i, row in enumerate(st_.cells)
                        for j, r in enumerate(row) if Cell(st_.name, i, j) == c), None)  # fmt: skip
            if own is not None:
                s.set(c, _text(own))


def _text(v: object) -> str:
    from bythand.practice.model import exact_text

    return exact_text(v)  # type: ignore[arg-type]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sheet=st.sampled_from(SHEETS), ops=OPS)
def test_check_on_the_saved_file_gives_the_marks_on_screen(
    tmp_path: Path, sheet: tuple[str, object], ops: list[tuple[int, str]]
) -> None:
    sid, problem = sheet
    s = sheet_session(tmp_path, sid, problem)  # type: ignore[arg-type]
    apply(s, ops)
    verdicts = check_verdicts(save(s))
    for c in s.cells():
        shown = s.state(c)
        assert verdicts.get(c, "correct") == shown, c  # only --fill cells are not graded


# The screen, driven with Pilot


def test_typing_marks_each_cell_and_saves(tmp_path: Path) -> None:
    s = session_for(tmp_path)
    path = Path(s.path)

    async def drive() -> None:
        app = PracticeApp(s, saver(path), view="whole")  # type: ignore[arg-type]
        async with app.run_test(size=(160, 50)) as pilot:
            screen = app.exercise
            assert screen.current == Q11  # the first cell to fill has the focus
            await pilot.press("2")
            assert (screen.entries[Q11].text, screen.entries[Q11].mark) == ("2", "correct")
            await pilot.press("tab", "5")
            assert screen.current == Q12 and screen.entries[Q12].mark == "wrong"
            await pilot.press("backspace", "1")
            assert screen.entries[Q12].mark == "correct"
            await focus(screen, K11)
            await pilot.press("7", "enter")  # Enter confirms and moves on
            assert screen.current == Cell("K", 0, 1) and screen.entries[K11].mark == "wrong"
            await focus(screen, KT11)
            await pilot.press("7")
            assert screen.entries[KT11].mark == "carried"
            assert "→ carried" in str(screen.query_one("#status").render())
            await pilot.press("delete")
            assert screen.entries[KT11].text == "" and screen.entries[KT11].mark == "blank"
            await pilot.press("1", "/", "/")
            assert screen.entries[KT11].mark == "unreadable"
            assert "'1//' is not a number" in str(screen.query_one("#status").render())
        saved = check_verdicts(path)
        marks = (saved[Q11], saved[Q12], saved[K11], saved[KT11])
        assert marks == ("correct", "correct", "wrong", "unreadable")

    run(drive())


def test_moving_with_arrows_follows_the_picture(tmp_path: Path) -> None:
    s = session_for(tmp_path)

    async def drive() -> None:
        app = PracticeApp(s, view="whole")
        async with app.run_test(size=(160, 50)) as pilot:
            screen = app.exercise
            await pilot.press("right")
            assert screen.current == Q12
            await pilot.press("down")
            assert screen.current == Cell("Q", 1, 1)
            await pilot.press("down", "down")  # past Q's last row into K, under it in the picture
            assert screen.current == Cell("K", 0, 1)
            await pilot.press("right_square_bracket")
            assert screen.current == Cell("V", 0, 0)
            await pilot.press("shift+tab")
            assert screen.current == Cell("K", 2, 3)

    run(drive())


def test_reveal_and_each_hint_level_on_screen(tmp_path: Path) -> None:
    s = session_for(tmp_path)

    async def drive() -> None:
        app = PracticeApp(s, view="whole")
        async with app.run_test(size=(160, 50)) as pilot:
            screen = app.exercise
            await focus(screen, Cell("S", 1, 3))
            hint = screen.query_one("#hint")
            await pilot.press("h")
            assert "Hint 1: S[2,4] = row 2 of Kᵀ times column 4 of Q" in str(hint.render())
            assert "Hint 2" not in str(hint.render())
            await pilot.press("h")
            assert "row 2 of Kᵀ (yours): ?, ?, ?" in str(hint.render())
            await pilot.press("h")
            assert "Hint 3: S[2,4] = k2·q4 = 2·2 + 1·1 + 0·1 = 5" in str(hint.render())
            assert screen.entries[Cell("S", 1, 3)].text == ""  # hints never fill the cell
            await pilot.press("r")
            entry = screen.entries[Cell("S", 1, 3)]
            assert (entry.text, entry.mark, entry.revealed) == ("5", "correct", True)
            assert "(revealed)" in str(screen.query_one("#status").render())

    run(drive())


def test_steps_mode_locks_later_steps_on_screen(tmp_path: Path) -> None:
    s = session_for(tmp_path, mode="steps")

    async def drive() -> None:
        app = PracticeApp(s, view="whole")
        async with app.run_test(size=(160, 50)) as pilot:
            screen = app.exercise
            assert not screen.entries[KT11].can_focus and screen.entries[KT11].locked
            await pilot.press("right_square_bracket", "right_square_bracket", "right_square_bracket")
            assert screen.current is not None and screen.current.name == "Q"  # only step 2's can be reached
            for c in [c for c in s.cells() if s.step_of(c.name) == 2]:
                s.reveal(c)
            screen.refresh_marks()
            assert screen.entries[KT11].can_focus
            await focus(screen, Cell("V", 0, 0))
            await pilot.press("right_square_bracket")
            assert screen.current == Cell("KT", 0, 0)

    run(drive())


def test_exam_shows_marks_only_after_submitting(tmp_path: Path) -> None:
    s = session_for(tmp_path, exam=True)
    path = Path(s.path)

    async def drive() -> None:
        app = PracticeApp(s, saver(path), view="whole")  # type: ignore[arg-type]
        async with app.run_test(size=(160, 50)) as pilot:
            screen = app.exercise
            await pilot.press("2", "tab", "5")
            assert screen.entries[Q11].mark is None and screen.entries[Q12].mark is None
            await pilot.press("h")
            assert "no hints during an exam" in str(screen.query_one("#status").render())
            await pilot.press("s")  # blanks remain: asked to press again
            assert "press s again" in str(screen.query_one("#status").render())
            await pilot.press("s")
            assert (screen.entries[Q11].mark, screen.entries[Q12].mark) == ("correct", "wrong")
            assert "1 correct, 0 carried, 1 wrong, 126 blank of 128 cells" in str(app.screen.title_text)  # type: ignore[attr-defined]
            await pilot.press("escape", "7")
            assert screen.entries[Q12].text == "5"  # submitted: no more changes

    run(drive())
    assert '"submitted": true' in path.read_text(encoding="utf-8")


def test_quit_saves_and_the_file_resumes(tmp_path: Path) -> None:
    s = session_for(tmp_path)
    path = Path(s.path)

    async def first() -> None:
        app = PracticeApp(s, saver(path), view="whole")  # type: ignore[arg-type]
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("2", "tab", "1", "tab", "9", "/")
            await pilot.press("q")
        assert app.return_code == 0

    run(first())
    back = session_for(tmp_path)
    storage.restore(back, storage.load(path.read_text(encoding="utf-8"), str(path)))

    async def second() -> None:
        app = PracticeApp(back, saver(path), view="whole")  # type: ignore[arg-type]
        async with app.run_test(size=(120, 40)) as pilot:
            screen = app.exercise
            assert [screen.entries[Cell("Q", 0, j)].text for j in range(3)] == ["2", "1", "9/"]
            assert screen.entries[Cell("Q", 0, 2)].mark == "unreadable"
            assert screen.current == Cell("Q", 0, 2)  # the first cell still to do
            await pilot.press("backspace", "backspace", "0")
            assert screen.entries[Cell("Q", 0, 2)].mark == "correct"

    run(second())


@pytest.mark.parametrize("size", [(80, 24), (160, 50)])
def test_step_view_shows_the_step_and_follows_the_cell(tmp_path: Path, size: tuple[int, int]) -> None:
    s = session_for(tmp_path)

    async def drive() -> None:
        app = PracticeApp(s)
        async with app.run_test(size=size) as pilot:
            screen = app.exercise
            assert screen.view == ("step" if size == (80, 24) else "whole")  # too small: one step at a time
            if screen.view == "whole":
                await pilot.press("v")
            await focus(screen, Cell("S", 0, 0))
            await pilot.pause()
            shown = {k for k, b in screen.blocks.items() if b.display}
            assert shown == {("Qcopy", "Q"), ("KT", "KT"), ("S", "S")}
            await pilot.press("down", "down", "down", "down")  # off S's foot into scaled: step 5
            assert screen.current == Cell("scaled", 0, 0)
            assert {k for k, b in screen.blocks.items() if b.display} == {("S", "S"), ("scaled", "scaled")}
            await pilot.press("v")
            assert all(b.display for b in screen.blocks.values())

    run(drive())


def test_the_window_picks_the_view_until_the_student_does(tmp_path: Path) -> None:
    async def drive() -> None:
        app = PracticeApp(session_for(tmp_path))
        async with app.run_test(size=(80, 24)) as pilot:
            screen = app.exercise
            assert screen.view == "step"
            await pilot.resize_terminal(160, 50)  # a browser sends its size once the page is open
            await pilot.pause()
            assert screen.view == "whole"
            await pilot.press("v")
            await pilot.resize_terminal(170, 55)
            await pilot.pause()
            assert screen.view == "step"  # chosen by the student: kept

    run(drive())


KEYS = st.lists(
    st.sampled_from(
        ["0", "1", "2", "3", "5", "9", "slash", "minus", "full_stop", "tab", "tab", "shift+tab", "enter",
         "backspace", "delete", "right", "down", "left", "up", "r", "h", "right_square_bracket"]
    ),
    min_size=1,
    max_size=14,
)  # fmt: skip


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sheet=st.sampled_from(SHEETS), keys=KEYS)
def test_random_keystrokes_then_check_gives_the_marks_the_screen_showed(
    tmp_path: Path, sheet: tuple[str, object], keys: list[str]
) -> None:
    sid, problem = sheet
    folder = Path(tempfile.mkdtemp(dir=tmp_path))  # each example its own: tmp_path outlives the examples
    s = sheet_session(folder, sid, problem)  # type: ignore[arg-type]
    path = Path(s.path)
    shown: dict[Cell, str | None] = {}

    async def drive() -> None:
        app = PracticeApp(s, saver(path), view="whole")  # type: ignore[arg-type]
        async with app.run_test(size=(160, 50)) as pilot:
            await pilot.press(*keys)
            await pilot.pause()
            shown.update({c: e.mark for c, e in app.exercise.entries.items()})

    run(drive())
    if not path.exists():  # nothing was changed, so nothing saved yet: the command saves on start
        save(s)
    verdicts = check_verdicts(path)
    assert shown == verdicts


def test_the_last_cell_brings_the_summary_check_prints(tmp_path: Path) -> None:
    from bythand.check import Report, Rules, grade_files
    from bythand.numbers import cell
    from bythand.practice.model import exact_text
    from bythand.render.report import summary_line

    s = session_for(tmp_path)
    path = Path(s.path)
    cells = list(s.cells())
    for c in cells[:-1]:
        s.set(c, exact_text(cell(s.trace[c.name], c.row, c.col)))
    s.set(cells[0], "7")  # one slip, carried into what was worked from it
    last = cells[-1]

    async def drive() -> None:
        app = PracticeApp(s, saver(path), view="whole")  # type: ignore[arg-type]
        async with app.run_test(size=(160, 50)) as pilot:
            assert app.exercise.current == last  # the only cell still to do
            await pilot.press(*exact_text(cell(s.trace[last.name], last.row, last.col)))
            assert app.screen is app.exercise  # no dialog while the number is being typed
            await pilot.press("enter")
            await pilot.pause()
            (report,) = grade_files([path], None, Rules())
            assert isinstance(report, Report)
            title = app.screen.title_text  # type: ignore[attr-defined]
            assert title == f"All cells filled: {summary_line(report)}"
            assert summary_line(report) == "127 correct, 0 carried, 1 wrong, 0 blank of 128 cells"

    run(drive())
