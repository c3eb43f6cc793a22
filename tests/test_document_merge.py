"""Accepting proposals written against an older revision merges them with what
was accepted since: no accepted text is lost, one after another or at once."""

from __future__ import annotations

import random
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from ttc.core.tlp import TLP
from ttc.documents import services
from ttc.documents.models import (
    Document,
    Proposal,
    ProposalStatus,
    RevisionKind,
    Section,
    SectionRevision,
)
from ttc.documents.services import MergeConflict


def sentence(index: int, *, changed: bool = False) -> str:
    verb = "verbetert" if changed else "plant"
    return f"Alinea {index}: de GGD {verb} de looproutes bij locatie {index}."


def text(paragraphs: list[str]) -> str:
    return "\n\n".join(paragraphs) + "\n"


def make_section(personas, paragraphs: int) -> tuple[Document, Section]:
    document = services.document_create(
        author=personas.coordinator,
        title="De anderhalve-meter samenleving",
        tlp=TLP.CLEAR,
        sections=[("Op de werkvloer", text([sentence(i) for i in range(paragraphs)]))],
    )
    return document, document.sections.get()


def propose_change(document, section, index: int, paragraphs: int, contributor) -> Proposal:
    """A proposal, written against revision 1, that changes paragraph `index`."""
    lines = [sentence(i) for i in range(paragraphs)]
    lines[index] = sentence(index, changed=True)
    return services.proposal_submit(
        document=document,
        section=section,
        base_number=1,
        title=section.title,
        body=text(lines),
        contributor=contributor,
    )


def assert_nothing_lost(section: Section, paragraphs: int) -> None:
    section.refresh_from_db()
    assert section.body == text([sentence(i, changed=True) for i in range(paragraphs)])
    numbers = list(section.revisions.order_by("number").values_list("number", flat=True))
    assert numbers == list(range(1, paragraphs + 2))
    assert section.number == paragraphs + 1


@pytest.mark.django_db
def test_fifty_proposals_against_one_base_all_survive(personas):
    count = 50
    document, section = make_section(personas, count)
    contributors = [personas.member_admin, personas.expert, personas.requester, personas.outsider]
    proposals = [
        propose_change(document, section, i, count, contributors[i % len(contributors)])
        for i in range(count)
    ]
    random.Random(7).shuffle(proposals)

    for proposal in proposals:
        services.proposal_accept(proposal=proposal, editor=personas.coordinator)

    assert_nothing_lost(section, count)
    kinds = list(section.revisions.order_by("number").values_list("kind", flat=True))
    # The first accept starts from revision 1 itself; every later one merges.
    assert kinds == [RevisionKind.CREATED, RevisionKind.PROPOSAL] + [RevisionKind.MERGED] * (
        count - 1
    )
    assert not Proposal.objects.exclude(status=ProposalStatus.ACCEPTED).exists()
    document.refresh_from_db()
    assert document.version == count + 1


BASE = "De eerste alinea blijft.\n\nHoud afstand in de kantine.\n\nDe laatste alinea blijft.\n"
FIRST = BASE.replace("Houd afstand", "Houd anderhalve meter afstand")
SECOND = BASE.replace("Houd afstand", "Houd twee meter afstand")


@pytest.fixture
def collision(personas):
    """Two proposals that change the same sentence differently; the first is accepted."""
    document = services.document_create(
        author=personas.coordinator,
        title="Werkdocument",
        tlp=TLP.CLEAR,
        sections=[("Op de werkvloer", BASE)],
    )
    section = document.sections.get()
    first, second = (
        services.proposal_submit(
            document=document,
            section=section,
            base_number=1,
            title=section.title,
            body=body,
            contributor=person,
        )
        for body, person in ((FIRST, personas.member_admin), (SECOND, personas.expert))
    )
    services.proposal_accept(proposal=first, editor=personas.coordinator)
    return section, second


