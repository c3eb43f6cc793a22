"""Announcements and notifications, through the pages (ttc/announcements/, ttc/core/views.py).

Who sees which label on which surface is tests/test_leaks.py; here: publishing,
rendering, refusing bad input, notifications, and query counts.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ttc.accounts.models import User
from ttc.announcements.models import Announcement
from ttc.announcements.services import announcement_publish
from ttc.core.models import AuditEvent, Notification
from ttc.core.tlp import TLP

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(personas):
    """Assert on the English texts, whatever translations are added later."""
    User.objects.update(preferred_language="en")


def publish(personas, tlp: str = TLP.GREEN, *, title: str = "Bericht", **recipients):
    return announcement_publish(
        author=personas.coordinator,
        title=title,
        body="Inhoud.",
        tlp=tlp,
        people=recipients.get("people", []),
        organisations=recipients.get("organisations", []),
    )


def rendered_tags(html: str) -> list[tuple[str, dict[str, str]]]:
    """The real tags in a piece of HTML (escaped text is not a tag)."""
    found: list[tuple[str, dict[str, str]]] = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, {name: value or "" for name, value in attrs}))

    Collector().feed(html)
    return found


def unread_badge(page: str) -> str | None:
    match = re.search(r'<span class="ttc-count"[^>]*>(\d+)</span>', page)
    return match.group(1) if match else None


# --- publishing ----------------------------------------------------------------------

BODY = """# Kop

