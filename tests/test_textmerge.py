"""Three-way merge of prose (ttc/lib/textmerge.py) and word diffs (ttc/lib/textdiff.py)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ttc.lib import textdiff, textmerge
from ttc.lib.textdiff import Piece, Row
from ttc.lib.textmerge import Conflict, MergeResult, merge, words

WORD = st.text(alphabet="abcdeéfghijklmnopqrstuvwxyz", min_size=1, max_size=8)


@st.composite
def documents(
    draw: st.DrawFn, *, separator: str = "\n\n", conflict: bool = False, own_words: bool = False
) -> dict:
    """A text of distinct paragraphs, and two sides editing disjoint paragraphs
    (or, with `conflict`, one paragraph both sides change differently).

    A leading tag keeps every paragraph distinct; its words may repeat in
    other paragraphs, unless `own_words`."""
    count = draw(st.integers(min_value=2, max_value=25))

    def paragraph(tag: str, index: int) -> str:
        body = draw(st.lists(WORD, min_size=0, max_size=12))
        if own_words:
            body = [f"{word}{tag}{index}" for word in body]
        return " ".join([f"{tag}{index}", *body]) + "."

    base = [paragraph("p", i) for i in range(count)]
    indexes = list(range(count))
    ours_edits = draw(st.sets(st.sampled_from(indexes), max_size=count))
    theirs_edits = draw(st.sets(st.sampled_from(indexes), max_size=count).map(set))
    theirs_edits -= ours_edits
    shared = None
    if conflict:
        shared = draw(st.sampled_from(indexes))
        ours_edits.add(shared)
        theirs_edits.add(shared)
    ours, theirs = list(base), list(base)
    for i in ours_edits:
        ours[i] = paragraph("o", i)
    for i in theirs_edits:
        theirs[i] = paragraph("t", i)
    expected = [
        ours[i] if i in ours_edits else theirs[i] if i in theirs_edits else base[i] for i in indexes
    ]

    def join(paragraphs: list[str]) -> str:
        return separator.join(paragraphs) + "\n"

    return {
        "base": join(base),
        "ours": join(ours),
        "theirs": join(theirs),
        "expected": join(expected),
        "ours_edits": sorted(ours_edits),
        "theirs_edits": sorted(theirs_edits),
        "ours_paragraphs": ours,
        "theirs_paragraphs": theirs,
        "shared": shared,
    }


@settings(max_examples=150, deadline=None)
@given(documents())
def test_disjoint_paragraph_edits_merge_cleanly_keeping_both(case: dict) -> None:
    result = merge(case["base"], case["ours"], case["theirs"])
    assert result.clean
    assert result.text == case["expected"]


@settings(max_examples=150, deadline=None)
@given(documents(separator="\n", own_words=True))
def test_disjoint_line_edits_merge_cleanly_even_next_to_each_other(case: dict) -> None:
    """Adjacent changed lines collide line by line; word by word they do not.

    Each line has words of its own here: when lines share words, the word
    diff may align one line's words with another's and report a conflict
    (see test_adjacent_lines_sharing_words_may_conflict_but_lose_nothing)."""
    result = merge(case["base"], case["ours"], case["theirs"])
    assert result.clean
    assert result.text == case["expected"]


@settings(max_examples=200, deadline=None)
@given(st.text(), st.text())
def test_identical_sides_give_that_side(base: str, changed: str) -> None:
    result = merge(base, changed, changed)
    assert result.clean
    assert result.text == changed


@settings(max_examples=200, deadline=None)
@given(st.text(), st.text())
def test_an_unchanged_side_gives_the_changed_side(base: str, changed: str) -> None:
    assert merge(base, base, changed).text == changed
    assert merge(base, changed, base).text == changed


@settings(max_examples=150, deadline=None)
@given(documents(conflict=True))
def test_a_conflict_keeps_both_sides_whole(case: dict) -> None:
    result = merge(case["base"], case["ours"], case["theirs"])
    assert not result.clean
    with pytest.raises(ValueError, match="conflicts"):
        _ = result.text
    marked = result.marked("huidige tekst", "voorstel")
    assert textmerge.has_conflict_markers(marked)
    shared = case["shared"]
    for conflict in result.conflicts:
        assert conflict.ours in marked
        assert conflict.theirs in marked
    # Both versions of the paragraph both sides changed, word for word...
    assert case["ours_paragraphs"][shared] in marked
    assert case["theirs_paragraphs"][shared] in marked
    # ...and every change that did not collide.
    for i in case["ours_edits"]:
        assert case["ours_paragraphs"][i] in marked
    for i in case["theirs_edits"]:
        assert case["theirs_paragraphs"][i] in marked


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_words_give_back_the_text(text: str) -> None:
    assert "".join(words(text)) == text


def test_adjacent_lines_sharing_words_merge_line_by_line() -> None:
    """Found by the property above: a word-level retry lined up "a a." of one
    line with that of the next and called it a conflict. Patience diff anchors
    on the unchanged line, so both edits survive."""
    base = "p8.\np9 a a.\np10.\n"
    ours = "o8 a a.\no9.\np10.\n"
    theirs = "p8.\np9 a a.\nt10.\n"
    assert merge(base, ours, theirs).text == "o8 a a.\no9.\nt10.\n"


def test_words_split_words_space_and_punctuation() -> None:
    assert words("Hallo,  wereld!\n") == ["Hallo", ",", "  ", "wereld", "!", "\n"]


def test_edits_to_different_sentences_of_one_paragraph_merge() -> None:
    base = "De GGD opent een teststraat. Iedereen krijgt een afspraak.\n"
    ours = "De GGD opent een tweede teststraat. Iedereen krijgt een afspraak.\n"
    theirs = "De GGD opent een teststraat. Iedereen krijgt binnen een dag een afspraak.\n"
    result = merge(base, ours, theirs)
    assert result.text == (
        "De GGD opent een tweede teststraat. Iedereen krijgt binnen een dag een afspraak.\n"
    )


def test_the_same_sentence_changed_differently_conflicts_with_whole_lines() -> None:
    base = "Eerste alinea.\n\nHoud afstand.\n\nLaatste alinea.\n"
    ours = "Eerste alinea.\n\nHoud anderhalve meter afstand.\n\nLaatste alinea.\n"
    theirs = "Eerste alinea.\n\nHoud twee meter afstand.\n\nLaatste alinea.\n"
    result = merge(base, ours, theirs)
    assert result.conflicts == [
        Conflict(
            base="Houd afstand.\n",
            ours="Houd anderhalve meter afstand.\n",
            theirs="Houd twee meter afstand.\n",
        )
    ]
    assert result.marked("huidig", "voorstel") == (
        "Eerste alinea.\n\n"
        "<<<<<<< huidig\nHoud anderhalve meter afstand.\n=======\n"
        "Houd twee meter afstand.\n>>>>>>> voorstel\n"
        "\nLaatste alinea.\n"
    )


def test_a_conflict_at_the_end_without_a_line_break_still_gets_its_markers_on_lines() -> None:
    result = merge("a", "b", "c")
    assert result.marked("x", "y") == "<<<<<<< x\nb\n=======\nc\n>>>>>>> y\n"


def test_conflict_markers_are_found_only_at_the_start_of_a_line() -> None:
    assert textmerge.has_conflict_markers("tekst\n<<<<<<< huidig\n")
    # The divider alone is a Markdown heading's underline, not a conflict.
    assert not textmerge.has_conflict_markers("Titel\n=======\n")
    assert textmerge.has_conflict_markers(">>>>>>> voorstel")
    assert not textmerge.has_conflict_markers("a ======= b\n")
    assert not textmerge.has_conflict_markers("Een pijl -> en <- terug.\n")


def test_a_clean_result_is_its_text() -> None:
    assert MergeResult(("een ", "twee")).text == "een twee"
    assert MergeResult(("een",)).marked("x", "y") == "een"


# --- textdiff ------------------------------------------------------------------------


def test_inline_marks_the_changed_words() -> None:
    pieces = textdiff.inline("Houd afstand van elkaar.", "Houd twee meter afstand van elkaar.")
    assert [(piece.op, piece.text.strip()) for piece in pieces] == [
        ("equal", "Houd"),
        ("insert", "twee meter"),
        ("equal", "afstand van elkaar."),
    ]
    assert textdiff.inline("De GGD test.", "De GGD meet.") == [
        Piece("equal", "De GGD "),
        Piece("delete", "test"),
        Piece("insert", "meet"),
        Piece("equal", "."),
    ]


def test_inline_stays_fast_on_thousands_of_repeated_words() -> None:
    """Repeated words made difflib take minutes: a proposal could tie up the server."""
    pieces = textdiff.inline("x " * 25_000, "y x " * 12_500)
    assert "".join(piece.text for piece in pieces if piece.op != "delete") == "y x " * 12_500


def test_inline_of_equal_and_empty_texts() -> None:
    assert textdiff.inline("Gelijk.", "Gelijk.") == [Piece("equal", "Gelijk.")]
    assert textdiff.inline("", "") == []
    assert textdiff.inline("", "Nieuw") == [Piece("insert", "Nieuw")]
    assert textdiff.inline("Weg", "") == [Piece("delete", "Weg")]


@settings(max_examples=200, deadline=None)
@given(st.text(), st.text())
def test_inline_pieces_rebuild_both_texts(old: str, new: str) -> None:
    pieces = textdiff.inline(old, new)
    assert "".join(p.text for p in pieces if p.op != "insert") == old
    assert "".join(p.text for p in pieces if p.op != "delete") == new


def test_side_by_side_pairs_lines_and_marks_words() -> None:
    old = "Eerste regel.\nTweede regel.\nDerde regel.\n"
    new = "Eerste regel.\nTweede, nieuwe regel.\nDerde regel.\nVierde regel.\n"
    assert textdiff.side_by_side(old, new) == [
        Row((Piece("equal", "Eerste regel."),), (Piece("equal", "Eerste regel."),), False),
        Row(
            (Piece("equal", "Tweede"), Piece("equal", " regel.")),
            (Piece("equal", "Tweede"), Piece("insert", ", nieuwe"), Piece("equal", " regel.")),
            True,
        ),
        Row((Piece("equal", "Derde regel."),), (Piece("equal", "Derde regel."),), False),
        Row((), (Piece("insert", "Vierde regel."),), True),
    ]


def test_side_by_side_shows_a_removed_line_on_the_old_side_only() -> None:
    rows = textdiff.side_by_side("Blijft.\nWeg.\n", "Blijft.\n")
    assert rows[-1] == Row((Piece("delete", "Weg."),), (), True)
    assert [row.changed for row in rows] == [False, True]


def test_changed_counts_words_added_and_removed() -> None:
    assert textdiff.changed("Houd afstand", "Houd anderhalve meter afstand") == (2, 0)
    assert textdiff.changed("De GGD test vandaag", "De GGD meet") == (1, 2)
    assert textdiff.changed("Gelijk", "Gelijk") == (0, 0)
