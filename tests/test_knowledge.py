"""The knowledge base through its pages and services (ttc/knowledge/).

Who sees which label on the list, detail, search and API surfaces is
tests/test_leaks.py; here: who writes and reviews, the editorial flow, the
advertising flag, versions, conflicts, bad input, related articles,
notifications and query counts.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ttc.accounts.models import User
from ttc.core.models import AuditEvent, Notification
from ttc.core.testing import make_organisation, make_user
from ttc.core.tlp import TLP
from ttc.knowledge import services
from ttc.knowledge.models import Article, ArticleRevision, ArticleStatus, Tag
from ttc.knowledge.testing import content, publish, write
from ttc.members.models import Membership, Organisation, OrganisationKind

pytestmark = pytest.mark.django_db

PEOPLE = ("coordinator", "member_admin", "expert", "requester", "umbrella", "outsider")
EVERYONE = (*PEOPLE, "anonymous")


@pytest.fixture(autouse=True)
def _english(settings, personas):
    """Assert on the English texts, whatever translations are added later."""
    settings.LANGUAGE_CODE = "en"
    User.objects.update(preferred_language="en")


def page_of(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def form_data(**overrides) -> dict:
    """The form as the member company's people send it."""
    data = {
        "organisation": Organisation.objects.get(name="Veilig Netwerk B.V.").pk,
        "title": "Phishing bij de spoedeisende hulp",
        "summary": "Wat werkte tegen **valse** inlogmails.",
        "body": "## Aanpak\n\nMeld verdachte mails direct.",
        "kind": "guide",
        "language": "nl",
        "tags": "Phishing, ziekenhuizen",
        "tlp": "green",
    }
    data.update(overrides)
    return data


def edit_data(article: Article, **overrides) -> dict:
    data = {
        "title": article.title,
        "summary": article.summary,
        "body": article.body,
        "kind": article.kind,
        "language": article.language,
        "tags": ", ".join(tag.name for tag in article.tags.all()),
        "tlp": article.tlp,
        "base_number": article.number,
    }
    data.update(overrides)
    return data


def published_green(personas, **overrides) -> Article:
    return publish(personas, write(personas.member_admin, **overrides))


# --- who writes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("coordinator", 200),
        ("member_admin", 200),
        ("expert", 200),
        ("requester", 200),
        ("umbrella", 200),
        ("outsider", 200),
        ("anonymous", 302),
    ],
)
def test_people_of_approved_organisations_and_coordinators_write(
    personas, client_for, persona, status
):
    response = client_for(persona).get("/knowledge/new/")
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith("/accounts/login/")


def test_people_without_an_approved_organisation_do_not_write(personas, client):
    pending = make_organisation("Nog Niet B.V.", OrganisationKind.MEMBER_COMPANY, vetted=False)
    applicant = make_user("nieuw@nognniet.test")
    Membership.objects.create(user=applicant, organisation=pending, role="admin")
    visitor = make_user("bezoeker@example.test", mfa=False)
    for person in (applicant, visitor):
        client.force_login(person)
        assert client.get("/knowledge/new/").status_code == 403
        assert client.post("/knowledge/new/", form_data()).status_code == 403
        with pytest.raises(PermissionDenied):
            write(person, organisation=pending)
    assert not Article.objects.exists()
    assert "Write an article" not in page_of(client, "/knowledge/")


def test_writing_an_article_saves_a_draft_with_revision_one(personas, client_for):
    Tag.objects.create(name="phishing", slug="phishing")
    response = client_for("member_admin").post("/knowledge/new/", form_data(), follow=True)
    article = Article.objects.get()
    assert response.redirect_chain == [(f"/knowledge/{article.pk}/", 302)]
    page = response.content.decode()
    assert "Saved as a draft." in page
    assert "Draft" in page
    assert "Send for review" in page
    assert article.status == ArticleStatus.DRAFT
    assert article.organisation == personas.member_company
    assert article.created_by == personas.member_admin
    assert article.number == 1
    revision = article.revisions.get()
    assert (revision.number, revision.title, revision.created_by) == (
        1,
        "Phishing bij de spoedeisende hulp",
        personas.member_admin,
    )
    # The existing tag is reused whatever its case; the new one is slugified.
    assert sorted(article.tags.values_list("slug", flat=True)) == ["phishing", "ziekenhuizen"]
    assert Tag.objects.count() == 2
    assert AuditEvent.objects.filter(action="article.create", object_id=str(article.pk)).exists()
    assert article.published_at is None


def test_the_author_writes_for_one_of_their_own_approved_organisations(personas, client_for):
    response = client_for("member_admin").post(
        "/knowledge/new/", form_data(organisation=personas.other_company.pk)
    )
    assert response.status_code == 200
    assert "Choose one of your own approved organisations." in response.content.decode()
    with pytest.raises(ValidationError) as caught:
        write(personas.member_admin, organisation=personas.hospital)
    assert "organisation" in caught.value.message_dict
    with pytest.raises(ValidationError):
        services.article_create(
            author=personas.member_admin,
            organisation=None,
            content=content(),
            sharing=services.Sharing(tlp=TLP.GREEN),
        )
    assert not Article.objects.exists()
    # A coordinator may write for no organisation: the core team is the author.
    own = write(personas.coordinator)
    assert own.organisation is None


# --- drafts and the editorial flow -------------------------------------------------------


def test_drafts_are_for_the_authors_organisation_only(personas, client_for):
    draft = write(personas.member_admin, title="Ons concept")
    for persona in ("member_admin", "expert"):
        client = client_for(persona)
        assert "Ons concept" in page_of(client, draft.get_absolute_url())
        listing = page_of(client, "/knowledge/")
        assert "Your organisation&#x27;s drafts" in listing or "Your organisation's drafts" in (
            listing
        )
        assert "Ons concept" in listing
    # Coordinators review what is sent to them, not every draft.
    for persona in ("coordinator", "requester", "umbrella", "outsider", "anonymous"):
        client = client_for(persona)
        assert client.get(draft.get_absolute_url()).status_code == 404, persona
        assert "Ons concept" not in client.get("/knowledge/").content.decode(), persona
        assert client.get(f"/api/v1/articles/{draft.pk}").status_code == 404, persona


