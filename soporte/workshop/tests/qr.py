"""Read back the QR code a receipt PDF draws (vector modules) as a set of dark modules."""

from __future__ import annotations

import re

import segno

from soporte.workshop import receipts

RECT = re.compile(rb"([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+) re f")


def modules_in_pdf(pdf: bytes, size: int) -> set[tuple[int, int]]:
    """The (row, column) of every dark module drawn, for a code of `size` modules a side
    (quiet zone included) placed where `receipts.repair_pdf` puts it."""
    x0 = receipts.WIDTH - receipts.MARGIN - receipts.QR_SIZE
    y0 = receipts.HEIGHT - receipts.MARGIN - receipts.QR_SIZE
    module = receipts.QR_SIZE / size
    cells = set()
    for match in RECT.finditer(pdf):
        x, y, w, _h = (float(v) for v in match.groups())
        row = round((y0 + receipts.QR_SIZE - y) / module) - 1
        start = round((x - x0) / module)
        for column in range(start, start + round(w / module)):
            cells.add((row, column))
    return cells


def modules_of(text: str) -> tuple[set[tuple[int, int]], int]:
    rows = [
        list(row) for row in segno.make(text, error="m", micro=False).matrix_iter(scale=1, border=4)
    ]
    return {(r, c) for r, row in enumerate(rows) for c, dark in enumerate(row) if dark}, len(rows)


def encodes(pdf: bytes, text: str) -> bool:
    expected, size = modules_of(text)
    return modules_in_pdf(pdf, size) == expected
