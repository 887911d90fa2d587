"""Rosters: a class list (name, optional id and email), the manifest of who got which sheet, and
matching handed-in answers files to students."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

from .errors import BythandError

MANIFEST_COLUMNS = ("name", "id", "email", "sheet", "file")


class RosterError(BythandError):
    """A roster or manifest that cannot be used, with the file and row."""


@dataclass(frozen=True)
class Student:
    """One student of a roster, and the sheet they were given (in a manifest)."""

    name: str
    id: str = ""
    email: str = ""
    sheet: str = ""
    file: str = ""


def read_roster(text: str, source: str, need_sheet: bool = False) -> list[Student]:
    """Students from CSV text with a `name` column (and optional `id`, `email`; `sheet` in a manifest)."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))  # a spreadsheet's byte-order mark is fine
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        raise RosterError(f"{source}: the roster is empty; give a header row with a name column")
    header = [h.strip().lower() for h in rows[0]]
    wanted = ("name", "sheet") if need_sheet else ("name",)
    for column in wanted:
        if column not in header:
            has = ", ".join(header) or "nothing"
            raise RosterError(f"{source}: no {column} column (the header row has {has})")
    students: list[Student] = []
    for number, row in enumerate(rows[1:], start=2):
        values = {h: _unescaped(row[i].strip() if i < len(row) else "") for i, h in enumerate(header)}
        if not values["name"]:
            raise RosterError(f"{source}: row {number} has no name")
        if need_sheet and not values["sheet"]:
            raise RosterError(f"{source}: row {number} ({values['name']}) has no sheet id")
        students.append(Student(*(values.get(c, "") for c in MANIFEST_COLUMNS)))
    if not students:
        raise RosterError(f"{source}: the roster has a header but no students")
    seen: dict[str, int] = {}
    for number, s in enumerate(students, start=2):
        key = s.name.casefold()
        if key in seen:
            raise RosterError(f"{source}: row {number} repeats the name {s.name!r} of row {seen[key]}")
        seen[key] = number
    return students


def manifest_csv(students: Sequence[Student]) -> str:
    """The manifest: who got which sheet, in which file."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(MANIFEST_COLUMNS)
    for s in students:
        writer.writerow([safe_cell(v) for v in (s.name, s.id, s.email, s.sheet, s.file)])
    return buffer.getvalue()


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _unescaped(text: str) -> str:
    """A cell as it was before safe_cell escaped it (a manifest read back)."""
    return text[1:] if text.startswith("'") and text[1:2] in FORMULA_STARTS and text[1:2] else text


def safe_cell(text: str) -> str:
    """A CSV cell a spreadsheet will show as text, never run as a formula (a leading ' escapes it)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


@dataclass(frozen=True)
class Match:
    """Who a handed-in file belongs to, and what is wrong with it."""

    student: Student | None  # whose work it is (by its sheet, else by its name)
    sheet_student: Student | None  # whose sheet it names, when it names one on the roster
    flags: tuple[str, ...] = ()
    error: str | None = None  # a file that cannot be graded as it stands (someone else's sheet)


def match(entries: Sequence[tuple[str, str | None, str | None]], students: Sequence[Student]) -> list[Match]:
    """Match each (file, canonical sheet id or None, name or None) to its student by sheet id or name."""
    by_sheet = {s.sheet: s for s in students if s.sheet}
    by_name = {s.name.casefold(): s for s in students}
    out: list[Match] = []
    for _, sheet, name in entries:
        owner = by_sheet.get(sheet) if sheet else None
        named = by_name.get(name.casefold()) if name else None
        if owner is not None and named is not None and named is not owner:
            error = f"wrong sheet: sheet {sheet} is {owner.name}'s; {named.name}'s sheet is {named.sheet}"
            out.append(Match(named, owner, ("wrong sheet",), error))
        elif owner is not None:
            out.append(Match(owner, owner))
        elif sheet and named is not None:
            error = f"wrong sheet: sheet {sheet} is not {named.name}'s ({named.name}'s is {named.sheet})"
            out.append(Match(named, None, ("wrong sheet",), error))
        elif named is not None:
            out.append(Match(named, None))  # no sheet written: graded against the student's own sheet
        else:
            out.append(Match(None, None, ("not on the roster",)))
    for student in students:  # two files for one student's sheet: both flagged, both graded
        mine = [i for i, m in enumerate(out) if m.student is student]
        if len(mine) > 1:
            files = ", ".join(entries[i][0] for i in mine)
            for i in mine:
                m = out[i]
                out[i] = Match(m.student, m.sheet_student, (*m.flags, f"duplicate: {files}"), m.error)
    return out