def test_the_editorial_flow_from_draft_to_published(personas, client_for):
    mail.outbox.clear()
    draft = write(personas.expert, title="Checklist thuiswerken")
    author = client_for("expert")
    coordinator = client_for("coordinator")
    outsider = client_for("outsider")

    response = author.post(f"/knowledge/{draft.pk}/submit/", follow=True)
    assert "Sent for review." in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == ArticleStatus.IN_REVIEW
    assert Notification.objects.filter(
        recipient=personas.coordinator, url=draft.get_absolute_url()
    ).exists()
    assert "Checklist thuiswerken" in page_of(coordinator, "/knowledge/review/")
    assert outsider.get(draft.get_absolute_url()).status_code == 404
    # Sending it again is refused with a message.
    response = author.post(f"/knowledge/{draft.pk}/submit/", follow=True)
    assert "Only a draft can be sent for review." in response.content.decode()

    # The author's side does not publish; a coordinator does.
    assert author.post(f"/knowledge/{draft.pk}/publish/").status_code == 403
    response = coordinator.post(f"/knowledge/{draft.pk}/publish/", follow=True)
    assert "The article is published." in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == ArticleStatus.PUBLISHED
    assert draft.published_at is not None
    assert Notification.objects.filter(
        recipient=personas.expert, url=draft.get_absolute_url()
    ).exists()
    assert "Checklist thuiswerken" in page_of(outsider, "/knowledge/")
    assert "Checklist thuiswerken" in page_of(outsider, draft.get_absolute_url())
    assert "Checklist thuiswerken" not in page_of(coordinator, "/knowledge/review/")
    actions = set(
        AuditEvent.objects.filter(object_id=str(draft.pk), object_type="knowledge.article")
        .exclude(action__startswith="view")
        .values_list("action", flat=True)
    )
    assert actions == {"article.create", "article.submit", "article.publish"}


def test_a_coordinators_own_draft_may_go_straight_out_but_no_one_elses(personas, client_for):
    own = write(personas.coordinator, title="Van het kernteam")
    response = client_for("coordinator").post(f"/knowledge/{own.pk}/publish/", follow=True)
    assert "The article is published." in response.content.decode()
    own.refresh_from_db()
    assert own.is_published
    theirs = write(personas.member_admin)
    with pytest.raises(ValidationError, match="Only an article in review can be published"):
        services.article_publish(article=theirs, actor=personas.coordinator)
    with pytest.raises(PermissionDenied):
        services.article_publish(
            article=services.article_submit(article=theirs, actor=personas.member_admin),
            actor=personas.member_admin,
        )


