"""The demo's working documents and knowledge base: the public example with its
history, an internal document, and articles in every label and state."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from allauth.mfa.utils import is_mfa_enabled
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.utils import timezone

from ttc.core import access
from ttc.core.tlp import TLP
from ttc.demo import documents as demo
from ttc.documents.models import (
    Comment,
    Document,
    Proposal,
    ProposalStatus,
    RevisionKind,
    SectionRevision,
)
from ttc.knowledge.models import Article, ArticleLanguage, ArticleStatus
from ttc.members.models import OrganisationKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(personas):
    people = {
        name: personas.get(name)
        for name in ("coordinator", "member_admin", "expert", "requester", "umbrella", "outsider")
    }
    demo.DocumentSeeder(personas=people, coordinators=[personas.coordinator]).run()
    return personas


def samenleving() -> Document:
    return Document.objects.get(slug=demo.SAMENLEVING_SLUG)


def words(text: str) -> int:
    return len(text.split())


def test_the_public_example_has_every_section_with_real_content(seeded):
    document = samenleving()
    assert document.title == "De anderhalve-meter samenleving"
    assert document.tlp == TLP.CLEAR
    assert document.summary
    sections = list(document.sections.all())
    assert [s.title for s in sections] == [
        "Op de werkvloer",
        "In het openbaar vervoer",
        "Voor laaggeletterden",
        "In het onderwijs",
        "In de zorg",
        "Bij evenementen",
        "Privacy en vertrouwen",
    ]
    for section in sections:
        assert 150 <= words(section.body) <= 400, section.title
        assert "\n- " in section.body, f"{section.title} has a list"
    # Anyone, signed in or not, reads it.
    assert access.visible_to(Document.objects.all(), AnonymousUser()).filter(pk=document.pk)


def test_its_history_shows_every_kind_of_decision(seeded):
    document = samenleving()
    proposals = Proposal.objects.filter(document=document)
    accepted = proposals.filter(status=ProposalStatus.ACCEPTED)
    assert accepted.count() == 10
    assert accepted.filter(anonymous=True).count() >= 2
    # A new section, proposed and accepted, then improved.
    assert accepted.filter(section__title="Privacy en vertrouwen").count() == 2

    revisions = SectionRevision.objects.filter(document=document)
    kinds = set(revisions.values_list("kind", flat=True))
    assert {RevisionKind.PROPOSAL, RevisionKind.EDITED, RevisionKind.MERGED} <= kinds
    assert revisions.filter(proposal__anonymous=True).exclude(credit="").count() == 0
    # Two proposals against the same revision: the later one was merged.
    merged = revisions.get(kind=RevisionKind.MERGED)
    assert merged.proposal.base_revision.number < merged.number - 1
    edited = revisions.get(kind=RevisionKind.EDITED)
    assert "PauzePlanner" in edited.proposal.body
    assert "PauzePlanner" not in edited.body
    assert edited.note
    document.refresh_from_db()
    assert document.version == revisions.count()

    declined = proposals.filter(status=ProposalStatus.DECLINED)
    assert declined.count() == 2
    assert all(p.decision_note for p in declined)

    # The editors' queue: a visitor's (confirmed), a member's, and one written against an
    # older revision that will merge when accepted.
    waiting = Proposal.objects.pending().moderated_by(seeded.coordinator).filter(document=document)
    assert waiting.count() == 3
    visitor = waiting.get(contributor__isnull=True)
    assert visitor.email and visitor.name and visitor.confirmed_at
    assert any(p.base_revision.number < p.section.number for p in waiting)
    unconfirmed = proposals.get(status=ProposalStatus.UNCONFIRMED)
    assert unconfirmed.contributor is None and unconfirmed.confirmed_at is None

    assert Comment.objects.filter(section__document=document).count() >= 3
    # A member of the coalition is an editor, and accepted a proposal.
    assert list(document.editors.all()) == [seeded.expert]
    assert revisions.filter(editor=seeded.expert).exists()
    assert document in Document.objects.editable_by(seeded.expert)


def test_the_history_spreads_over_months_and_stays_in_order(seeded):
    document = samenleving()
    now = timezone.now()
    revisions = SectionRevision.objects.filter(document=document).order_by("document_version")
    moments = list(revisions.values_list("created_at", flat=True))
    assert moments == sorted(moments)
    assert moments[-1] - moments[0] > timedelta(days=60)
    assert all(moment < now for moment in moments)
    for proposal in Proposal.objects.filter(document=document).exclude(decided_at=None):
        assert proposal.created_at < proposal.decided_at < now
    assert document.updated_at == moments[-1]


def test_the_runbook_is_for_members_only(seeded):
    runbook = Document.objects.get(slug=demo.DRAAIBOEK_SLUG)
    assert runbook.tlp == TLP.GREEN
    assert 3 <= runbook.sections.count() <= 4
    assert not access.visible_to(Document.objects.all(), AnonymousUser()).filter(pk=runbook.pk)
    assert access.visible_to(Document.objects.all(), seeded.expert).filter(pk=runbook.pk)
    assert runbook.proposals.filter(status=ProposalStatus.ACCEPTED).exists()


def test_the_knowledge_base_has_articles_in_every_state_and_label(seeded):
    articles = Article.objects.all()
    assert articles.count() >= 12
    statuses = set(articles.values_list("status", flat=True))
    assert statuses == {ArticleStatus.DRAFT, ArticleStatus.IN_REVIEW, ArticleStatus.PUBLISHED}
    assert articles.filter(status=ArticleStatus.DRAFT).count() == 1
    assert articles.filter(status=ArticleStatus.IN_REVIEW).count() == 1
    flagged = articles.get(flagged_commercial_at__isnull=False)
    assert flagged.flagged_commercial_reason
    assert Article.objects.published().count() >= 9
    assert set(articles.values_list("tlp", flat=True)) == {TLP.CLEAR, TLP.GREEN, TLP.AMBER, TLP.RED}
    assert articles.filter(language=ArticleLanguage.ENGLISH).count() >= 2
    for article in articles:
        assert article.summary
        assert 150 <= words(article.body) <= 400, article.title
        assert 2 <= article.tags.count() <= 5, article.title
        assert article.organisation.kind == OrganisationKind.MEMBER_COMPANY
        assert article.revisions.exists()
    red = articles.get(tlp=TLP.RED)
    named = list(red.recipient_people.all())
    assert named and all(is_mfa_enabled(person) for person in named)
    amber = articles.get(tlp=TLP.AMBER)
    assert set(amber.recipient_orgs.all()) >= {seeded.hospital, seeded.umbrella_org}
    assert articles.filter(number__gt=1).exists()
    # The public sees only what is published under TLP:CLEAR.
    public = Article.objects.readable_by(AnonymousUser())
    assert set(public.values_list("tlp", flat=True)) == {TLP.CLEAR}
    assert not public.exclude(status=ArticleStatus.PUBLISHED).exists()


def test_seed_demo_loads_them_and_says_so(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    out = StringIO()
    call_command("seed_demo", companies=12, experts=40, stdout=out)
    output = out.getvalue()
    assert "Working documents: 2 " in output
    assert "Knowledge base: 14 articles" in output
    assert samenleving().sections.count() == 7
    # Members of other companies wrote articles too, not only the personas' companies.
    assert Article.objects.values("organisation").distinct().count() > 2
