"""Big class sets compiled in chunks, each in a short-lived process, so memory stays flat.

typst keeps what it compiled in a process-wide cache that never shrinks (about 3 MB a sheet), so a
class of 1,000 sheets compiled in one process grows to gigabytes. Here every CHUNK_SHEETS sheets are
compiled in a child process, which exits after a few chunks (a fresh process starts cold, about a
second, so not after every chunk); the parts are then joined (PDF pages merged)."""

from __future__ import annotations

import io
import multiprocessing
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from . import worksheet as ws

CHUNK_SHEETS = 25  # sheets compiled together (one task)
TASKS_PER_PROCESS = 2  # then the process ends: at most 50 sheets (≈ 170 MB) of typst's cache


def render_documents(
    docs: Sequence[ws.Document], fmt: ws.OutputFormat, fill: frozenset[str], paper: str
) -> list[tuple[Path, bytes]]:
    """Every file of every document; in this process for a small set, else in chunks (see above)."""
    if fmt == "typ" or sum(len(doc.sheets) for doc in docs) <= CHUNK_SHEETS:
        return [f for doc in docs for f in ws.render_document(doc, fmt, fill, paper)]
    jobs: list[tuple[int, ws.Document]] = []  # (document, a chunk of its sheets): laid out by the child
    for index, doc in enumerate(docs):
        for start in range(0, len(doc.sheets), CHUNK_SHEETS):
            jobs.append((index, replace(doc, sheets=doc.sheets[start : start + CHUNK_SHEETS])))
    batches: list[list[tuple[int, ws.Document]]] = []
    size = CHUNK_SHEETS + 1
    for job in jobs:  # several one-sheet documents share a process, up to CHUNK_SHEETS sheets
        if not batches or size + len(job[1].sheets) > CHUNK_SHEETS:
            batches.append([])
            size = 0
        batches[-1].append(job)
        size += len(job[1].sheets)
    parts: list[list[bytes]] = [[] for _ in docs]
    context = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
    with context.Pool(processes=1, maxtasksperchild=TASKS_PER_PROCESS) as pool:
        done = pool.imap(_compile_batch, [(batch, fmt, fill, paper) for batch in batches])
        for batch, compiled in zip(batches, done, strict=True):
            for (index, _), pages in zip(batch, compiled, strict=True):
                parts[index].extend(pages)
    files: list[tuple[Path, bytes]] = []
    for doc, pieces in zip(docs, parts, strict=True):
        pages = [_merged_pdf(pieces)] if fmt == "pdf" else pieces
        if len(pages) == 1:
            files.append((doc.path.with_name(f"{doc.path.name}.{fmt}"), pages[0]))
        else:
            files += [(doc.path.with_name(f"{doc.path.name}-{i}.{fmt}"), p) for i, p in enumerate(pages, 1)]
    return files


def _compile_batch(
    task: tuple[list[tuple[int, ws.Document]], ws.OutputFormat, frozenset[str], str],
) -> list[list[bytes]]:
    """In a child process: lay out and compile each chunk of a batch (the parent holds no layouts)."""
    batch, fmt, fill, paper = task
    return [
        ws.compile_document(ws.document_data(d.sheets, d.key, fill, paper, d.interleave), fmt)
        for _, d in batch
    ]


def _merged_pdf(pieces: list[bytes]) -> bytes:
    """One PDF of the chunks' PDFs, page after page, with the first chunk's title and dates."""
    if len(pieces) == 1:
        return pieces[0]
    import pypdf

    writer = pypdf.PdfWriter()
    titles: list[str] = []
    for k, piece in enumerate(pieces):
        reader = pypdf.PdfReader(io.BytesIO(piece))
        writer.append(reader)
        info = dict(reader.metadata or {})
        titles.append(str(info.get("/Title", "")))
        if k == 0:
            writer.add_metadata(info)
    head, colon, _ = titles[0].partition(": ")  # "Answer key: ID, ID, ...": every chunk's ids
    if colon:
        writer.add_metadata({"/Title": head + ": " + ", ".join(t.partition(": ")[2] for t in titles)})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