def test_a_coordinator_sends_an_article_back_with_the_reason(personas, client_for):
    article = services.article_submit(
        article=write(personas.member_admin, title="Te kort"), actor=personas.member_admin
    )
    coordinator = client_for("coordinator")
    page = page_of(coordinator, f"/knowledge/{article.pk}/return/")
    assert "Send back to the author" in page
    response = coordinator.post(f"/knowledge/{article.pk}/return/", {"reason": " "})
    assert "Tell the author why." in response.content.decode()
    article.refresh_from_db()
    assert article.status == ArticleStatus.IN_REVIEW

    response = coordinator.post(
        f"/knowledge/{article.pk}/return/",
        {"reason": "Voeg de bronnen toe."},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/knowledge/review/"
    article.refresh_from_db()
    assert article.status == ArticleStatus.DRAFT
    assert Notification.objects.filter(
        recipient=personas.member_admin, url=article.get_absolute_url()
    ).exists()
    author_page = page_of(client_for("member_admin"), article.get_absolute_url())
    assert "Voeg de bronnen toe." in author_page
    assert "Carla Coördinator sent this article back" in author_page
    # Sent again, the old reason no longer shows.
    services.article_submit(article=article, actor=personas.member_admin)
    assert "Voeg de bronnen toe." not in page_of(
        client_for("member_admin"), article.get_absolute_url()
    )
    assert client_for("member_admin").get(f"/knowledge/{article.pk}/return/").status_code == 403


# --- the advertising flag ----------------------------------------------------------------


def test_flagging_as_advertising_hides_it_from_readers_until_revised_and_published(
    personas, client_for
):
    mail.outbox.clear()
    article = published_green(personas, title="Koop onze firewall", tags=["firewall"])
    neighbour = published_green(personas, title="Firewall-regels", tags=["firewall"])
    coordinator = client_for("coordinator")
    response = coordinator.post(f"/knowledge/{article.pk}/flag/", {"reason": ""})
    assert "Say what in the article is advertising." in response.content.decode()
    Notification.objects.all().delete()

    response = coordinator.post(
        f"/knowledge/{article.pk}/flag/", {"reason": "Prijslijst en kortingscode."}, follow=True
    )
    assert "The article is hidden." in response.content.decode()
    article.refresh_from_db()
    assert article.is_flagged_commercial
    assert article.flagged_commercial_by == personas.coordinator

    for persona in ("requester", "umbrella", "outsider"):
        client = client_for(persona)
        assert "Koop onze firewall" not in page_of(client, "/knowledge/"), persona
        assert client.get(article.get_absolute_url()).status_code == 404, persona
        assert "Koop onze firewall" not in page_of(client, neighbour.get_absolute_url())
        assert client.get(f"/api/v1/articles/{article.pk}").status_code == 404
        assert "Koop onze firewall" not in client.get("/api/v1/articles").content.decode()
    # The author's organisation and the coordinators still see it, with the reason.
    for persona in ("member_admin", "expert", "coordinator"):
        page = page_of(client_for(persona), article.get_absolute_url())
        assert "Hidden as advertising." in page
        assert "Prijslijst en kortingscode." in page
    assert "Koop onze firewall" in page_of(client_for("expert"), "/knowledge/")
    assert "Koop onze firewall" in page_of(coordinator, "/knowledge/review/")
    # Told: the author, who is their organisation's admin too; no one else.
    told = set(Notification.objects.values_list("recipient__email", flat=True))
    assert told == {personas.member_admin.email}
    assert "Prijslijst" not in " ".join(message.body for message in mail.outbox)

    # The author revises it: it goes back to review, still hidden.
    response = client_for("member_admin").post(
        f"/knowledge/{article.pk}/edit/",
        edit_data(article, body="Zo stel je een firewall in.", note="Reclame eruit"),
        follow=True,
    )
    assert "Saved as a new revision." in response.content.decode()
    article.refresh_from_db()
    assert article.status == ArticleStatus.IN_REVIEW
    assert article.is_flagged_commercial
    assert client_for("outsider").get(article.get_absolute_url()).status_code == 404
    assert "revised after the advertising flag" in page_of(coordinator, "/knowledge/review/")

    coordinator.post(f"/knowledge/{article.pk}/publish/")
    article.refresh_from_db()
    assert article.is_published
    assert article.flagged_commercial_reason == ""
    assert "Koop onze firewall" in page_of(client_for("outsider"), "/knowledge/")


def test_the_flag_tells_the_author_and_admins_who_may_read_it(personas):
    """An expert's RED article names the requester: the expert's admin is not named,
    so the flag does not reach them either."""
    article = publish(personas, write(personas.expert, tlp=TLP.RED, people=[personas.requester]))
    Notification.objects.all().delete()
    services.article_flag_commercial(article=article, actor=personas.coordinator, reason="Reclame.")
    assert set(Notification.objects.values_list("recipient__email", flat=True)) == {
        personas.expert.email
    }
    green = publish(personas, write(personas.expert))
    Notification.objects.all().delete()
    services.article_flag_commercial(article=green, actor=personas.coordinator, reason="Reclame.")
    assert set(Notification.objects.values_list("recipient__email", flat=True)) == {
        personas.expert.email,
        personas.member_admin.email,
    }


@pytest.mark.parametrize("persona", ["member_admin", "expert", "outsider", "requester"])
def test_only_coordinators_flag(personas, client_for, persona):
    article = published_green(personas)
    client = client_for(persona)
    assert client.get(f"/knowledge/{article.pk}/flag/").status_code == 403
    assert client.post(f"/knowledge/{article.pk}/flag/", {"reason": "x"}).status_code == 403
    article.refresh_from_db()
    assert not article.is_flagged_commercial


# --- permissions per persona on a published article -------------------------------------


@pytest.mark.parametrize(
    ("persona", "edit", "history", "flag"),
    [
        ("coordinator", 200, 200, 200),
        ("member_admin", 200, 200, 403),
        ("expert", 200, 200, 403),
        ("requester", 403, 403, 403),
        ("umbrella", 403, 403, 403),
        ("outsider", 403, 403, 403),
        ("anonymous", 302, 302, 302),
    ],
)
def test_what_each_persona_may_do_with_a_published_article(
    personas, client_for, persona, edit, history, flag
):
    article = published_green(personas)
    client = client_for(persona)
    detail = client.get(article.get_absolute_url())
    assert detail.status_code == (404 if persona == "anonymous" else 200)
    for url, status in (
        (f"/knowledge/{article.pk}/edit/", edit),
        (f"/knowledge/{article.pk}/history/", history),
        (f"/knowledge/{article.pk}/compare/", history),
        (f"/knowledge/{article.pk}/revisions/1/", history),
        (f"/knowledge/{article.pk}/flag/", flag),
    ):
        assert client.get(url).status_code == status, url
    if detail.status_code == 200:
        page = detail.content.decode()
        assert (f"/knowledge/{article.pk}/edit/" in page) == (edit == 200)
        assert (f"/knowledge/{article.pk}/flag/" in page) == (flag == 200)


def test_review_pages_are_for_coordinators(personas, client_for):
    for persona in ("member_admin", "expert", "requester", "outsider"):
        assert client_for(persona).get("/knowledge/review/").status_code == 403
    assert client_for("anonymous").get("/knowledge/review/").status_code == 302
    assert "Articles to review" in page_of(client_for("coordinator"), "/knowledge/review/")


def test_the_menu_offers_the_knowledge_base(personas, client_for):
    for persona in EVERYONE:
        page = client_for(persona).get("/knowledge/").content.decode()
        assert 'href="/knowledge/"' in page, persona
        assert ('href="/knowledge/review/"' in page) == (persona == "coordinator"), persona


# --- red and confidential ----------------------------------------------------------------


def test_a_red_article_stays_with_its_named_people(personas, client_for):
    red = publish(
        personas,
        write(
            personas.coordinator,
            tlp=TLP.RED,
            people=[personas.expert],
            title="Rood onderzoek",
            tags=["malware"],
        ),
    )
    green = published_green(personas, title="Groen onderzoek", tags=["malware"])
    for persona in ("member_admin", "requester", "umbrella", "outsider", "anonymous"):
        client = client_for(persona)
        assert "Rood onderzoek" not in client.get("/knowledge/").content.decode(), persona
        assert client.get(red.get_absolute_url()).status_code == 404, persona
        related = client.get(green.get_absolute_url()).content.decode()
        assert "Rood onderzoek" not in related, persona
        assert "Rood onderzoek" not in client.get("/api/v1/articles").content.decode()
        assert client.get(f"/api/v1/articles/{red.pk}").status_code == 404
        assert (
            "Rood onderzoek"
            not in client.get(f"/api/v1/articles/{green.pk}/related").content.decode()
        )
    expert = client_for("expert")
    assert "Rood onderzoek" in page_of(expert, "/knowledge/")
    assert "Rood onderzoek" in page_of(expert, green.get_absolute_url())
    assert "Rood onderzoek" in page_of(expert, red.get_absolute_url())
    assert AuditEvent.objects.filter(
        actor=personas.expert, action="view", object_id=str(red.pk)
    ).exists()


def test_red_needs_named_people_with_a_second_factor(personas, client_for):
    no_factor = make_user("zonder@veilignetwerk.test", mfa=False)
    Membership.objects.create(user=no_factor, organisation=personas.member_company)
    response = client_for("member_admin").post(
        "/knowledge/new/", form_data(tlp="red", people="zonder@veilignetwerk.test")
    )
    assert "two-factor authentication" in response.content.decode()
    response = client_for("member_admin").post("/knowledge/new/", form_data(tlp="red"))
    assert "TLP:RED needs at least one named person." in response.content.decode()
    with pytest.raises(ValidationError) as caught:
        write(personas.member_admin, tlp=TLP.RED, people=[no_factor])
    assert "people" in caught.value.message_dict
    assert not Article.objects.exists()


def test_confidential_titles_in_a_list_are_views_too(personas, client_for):
    amber = publish(
        personas,
        write(personas.member_admin, tlp=TLP.AMBER, organisations=[personas.member_company]),
    )
    green = published_green(personas)
    page_of(client_for("requester"), "/knowledge/")
    viewed = AuditEvent.objects.filter(actor=personas.requester, action="view")
    assert list(viewed.values_list("object_id", "data")) == [(str(amber.pk), {"surface": "list"})]
    assert not viewed.filter(object_id=str(green.pk)).exists()


def test_coordinators_reading_beyond_the_rule_are_audited(personas, client_for):
    amber = publish(
        personas,
        write(personas.member_admin, tlp=TLP.AMBER_STRICT, organisations=[personas.member_company]),
    )
    page_of(client_for("coordinator"), amber.get_absolute_url())
    assert AuditEvent.objects.filter(
        actor=personas.coordinator, action="view.beyond_rule", object_id=str(amber.pk)
    ).exists()


# --- versions --------------------------------------------------------------------------


def revised(personas) -> Article:
    article = published_green(personas, body="Eerste regel.\nTweede regel.")
    article = services.article_update(
        article=article,
        actor=personas.expert,
        content=content(body="Eerste regel.\nTweede regel, aangepast.\n<script>x()</script>"),
        base_number=1,
        note="Aangevuld",
    )
    return services.article_update(
        article=article,
        actor=personas.member_admin,
        content=content(title="Nieuwe titel", body=article.body),
        base_number=2,
    )


def test_history_lists_every_revision(personas, client_for):
    article = revised(personas)
    assert list(article.revisions.values_list("number", flat=True)) == [3, 2, 1]
    page = page_of(client_for("expert"), f"/knowledge/{article.pk}/history/")
    assert "Aangevuld" in page
    assert "First version" in page
    assert "Eva Expert" in page
    assert f"/knowledge/{article.pk}/compare/?from=2&amp;to=3" in page
    assert AuditEvent.objects.filter(action="article.update").count() == 2


def test_compare_shows_two_revisions_side_by_side_and_inline(personas, client_for):
    article = revised(personas)
    client = client_for("member_admin")
    side = page_of(client, f"/knowledge/{article.pk}/compare/?from=1&to=3")
    assert "ttc-diff--side" in side
    assert re.search(r'<ins class="ttc-ins"><span[^>]*>added: </span>, aangepast</ins>', side)
    assert '<del class="ttc-del">' in side
    # Text is text: markup in a revision is escaped, never run.
    assert "<script>x()" not in side
    assert "&lt;script&gt;x()&lt;/script&gt;" in side
    inline = page_of(client, f"/knowledge/{article.pk}/compare/?from=1&to=3&mode=inline")
    assert "ttc-diff--inline" in inline
    assert "ttc-diff--side" not in inline
    assert '<ins class="ttc-ins">' in inline
    assert "No changes." in page_of(client, f"/knowledge/{article.pk}/compare/?from=2&to=3")
    assert client.get(f"/knowledge/{article.pk}/compare/?from=9&to=3").status_code == 404
    assert client.get(f"/knowledge/{article.pk}/compare/?from=x").status_code == 404


def test_revert_brings_back_an_earlier_text_as_a_new_revision(personas, client_for):
    article = revised(personas)
    client = client_for("expert")
    page = page_of(client, f"/knowledge/{article.pk}/revisions/1/revert/")
    assert "Bring back revision 1?" in page
    response = client.post(
        f"/knowledge/{article.pk}/revisions/1/revert/", {"base_number": 3}, follow=True
    )
    assert "The text of revision 1 is back" in response.content.decode()
    article.refresh_from_db()
    first = article.revisions.get(number=1)
    newest = article.revisions.get(number=4)
    assert article.number == 4
    assert (article.title, article.body) == (first.title, first.body)
    assert newest.reverted_to == 1
    assert newest.created_by == personas.expert
    assert AuditEvent.objects.filter(action="article.revert").count() == 1
    # A stale confirmation page does not revert over a newer revision.
    response = client.post(
        f"/knowledge/{article.pk}/revisions/2/revert/", {"base_number": 3}, follow=True
    )
    assert "Someone else saved a newer version" in response.content.decode()
    assert Article.objects.get(pk=article.pk).number == 4
    with pytest.raises(ValidationError):
        services.article_revert(article=article, actor=personas.expert, number=4)
    with pytest.raises(ValidationError):
        services.article_revert(article=article, actor=personas.expert, number=1)  # same text
    with pytest.raises(PermissionDenied):
        services.article_revert(article=article, actor=personas.outsider, number=2)


def test_an_edit_that_lost_the_race_keeps_every_word(personas, client_for):
    article = published_green(personas, body="Oorspronkelijke tekst.")
    expert = client_for("expert")
    form = page_of(expert, f"/knowledge/{article.pk}/edit/")
    assert 'name="base_number" value="1"' in form
    # Meanwhile a colleague saves revision 2.
    services.article_update(
        article=article,
        actor=personas.member_admin,
        content=content(body="Oorspronkelijke tekst, door de collega verbeterd."),
        base_number=1,
    )
    mine = "Mijn eigen herschreven tekst met veel werk erin."
    response = expert.post(
        f"/knowledge/{article.pk}/edit/", edit_data(article, body=mine, base_number=1)
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Someone else saved a newer version (revision 2)" in page
    assert mine in page
    assert "What changed while you were editing" in page
    assert "door de collega verbeterd" in page
    assert 'name="base_number" value="2"' in page
    article.refresh_from_db()
    assert article.number == 2
    assert mine not in article.body
    # Having seen the change, the person saves on top of it.
    expert.post(f"/knowledge/{article.pk}/edit/", edit_data(article, body=mine, base_number=2))
    article.refresh_from_db()
    assert (article.number, article.body) == (3, mine)


def test_saving_without_changes_is_refused(personas, client_for):
    article = published_green(personas)
    response = client_for("expert").post(f"/knowledge/{article.pk}/edit/", edit_data(article))
    assert "Nothing changed." in response.content.decode()
    assert ArticleRevision.objects.filter(article=article).count() == 1


def test_only_the_authors_side_changes_the_label(personas, client_for):
    article = published_green(personas)
    page = page_of(client_for("coordinator"), f"/knowledge/{article.pk}/edit/")
    assert 'name="tlp"' not in page
    assert 'name="tlp"' in page_of(client_for("expert"), f"/knowledge/{article.pk}/edit/")
    with pytest.raises(PermissionDenied):
        services.article_update(
            article=article,
            actor=personas.coordinator,
            content=content(),
            base_number=1,
            sharing=services.Sharing(tlp=TLP.CLEAR),
        )
    client_for("expert").post(
        f"/knowledge/{article.pk}/edit/",
        edit_data(article, tlp="amber+strict", organisations=[personas.member_company.pk]),
    )
    article.refresh_from_db()
    assert article.tlp == TLP.AMBER_STRICT
    assert list(article.recipient_orgs.all()) == [personas.member_company]
    assert client_for("outsider").get(article.get_absolute_url()).status_code == 404


# --- revisions keep the label they were written under ----------------------------------

SECRET = "Het beheerwachtwoord is Vlinder-Kompas-42"


def relabelled_red(personas) -> Article:
    """The security review's reproduction: a member admin writes TLP:RED naming
    only himself, with a secret in the text, then saves revision 2 without the
    secret and relabels it TLP:CLEAR."""
    admin = personas.member_admin
    article = publish(
        personas,
        write(admin, tlp=TLP.RED, people=[admin], body=f"Interne notitie.\n\n{SECRET}"),
    )
    return services.article_update(
        article=article,
        actor=admin,
        content=content(body="Interne notitie."),
        base_number=article.number,
        note="Openbaar gemaakt",
        sharing=services.Sharing(tlp=TLP.CLEAR),
    )


def test_each_revision_keeps_the_label_and_recipients_it_was_saved_under(personas):
    article = relabelled_red(personas)
    first, second = article.revisions.get(number=1), article.revisions.get(number=2)
    assert (first.tlp, list(first.recipient_people.all())) == (TLP.RED, [personas.member_admin])
    assert (second.tlp, list(second.recipient_people.all())) == (TLP.CLEAR, [])
    assert first.created_by == second.created_by == personas.member_admin
    assert SECRET in first.body and SECRET not in second.body
    # Revision 3 by a colleague, under AMBER+STRICT for two organisations.
    article = services.article_update(
        article=article,
        actor=personas.member_admin,
        content=content(body="Interne notitie, bijgewerkt."),
        base_number=2,
        sharing=services.Sharing(
            tlp=TLP.AMBER_STRICT, organisations=[personas.member_company, personas.hospital]
        ),
    )
    article = services.article_update(
        article=article,
        actor=personas.expert,
        content=content(body="Interne notitie, nogmaals bijgewerkt."),
        base_number=3,
    )
    fourth = article.revisions.get(number=4)
    assert fourth.created_by == personas.expert
    assert fourth.tlp == TLP.AMBER_STRICT
    assert set(fourth.recipient_orgs.all()) == {personas.member_company, personas.hospital}


@pytest.mark.parametrize("persona", ["expert", "outsider", "anonymous"])
def test_a_relabelled_articles_red_revision_stays_with_its_named_people(
    personas, client_for, persona
):
    article = relabelled_red(personas)
    client = client_for(persona)
    base = f"/knowledge/{article.pk}"
    # The current text is public now…
    assert "Interne notitie." in page_of(client, article.get_absolute_url())
    # …the RED revision is not there for anyone it was not shared with.
    for url in (
        f"{base}/revisions/1/",
        f"{base}/revisions/1/revert/",
        f"{base}/compare/?from=1&to=2",
        f"{base}/compare/?from=2&to=1",
        f"{base}/compare/?from=1",
    ):
        response = client.get(url)
        expected = 302 if persona == "anonymous" else 404
        assert response.status_code == expected, url
        assert SECRET not in response.content.decode()
    for url in (f"{base}/history/", f"{base}/compare/", f"{base}/revisions/2/"):
        response = client.get(url, follow=True)
        assert SECRET not in response.content.decode(), url
    for path in ("/revisions", "/revisions/1", "/compare", "/compare?old=1", "/compare?new=1"):
        response = client.get(f"/api/v1/articles/{article.pk}{path}")
        assert SECRET not in response.content.decode(), path
        if path in ("/revisions/1", "/compare?old=1", "/compare?new=1"):
            assert response.status_code == (401 if persona == "anonymous" else 404), path
    assert (
        not AuditEvent.objects.filter(object_type="knowledge.articlerevision", actor__isnull=False)
        .exclude(actor=personas.coordinator)
        .exists()
    )


def test_a_colleague_sees_only_the_revisions_shared_with_them(personas, client_for):
    article = relabelled_red(personas)
    client = client_for("expert")
    base = f"/knowledge/{article.pk}"
    history = page_of(client, f"{base}/history/")
    assert f"{base}/revisions/2/" in history
    assert f"{base}/revisions/1/" not in history
    assert "First version" not in history
    assert '<option value="1"' not in history
    # With one revision to see, comparing shows it with itself; nothing more.
    compare = page_of(client, f"{base}/compare/")
    assert "Revision 2 compared with 2" in compare
    assert '<option value="1"' not in compare
    api = client.get(f"/api/v1/articles/{article.pk}/revisions").json()
    assert [(r["number"], r["tlp"]) for r in api] == [(2, "clear")]
    compared = client.get(f"/api/v1/articles/{article.pk}/compare").json()
    assert (compared["old"], compared["new"]) == (2, 2)
    # The author, named in revision 1, still sees both.
    author = client_for("member_admin")
    history = page_of(author, f"{base}/history/")
    assert f"{base}/revisions/1/" in history
    assert SECRET in page_of(author, f"{base}/revisions/1/")
    assert SECRET not in history
    assert "TLP:RED" in page_of(author, f"{base}/compare/?from=1&to=2")


def test_a_coordinator_reads_an_older_red_revision_only_on_the_record(personas, client_for):
    article = relabelled_red(personas)
    first = article.revisions.get(number=1)
    client = client_for("coordinator")
    base = f"/knowledge/{article.pk}"

    def looked(surface: str) -> bool:
        return AuditEvent.objects.filter(
            actor=personas.coordinator,
            action="view.beyond_rule",
            object_type="knowledge.articlerevision",
            object_id=str(first.pk),
            data={"surface": surface},
        ).exists()

    page = page_of(client, f"{base}/revisions/1/")
    assert SECRET in page
    assert "TLP:RED" in page
    assert looked("revision")
    assert f"{base}/revisions/1/" in page_of(client, f"{base}/history/")
    assert looked("history")
    compare = page_of(client, f"{base}/compare/?from=1&to=2")
    assert "TLP:RED" in compare
    assert looked("compare")
    assert SECRET in client.get(f"/api/v1/articles/{article.pk}/revisions/1").json()["body"]
    assert looked("api revision")
    client.get(f"/api/v1/articles/{article.pk}/revisions")
    assert looked("api history")
    client.get(f"/api/v1/articles/{article.pk}/compare?old=1")
    assert looked("api compare")
    # The CLEAR revision is no confidential content: nothing to record.
    assert not AuditEvent.objects.filter(
        object_type="knowledge.articlerevision", object_id=str(article.revisions.get(number=2).pk)
    ).exists()


@pytest.mark.parametrize("persona", ["member_admin", "expert", "coordinator"])
def test_an_older_revision_under_another_label_does_not_come_back_by_a_revert(
    personas, client_for, persona
):
    article = relabelled_red(personas)
    actor = personas.get(persona)
    with pytest.raises(ValidationError) as refused:
        services.article_revert(article=article, actor=actor, number=1, base_number=2)
    message = " ".join(refused.value.messages)
    if persona == "expert":
        # Not shared with the colleague: as if it did not exist.
        assert message == "Choose an earlier revision."
    else:
        assert "Revision 1 was written under another label" in message
    client = client_for(persona)
    base = f"/knowledge/{article.pk}"
    response = client.post(f"{base}/revisions/1/revert/", {"base_number": 2}, follow=True)
    if persona == "expert":
        assert response.status_code == 404
    else:
        page = response.content.decode()
        assert "Revision 1 was written under another label" in page
        assert "Yes, bring it back" not in page
        assert "Bring this text back" not in page_of(client, f"{base}/revisions/1/")
    problem = client.post(
        f"/api/v1/articles/{article.pk}/revert",
        '{"number": 1, "base_number": 2}',
        content_type="application/json",
    )
    assert problem.status_code == 400, problem.content
    assert "Revision 1 was written under another label" in problem.content.decode() or (
        persona == "expert" and "Choose an earlier revision." in problem.content.decode()
    )
    article.refresh_from_db()
    assert (article.number, article.tlp) == (2, TLP.CLEAR)
    assert SECRET not in article.body
    assert not AuditEvent.objects.filter(action="article.revert").exists()
    anonymous = client_for("anonymous")
    assert SECRET not in page_of(anonymous, article.get_absolute_url())
    assert SECRET not in anonymous.get(f"/api/v1/articles/{article.pk}").content.decode()


def test_a_revert_within_the_same_label_and_recipients_still_works(personas):
    admin = personas.member_admin
    article = publish(personas, write(admin, tlp=TLP.RED, people=[admin], body="Versie een."))
    article = services.article_update(
        article=article, actor=admin, content=content(body="Versie twee."), base_number=1
    )
    article = services.article_revert(article=article, actor=admin, number=1, base_number=2)
    assert (article.number, article.body, article.tlp) == (3, "Versie een.", TLP.RED)
    third = article.revisions.get(number=3)
    assert (third.tlp, list(third.recipient_people.all()), third.reverted_to) == (
        TLP.RED,
        [admin],
        1,
    )
    # The same label for other people is another share: refused too.
    article = services.article_update(
        article=article,
        actor=admin,
        content=content(body="Versie vier."),
        base_number=3,
        sharing=services.Sharing(tlp=TLP.RED, people=[admin, personas.expert]),
    )
    with pytest.raises(ValidationError):
        services.article_revert(article=article, actor=admin, number=3, base_number=4)


def test_a_stale_edit_shows_only_changes_since_a_revision_the_person_may_read(personas, client_for):
    article = relabelled_red(personas)
    response = client_for("expert").post(
        f"/knowledge/{article.pk}/edit/", edit_data(article, body="Mijn versie.", base_number=1)
    )
    page = response.content.decode()
    assert "Someone else saved a newer version" in page
    assert SECRET not in page


def test_the_migration_backfills_revisions_from_their_article(personas, client_for):
    """0003_revision_label: existing revisions take their article's label and
    recipients; those saved before a change of label (the audit log says when)
    were written under a share that was not recorded, and become TLP:RED for
    their author alone."""
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    from ttc.core.tlp import TLP as Label

    migration = __import__("ttc.knowledge.migrations.0003_revision_label", fromlist=["backfill"])
    red = publish(personas, write(personas.member_admin, tlp=Label.RED, people=[personas.expert]))
    amber = publish(
        personas,
        write(personas.expert, tlp=Label.AMBER, organisations=[personas.member_company]),
    )
    relabelled = relabelled_red(personas)
    relabelled = services.article_update(
        article=relabelled,
        actor=personas.expert,
        content=content(body="Interne notitie, aangevuld."),
        base_number=2,
    )
    # As before the migration: no label of their own.
    for revision in ArticleRevision.objects.all():
        revision.recipient_people.clear()
        revision.recipient_orgs.clear()
    ArticleRevision.objects.update(tlp=Label.AMBER_STRICT)
    migration.backfill(apps, SimpleNamespace(connection=connection, execute=lambda sql: None))
    first_red, first_amber = red.revisions.get(), amber.revisions.get()
    assert (first_red.tlp, list(first_red.recipient_people.all())) == (
        Label.RED,
        [personas.expert],
    )
    assert list(first_red.recipient_orgs.all()) == []
    assert (first_amber.tlp, list(first_amber.recipient_orgs.all())) == (
        Label.AMBER,
        [personas.member_company],
    )
    labels = {
        revision.number: (revision.tlp, list(revision.recipient_people.all()))
        for revision in relabelled.revisions.all()
    }
    assert labels == {1: (Label.RED, []), 2: (Label.CLEAR, []), 3: (Label.CLEAR, [])}
    # The secret of revision 1 stays with its author.
    url = f"/knowledge/{relabelled.pk}/revisions/1/"
    assert client_for("expert").get(url).status_code == 404
    assert SECRET in page_of(client_for("member_admin"), url)


# --- the tag filter names only tags of articles the person may read ----------------------


@pytest.mark.parametrize("persona", ["anonymous", "outsider", "requester"])
def test_a_tag_only_on_unreadable_articles_is_an_unknown_tag(personas, client_for, persona):
    publish(
        personas,
        write(
            personas.member_admin,
            tlp=TLP.RED,
            people=[personas.expert],
            tags=["Operatie Nachtvlinder"],
        ),
    )
    client = client_for(persona)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    hidden = page_of(client, "/knowledge/?tag=operatie-nachtvlinder")
    unknown = page_of(client, "/knowledge/?tag=bestaat-niet")
    assert "Nachtvlinder" not in hidden
    assert "No articles match this filter." in hidden

    def same(page: str) -> str:
        return re.sub(r'(nonce|value)="[^"]*"', "", page.replace("operatie-nachtvlinder", "x"))

    assert same(hidden) == same(unknown.replace("bestaat-niet", "x"))
    fragment = client.get(
        "/knowledge/?tag=operatie-nachtvlinder", headers={"HX-Request": "true"}
    ).content.decode()
    assert "Nachtvlinder" not in fragment
    # The named person sees the tag's name.
    named = page_of(client_for("expert"), "/knowledge/?tag=operatie-nachtvlinder")
    assert "Articles with the tag “Operatie Nachtvlinder”." in named


# --- author names ------------------------------------------------------------------------


def test_an_author_without_a_name_is_never_shown_by_e_mail_address(personas, client_for):
    nameless = make_user("naamloos@veilignetwerk.test", preferred_language="en")
    Membership.objects.create(user=nameless, organisation=personas.member_company, role="member")
    article = write(nameless)
    services.article_update(
        article=article, actor=nameless, content=content(body="Bijgewerkt."), base_number=1
    )
    services.article_submit(article=article, actor=nameless)
    for persona in ("expert", "coordinator"):
        client = client_for(persona)
        for url in (
            f"/knowledge/{article.pk}/history/",
            f"/knowledge/{article.pk}/revisions/1/",
            *(["/knowledge/review/"] if persona == "coordinator" else []),
            f"/api/v1/articles/{article.pk}",
            f"/api/v1/articles/{article.pk}/revisions",
            f"/api/v1/articles/{article.pk}/revisions/2",
        ):
            response = client.get(url)
            assert response.status_code == 200, (persona, url)
            assert "naamloos@" not in response.content.decode(), (persona, url)
    api = client_for("expert").get(f"/api/v1/articles/{article.pk}").json()
    assert api["author"] == nameless.public_name


# --- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "x" * 201, "at most 200 characters"),
        ("summary", "x" * 601, "at most 600 characters"),
        ("body", "x" * 100_001, "at most 100000 characters"),
        ("title", "   ", "Give the article a title."),
        ("body", "", "Write the article."),
        ("tags", ", ".join(f"tag{n}" for n in range(11)), "Use at most 10 tags."),
        ("tags", "a" * 51, "Keep each tag under 50 characters."),
        ("tags", "!!!", "A tag needs letters or digits"),
        ("kind", "advertorial", "Select a valid choice."),
        ("tlp", "amber", "TLP:AMBER needs at least one named organisation."),
    ],
)
def test_bad_input_is_refused_with_a_message_and_changes_nothing(
    personas, client_for, field, value, message
):
    response = client_for("member_admin").post("/knowledge/new/", form_data(**{field: value}))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Article.objects.exists()
    assert not Tag.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="article.").exists()


