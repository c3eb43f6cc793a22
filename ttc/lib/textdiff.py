"""Differences between two versions of a text, word by word, for people to read.

Pages render the pieces with <ins> and <del> themselves (escaped by the
template), so no markup or inline style comes from here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import zip_longest
from typing import Literal

from patiencediff import PatienceSequenceMatcher

from ttc.lib.textmerge import words

Op = Literal["equal", "insert", "delete"]


@dataclass(frozen=True)
class Piece:
    op: Op
    text: str


@dataclass(frozen=True)
class Row:
    """One line of a side-by-side view: the old line and the new line, each as pieces."""

    old: tuple[Piece, ...]
    new: tuple[Piece, ...]
    changed: bool


def _opcodes(old: list[str], new: list[str]) -> Sequence[tuple[str, int, int, int, int]]:
    # Patience diff anchors on words that occur once on each side: it reads as a
    # person would, and unlike difflib it stays fast on hostile input such as a
    # text of thousands of repeated words.
    return PatienceSequenceMatcher(None, old, new).get_opcodes()


def inline(old: str, new: str) -> list[Piece]:
    """The new text with what was removed and added marked, word by word."""
    before, after = words(old), words(new)
    pieces: list[Piece] = []
    for tag, i1, i2, j1, j2 in _opcodes(before, after):
        if tag == "equal":
            pieces.append(Piece("equal", "".join(before[i1:i2])))
            continue
        if i2 > i1:
            pieces.append(Piece("delete", "".join(before[i1:i2])))
        if j2 > j1:
            pieces.append(Piece("insert", "".join(after[j1:j2])))
    return pieces


def side_by_side(old: str, new: str) -> list[Row]:
    """Old and new line by line; a changed pair of lines also shows which words changed."""
    before, after = old.splitlines(), new.splitlines()
    rows: list[Row] = []
    for tag, i1, i2, j1, j2 in _opcodes(before, after):
        if tag == "equal":
            rows.extend(
                Row((Piece("equal", line),), (Piece("equal", line),), False)
                for line in before[i1:i2]
            )
            continue
        for old_line, new_line in zip_longest(before[i1:i2], after[j1:j2]):
            rows.append(_changed_row(old_line, new_line))
    return rows


def _changed_row(old_line: str | None, new_line: str | None) -> Row:
    if old_line is None:
        return Row((), (Piece("insert", new_line or ""),), True)
    if new_line is None:
        return Row((Piece("delete", old_line),), (), True)
    pieces = inline(old_line, new_line)
    return Row(
        tuple(piece for piece in pieces if piece.op != "insert"),
        tuple(piece for piece in pieces if piece.op != "delete"),
        True,
    )


def changed(old: str, new: str) -> tuple[int, int]:
    """Words added and removed: a short summary of a change."""
    added = removed = 0
    for piece in inline(old, new):
        count = sum(1 for token in words(piece.text) if token[0].isalnum() or token[0] == "_")
        if piece.op == "insert":
            added += count
        elif piece.op == "delete":
            removed += count
    return added, removed