Een **belangrijke** update met [een link](https://example.org/advies).

<script>alert('xss')</script>

<img src=x onerror="alert(2)">

[klik](javascript:alert(1))
"""


def test_coordinator_publishes_and_lands_on_the_detail_page(personas, client_for):
    mail.outbox.clear()
    response = client_for("coordinator").post(
        "/announcements/new/",
        {"title": "Nieuwe kwetsbaarheid", "body": BODY, "tlp": "green"},
        follow=True,
    )
    announcement = Announcement.objects.get()
    assert response.redirect_chain == [(f"/announcements/{announcement.pk}/", 302)]
    page = response.content.decode()
    assert "The announcement is published." in page
    assert '<h1 class="utrecht-heading-1">Nieuwe kwetsbaarheid</h1>' in page
    assert "TLP:GREEN" in page
    # Markdown becomes HTML; the page owns the h1, so headings start at h2.
    assert "<h2>Kop</h2>" in page
    assert "<strong>belangrijke</strong>" in page
    assert re.search(r'<a href="https://example.org/advies"[^>]*>een link</a>', page)
    # Raw HTML and dangerous links never become markup.
    assert "<script>alert" not in page
    assert "&lt;script&gt;" in page
    assert "<img" not in page
    assert 'href="javascript:' not in page.lower()
    assert "javascript:alert(1)" not in re.findall(r'href="([^"]*)"', page)
    assert announcement.tlp == TLP.GREEN
    assert announcement.created_by == personas.coordinator
    # Everyone vetted hears of it, in the app and by e-mail; the author does not.
    notified = set(Notification.objects.values_list("recipient__email", flat=True))
    assert notified == {
        "admin@veilignetwerk.test",
        "expert@veilignetwerk.test",
        "ciso@noorderlicht.test",
        "info@zorgkoepel.test",
        "dev@anderesoftware.test",
    }
    assert {address for message in mail.outbox for address in message.to} == notified
    assert AuditEvent.objects.filter(action="announcement.publish").count() == 1


def test_red_announcement_names_its_people(personas, client_for):
    mail.outbox.clear()
    response = client_for("coordinator").post(
        "/announcements/new/",
        {
            "title": "Gerichte waarschuwing",
            "body": "Geheim detail",
            "tlp": "red",
            "people": "Expert@VeiligNetwerk.test, ciso@noorderlicht.test",
        },
        follow=True,
    )
    announcement = Announcement.objects.get()
    assert set(announcement.recipient_people.values_list("email", flat=True)) == {
        "expert@veilignetwerk.test",
        "ciso@noorderlicht.test",
    }
    page = response.content.decode()
    assert "Eva Expert" in page
    assert "Ruud Requester" in page
    assert set(Notification.objects.values_list("recipient__email", flat=True)) == {
        "expert@veilignetwerk.test",
        "ciso@noorderlicht.test",
    }
    for message in mail.outbox:
        assert "Geheim detail" not in message.body
        assert f"/announcements/{announcement.pk}/" in message.body


def test_amber_announcement_names_its_organisations(personas, client_for):
    client_for("coordinator").post(
        "/announcements/new/",
        {
            "title": "Voor de leverancier",
            "body": "Detail",
            "tlp": "amber",
            "organisations": [personas.member_company.pk],
        },
    )
    announcement = Announcement.objects.get()
    assert list(announcement.recipient_orgs.all()) == [personas.member_company]
    # AMBER reaches the declared client, the hospital, too.
    assert set(Notification.objects.values_list("recipient__email", flat=True)) == {
        "admin@veilignetwerk.test",
        "expert@veilignetwerk.test",
        "ciso@noorderlicht.test",
    }


@pytest.mark.parametrize(
    "link",
    [
        "[x](javascript:alert(1))",
        "[x](JavaScript:alert(1))",
        "[x](  javascript:alert(1))",
        "<javascript:alert(1)>",
        "[x](vbscript:msgbox(1))",
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "![plaatje](javascript:alert(1))",
        '<a href="javascript:alert(1)">x</a>',
        '[x](https://ok.example "t" onclick="alert(1)")',
    ],
)
def test_no_dangerous_link_survives(personas, client_for, link):
    announcement = announcement_publish(
        author=personas.coordinator, title="Links", body=f"Zie {link} hier.", tlp=TLP.CLEAR
    )
    page = client_for("expert").get(announcement.get_absolute_url()).content.decode()
    body = page[page.index('<div class="ttc-prose">') :]
    body = body[: body.index("</div>")]
    assert "Zie" in body
    tags = rendered_tags(body)
    assert {tag for tag, _ in tags} <= {"div", "p", "a"}
    for _tag, attributes in tags:
        assert not any(name.startswith("on") for name in attributes), attributes
        for name in ("href", "src"):
            if name in attributes:
                target = attributes[name].strip().lower()
                scheme = target.split(":", 1)[0] if ":" in target else ""
                assert scheme in ("", "http", "https", "mailto"), target


def test_title_is_escaped(personas, client_for):
    announcement = announcement_publish(
        author=personas.coordinator,
        title="<b>Vet</b> & <script>alert(1)</script>",
        body="x",
        tlp=TLP.CLEAR,
    )
    page = client_for("expert").get(announcement.get_absolute_url()).content.decode()
    assert "&lt;b&gt;Vet&lt;/b&gt; &amp; &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>Vet</b>" not in page
    listing = client_for("expert").get("/announcements/").content.decode()
    assert "<script>alert(1)" not in listing


@pytest.mark.parametrize("persona", ["member_admin", "expert", "requester", "umbrella", "outsider"])
def test_only_coordinators_publish(personas, client_for, persona):
    mail.outbox.clear()
    client = client_for(persona)
    assert client.get("/announcements/new/").status_code == 403
    response = client.post(
        "/announcements/new/", {"title": "Sluiproute", "body": "x", "tlp": "clear"}
    )
    assert response.status_code == 403
    assert not Announcement.objects.exists()
    assert not Notification.objects.exists()
    assert mail.outbox == []
    assert "Post an announcement" not in client.get("/announcements/").content.decode()


def test_anonymous_publishing_is_sent_to_log_in(personas, client_for):
    response = client_for("anonymous").post(
        "/announcements/new/", {"title": "Anoniem", "body": "x", "tlp": "clear"}
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not Announcement.objects.exists()


def test_service_refuses_non_coordinators(personas):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        announcement_publish(author=personas.member_admin, title="x", body="y", tlp=TLP.CLEAR)
    assert not Announcement.objects.exists()


BAD_INPUT = [
    pytest.param({"tlp": "red"}, "TLP:RED needs at least one named person.", id="red-no-people"),
    pytest.param(
        {"tlp": "amber"}, "TLP:AMBER needs at least one named organisation.", id="amber-no-orgs"
    ),
    pytest.param(
        {"tlp": "amber+strict"},
        "TLP:AMBER+STRICT needs at least one named organisation.",
        id="amber-strict-no-orgs",
    ),
    pytest.param(
        {"tlp": "red", "people": "expert@veilignetwerk.test", "organisations": "member_company"},
        "TLP:RED is not sent to named organisations.",
        id="red-with-orgs",
    ),
    pytest.param(
        {"tlp": "green", "people": "expert@veilignetwerk.test"},
        "Only TLP:RED is sent to named people; choose organisations or another label.",
        id="green-with-people",
    ),
    pytest.param(
        {"tlp": "clear", "organisations": "hospital"},
        "TLP:CLEAR is not sent to named organisations.",
        id="clear-with-orgs",
    ),
    pytest.param(
        {"tlp": "red", "people": "expert@veilignetwerk.test\nonbekend@nergens.test"},
        "No one on the platform has this address: onbekend@nergens.test",
        id="unknown-person",
    ),
    pytest.param(
        {"tlp": "red", "people": "expert@veilignetwerk.test geen-adres"},
        "“geen-adres” is not an e-mail address.",
        id="malformed-email",
    ),
    pytest.param({"title": ""}, "This field is required.", id="empty-title"),
    pytest.param({"title": "   "}, "This field is required.", id="blank-title"),
    pytest.param(
        {"title": "t" * 201},
        "Ensure this value has at most 200 characters (it has 201).",
        id="long-title",
    ),
    pytest.param(
        {"body": "b" * 20_001},
        "Ensure this value has at most 20000 characters (it has 20001).",
        id="long-body",
    ),
    pytest.param({"body": ""}, "This field is required.", id="empty-body"),
    pytest.param({"tlp": "purple"}, "Select a valid choice. purple is not one of", id="bad-tlp"),
    pytest.param(
        {"tlp": "amber", "organisations": "999999"},
        "Select a valid choice. 999999 is not one of the available choices.",
        id="unknown-org",
    ),
]


@pytest.mark.parametrize(("change", "message"), BAD_INPUT)
def test_bad_input_is_refused_and_creates_nothing(personas, client_for, change, message):
    mail.outbox.clear()
    data = {"title": "Goede titel", "body": "Goede inhoud", "tlp": "green"} | change
    if data.get("organisations") in ("member_company", "hospital"):
        data["organisations"] = [getattr(personas, data["organisations"]).pk]
    response = client_for("coordinator").post("/announcements/new/", data)
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    # The form is shown again with what was typed, not emptied.
    if data["title"].strip() and len(data["title"]) <= 200:
        assert 'value="Goede titel"' in page
    assert not Announcement.objects.exists()
    assert not Notification.objects.exists()
    assert not AuditEvent.objects.exists()
    assert mail.outbox == []


# --- notifications -------------------------------------------------------------------


def test_notifications_page_lists_them_and_the_header_counts_unread(personas, client_for):
    publish(personas, TLP.GREEN, title="Eerste melding")
    publish(personas, TLP.RED, title="Tweede melding", people=[personas.expert])
    client = client_for("expert")
    page = client.get("/notifications/").content.decode()
    assert "New: Eerste melding" in page
    assert "New: Tweede melding" in page
    assert page.index("Tweede melding") < page.index("Eerste melding")  # newest first
    assert unread_badge(page) == "2"
    assert 'aria-label="2 unread"' in page
    # The outsider got only the GREEN one.
    other = client_for("outsider").get("/notifications/").content.decode()
    assert "Eerste melding" in other
    assert "Tweede melding" not in other
    assert unread_badge(other) == "1"


def test_no_badge_without_unread_notifications(personas, client_for):
    page = client_for("expert").get("/dashboard/").content.decode()
    assert unread_badge(page) is None
    assert (
        "You have no notifications." in client_for("expert").get("/notifications/").content.decode()
    )


def test_opening_a_notification_marks_it_read_and_goes_to_the_announcement(personas, client_for):
    first = publish(personas, TLP.GREEN, title="Eerste melding")
    publish(personas, TLP.GREEN, title="Tweede melding")
    notification = Notification.objects.get(recipient=personas.expert, url=first.get_absolute_url())
    client = client_for("expert")
    response = client.post(f"/notifications/{notification.pk}/open/")
    assert response.status_code == 302
    assert response["Location"] == f"/announcements/{first.pk}/"
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert Notification.objects.filter(recipient=personas.expert).unread().count() == 1
    page = client.get("/notifications/").content.decode()
    assert "New: Eerste melding" not in page
    assert "Eerste melding" in page
    assert "New: Tweede melding" in page
    assert unread_badge(page) == "1"


def test_opening_needs_post(personas, client_for):
    publish(personas, TLP.GREEN)
    notification = Notification.objects.get(recipient=personas.expert)
    assert client_for("expert").get(f"/notifications/{notification.pk}/open/").status_code == 405
    notification.refresh_from_db()
    assert notification.read_at is None


def test_someone_elses_notification_is_404(personas, client_for):
    publish(personas, TLP.GREEN)
    notification = Notification.objects.get(recipient=personas.expert)
    response = client_for("outsider").post(f"/notifications/{notification.pk}/open/")
    assert response.status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None
    assert client_for("expert").post("/notifications/999999/open/").status_code == 404


def test_a_notification_never_redirects_off_site(personas, client_for):
    notification = Notification.objects.create(
        recipient=personas.expert, title="Vreemd", url="//evil.example/phish"
    )
    response = client_for("expert").post(f"/notifications/{notification.pk}/open/")
    assert response.status_code == 302
    assert response["Location"] == "/notifications/"


def test_mark_all_as_read(personas, client_for):
    for number in range(3):
        publish(personas, TLP.GREEN, title=f"Melding {number}")
    client = client_for("expert")
    response = client.post("/notifications/read-all/", follow=True)
    assert response.redirect_chain == [("/notifications/", 302)]
    page = response.content.decode()
    assert "New:" not in page
    assert unread_badge(page) is None
    assert not Notification.objects.filter(recipient=personas.expert).unread().exists()
    # Only the expert's own: the others' stay unread.
    assert Notification.objects.filter(recipient=personas.outsider).unread().count() == 3


def test_notifications_need_sign_in(personas, client_for):
    client = client_for("anonymous")
    for response in (client.get("/notifications/"), client.post("/notifications/read-all/")):
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


# --- query counts --------------------------------------------------------------------


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def publish_visible_to_expert(personas, number: int) -> None:
    """Every way a label reaches the expert: GREEN, AMBER to their company, RED by name;
    and one they may not see."""
    kinds = [
        {"tlp": TLP.GREEN},
        {"tlp": TLP.AMBER, "organisations": [personas.member_company]},
        {"tlp": TLP.AMBER_STRICT, "organisations": [personas.member_company]},
        {"tlp": TLP.RED, "people": [personas.expert]},
    ]
    for index in range(number):
        spec = dict(kinds[index % len(kinds)])
        publish(personas, spec.pop("tlp"), title=f"Zichtbaar {index}", **spec)
    publish(personas, TLP.RED, title="Onzichtbaar", people=[personas.requester])


@pytest.mark.parametrize("url", ["/announcements/", "/dashboard/"])
def test_list_query_count_does_not_grow_with_the_announcements(personas, client_for, url):
    client = client_for("expert")
    publish_visible_to_expert(personas, 3)
    page = client.get(url).content.decode()
    assert "Zichtbaar 2" in page
    assert "Onzichtbaar" not in page
    few = count_queries(client, url)

    publish_visible_to_expert(personas, 37)
    page = client.get(url).content.decode()
    assert "Zichtbaar 36" in page
    assert "Onzichtbaar" not in page
    many = count_queries(client, url)
    assert many == few


def test_announcement_list_search_and_htmx_fragment(personas, client_for):
    publish(personas, TLP.GREEN, title="Phishing bij ziekenhuizen")
    publish(personas, TLP.GREEN, title="Ransomware advies")
    client = client_for("expert")
    page = client.get("/announcements/", {"q": "phishing"}).content.decode()
    assert "Phishing bij ziekenhuizen" in page
    assert "Ransomware advies" not in page
    fragment = client.get(
        "/announcements/", {"q": "ransom"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert 'id="results"' not in fragment, "the live region stays on the page; htmx fills it"
    assert "<html" not in fragment
    assert "Ransomware advies" in fragment
    nothing = client.get("/announcements/", {"q": "bestaat niet"}).content.decode()
    assert "No announcements match “bestaat niet”." in nothing