def test_the_form_does_not_let_the_browser_cut_text(personas, client_for):
    page = page_of(client_for("member_admin"), "/knowledge/new/")
    assert "maxlength" not in page


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"body": "x" * 100_001}, "body"),
        ({"summary": "x" * 601}, "summary"),
        ({"title": "x" * 201}, "title"),
        ({"tags": [f"t{n}" for n in range(11)]}, "tags"),
        ({"body": "nul\x00byte"}, "body"),
        ({"kind": "advertorial"}, "kind"),
    ],
)
def test_the_service_refuses_oversized_text_too(personas, overrides, field):
    with pytest.raises(ValidationError) as caught:
        write(personas.member_admin, **overrides)
    assert field in caught.value.message_dict
    assert not Article.objects.exists()
    article = published_green(personas)
    with pytest.raises(ValidationError):
        services.article_update(
            article=article, actor=personas.expert, content=content(**overrides), base_number=1
        )
    assert Article.objects.get().number == 1


def test_tags_are_trimmed_and_reused_whatever_their_case(personas):
    first = write(personas.member_admin, tags=["  Ransomware ", "ransomware", "RANSOMWARE!"])
    assert list(first.tags.values_list("name", flat=True)) == ["Ransomware"]
    second = write(personas.expert, tags=["ransomware", "Back-ups"])
    assert Tag.objects.count() == 2
    assert set(second.tags.values_list("slug", flat=True)) == {"ransomware", "back-ups"}


