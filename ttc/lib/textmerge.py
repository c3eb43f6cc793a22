"""Three-way merge of prose, so that two accepted changes to one text both survive.

Markdown keeps a paragraph on one line, so a line-level merge alone would call
two edits to different sentences of one paragraph a conflict. The merge runs on
lines first (merge3, the diff3 algorithm) and retries each conflicting region
word by word; only what still collides is left for a person to resolve, and
every conflict keeps both sides whole.

Lines are matched with patience diff, which anchors on lines that occur once on
each side: for prose it aligns paragraphs as a reader would, and on long
sections it is many times faster than difflib.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from merge3 import Merge3
from patiencediff import PatienceSequenceMatcher

if TYPE_CHECKING:
    from merge3 import SequenceMatcherProtocol

_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")

#: The markers put around an unresolved conflict in a text an editor resolves.
OURS_MARKER = "<<<<<<<"
DIVIDER = "======="
THEIRS_MARKER = ">>>>>>>"


def words(text: str) -> list[str]:
    """Words, runs of white space and single punctuation marks: joined again,
    they give back the text exactly."""
    return _TOKEN.findall(text)


@dataclass(frozen=True)
class Conflict:
    base: str
    ours: str
    theirs: str


@dataclass(frozen=True)
class MergeResult:
    parts: tuple[str | Conflict, ...]

    @property
    def clean(self) -> bool:
        return not any(isinstance(part, Conflict) for part in self.parts)

    @property
    def conflicts(self) -> list[Conflict]:
        return [part for part in self.parts if isinstance(part, Conflict)]

    @property
    def text(self) -> str:
        """The merged text; raises if a conflict is left."""
        if not self.clean:
            raise ValueError("the merge has conflicts")
        return "".join(part for part in self.parts if isinstance(part, str))

    def marked(self, ours_label: str, theirs_label: str) -> str:
        """The text with each conflict written out between markers, both sides
        whole, for a person to resolve."""
        out: list[str] = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            out.append(f"{OURS_MARKER} {ours_label}\n{_line(part.ours)}{DIVIDER}\n")
            out.append(f"{_line(part.theirs)}{THEIRS_MARKER} {theirs_label}\n")
        return "".join(out)


def _line(text: str) -> str:
    return text if not text or text.endswith("\n") else text + "\n"


def has_conflict_markers(text: str) -> bool:
    """Whether an unresolved conflict is left. The divider alone is not one: a
    Markdown heading may be underlined with equals signs."""
    return any(line.startswith((OURS_MARKER, THEIRS_MARKER)) for line in text.splitlines())


def _regions(base: list[str], ours: list[str], theirs: list[str]) -> list[str | Conflict]:
    parts: list[str | Conflict] = []
    # The compiled matcher has difflib's interface, which merge3's protocol describes.
    matcher = cast("type[SequenceMatcherProtocol[str]]", PatienceSequenceMatcher)
    merge = Merge3(base, ours, theirs, sequence_matcher=matcher)
    for region in merge.merge_regions():
        kind = region[0]
        if kind == "unchanged":
            parts.append("".join(base[region[1] : region[2]]))
        elif kind in ("same", "a"):
            parts.append("".join(ours[region[1] : region[2]]))
        elif kind == "b":
            parts.append("".join(theirs[region[1] : region[2]]))
        else:
            # A conflict region: ("conflict", base_start, base_end, ours_start, ...).
            base_start, base_end, ours_start, ours_end, theirs_start, theirs_end = region[1:7]  # type: ignore[misc]
            parts.append(
                Conflict(
                    base="".join(base[base_start:base_end]),
                    ours="".join(ours[ours_start:ours_end]),
                    theirs="".join(theirs[theirs_start:theirs_end]),
                )
            )
    return parts


def merge(base: str, ours: str, theirs: str) -> MergeResult:
    """Merge `ours` and `theirs`, both changed from `base`."""
    if ours == theirs or theirs == base:
        return MergeResult((ours,))
    if ours == base:
        return MergeResult((theirs,))
    parts: list[str | Conflict] = []
    for part in _regions(
        base.splitlines(keepends=True),
        ours.splitlines(keepends=True),
        theirs.splitlines(keepends=True),
    ):
        if isinstance(part, Conflict):
            by_word = _regions(words(part.base), words(part.ours), words(part.theirs))
            if not any(isinstance(piece, Conflict) for piece in by_word):
                parts.append("".join(piece for piece in by_word if isinstance(piece, str)))
                continue
        parts.append(part)
    return MergeResult(tuple(_joined(parts)))


def _joined(parts: list[str | Conflict]) -> list[str | Conflict]:
    """Adjacent text pieces as one, so a result reads as text and conflicts."""
    out: list[str | Conflict] = []
    for part in parts:
        if isinstance(part, str) and out and isinstance(out[-1], str):
            out[-1] += part
        elif part != "":
            out.append(part)
    return out
