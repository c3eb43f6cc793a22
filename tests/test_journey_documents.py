"""Writing together, in headless Chromium.

The anderhalve-meter document grows: a visitor without an account proposes an
extra paragraph for a section, a second visitor proposes a new section and asks
to stay anonymous; each confirms their e-mail address from the link we send,
in a browser of their own. A coordinator is told, reads each proposal as a
diff and accepts it; the visitors see their text in the document and in its
history (one by name, one as "anonymous") and hear the outcome by e-mail.

And the knowledge base grows: an expert of a member company writes an article
through the real form and sends it for review, a coordinator publishes it from
the review queue, and the expert finds it through the site search by a word
from its text. An article labelled TLP:AMBER for the expert's company turns up
in the expert's search, never in that of someone at another company.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.db import connection
from playwright.sync_api import expect

from ttc.accounts.models import User
from ttc.documents import services as documents
from ttc.knowledge import testing as articles
from ttc.knowledge.models import Article, ArticleStatus

# serialized_rollback: the test needs the data that migrations load (the Code
# of Conduct, the taxonomy), which an earlier transactional test may have flushed.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

DOCUMENT = "De anderhalve-meter samenleving"
WORKPLACE = "Op de werkvloer"
WORKPLACE_TEXT = "Houd anderhalve meter afstand tot collega's, ook bij de koffieautomaat."
TRANSPORT = "In het openbaar vervoer"
TRANSPORT_TEXT = "Draag een mondkapje en reis buiten de spits als het kan."
ADDED = "Zet bureaus om en om bezet en ventileer elk uur tien minuten."
SCHOOL = "Op school"
SCHOOL_TEXT = "Laat klassen in groepjes pauzeren en houd de deuren open."

SANNE = "Sanne de Vries"
SANNE_EMAIL = "sanne@example.org"
QUIET_EMAIL = "stil@example.org"

ARTICLE = "Netwerksegmentatie in de zorg"
ARTICLE_SUMMARY = (
    "Hoe een ziekenhuis zijn medische apparaten afschermt van de kantoorautomatisering."
)
ARTICLE_BODY = (
    "## Begin klein\n\n"
    "Zet eerst de infuuspompen in een eigen VLAN en laat alleen het beheersysteem erbij.\n\n"
    "## Meet wat er gebeurt\n\n"
    "Log het verkeer tussen de segmenten een week voordat je regels aanscherpt."
)


def menu_link(page, name: str):
    return page.get_by_role("navigation", name="Main menu").get_by_role("link", name=name)


def visitor_browser(browser_context, live_server):
    """A visitor's own browser, signed out. English: the Dutch translations of
    the proposal pages are not written yet."""
    context = browser_context.browser.new_context(locale="en-US", base_url=live_server.url)
    context.set_default_timeout(10_000)
    return context.new_page()


def link_in_mail(to: str, subject_part: str, path_part: str) -> str:
    """The path of the link in the newest e-mail to `to` whose subject says `subject_part`."""
    messages = [m for m in mail.outbox if m.to == [to] and subject_part in m.subject]
    assert messages, [(m.to, m.subject) for m in mail.outbox]
    match = re.search(rf"https?://\S+{re.escape(path_part)}\S*", messages[-1].body)
    assert match, messages[-1].body
    return urlsplit(match.group(0)).path


def words(texts: list[str]) -> str:
    """Texts as one line, as a screen reader reads them on."""
    return " ".join(" ".join(texts).split())


def history_rows(page) -> list[dict[str, str]]:
    table = page.get_by_role("table", name="Accepted changes, newest first")
    headers = [h.strip() for h in table.get_by_role("columnheader").all_inner_texts()]
    rows = []
    for row in table.locator("tbody").get_by_role("row").all():
        cells = [c.strip() for c in row.get_by_role("cell").all_inner_texts()]
        rows.append(dict(zip(headers, cells, strict=True)))
    return rows


def test_visitors_propose_confirm_and_an_editor_accepts(
    signed_in, browser_context, live_server, personas
):
    User.objects.update(preferred_language="en")
    documents.document_create(
        author=personas.coordinator,
        title=DOCUMENT,
        slug="anderhalve-meter",
        tlp="clear",
        sections=[(WORKPLACE, WORKPLACE_TEXT), (TRANSPORT, TRANSPORT_TEXT)],
    )
    coordinator = signed_in(personas.coordinator)

    # 1. Sanne, without an account, adds a paragraph to "Op de werkvloer".
    sanne = visitor_browser(browser_context, live_server)
    sanne.goto("/documents/anderhalve-meter/")
    assert sanne.get_by_role("heading", level=1).inner_text() == DOCUMENT
    help_box = sanne.get_by_role("complementary").filter(has_text="Help improve this document")
    assert "You do not need an account" in help_box.inner_text()
    workplace = sanne.get_by_role("region", name=WORKPLACE)
    assert WORKPLACE_TEXT in workplace.inner_text()
    workplace.get_by_role("link", name=f"Propose a change to “{WORKPLACE}”").click()

    sanne.wait_for_url("**/documents/anderhalve-meter/sections/*/propose/")
    heading = sanne.get_by_role("heading", level=1).inner_text()
    assert heading == f"Propose a change to “{WORKPLACE}”"
    assert sanne.get_by_label("Section title").input_value() == WORKPLACE
    text = sanne.get_by_label("Text")
    assert text.input_value().strip() == WORKPLACE_TEXT
    text.fill(f"{WORKPLACE_TEXT}\n\n{ADDED}")
    sanne.get_by_label("Why this change? (optional)").fill("Zo doen wij het op kantoor.")
    sanne.get_by_label("Your name (optional)").fill(SANNE)
    sanne.get_by_label("Your e-mail address").fill(SANNE_EMAIL)
    sanne.get_by_role("button", name="Send proposal").click()

    # The answer comes on the same address: wait for the page to change.
    expect(sanne.get_by_role("heading", level=1)).to_have_text("Check your e-mail")
    assert f"We sent a link to {SANNE_EMAIL}" in sanne.locator("main").inner_text()

    # 2. A second visitor proposes a new section and stays anonymous.
    quiet = visitor_browser(browser_context, live_server)
    quiet.goto("/documents/anderhalve-meter/")
    quiet.get_by_role("link", name="Propose a new section").click()
    quiet.wait_for_url("**/documents/anderhalve-meter/propose/")
    assert quiet.get_by_role("heading", level=1).inner_text() == "Propose a new section"
    quiet.get_by_label("Section title").fill(SCHOOL)
    quiet.get_by_label("Text").fill(SCHOOL_TEXT)
    quiet.get_by_role("checkbox", name="List my contribution as anonymous").check()
    quiet.get_by_label("Your e-mail address").fill(QUIET_EMAIL)
    quiet.get_by_role("button", name="Send proposal").click()
    expect(quiet.get_by_role("heading", level=1)).to_have_text("Check your e-mail")

    # Until an address is confirmed, no editor is bothered.
    coordinator.goto("/documents/proposals/")
    waiting = coordinator.get_by_role("region", name="Waiting for an editor")
    assert "Nothing waits for you." in waiting.inner_text()

    # 3. Each visitor follows the link in their e-mail; opening it alone confirms nothing.
    for visitor, address, title in ((sanne, SANNE_EMAIL, WORKPLACE), (quiet, QUIET_EMAIL, SCHOOL)):
        visitor.goto(link_in_mail(address, "Confirm your proposal", "/documents/confirm/"))
        assert visitor.get_by_role("heading", level=1).inner_text() == "Confirm your proposal"
        visitor.get_by_role("button", name="Confirm").click()
        confirmed = visitor.get_by_role("status").inner_text()
        assert confirmed.startswith(f"Thank you: your proposal “{title}” is confirmed.")
        assert visitor.get_by_role("button", name="Confirm").count() == 0

    # 4. The coordinator is told, and reads Sanne's change as a diff.
    assert coordinator.goto("/dashboard/").ok
    coordinator.get_by_role("link", name="Notifications 2 unread").click()
    coordinator.wait_for_url("**/notifications/")
    # Each notification names the document and the proposal, so two differ.
    assert coordinator.get_by_role("button", name=f"New: {DOCUMENT}: {SCHOOL}").count() == 1
    coordinator.get_by_role("button", name=f"New: {DOCUMENT}: {WORKPLACE}").click()

    coordinator.wait_for_url("**/documents/proposals/*/")
    assert coordinator.get_by_role("heading", level=1).inner_text() == (
        f"Proposed change: {WORKPLACE}"
    )
    facts = coordinator.locator("dl.ttc-facts").inner_text()
    assert SANNE in facts and f"{SANNE_EMAIL}, no account" in facts
    assert "Zo doen wij het op kantoor." in coordinator.locator("main").inner_text()
    change = coordinator.get_by_role("region", name="What changes")
    assert ADDED in words(change.get_by_role("insertion").all_inner_texts())
    assert change.get_by_role("deletion").count() == 0
    # The same change within the text, with the insertion spelled out for screen readers.
    change.get_by_role("link", name="in the text").click()
    coordinator.wait_for_url("**/documents/proposals/*/?view=inline")
    inline = coordinator.get_by_role("region", name="What changes").get_by_role("insertion")
    spoken = words(inline.all_inner_texts())
    assert spoken.startswith("[added: ") and ADDED in spoken and spoken.endswith("]")
    coordinator.get_by_role("region", name="Decide").get_by_role(
        "button", name="Accept", exact=True
    ).click()

    # 5. On to the next proposal of the document: the anonymous new section.
    coordinator.wait_for_url("**/documents/proposals/*/")
    assert coordinator.get_by_role("status").inner_text() == (
        "Accepted: the section now reads as revision 2."
    )
    assert coordinator.get_by_role("heading", level=1).inner_text() == (
        f"Proposal for a new section: {SCHOOL}"
    )
    facts = coordinator.locator("dl.ttc-facts").inner_text()
    assert "anonymous" in facts and "known to coordinators only" in facts
    new_section = coordinator.get_by_role("region", name="The new section")
    assert SCHOOL_TEXT in new_section.get_by_role("insertion").first.inner_text()
    coordinator.get_by_role("region", name="Decide").get_by_role(
        "button", name="Accept", exact=True
    ).click()
    coordinator.wait_for_url("**/documents/anderhalve-meter/sections/*/")
    assert coordinator.get_by_role("status").inner_text().startswith("Accepted:")
    coordinator.goto("/documents/proposals/")
    assert "Nothing waits for you." in (
        coordinator.get_by_role("region", name="Waiting for an editor").inner_text()
    )

    # 6. Sanne reloads the document: her paragraph and the new section are in it.
    sanne.goto("/documents/anderhalve-meter/")
    workplace = sanne.get_by_role("region", name=WORKPLACE)
    assert ADDED in workplace.inner_text() and WORKPLACE_TEXT in workplace.inner_text()
    assert SCHOOL_TEXT in sanne.get_by_role("region", name=SCHOOL).inner_text()
    contents = sanne.get_by_role("navigation", name="Contents").get_by_role("listitem")
    assert contents.all_inner_texts() == [WORKPLACE, TRANSPORT, SCHOOL]
    assert SANNE in sanne.get_by_text("Written together with:").inner_text()
    assert "Version 4" in sanne.locator("article").inner_text()

    # 7. The history credits her by name, and the second visitor as anonymous.
    sanne.get_by_role("link", name="History of all changes").click()
    sanne.wait_for_url("**/documents/anderhalve-meter/history/")
    assert sanne.get_by_role("heading", level=1).inner_text() == "History of all changes"
    rows = history_rows(sanne)
    assert [(r["Version"], r["Section"]) for r in rows] == [
        ("4", SCHOOL),
        ("3", WORKPLACE),
        ("2", TRANSPORT),
        ("1", WORKPLACE),
    ]
    coordinator_name = personas.coordinator.full_name
    school, workplace_change = rows[0], rows[1]
    assert (school["Change"], school["Written by"], school["Accepted by"]) == (
        "Proposal accepted",
        "anonymous",
        coordinator_name,
    )
    assert (workplace_change["Written by"], workplace_change["Accepted by"]) == (
        SANNE,
        coordinator_name,
    )
    assert workplace_change["Words"].endswith("added, 0 removed")
    assert not workplace_change["Words"].startswith("0 ")
    assert rows[3]["Written by"] == coordinator_name and rows[3]["Change"] == "Written"
    sanne.get_by_role("link", name=f"What changed in revision 2 of “{WORKPLACE}”").click()
    sanne.wait_for_url("**/documents/anderhalve-meter/sections/*/compare/**")
    assert ADDED in words(sanne.get_by_role("insertion").all_inner_texts())

    # 8. Both visitors hear by e-mail that their proposal was accepted.
    for address, title in ((SANNE_EMAIL, WORKPLACE), (QUIET_EMAIL, SCHOOL)):
        accepted = [m for m in mail.outbox if m.to == [address] and "accepted" in m.subject]
        assert [m.subject for m in accepted] == [f"[TTC] Your proposal was accepted: {title}"]
        assert f"your proposal is now part of “{DOCUMENT}”" in accepted[0].body
        assert accepted[0].body.rstrip().endswith("/documents/anderhalve-meter/")


def search_for(page, words: str):
    """Search from the menu; the results region once it has answered."""
    menu_link(page, "Search").click()
    page.wait_for_url("**/search/")
    search = page.get_by_role("search")
    search.get_by_label("Search for").fill(words)
    search.get_by_role("button", name="Search").click()
    page.wait_for_url(f"**/search/?q={words}**")
    results = page.locator("#results")
    results.get_by_text(re.compile(r"^(\d+ results?|Nothing you may read matches .*)$")).wait_for()
    return results


def test_an_expert_writes_an_article_and_finds_it_through_search(signed_in, personas):
    User.objects.update(preferred_language="en")
    company = personas.member_company
    # An internal article of the expert's company: TLP:AMBER, named for it alone.
    internal = articles.write(
        personas.member_admin,
        tlp="amber",
        organisations=[company],
        title="Intern: segmentatieplan Veilig Netwerk",
        summary="Ons eigen plan, alleen voor collega's.",
        body="Welke infuuspompen van klanten we wanneer in een eigen VLAN zetten.",
        tags=["segmentatie"],
    )
    articles.publish(personas, internal)

    # 1. The expert writes an article from the knowledge base.
    expert = signed_in(personas.expert)
    menu_link(expert, "Knowledge base").click()
    expert.wait_for_url("**/knowledge/")
    expert.get_by_role("link", name="Write an article").click()
    expert.wait_for_url("**/knowledge/new/")
    assert expert.get_by_role("heading", level=1).inner_text() == "Write an article"
    assert expert.get_by_label("Written for").input_value() == str(company.pk)
    expert.get_by_label("Title").fill(ARTICLE)
    expert.get_by_label("Summary").fill(ARTICLE_SUMMARY)
    expert.get_by_label("Text").fill(ARTICLE_BODY)
    expert.get_by_role("group", name="Kind").get_by_role("radio", name="Guide").check()
    expert.get_by_label("Language").select_option(label="Dutch")
    expert.get_by_label("Tags").fill("segmentatie, ziekenhuizen")
    labels = expert.get_by_role("group", name="TLP label")
    assert labels.get_by_role("radio", name="TLP:GREEN").is_checked()
    labels.get_by_role("radio", name="TLP:GREEN").check()
    expert.get_by_role("button", name="Save as draft").click()

    expert.wait_for_url(re.compile(r".*/knowledge/\d+/$"))
    article_url = urlsplit(expert.url).path
    assert expert.get_by_role("status").inner_text().startswith("Saved as a draft.")
    assert expert.get_by_role("heading", level=1).inner_text() == ARTICLE
    assert "Draft" in expert.locator("article").inner_text()
    expert.get_by_role("button", name="Send for review").click()
    expert.wait_for_url(f"**{article_url}")
    assert expert.get_by_role("status").inner_text().startswith("Sent for review.")
    assert expert.get_by_role("button", name="Send for review").count() == 0

    # Before it is published, only the expert's own company finds it; someone of
    # another member company does not.
    outsider = signed_in(personas.outsider)
    results = search_for(outsider, "infuuspompen")
    assert "Nothing you may read matches “infuuspompen”." in results.inner_text()
    results = search_for(expert, "infuuspompen")
    assert results.get_by_role("link", name=ARTICLE).is_visible()

    # 2. A coordinator publishes it from the review queue.
    coordinator = signed_in(personas.coordinator)
    menu_link(coordinator, "Review articles").click()
    coordinator.wait_for_url("**/knowledge/review/")
    waiting = coordinator.get_by_role("region", name="Waiting for review")
    assert company.name in waiting.get_by_role("listitem").filter(has_text=ARTICLE).inner_text()
    waiting.get_by_role("link", name=ARTICLE).click()
    coordinator.wait_for_url(f"**{article_url}")
    assert (
        "Zet eerst de infuuspompen in een eigen VLAN" in coordinator.locator("article").inner_text()
    )
    coordinator.get_by_role("button", name="Publish").click()
    coordinator.wait_for_url(f"**{article_url}")
    assert coordinator.get_by_role("status").inner_text() == "The article is published."
    article = Article.objects.get(title=ARTICLE)
    assert (article.status, article.tlp, article.kind) == (
        ArticleStatus.PUBLISHED,
        "green",
        "guide",
    )

    # 3. The expert searches for a word from the text and finds both articles.
    results = search_for(expert, "infuuspompen")
    assert results.get_by_text("2 results").is_visible()
    hit = results.get_by_role("listitem").filter(has=expert.get_by_role("link", name=ARTICLE))
    assert "Knowledge article" in hit.inner_text() and "TLP:GREEN" in hit.inner_text()
    assert hit.locator("mark").all_inner_texts() == ["infuuspompen"]
    assert "Zet eerst de infuuspompen in een eigen VLAN" in words([hit.inner_text()])
    assert results.get_by_role("link", name=internal.title).is_visible()
    # Another form of the word finds it too: the singular (on PostgreSQL by Dutch
    # stemming, on SQLite because the last word also matches as its beginning).
    results = search_for(expert, "infuuspomp")
    assert results.get_by_role("link", name=ARTICLE).is_visible()
    results.get_by_role("link", name=ARTICLE).click()
    expert.wait_for_url(f"**{article_url}")
    assert expert.get_by_role("heading", level=1).inner_text() == ARTICLE
    tags = expert.get_by_role("list").filter(
        has=expert.get_by_role("link", name="segmentatie", exact=True)
    )
    assert tags.get_by_role("listitem").all_inner_texts() == ["segmentatie", "ziekenhuizen"]

    # 4. Someone of another member company finds the published guide, never the internal one.
    results = search_for(outsider, "infuuspompen")
    assert results.get_by_text("1 result").is_visible()
    assert results.get_by_role("link", name=ARTICLE).is_visible()
    assert internal.title not in results.inner_text()
    results = search_for(outsider, "segmentatieplan")
    assert "Nothing you may read matches “segmentatieplan”." in results.inner_text()
    assert outsider.goto(internal.get_absolute_url()).status == 404
    if connection.vendor == "postgresql":
        # Dutch stemming: "apparaat" finds the summary's "apparaten".
        results = search_for(expert, "apparaat")
        assert results.get_by_role("link", name=ARTICLE).is_visible()
        assert "apparaten" in results.locator("mark").all_inner_texts()