HOSTILE = """# Kop

<script>alert('xss')</script>

<img src=x onerror="alert(2)">

[klik](javascript:alert(1)) en [goed](https://example.org/)
"""


def test_hostile_markdown_is_sanitised(personas, client_for):
    article = published_green(personas, body=HOSTILE, summary="<b onclick=x()>Kort</b>")
    page = page_of(client_for("outsider"), article.get_absolute_url())
    assert "<h2>Kop</h2>" in page
    assert "<script>alert" not in page
    assert "&lt;script&gt;" in page
    assert "<img" not in page
    assert "onclick" not in page.replace("&lt;b onclick", "")
    assert "javascript:" not in " ".join(re.findall(r'href="([^"]*)"', page)).lower()
    assert re.search(r'<a href="https://example.org/"[^>]*>goed</a>', page)


def test_a_title_is_escaped(personas, client_for):
    article = published_green(personas, title="<b>Vet</b> & <script>alert(1)</script>")
    for url in (article.get_absolute_url(), "/knowledge/"):
        page = page_of(client_for("expert"), url)
        assert "<script>alert(1)" not in page
        assert "&lt;b&gt;Vet&lt;/b&gt; &amp; &lt;script&gt;" in page


# --- list, filters, related --------------------------------------------------------------


def test_the_list_filters_by_tag_and_kind(personas, client_for):
    published_green(personas, title="Gids A", kind="guide", tags=["backups"])
    published_green(personas, title="Checklist B", kind="checklist", tags=["backups", "vpn"])
    published_green(personas, title="Onderzoek C", kind="research", tags=["vpn"])
    client = client_for("outsider")
    page = page_of(client, "/knowledge/?tag=backups")
    assert "Gids A" in page and "Checklist B" in page and "Onderzoek C" not in page
    assert "Articles with the tag “backups”." in page
    page = page_of(client, "/knowledge/?kind=checklist")
    assert "Checklist B" in page and "Gids A" not in page
    page = page_of(client, "/knowledge/?tag=vpn&kind=research")
    assert "Onderzoek C" in page and "Checklist B" not in page
    assert "No articles match this filter." in page_of(client, "/knowledge/?tag=onbekend")
    # A detail page's tags link to the filter.
    detail = page_of(client, Article.objects.get(title="Gids A").get_absolute_url())
    assert 'href="/knowledge/?tag=backups"' in detail
    fragment = client.get("/knowledge/?tag=vpn", headers={"HX-Request": "true"}).content.decode()
    assert 'id="results"' not in fragment, "the live region stays on the page; htmx fills it"
    assert "<html" not in fragment
    assert "Onderzoek C" in fragment


