"""Sheets that use the page: boxes at least the floor and as wide as their key values, nothing
overlapping, everything inside the margins, few pages; headers that never collide.

Most checks read the layout data given to typst (no PDF is compiled); the header and the value
widths are measured by typst itself."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import typst

from bythand import walk
from bythand.generate import DIFFICULTIES, SplitMix, class_set, make_params
from bythand.layout import COPY_KINDS, GIVEN_KINDS
from bythand.problem import Convention, Problem, example_names, load_example
from bythand.render import paper as pp
from bythand.render import worksheet as ws

EPS = 1e-3  # the layout data is rounded to a thousandth of a millimetre
CONVENTIONS: tuple[Convention, ...] = ("columns", "rows")


def sheet_of(problem: Problem, sid: str, title: str | None = None) -> ws.Sheet:
    return ws.Sheet(walk(problem), sid, f"bythand check --sheet {sid} answers.toml", title or problem.title)


def random_cases() -> Iterator[tuple[str, ws.Sheet, str, bool]]:
    """200 random sheets over difficulties, heads, masks, methods, conventions, papers and sizes."""
    rng = SplitMix(2026)
    for i in range(200):
        level = DIFFICULTIES[i % 3]
        heads = 1 + (i // 3) % 3
        mask = ("none", "causal")[(i // 9) % 2]
        convention = CONVENTIONS[(i // 18) % 2]
        paper = ("a4", "us-letter")[(i // 36) % 2]
        approx = i % 7 != 6
        custom = i % 5 == 4  # other sizes than the difficulty's own
        n, d, k, v = (2 + rng.below(4), 2 + rng.below(6), 1 + rng.below(4), 1 + rng.below(4))
        sizes: dict[str, int | None] = {"tokens": n, "dim": d, "dk": k, "dv": v} if custom else {}
        params = make_params(**sizes, difficulty=level, approx=approx, mask=mask, heads=heads)
        ((sid, problem),) = class_set(params, 40 + i, 1)
        yield f"random-{i}-{sid}", sheet_of(problem.in_convention(convention), sid), paper, not custom


def embedded() -> list[tuple[str, Problem]]:
    """Problems that start from tokens (step 0: X = embed + P), from the embedding tests."""
    from test_code import IDS, WORDS

    from bythand.problem import parse_problem_text

    return [
        (n, parse_problem_text(text, f"{n}.toml", "toml")) for n, text in (("words", WORDS), ("ids", IDS))
    ]


CASES = (
    [
        (f"{name}-{conv}-{paper}", sheet_of(load_example(name).in_convention(conv), name), paper, True)
        for name, conv, paper in itertools.product(example_names(), CONVENTIONS, pp.PAPERS)
    ]
    + [
        (f"{name}-{conv}-{paper}", sheet_of(problem.in_convention(conv), name), paper, True)
        for (name, problem), conv, paper in itertools.product(embedded(), CONVENTIONS, pp.PAPERS)
    ]
    + list(random_cases())
)


def rect(box: dict[str, Any]) -> tuple[float, float, float, float]:
    return box["x"], box["y"], box["x"] + box["w"], box["y"] + box["h"]


def title_rect(box: dict[str, Any]) -> tuple[float, float, float, float]:
    return box["x"], box["y"], box["x"] + box["tw"], box["y"] + box["th"]


def overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] - EPS and b[0] < a[2] - EPS and a[1] < b[3] - EPS and b[1] < a[3] - EPS


def pages_of(sheet: ws.Sheet, paper: str, key: bool = True) -> list[dict[str, Any]]:
    pages: list[dict[str, Any]] = ws.document_data([sheet], key, frozenset(), paper)["sheets"][0]["pages"]
    return pages


@pytest.mark.parametrize(("name", "sheet", "paper", "own_sizes"), CASES, ids=[c[0] for c in CASES])
def test_boxes_fit_their_values_and_the_page(name: str, sheet: ws.Sheet, paper: str, own_sizes: bool) -> None:
    pages = pages_of(sheet, paper)
    for number, page in enumerate(pages):
        width, height = pp.content_area(paper, page["orientation"], number == 0)
        top = pp.HEADER if number == 0 else pp.STRIP
        boxes = page["boxes"]
        for box in boxes:
            where = (name, number + 1, box["name"], box["kind"])
            cells = box["cells"]
            # at least the floor: room for a handwritten 27/46
            if box["kind"] not in GIVEN_KINDS:
                floor_w = pp.COPY_W if box["kind"] in COPY_KINDS else pp.FLOOR_W
                assert min(box["cws"]) >= floor_w - EPS and min(box["chs"]) >= pp.FLOOR_H - EPS, where
            # every column at least as wide as its longest key value at the key's font size
            for j, cw in enumerate(box["cws"]):
                widest = max(pp.value_mm(row[j], box["size"]) for row in cells)
                assert cw >= widest + 2 * pp.CELL_PAD - EPS, (*where, j, cw, widest)
            assert len(box["cws"]) == len(cells[0]) and len(box["chs"]) == len(cells), where
            # inside the margins, under the header
            assert box["x"] >= -EPS and box["x"] + max(box["w"], box["tw"]) <= width + EPS, where
            assert box["y"] >= top - EPS and box["y"] + box["h"] <= top + height + EPS, where
        for sign in page["signs"]:  # step 0's + and =: on the page, clear of every box
            r = (sign["x"], sign["y"], sign["x"] + sign["w"], sign["y"] + sign["h"])
            assert r[0] >= -EPS and r[2] <= width + EPS and r[1] >= top - EPS and r[3] <= top + height + EPS
            assert not any(overlap(r, rect(b)) for b in boxes), (name, sign)
        # no two boxes (with their titles and labels) overlap, nor any title another box
        for a, b in itertools.combinations(boxes, 2):
            assert not overlap(rect(a), rect(b)), (name, a["name"], a["kind"], b["name"], b["kind"])
            assert not overlap(title_rect(a), rect(b)) and not overlap(title_rect(b), rect(a)), (
                name,
                a["name"],
            )
    # each matrix once (and the copies once), X once, each head's crosses on one page
    drawn = [(b["name"], b["kind"]) for page in pages for b in page["boxes"]]
    assert len(drawn) == len(set(drawn)) and len([k for _, k in drawn if k in ("X", "Xsum")]) == 1
    heads = len(sheet.trace.problem.heads)
    if own_sizes and heads > 1 and sheet.trace.options.convention == "columns":
        for h in range(1, heads + 1):
            on = {
                i
                for i, page in enumerate(pages)
                for b in page["boxes"]
                if b["head"] == h and b["kind"] != "X"
            }
            assert len(on) == 1, (name, h, on)
    # the key and the student's sheet share every position
    blank = pages_of(sheet, paper, key=False)
    strip = [{k: v for k, v in b.items() if k not in ("cells", "fill")} for p in blank for b in p["boxes"]]
    assert strip == [
        {k: v for k, v in b.items() if k not in ("cells", "fill")} for p in pages for b in p["boxes"]
    ]


def page_count(problem: Problem, paper: str) -> int:
    return len(pages_of(sheet_of(problem, "x"), paper))


@pytest.mark.parametrize("paper", list(pp.PAPERS))
def test_page_counts(paper: str) -> None:
    expected = {"self-attention-6x4": 1, "self-attention-6x4-exact": 1, "masked-6x4": 1,
                "cross-attention-6x4": 1, "multi-head-2x4": 2}  # fmt: skip
    assert {name: page_count(load_example(name), paper) for name in example_names()} == expected
    rows = {name: page_count(load_example(name).in_convention("rows"), paper) for name in example_names()}
    if paper == "a4":  # drawn in rows: the same counts on A4; on US letter the 6×4 self-attention takes 2
        assert rows == expected
    else:
        assert rows == expected | {"self-attention-6x4": 2, "self-attention-6x4-exact": 2, "masked-6x4": 2}
    # the multi-head sheet: one page per head, nothing split, X once (on the first)
    pages = pages_of(sheet_of(load_example("multi-head-2x4"), "m"), paper)
    assert [sorted({b["head"] for b in p["boxes"]} - {None}) for p in pages] == [[1], [2]]
    # a random sheet of each difficulty (its own sizes, one head) is one page, in either convention
    for level, mask in itertools.product(DIFFICULTIES, ("none", "causal")):
        for sid, problem in class_set(make_params(difficulty=level, mask=mask), 5, 4):
            assert page_count(problem, paper) == 1, sid
            if paper == "a4":
                assert page_count(problem.in_convention("rows"), paper) == 1, sid


def test_boxes_grow_into_free_room() -> None:
    # the classic is as large as one page allows; a small sheet's boxes grow well past the floor
    small = ws.layout(walk(class_set(make_params(difficulty="easy"), 1, 1)[0][1]), True, frozenset(), "a4")
    q = next(b for b in small[0]["boxes"] if b["kind"] == "Q")
    assert min(q["cws"]) >= 1.25 * pp.FLOOR_W and min(q["chs"]) >= 1.25 * pp.FLOOR_H
    classic = ws.layout(walk(load_example("self-attention-6x4")), True, frozenset(), "a4")
    a = next(b for b in classic[0]["boxes"] if b["kind"] == "A")
    assert min(a["cws"]) >= pp.FLOOR_W and len(classic) == 1


def test_the_largest_sheets_stay_on_the_paper() -> None:
    for params in (
        make_params(tokens=8, dim=8, dk=8, dv=8, difficulty="hard"),
        make_params(tokens=8, dim=8, dk=4, dv=4, heads=4, mask="causal"),
    ):
        problem = class_set(params, 1, 1)[0][1]
        for paper in pp.PAPERS:
            pages = pages_of(sheet_of(problem, "big"), paper)
            assert len(pages) >= 2  # bigger problems flow onto more pages, and never off the paper
            for number, page in enumerate(pages):
                width, height = pp.content_area(paper, page["orientation"], number == 0)
                top = pp.HEADER if number == 0 else pp.STRIP
                for box in page["boxes"]:
                    assert box["x"] + box["w"] <= width + EPS and box["y"] + box["h"] <= top + height + EPS


# Measured by typst: the template's own value() and header


def _template_function(name: str) -> str:
    text = ws.template_text()
    start = text.index(f"#let {name}(")
    end = text.index("\n}\n", start) + 3
    return text[start:end]


def test_value_widths_cover_what_typst_prints() -> None:
    trace_values = []
    for name in example_names():
        cells = pp.Cells(walk(load_example(name)))
        names = [m for m in ("A", "Z", "E", "sums", "S", "h1.A", "h2.Z", "O") if m in cells.trace.matrices]
        trace_values += [c for m in names for row in cells.of(m) for c in row]
    samples = [*trace_values, {"num": "−243", "den": "352"}, {"num": "837", "den": "280"}, {"text": "−∞"},
               {"text": "−12.35"}, {"text": "0.07"}, {"num": "1", "den": "1000"}]  # fmt: skip
    doc = "\n".join([
        '#let data = (masked: "#808080")', "#let ink = black", '#set text(font: "Libertinus Serif")',
        _template_function("value"),
        f"#let samples = json(bytes({json.dumps(json.dumps(samples))}))",
        "#context for c in samples { [#metadata(measure(value(c, 8)).width.mm()) <w>] }",
    ])  # fmt: skip
    widths = json.loads(typst.query(doc.encode(), "<w>", field="value", ignore_system_fonts=True))
    assert len(widths) == len(samples)
    for c, measured in zip(samples, widths, strict=True):
        assert pp.value_mm(c, 8) >= measured - 0.05, (c, measured, pp.value_mm(c, 8))


def header_items(data: dict[str, Any]) -> list[dict[str, Any]]:
    out = typst.query(ws.template_text().encode(), "<header-item>", field="value",
                      ignore_system_fonts=True, sys_inputs={ws.DATA_KEY: ws.data_json(data)})  # fmt: skip
    items: list[dict[str, Any]] = json.loads(out)
    return items


def test_headers_never_collide() -> None:
    long = "Masked multi-head attention with e^x and scaling by √d_k: a long title for a sheet"
    sheets = [sheet_of(load_example(n), n) for n in example_names()]
    sheets.append(sheet_of(load_example("masked-6x4").in_convention("rows"), "masked-rows"))
    random = class_set(make_params(difficulty="hard", mask="causal", heads=2), 9, 1)[0]
    sheets.append(sheet_of(random[1], random[0], long))
    sheets.append(sheet_of(load_example("self-attention-6x4"), "W" * 16, "x" * 89))
    from dataclasses import replace

    sheets.append(replace(sheet_of(random[1], random[0], long), student="Maximiliana Wolkenstein-Oberndorf"))
    for key in (False, True):
        data = ws.document_data(sheets, key, frozenset(), "a4")
        items = header_items(data)
        widths = [
            pp.PAPERS["a4"][p["orientation"] == "landscape"] for s in data["sheets"] for p in s["pages"]
        ]
        pages = {i["page"] for i in items}
        assert len(pages) == len(sheets)  # one header per sheet
        for page in pages:
            on = {i["what"]: i for i in items if i["page"] == page}
            assert set(on) == {"title", "name", "id", "method", "check"}
            for a, b in itertools.combinations(on.values(), 2):
                ra = (a["x"], a["y"], a["x"] + a["w"], a["y"] + a["h"])
                rb = (b["x"], b["y"], b["x"] + b["w"], b["y"] + b["h"])
                assert not overlap(ra, rb), (key, page, a, b)
            for item in on.values():  # inside the margins, above the first box
                assert (
                    item["x"] >= pp.MARGIN - EPS
                    and item["x"] + item["w"] <= widths[page - 1] - pp.MARGIN + EPS
                )
                assert item["y"] + item["h"] <= pp.MARGIN + pp.HEADER + EPS, item
            assert on["title"]["x"] + on["title"]["w"] < on["id"]["x"]  # ANSWER KEY never under the title


def test_titles_typeset_their_maths(tmp_path: Any) -> None:
    from test_worksheet import pdf_text

    sheet = sheet_of(load_example("self-attention-6x4"), "maths", "Attention with e^x and √d_k, W_Q")
    text = pdf_text(ws.compile_document(ws.document_data([sheet], False, frozenset(), "a4"), "pdf")[0])[0]
    first = text.splitlines()[0].split("Name:")[0]
    assert "^" not in first and "_" not in first, first  # e^x, √d_k and W_Q typeset ...
    assert re.search("\N{MATHEMATICAL ITALIC SMALL E}\\s*x", first) and "√" in first, first  # ... as maths


def test_box_titles_fit_at_full_size() -> None:
    sheets = []
    for convention in CONVENTIONS:
        sheets += [sheet_of(load_example(n).in_convention(convention), n) for n in example_names()]
        sheets += [sheet_of(p.in_convention(convention), n) for n, p in embedded()]
        for level in DIFFICULTIES:
            for sid, problem in class_set(make_params(difficulty=level, mask="causal", heads=2), 3, 1):
                sheets.append(sheet_of(problem.in_convention(convention), sid))
    data = ws.document_data(sheets, True, frozenset(), "a4")
    out = typst.query(ws.template_text().encode(), "<box-title>", field="value",
                      ignore_system_fonts=True, sys_inputs={ws.DATA_KEY: ws.data_json(data)})  # fmt: skip
    titles = json.loads(out)
    assert len(titles) == sum(len(p["boxes"]) for s in data["sheets"] for p in s["pages"])
    for t in titles:  # typst shrinks a title wider than its room; none of these needs it
        assert t["natural"] <= t["room"] + EPS, t


CROSSES = {("X", "Q"), ("Xcopy", "Q"), ("embed", "Xsum"), ("Qcopy", "S"), ("KT", "S"), ("A", "Z"),
           ("Vcopy", "Z"), ("WQ", "Q"), ("WK", "K"), ("WV", "V"), ("concat", "O"), ("Zcopy", "O"),
           ("WO", "O")}  # fmt: skip


@pytest.mark.parametrize(("name", "sheet", "paper", "own_sizes"), CASES[::5], ids=[c[0] for c in CASES[::5]])
def test_the_pdf_keeps_the_layouts_crosses(name: str, sheet: ws.Sheet, paper: str, own_sizes: bool) -> None:
    from bythand.layout import layout

    canvas = layout(sheet.trace)
    where = {
        (b["name"], b["kind"]): (i, b["run"], b)
        for i, p in enumerate(pages_of(sheet, paper))
        for b in p["boxes"]
    }
    for panel in canvas.panels:
        for a, b in itertools.combinations(panel.items, 2):
            (pa, ra, ba), (pb, rb, bb) = where[a.name, a.kind], where[b.name, b.kind]
            if {(a.kind, b.kind), (b.kind, a.kind)} & CROSSES and a.head == b.head:
                assert (pa, ra) == (pb, rb), (name, a.name, b.name)  # a product's cross is never cut
            if (pa, ra) != (pb, rb):
                continue
            cells_a, cells_b = ba["y"] + ba["th"] + ba["hh"], bb["y"] + bb["th"] + bb["hh"]
            if a.top == b.top:  # side by side in the layout: their cells start on one line
                assert cells_a == pytest.approx(cells_b), (name, a, b)
            if a.left == b.left:  # one above the other: their cells start in one column
                assert ba["x"] + ba["lw"] == pytest.approx(bb["x"] + bb["lw"]), (name, a, b)
            if a.top == b.top and a.rows == b.rows:
                assert ba["chs"] == bb["chs"], (name, a, b)
            if a.left == b.left and a.cols == b.cols:
                assert ba["cws"] == bb["cws"], (name, a, b)
            if a.right <= b.left:  # left of it in the layout: left of it on paper
                assert ba["x"] + ba["w"] <= bb["x"] + bb["lw"] + EPS, (name, a, b)
            if a.bottom <= b.top:  # above it in the layout: above it on paper
                assert cells_a + sum(ba["chs"]) <= bb["y"] + EPS, (name, a, b)
