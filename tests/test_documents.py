"""Working documents through their pages: reading, proposing (with and without
an account), moderating, merging concurrent changes and discussing."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from ttc.core.models import AuditEvent, Notification
from ttc.core.tlp import TLP
from ttc.documents import services
from ttc.documents.models import Document, Proposal, ProposalStatus, RevisionKind

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


BODY = "Eerste alinea over afstand houden.\n\nTweede alinea over looproutes.\n"


def make_document(personas, tlp=TLP.CLEAR, **recipients) -> Document:
    return services.document_create(
        author=personas.coordinator,
        title="De anderhalve-meter samenleving",
        summary="Ideeën voor afstand houden.",
        tlp=tlp,
        sections=[("Op de werkvloer", BODY), ("In het openbaar vervoer", "Reizen met ruimte.\n")],
        **recipients,
    )


@pytest.fixture
def document(personas) -> Document:
    return make_document(personas)


def first_section(document):
    return document.sections.get(position=1)


def propose_as_visitor(client: Client, document, **overrides):
    section = first_section(document)
    data = {
        "title": section.title,
        "body": BODY + "\nDerde alinea: werk in ploegen.\n",
        "reason": "Ploegen helpen.",
        "base_number": section.number,
        "email": "Lezer@Example.org",
        "name": "Lotte Lezer",
        "website": "",
    } | overrides
    return client.post(reverse("section_propose", args=[document.slug, section.pk]), data)


def confirmation_link() -> str:
    match = re.search(r"https?://\S+/documents/confirm/\S+/", mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return "/" + match.group(0).split("://", 1)[1].split("/", 1)[1]


class TestReading:
    def test_anyone_reads_a_public_document(self, document, client):
        response = client.get(document.get_absolute_url())
        assert response.status_code == 200
        assert "Op de werkvloer" in response.content.decode()
        assert "Tweede alinea over looproutes" in response.content.decode()

    def test_the_list_shows_public_documents_to_visitors(self, document, client):
        assert document.title in client.get(reverse("document_list")).content.decode()

    @pytest.mark.parametrize(
        ("label", "readers"),
        [
            (
                TLP.GREEN,
                {"coordinator", "member_admin", "expert", "requester", "umbrella", "outsider"},
            ),
            (TLP.AMBER_STRICT, {"coordinator", "requester"}),
            (TLP.RED, {"coordinator", "expert"}),
        ],
    )
    def test_internal_documents_reach_only_their_label(self, personas, client_for, label, readers):
        recipients = {
            TLP.GREEN: {},
            TLP.AMBER_STRICT: {"organisations": [personas.hospital]},
            TLP.RED: {"people": [personas.expert]},
        }[label]
        document = make_document(personas, label, **recipients)
        section = first_section(document)
        for persona in ("coordinator", "member_admin", "expert", "requester", "umbrella",
                        "outsider", "anonymous"):  # fmt: skip
            client = client_for(persona)
            urls = [
                document.get_absolute_url(),
                section.get_absolute_url(),
                reverse("section_propose", args=[document.slug, section.pk]),
            ]
            for url in urls:
                status = client.get(url).status_code
                assert (status == 200) == (persona in readers), (persona, url, status)
            listed = document.title in client.get(reverse("document_list")).content.decode()
            assert listed == (persona in readers), persona

    def test_views_of_internal_documents_are_audited(self, personas, client_for):
        document = make_document(personas, TLP.RED, people=[personas.expert])
        client_for("expert").get(document.get_absolute_url())
        assert AuditEvent.objects.filter(
            action="view", object_id=str(document.pk), actor=personas.expert
        ).exists()


class TestVisitorProposals:
    def test_a_visitor_proposes_confirms_and_the_editor_is_told(self, document, client, personas):
        response = propose_as_visitor(client, document)
        assert response.status_code == 200
        assert "lezer@example.org" in response.content.decode()
        proposal = Proposal.objects.get()
        assert proposal.status == ProposalStatus.UNCONFIRMED
        assert proposal.contributor is None
        assert not Notification.objects.filter(recipient=personas.coordinator).exists()

        link = confirmation_link()
        page = client.get(link)
        assert page.status_code == 200
        proposal.refresh_from_db()
        assert proposal.status == ProposalStatus.UNCONFIRMED, (
            "opening the link alone confirms nothing"
        )
        assert client.post(link).status_code == 200
        proposal.refresh_from_db()
        assert proposal.status == ProposalStatus.PENDING
        assert Notification.objects.filter(recipient=personas.coordinator).exists()
        # Confirming twice changes nothing and tells nobody again.
        count = Notification.objects.count()
        assert client.post(link).status_code == 200
        assert Notification.objects.count() == count

    def test_a_forged_link_confirms_nothing(self, document, client):
        propose_as_visitor(client, document)
        link = confirmation_link()
        response = client.post(link[:-4] + "xyz/")
        assert response.status_code == 400
        assert "not valid" in response.content.decode()
        assert Proposal.objects.get().status == ProposalStatus.UNCONFIRMED

    def test_an_expired_link_says_so(self, document, client, monkeypatch):
        import time

        propose_as_visitor(client, document)
        link = confirmation_link()
        later = time.time() + services.CONFIRM_MAX_AGE + 60
        monkeypatch.setattr("django.core.signing.time.time", lambda: later)
        response = client.post(link)
        assert response.status_code == 400
        assert "expired" in response.content.decode()
        assert Proposal.objects.get().status == ProposalStatus.UNCONFIRMED

    def test_the_honeypot_keeps_the_text_and_saves_nothing(self, document, client):
        response = propose_as_visitor(client, document, website="http://spam.example")
        assert response.status_code == 400
        assert "Derde alinea: werk in ploegen." in response.content.decode()
        assert not Proposal.objects.exists()
        assert not mail.outbox

    def test_visitors_are_rate_limited_per_address(self, document, client, settings):
        settings.TTC_PROPOSAL_RATE_VISITOR = "2/h"
        for number in range(2):
            response = propose_as_visitor(client, document, email=f"p{number}@example.org")
            assert response.status_code == 200
        response = propose_as_visitor(client, document, email="p9@example.org")
        assert response.status_code == 400
        assert "try again in an hour" in response.content.decode()
        assert "Derde alinea: werk in ploegen." in response.content.decode()
        assert Proposal.objects.count() == 2

    def test_a_visitor_needs_a_valid_address(self, document, client):
        response = propose_as_visitor(client, document, email="not-an-address")
        assert response.status_code == 400
        assert not Proposal.objects.exists()

    def test_visitors_cannot_propose_to_internal_documents(self, personas, client):
        document = make_document(personas, TLP.GREEN)
        assert propose_as_visitor(client, document).status_code == 404
        assert not Proposal.objects.exists()

    def test_an_unchanged_text_is_refused(self, document, client):
        response = propose_as_visitor(client, document, body=BODY)
        assert response.status_code == 400
        assert "same as the current text" in response.content.decode()
        assert not Proposal.objects.exists()

    def test_oversized_text_is_refused_not_cut(self, document, client):
        response = propose_as_visitor(client, document, body="x" * 50_001)
        assert response.status_code == 400
        assert not Proposal.objects.exists()


def member_proposes(client: Client, document, body: str, *, anonymous=False, base=None):
    section = first_section(document)
    return client.post(
        reverse("section_propose", args=[document.slug, section.pk]),
        {
            "title": section.title,
            "body": body,
            "base_number": base or section.number,
            "anonymous": "on" if anonymous else "",
        },
    )


class TestModeration:
    def test_an_editor_accepts_and_the_section_changes(self, document, personas, client_for):
        expert = client_for("expert")
        response = member_proposes(expert, document, BODY + "\nNieuwe alinea.\n")
        proposal = Proposal.objects.get()
        assert response.status_code == 302
        page = client_for("coordinator").get(proposal.get_absolute_url())
        assert re.search(
            r'<ins class="ttc-ins">(<span[^>]*>[^<]*</span>)?Nieuwe alinea\.', page.content.decode()
        )
        response = client_for("coordinator").post(
            reverse("document_proposal_accept", args=[proposal.pk]), {"mode": "as-is"}
        )
        assert response.status_code == 302
        section = first_section(document)
        assert "Nieuwe alinea." in section.body
        assert section.number == 2
        assert section.revisions.get(number=2).credit == personas.expert.display_name
        assert Notification.objects.filter(recipient=personas.expert).exists()
        assert (
            "Nieuwe alinea."
            in client_for("anonymous").get(document.get_absolute_url()).content.decode()
        )

    def test_accept_with_edits(self, document, client_for):
        member_proposes(client_for("expert"), document, BODY + "\nNieuwe alinea mt fout.\n")
        proposal = Proposal.objects.get()
        client_for("coordinator").post(
            reverse("document_proposal_accept", args=[proposal.pk]),
            {
                "mode": "edited",
                "title": "Op de werkvloer",
                "body": BODY + "\nNieuwe alinea zonder fout.\n",
                "based_on": 1,
                "note": "Tikfout verbeterd.",
            },
        )
        revision = first_section(document).revisions.get(number=2)
        assert revision.kind == RevisionKind.EDITED
        assert "zonder fout" in revision.body
        proposal.refresh_from_db()
        assert proposal.decision_note == "Tikfout verbeterd."

    def test_decline_needs_a_reason_and_tells_the_contributor(self, document, personas, client_for):
        member_proposes(client_for("expert"), document, BODY + "\nReclame voor ons product.\n")
        proposal = Proposal.objects.get()
        coordinator = client_for("coordinator")
        url = reverse("document_proposal_decline", args=[proposal.pk])
        assert coordinator.post(url, {"reason": ""}).status_code == 400
        assert coordinator.post(url, {"reason": "Dit is reclame."}).status_code == 302
        proposal.refresh_from_db()
        assert proposal.status == ProposalStatus.DECLINED
        assert "Dit is reclame." in mail.outbox[-1].body
        assert first_section(document).number == 1

    def test_a_visitor_hears_the_decision_by_email(self, document, client, personas):
        propose_as_visitor(client, document)
        client.post(confirmation_link())
        proposal = Proposal.objects.get()
        services.proposal_accept(proposal=proposal, editor=personas.coordinator)
        assert mail.outbox[-1].to == ["lezer@example.org"]
        assert "accepted" in mail.outbox[-1].subject

    def test_only_editors_decide(self, document, personas, client_for):
        member_proposes(client_for("expert"), document, BODY + "\nNog iets.\n")
        proposal = Proposal.objects.get()
        for persona in ("expert", "outsider", "member_admin"):
            response = client_for(persona).post(
                reverse("document_proposal_accept", args=[proposal.pk]), {"mode": "as-is"}
            )
            assert response.status_code in (403, 404), persona
        proposal.refresh_from_db()
        assert proposal.status == ProposalStatus.PENDING

    def test_an_appointed_member_editor_moderates(self, document, personas, client_for):
        services.document_set_editors(
            document=document, coordinator=personas.coordinator, editors=[personas.member_admin]
        )
        member_proposes(client_for("expert"), document, BODY + "\nNog iets.\n")
        proposal = Proposal.objects.get()
        queue = client_for("member_admin").get(reverse("document_proposal_queue"))
        assert proposal.title in queue.content.decode()
        response = client_for("member_admin").post(
            reverse("document_proposal_accept", args=[proposal.pk]), {"mode": "as-is"}
        )
        assert response.status_code == 302
        assert first_section(document).number == 2

    def test_anonymous_contributions_hide_the_name_but_coordinators_know(
        self, document, personas, client_for
    ):
        services.document_set_editors(
            document=document, coordinator=personas.coordinator, editors=[personas.member_admin]
        )
        member_proposes(
            client_for("outsider"), document, BODY + "\nAnoniem idee.\n", anonymous=True
        )
        proposal = Proposal.objects.get()
        email = personas.outsider.email
        assert email in client_for("coordinator").get(proposal.get_absolute_url()).content.decode()
        member_editor_page = client_for("member_admin").get(proposal.get_absolute_url())
        assert email not in member_editor_page.content.decode()
        assert personas.outsider.display_name not in member_editor_page.content.decode()
        services.proposal_accept(proposal=proposal, editor=personas.coordinator)
        public = Client().get(document.get_absolute_url()).content.decode()
        assert personas.outsider.display_name not in public
        assert first_section(document).revisions.get(number=2).credit == ""

    def test_others_cannot_see_a_proposal(self, document, client_for):
        member_proposes(client_for("expert"), document, BODY + "\nPrivé voorstel.\n")
        proposal = Proposal.objects.get()
        for persona in ("outsider", "requester", "anonymous"):
            status = client_for(persona).get(proposal.get_absolute_url()).status_code
            assert status in (302, 404), persona
        assert client_for("expert").get(proposal.get_absolute_url()).status_code == 200


class TestConcurrentChanges:
    def test_two_proposals_on_one_revision_both_survive(self, document, personas, client_for):
        expert, outsider = client_for("expert"), client_for("outsider")
        member_proposes(expert, document, BODY.replace("Eerste alinea", "Eerste korte alinea"))
        member_proposes(outsider, document, BODY.replace("looproutes", "looproutes en pijlen"))
        first, second = Proposal.objects.order_by("pk")
        coordinator = client_for("coordinator")
        coordinator.post(reverse("document_proposal_accept", args=[first.pk]), {"mode": "as-is"})
        page = coordinator.get(second.get_absolute_url()).content.decode()
        assert "Both changes fit together" in page
        coordinator.post(reverse("document_proposal_accept", args=[second.pk]), {"mode": "as-is"})
        section = first_section(document)
        assert "Eerste korte alinea" in section.body
        assert "looproutes en pijlen" in section.body
        assert section.revisions.get(number=3).kind == RevisionKind.MERGED

    def test_a_true_conflict_shows_both_versions_and_loses_nothing(self, document, client_for):
        member_proposes(
            client_for("expert"), document, BODY.replace("afstand houden", "ruimte geven")
        )
        member_proposes(
            client_for("outsider"), document, BODY.replace("afstand houden", "anderhalve meter")
        )
        first, second = Proposal.objects.order_by("pk")
        coordinator = client_for("coordinator")
        coordinator.post(reverse("document_proposal_accept", args=[first.pk]), {"mode": "as-is"})
        response = coordinator.post(
            reverse("document_proposal_accept", args=[second.pk]),
            {"mode": "edited", "title": "Op de werkvloer", "body": second.body, "based_on": 1},
        )
        assert response.status_code == 409
        page = response.content.decode()
        assert "ruimte geven" in page and "anderhalve meter" in page
        assert "&lt;&lt;&lt;&lt;&lt;&lt;&lt;" in page
        section = first_section(document)
        assert section.number == 2
        second.refresh_from_db()
        assert second.status == ProposalStatus.PENDING
        # Leaving the markers in is refused; resolving is accepted.
        marked = response.context["accept_form"].initial["body"]
        refused = coordinator.post(
            reverse("document_proposal_accept", args=[second.pk]),
            {"mode": "edited", "title": "Op de werkvloer", "body": marked, "based_on": 2},
        )
        assert refused.status_code == 400
        resolved = BODY.replace("afstand houden", "ruimte geven en anderhalve meter")
        done = coordinator.post(
            reverse("document_proposal_accept", args=[second.pk]),
            {"mode": "edited", "title": "Op de werkvloer", "body": resolved, "based_on": 2},
        )
        assert done.status_code == 302
        assert "ruimte geven en anderhalve meter" in first_section(document).body

    def test_an_accepted_proposal_cannot_be_accepted_twice(self, document, personas, client_for):
        member_proposes(client_for("expert"), document, BODY + "\nEén keer.\n")
        proposal = Proposal.objects.get()
        services.proposal_accept(proposal=proposal, editor=personas.coordinator)
        response = client_for("coordinator").post(
            reverse("document_proposal_accept", args=[proposal.pk]), {"mode": "as-is"}
        )
        assert response.status_code in (302, 400)
        assert first_section(document).body.count("Eén keer.") == 1
        assert first_section(document).number == 2


class TestNewSections:
    def test_a_new_section_is_added_at_the_end(self, document, personas, client_for):
        client_for("expert").post(
            reverse("document_propose", args=[document.slug]),
            {"title": "Voor laaggeletterden", "body": "Gebruik pictogrammen en gesproken uitleg."},
        )
        proposal = Proposal.objects.get()
        assert proposal.is_new_section
        services.proposal_accept(proposal=proposal, editor=personas.coordinator)
        sections = list(document.sections.values_list("title", flat=True))
        assert sections[-1] == "Voor laaggeletterden"
        document.refresh_from_db()
        assert document.version == 3


class TestComments:
    def test_signed_in_readers_discuss_and_editors_remove(self, document, personas, client_for):
        section = first_section(document)
        url = reverse("document_comment_add", args=[document.slug, section.pk])
        client_for("expert").post(url, {"body": "Goed idee <script>alert(1)</script>"})
        page = client_for("anonymous").get(section.get_absolute_url()).content.decode()
        assert "Goed idee" in page
        assert "<script>alert(1)" not in page
        comment = section.comments.get()
        assert (
            client_for("outsider")
            .post(reverse("document_comment_remove", args=[comment.pk]))
            .status_code
            == 403
        )
        client_for("coordinator").post(reverse("document_comment_remove", args=[comment.pk]))
        page = client_for("anonymous").get(section.get_absolute_url()).content.decode()
        assert "Goed idee" not in page
        assert "removed this comment" in page

    def test_visitors_cannot_comment(self, document, client):
        section = first_section(document)
        url = reverse("document_comment_add", args=[document.slug, section.pk])
        assert client.post(url, {"body": "Hoi"}).status_code == 302
        assert not section.comments.exists()

    def test_an_empty_comment_is_refused(self, document, client_for):
        section = first_section(document)
        url = reverse("document_comment_add", args=[document.slug, section.pk])
        assert client_for("expert").post(url, {"body": "  "}).status_code == 400


class TestDocumentsAdmin:
    def test_a_coordinator_starts_a_document_from_markdown(self, client_for):
        response = client_for("coordinator").post(
            reverse("document_new"),
            {
                "title": "Draaiboek",
                "slug": "",
                "summary": "Voor leden.",
                "text": "## Voorbereiden\n\nEen lijst.\n\n## Handelen\n\nStappen.",
                "tlp": TLP.GREEN,
            },
        )
        assert response.status_code == 302
        document = Document.objects.get(slug="draaiboek")
        assert list(document.sections.values_list("title", flat=True)) == [
            "Voorbereiden",
            "Handelen",
        ]
        assert document.version == 2

    @pytest.mark.parametrize("slug", ["new", "proposals"])
    def test_addresses_of_pages_are_refused(self, client_for, slug):
        response = client_for("coordinator").post(
            reverse("document_new"),
            {"title": "Nieuw", "slug": slug, "text": "## Een\n\nTekst.", "tlp": TLP.CLEAR},
        )
        assert response.status_code == 400
        assert not Document.objects.filter(slug=slug).exists()

    def test_others_cannot_start_documents(self, client_for):
        assert client_for("member_admin").get(reverse("document_new")).status_code == 403

    def test_editors_must_be_able_to_read_the_document(self, personas, client_for):
        document = make_document(personas, TLP.AMBER_STRICT, organisations=[personas.hospital])
        response = client_for("coordinator").post(
            reverse("document_editors", args=[document.slug]),
            {"editors": personas.outsider.email},
        )
        assert response.status_code == 400
        assert not document.editors.exists()

    def test_confidential_proposals_are_not_emailed(self, personas, client_for):
        document = make_document(personas, TLP.AMBER, organisations=[personas.member_company])
        services.document_set_editors(
            document=document, coordinator=personas.coordinator, editors=[personas.member_admin]
        )
        member_proposes(client_for("expert"), document, BODY + "\nGeheime alinea.\n")
        assert [message.to for message in mail.outbox] == [[personas.member_admin.email]]
        assert all("Geheime alinea" not in message.body for message in mail.outbox)

    def test_editors_are_told_only_within_the_label(self, personas, client_for):
        document = make_document(personas, TLP.RED, people=[personas.expert])
        member_proposes(client_for("expert"), document, BODY + "\nGeheime alinea.\n")
        # Coordinators oversee RED in the queue, but notifications stay inside the label.
        assert not mail.outbox
        queue = client_for("coordinator").get(reverse("document_proposal_queue"))
        assert Proposal.objects.get().title in queue.content.decode()


class TestTitleConflict:
    def test_both_renaming_the_section_asks_the_editor_to_choose(
        self, document, personas, client_for
    ):
        section = first_section(document)
        for persona, title in (("expert", "Op het werk"), ("outsider", "Op kantoor")):
            client_for(persona).post(
                reverse("section_propose", args=[document.slug, section.pk]),
                {"title": title, "body": BODY, "base_number": 1},
            )
        first, second = Proposal.objects.order_by("pk")
        services.proposal_accept(proposal=first, editor=personas.coordinator)
        page = client_for("coordinator").get(second.get_absolute_url()).content.decode()
        assert "The title was changed in both." in page
        assert "Op het werk" in page and "Op kantoor" in page
        assert "Someone else changed the same words" not in page
        response = client_for("coordinator").post(
            reverse("document_proposal_accept", args=[second.pk]), {"mode": "as-is"}
        )
        assert response.status_code == 409
        assert first_section(document).title == "Op het werk"


def test_the_dashboard_shows_editors_what_waits(document, personas, client_for):
    member_proposes(client_for("expert"), document, BODY + "\nWacht op een editor.\n")
    page = client_for("coordinator").get(reverse("dashboard")).content.decode()
    assert "1 proposal to a document waits for you" in page
    assert "waits for you" not in client_for("outsider").get(reverse("dashboard")).content.decode()


class TestSecurityReview:
    def test_an_editor_choosing_the_title_keeps_text_accepted_since(self, document, personas):
        """Accepting with only a title (and the head it was chosen on) must still
        merge the proposal's body from its own base: nothing accepted is lost."""
        section = first_section(document)
        one = services.proposal_submit(
            document=document,
            section=section,
            contributor=personas.expert,
            title="Op het werk",
            body=BODY.replace("Eerste alinea", "Eerste gewijzigde alinea"),
        )
        two = services.proposal_submit(
            document=document,
            section=section,
            contributor=personas.outsider,
            title=section.title,
            body=BODY.replace("Tweede alinea", "Tweede gewijzigde alinea"),
        )
        services.proposal_accept(proposal=two, editor=personas.coordinator)
        services.proposal_accept(
            proposal=one, editor=personas.coordinator, title="Op het werk", based_on=2
        )
        body = first_section(document).body
        assert "Eerste gewijzigde alinea" in body
        assert "Tweede gewijzigde alinea" in body

    @pytest.mark.parametrize("title", ["Twee\nregels", "Tab\there", "---\n**TLP:CLEAR**"])
    def test_a_title_is_one_line(self, document, personas, title):
        with pytest.raises(ValidationError):
            services.proposal_submit(
                document=document,
                section=first_section(document),
                contributor=personas.expert,
                title=title,
                body=BODY + "\nMeer.\n",
            )
        assert not Proposal.objects.exists()

    def test_member_editors_never_see_a_contributors_address(self, document, personas, client_for):
        services.document_set_editors(
            document=document, coordinator=personas.coordinator, editors=[personas.member_admin]
        )
        propose_as_visitor(Client(), document)
        Client().post(confirmation_link())
        proposal = Proposal.objects.get()
        page = client_for("member_admin").get(proposal.get_absolute_url()).content.decode()
        assert "lezer@example.org" not in page
        assert "Lotte Lezer" in page
        coordinator_page = client_for("coordinator").get(proposal.get_absolute_url())
        assert "lezer@example.org" in coordinator_page.content.decode()

    def test_plus_addresses_and_ipv6_rotation_share_one_allowance(self, document, settings):
        settings.TTC_PROPOSAL_RATE_VISITOR = "2/h"
        statuses = []
        for number in range(4):
            client = Client(REMOTE_ADDR=f"2001:db8::{number + 1}")
            response = propose_as_visitor(
                client, document, email=f"slachtoffer+{number}@example.org"
            )
            statuses.append(response.status_code)
        assert statuses == [200, 200, 400, 400]
        assert len(mail.outbox) == 2
        assert all("Derde alinea" not in message.body for message in mail.outbox)


def test_rate_limit_places_are_counted_exactly():
    from ttc.core.ratelimit import allow, mailbox

    assert [allow("test", "key", "3/h") for _ in range(5)] == [True, True, True, False, False]
    assert mailbox(" Iemand+Spam@Example.ORG ") == "iemand@example.org"