def test_anonymous_visitors_read_public_articles(personas, client_for):
    public = published_green(personas, title="Openbare gids", tlp=TLP.CLEAR)
    published_green(personas, title="Voor leden")
    client = client_for("anonymous")
    page = page_of(client, "/knowledge/")
    assert "Openbare gids" in page
    assert "Voor leden" not in page
    assert "Write an article" not in page
    assert "Openbare gids" in page_of(client, public.get_absolute_url())


def test_related_articles_share_the_most_tags_then_the_newest(personas, client_for):
    article = published_green(personas, title="Hoofdstuk", tags=["a", "b", "c"])
    two_old = published_green(personas, title="Twee oud", tags=["a", "b"])
    one_new = published_green(personas, title="Een nieuw", tags=["c"])
    two_new = published_green(personas, title="Twee nieuw", tags=["b", "c", "z"])
    published_green(personas, title="Geen", tags=["z"])
    write(personas.member_admin, title="Concept", tags=["a", "b", "c"])  # a draft
    flagged = published_green(personas, title="Reclame", tags=["a", "b", "c"])
    services.article_flag_commercial(article=flagged, actor=personas.coordinator, reason="x")
    Article.objects.filter(pk=two_old.pk).update(published_at=timezone.now().replace(year=2020))
    related = services.related_articles(article, personas.outsider)
    assert [a.title for a in related] == ["Twee nieuw", "Twee oud", "Een nieuw"]
    assert [a.title for a in services.related_articles(article, personas.outsider, 1)] == [
        "Twee nieuw"
    ]
    page = page_of(client_for("outsider"), article.get_absolute_url())
    section = page[page.index("Related articles") :]
    assert section.index("Twee nieuw") < section.index("Twee oud") < section.index("Een nieuw")
    assert "Concept" not in section and "Reclame" not in section and ">Geen<" not in section
    assert one_new.pk and two_new.pk