def state(section: Section) -> tuple:
    section.refresh_from_db()
    return (
        section.number,
        section.body,
        SectionRevision.objects.filter(section=section).count(),
        section.document.version,
        list(Proposal.objects.order_by("pk").values_list("status", flat=True)),
    )


@pytest.mark.django_db
def test_the_same_sentence_changed_twice_is_a_conflict_that_changes_nothing(personas, collision):
    section, second = collision
    before = state(section)

    with pytest.raises(MergeConflict) as caught:
        services.proposal_accept(proposal=second, editor=personas.coordinator)

    assert state(section) == before
    second.refresh_from_db()
    assert second.status == ProposalStatus.PENDING
    conflict = caught.value
    assert conflict.head.number == 2
    resolve = conflict.text_to_resolve()
    # Both versions whole, between markers, and the rest of the text around them.
    assert "Houd anderhalve meter afstand in de kantine.\n" in resolve
    assert "Houd twee meter afstand in de kantine.\n" in resolve
    assert resolve.startswith("De eerste alinea blijft.\n")
    assert resolve.endswith("De laatste alinea blijft.\n")
    assert resolve.count("<<<<<<<") == resolve.count(">>>>>>>") == 1


@pytest.mark.django_db
def test_an_editor_resolves_the_conflict_against_the_latest_revision(personas, collision):
    section, second = collision
    section.refresh_from_db()
    resolved = BASE.replace("Houd afstand", "Houd anderhalve meter (twee grote stappen) afstand")

    revision = services.proposal_accept(
        proposal=second, editor=personas.coordinator, body=resolved, based_on=section.number
    )

    section.refresh_from_db()
    assert section.body == resolved
    assert revision.number == 3
    assert revision.kind == RevisionKind.EDITED
    assert revision.author == personas.expert
    second.refresh_from_db()
    assert second.status == ProposalStatus.ACCEPTED


@pytest.mark.django_db
def test_resolving_with_the_conflict_markers_left_in_is_refused(personas, collision):
    section, second = collision
    before = state(section)
    with pytest.raises(MergeConflict) as conflict:
        services.proposal_accept(proposal=second, editor=personas.coordinator)
    unresolved = conflict.value.text_to_resolve()

    with pytest.raises(ValidationError) as caught:
        services.proposal_accept(
            proposal=second, editor=personas.coordinator, body=unresolved, based_on=2
        )

    assert "<<<<<<<" in str(caught.value.message_dict["body"])
    assert state(section) == before


@pytest.mark.django_db
def test_an_edit_based_on_an_older_revision_is_merged_too(personas, collision):
    """An editor who opened the proposal before another accept still loses nothing."""
    section, second = collision
    # The editor started from revision 1 and changed another paragraph only.
    edit = BASE.replace("De laatste alinea blijft.", "De laatste alinea is aangepast.")

    revision = services.proposal_accept(
        proposal=second, editor=personas.coordinator, body=edit, based_on=1
    )

    assert revision.kind == RevisionKind.MERGED
    section.refresh_from_db()
    assert section.body == FIRST.replace(
        "De laatste alinea blijft.", "De laatste alinea is aangepast."
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite lets one writer in at a time")
# serialized_rollback: the content types that notifications point at must
# survive, as an earlier transactional test may have flushed them.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_accepts_from_many_threads_lose_nothing(personas):
    count = 20
    document, section = make_section(personas, count)
    proposals = [
        propose_change(document, section, i, count, personas.member_admin) for i in range(count)
    ]
    start = threading.Barrier(count)
    errors: list[BaseException] = []

    def accept(proposal: Proposal) -> None:
        try:
            start.wait()
            services.proposal_accept(proposal=proposal, editor=personas.coordinator)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(proposal,)) for proposal in proposals]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert_nothing_lost(section, count)
    versions = sorted(
        SectionRevision.objects.filter(document=document).values_list("document_version", flat=True)
    )
    assert versions == list(range(1, count + 2))