# --- notifications -----------------------------------------------------------------------

# Who may see each label in the leak scenario (tests/test_leaks.py), plus the coordinators.
MAY_SEE = {
    TLP.RED: {"expert"},
    TLP.AMBER_STRICT: {"requester"},
    TLP.AMBER: {"member_admin", "expert", "requester"},
    TLP.GREEN: {"member_admin", "expert", "requester", "umbrella", "outsider"},
    TLP.CLEAR: {"member_admin", "expert", "requester", "umbrella", "outsider"},
}
SHARED = {
    TLP.RED: lambda p: {"people": [p.expert]},
    TLP.AMBER_STRICT: lambda p: {"organisations": [p.hospital]},
    TLP.AMBER: lambda p: {"organisations": [p.member_company]},
    TLP.GREEN: lambda p: {},
    TLP.CLEAR: lambda p: {},
}


@pytest.mark.parametrize("label", list(TLP), ids=lambda label: label.label)
def test_a_lifecycles_notifications_reach_only_who_may_read(personas, label):
    """Written by the member company's admin, who always reads their own article."""
    mail.outbox.clear()
    article = write(
        personas.member_admin, tlp=label, body="Vertrouwelijk detail", **SHARED[label](personas)
    )
    services.article_submit(article=article, actor=personas.member_admin)
    services.article_return(article=article, actor=personas.coordinator, reason="Bronnen")
    services.article_submit(article=article, actor=personas.member_admin)
    services.article_publish(article=article, actor=personas.coordinator)
    services.article_flag_commercial(article=article, actor=personas.coordinator, reason="Reclame")
    services.article_update(
        article=article,
        actor=personas.member_admin,
        content=content(body="Nieuwe tekst"),
        base_number=1,
    )
    services.article_publish(article=article, actor=personas.coordinator)

    allowed = MAY_SEE[label] | {"coordinator", "member_admin"}
    notified = {
        name
        for name in PEOPLE
        if Notification.objects.filter(
            recipient=personas.get(name), url=article.get_absolute_url()
        ).exists()
    }
    assert notified <= allowed, notified - allowed
    assert {"coordinator", "member_admin"} <= notified
    # Publishing is not news: the label's wider audience hears nothing.
    assert not notified & {"requester", "umbrella", "outsider"}
    addresses = {personas.get(name).email for name in allowed}
    for message in mail.outbox:
        assert len(message.to) == 1
        assert message.to[0] in addresses
        assert "Vertrouwelijk detail" not in message.body
        assert "Nieuwe tekst" not in message.body


# --- query counts ------------------------------------------------------------------------


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def add_articles(personas, start: int, number: int) -> None:
    """Every label the expert reads, in every state: twelve make one of each."""
    kinds = [
        {"tlp": TLP.GREEN},
        {"tlp": TLP.AMBER, "organisations": [personas.member_company]},
        {"tlp": TLP.RED, "people": [personas.expert]},
        {"tlp": TLP.CLEAR},
    ]
    for index in range(start, start + number):
        spec = dict(kinds[index % len(kinds)])
        article = write(
            personas.member_admin,
            title=f"Artikel {index}",
            tags=[f"tag{index % 3}", "gedeeld"],
            **spec,
        )
        state = index % 3
        if state == 1:
            services.article_submit(article=article, actor=personas.member_admin)
        elif state == 2:
            publish(personas, article)
        if index % 6 == 5:
            services.article_flag_commercial(
                article=article, actor=personas.coordinator, reason="Reclame"
            )


@pytest.mark.parametrize(
    ("persona", "url"),
    [
        ("expert", "/knowledge/"),
        ("expert", "/knowledge/?tag=gedeeld"),
        ("outsider", "/knowledge/?kind=research"),
        ("anonymous", "/knowledge/"),
        ("coordinator", "/knowledge/"),
        ("coordinator", "/knowledge/review/"),
        ("expert", "/api/v1/articles"),
        ("expert", "/api/v1/articles?status=draft"),
    ],
)
def test_list_pages_do_not_grow_queries_with_the_data(personas, client_for, persona, url):
    client = client_for(persona)
    add_articles(personas, 0, 12)
    client.get(url)  # warm caches that every page fills once
    few = count_queries(client, url)
    add_articles(personas, 12, 24)
    many = count_queries(client, url)
    assert many == few, f"{url}: {few} queries for a few articles, {many} for many"


def test_a_detail_page_does_not_grow_queries_with_related_articles(personas, client_for):
    article = published_green(personas, tags=["gedeeld"])
    client = client_for("expert")
    add_articles(personas, 0, 12)
    client.get(article.get_absolute_url())
    few = count_queries(client, article.get_absolute_url())
    add_articles(personas, 12, 12)
    assert count_queries(client, article.get_absolute_url()) == few
