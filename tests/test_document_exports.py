"""Exports (Markdown, HTML, PDF) and Atom feeds of working documents
(ttc/documents/export_views.py, ttc/documents/feeds.py).

Exports follow the label like the pages and are audited when not public;
feeds are public surfaces and only ever show public documents; contributed
text is escaped everywhere and no e-mail address ever appears.
"""

from __future__ import annotations

import base64
import hashlib
import re
import zlib
from html import unescape
from html.parser import HTMLParser
from xml.etree import ElementTree  # our own feed, not untrusted input

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from ttc.core.models import AuditEvent
from ttc.core.testing import PERSONA_NAMES, SEES, label_recipients, make_user, promote_coordinator
from ttc.core.tlp import TLP
from ttc.documents import services
from ttc.documents.export_views import pdf_url_fetcher

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

ATOM = "{http://www.w3.org/2005/Atom}"
VISITOR_EMAIL = "bezoeker@example.org"
HOSTILE = "Let op <script>alert('x')</script> en <img src=x onerror=alert(1)>.\n"


DEFAULT_SECTIONS = [
    ("Winkels", "Klanten houden afstand bij de kassa.\n"),
    ("Scholen", "Leerlingen komen in groepen.\n"),
]


def make_document(personas, label=TLP.CLEAR, *, slug="anderhalve-meter", title=None, sections=None):
    return services.document_create(
        author=personas.coordinator,
        title=title or "Anderhalve meter samenleving",
        slug=slug,
        summary="Hoe we **samen** verder gaan.",
        tlp=label,
        sections=DEFAULT_SECTIONS if sections is None else sections,
        **label_recipients(personas, label),
    )


def accept_change(personas, section, body, *, contributor=None, anonymous=False, title=None):
    proposal = services.proposal_submit(
        document=section.document,
        section=section,
        contributor=contributor,
        title=title or section.title,
        body=body,
        anonymous=anonymous,
        email="" if contributor else VISITOR_EMAIL,
        name="Vera Bezoeker",
    )
    if contributor is None:
        services.proposal_confirm(token=services.confirmation_token(proposal))
        proposal.refresh_from_db()
    revision = services.proposal_accept(proposal=proposal, editor=personas.coordinator)
    section.refresh_from_db()
    return revision


@pytest.fixture
def document(personas):
    document = make_document(personas)
    shops = document.sections.get(title="Winkels")
    accept_change(
        personas,
        shops,
        "Klanten houden anderhalve meter afstand bij de kassa.\n",
        contributor=personas.member_admin,
    )
    accept_change(
        personas,
        document.sections.get(title="Scholen"),
        "Leerlingen komen in kleine groepen.\n",
        anonymous=True,
    )
    accept_change(
        personas,
        shops,
        "Klanten houden anderhalve meter afstand, ook bij de ingang.\n",
        contributor=personas.expert,
        anonymous=True,
    )
    return document


def export_url(document, fmt: str) -> str:
    return reverse("document_export", args=[document.slug, fmt])


def pdf_text(pdf: bytes) -> str:
    """The text of a WeasyPrint PDF: its content streams' glyphs, read through
    the fonts' ToUnicode maps (all fonts' maps together, which is enough here)."""
    streams = pdf_streams(pdf)
    glyphs: dict[bytes, str] = {}
    for data in streams:
        for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
            for code, text in re.findall(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
                glyphs[code.lower()] = bytes.fromhex(text.decode()).decode("utf-16-be")
    words = []
    for data in streams:
        for array in re.findall(rb"\[(.*?)\]\s*TJ", data, re.S):
            for code in re.findall(rb"<([0-9a-fA-F]+)>", array):
                words.append(
                    "".join(
                        glyphs.get(code[i : i + 4].lower(), "?") for i in range(0, len(code), 4)
                    )
                )
            words.append(" ")
    return re.sub(r"\s+", " ", "".join(words))


def pdf_streams(pdf: bytes) -> list[bytes]:
    streams = []
    for raw in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            streams.append(zlib.decompress(raw))
        except zlib.error:
            streams.append(raw)
    return streams


def pdf_pages(pdf: bytes) -> int:
    """The page count of the page tree's root (in an object stream, compressed)."""
    for data in [pdf, *pdf_streams(pdf)]:
        if match := re.search(rb"<</Type /Pages/Kids \[[^\]]*\]/Count (\d+)>>", data):
            return int(match.group(1))
    raise AssertionError("no page tree")


def tags(html: str) -> list[str]:
    found: list[str] = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append(tag)

    Collector().feed(html)
    return found


# --- exports ---------------------------------------------------------------------------


def test_markdown_export_is_the_current_text_as_a_download(document, client_for):
    response = client_for("anonymous").get(export_url(document, "md"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="anderhalve-meter.md"'
    assert response["X-Content-Type-Options"] == "nosniff"
    text = response.content.decode()
    assert text.startswith("# Anderhalve meter samenleving\n")
    assert "## Winkels\n\nKlanten houden anderhalve meter afstand, ook bij de ingang." in text
    assert "## Scholen\n\nLeerlingen komen in kleine groepen." in text
    assert "Version 5, " in text and "/documents/anderhalve-meter/" in text
    assert (
        "Written together with: Carla Coördinator, Mehmet Admin, "
        "and people who chose to stay anonymous." in text
    )
    for secret in ("Eva Expert", "Vera Bezoeker", "@"):
        assert secret not in text


def test_html_export_is_a_clean_printable_page(document, client_for):
    response = client_for("anonymous").get(export_url(document, "html"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response["Content-Disposition"] == 'inline; filename="anderhalve-meter.html"'
    html = response.content.decode()
    assert "<h1>Anderhalve meter samenleving</h1>" in html
    assert "<h2>Winkels</h2>" in html
    assert "<p>Klanten houden anderhalve meter afstand, ook bij de ingang.</p>" in html
    assert "<strong>samen</strong>" in html  # the summary, rendered
    assert "Version 5 · " in html and "TLP:CLEAR" in html
    assert "Carla Coördinator, Mehmet Admin, and people who chose to stay anonymous." in unescape(
        html
    )
    for secret in ("Eva Expert", "Vera Bezoeker", "@"):
        assert secret not in html.split("</style>")[-1]
    # Self-contained: no script, no link to a style sheet, font or image.
    assert set(tags(html)) <= {
        "html", "head", "meta", "title", "style", "body", "header", "p", "span", "h1",
        "main", "div", "strong", "section", "h2", "footer", "a",
    }  # fmt: skip
    # Its own strict policy allows exactly its one style sheet.
    policy = response["Content-Security-Policy"]
    style = re.search(r"<style>(.*?)</style>", html, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in policy
    assert "default-src 'none'" in policy and "unsafe-inline" not in policy


def test_pdf_export_holds_the_current_text(document, client_for):
    response = client_for("anonymous").get(export_url(document, "pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="anderhalve-meter.pdf"'
    pdf = response.content
    assert pdf.startswith(b"%PDF-")
    assert pdf_pages(pdf) == 1
    text = pdf_text(pdf)
    assert "Anderhalve meter samenleving" in text
    assert "Klanten houden anderhalve meter afstand, ook bij de ingang." in text
    assert "Leerlingen komen in kleine groepen." in text
    assert "Mehmet Admin" in text and "Eva Expert" not in text
    assert "1 / 1" in text  # page numbers


def test_a_long_pdf_has_numbered_pages(personas, client_for):
    long_text = "\n\n".join(f"Alinea {n}: " + "tekst " * 80 for n in range(40)) + "\n"
    document = make_document(personas, sections=[("Lang", long_text)])
    pdf = client_for("anonymous").get(export_url(document, "pdf")).content
    pages = pdf_pages(pdf)
    assert pages > 2
    assert f"{pages} / {pages}" in pdf_text(pdf)


def test_an_older_version_is_exported_as_it_stood(document, client_for):
    client = client_for("anonymous")
    response = client.get(export_url(document, "md"), {"version": 3})
    assert response["Content-Disposition"] == 'attachment; filename="anderhalve-meter-v3.md"'
    text = response.content.decode()
    assert "Klanten houden anderhalve meter afstand bij de kassa." in text
    assert "ook bij de ingang" not in text and "kleine groepen" not in text
    assert "Version 3, " in text
    html = client.get(export_url(document, "html"), {"version": 1}).content.decode()
    assert "Klanten houden afstand bij de kassa." in html
    assert "Scholen" not in html  # written in version 2
    assert "Version 1 · " in html and "Mehmet Admin" not in html
    pdf = client.get(export_url(document, "pdf"), {"version": 2}).content
    assert "Leerlingen komen in groepen." in pdf_text(pdf)


@pytest.mark.parametrize("version", ["0", "6", "drie", "-1"])
def test_exporting_a_version_that_does_not_exist_says_so(document, client_for, version):
    response = client_for("anonymous").get(
        export_url(document, "md"), {"version": version}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("document_history", args=[document.slug])
    assert "That version does not exist: this document has versions 1 to 5." in unescape(
        response.content.decode()
    )


def test_unknown_formats_are_not_found(document, client_for):
    client = client_for("anonymous")
    assert client.get(f"/documents/{document.slug}/export.docx").status_code == 404
    assert client.get(f"/documents/{document.slug}/export.").status_code == 404


def test_hostile_markdown_is_escaped_in_every_export(personas, client_for):
    document = make_document(
        personas, title="Titel <script>alert(0)</script>", sections=[("Kop <b>vet</b>", HOSTILE)]
    )
    client = client_for("anonymous")
    html = client.get(export_url(document, "html")).content.decode()
    assert "script" not in tags(html) and "img" not in tags(html) and "b" not in tags(html)
    assert "&lt;script&gt;alert('x')&lt;/script&gt;" in html
    assert "<title>Titel &lt;script&gt;alert(0)&lt;/script&gt;</title>" in html
    markdown = client.get(export_url(document, "md"))
    # The Markdown is the text as written, sent as a download that no browser runs.
    assert markdown["Content-Type"].startswith("text/markdown")
    assert markdown["Content-Disposition"].startswith("attachment;")
    assert markdown["X-Content-Type-Options"] == "nosniff"
    pdf_words = pdf_text(client.get(export_url(document, "pdf")).content)
    assert "Let op <script>alert('x')</script>" in pdf_words  # shown as text


def test_a_pdf_is_laid_out_once_per_text(document, personas, client_for, monkeypatch):
    import weasyprint

    layouts = []
    real = weasyprint.HTML

    def counting(*args, **kwargs):
        layouts.append(kwargs["string"])
        return real(*args, **kwargs)

    monkeypatch.setattr(weasyprint, "HTML", counting)
    client = client_for("anonymous")
    first = client.get(export_url(document, "pdf")).content
    assert client.get(export_url(document, "pdf")).content == first
    assert len(layouts) == 1
    accept_change(
        personas, document.sections.get(title="Scholen"), "Nieuw.\n", contributor=personas.expert
    )
    assert "Nieuw." in pdf_text(client.get(export_url(document, "pdf")).content)
    assert len(layouts) == 2


def test_an_empty_document_exports_its_title(personas, client_for):
    document = make_document(personas, slug="leeg", sections=[])
    text = client_for("anonymous").get(export_url(document, "md")).content.decode()
    assert text.startswith("# Anderhalve meter samenleving")
    assert "Version 0" in text


def test_the_pdf_renderer_fetches_nothing_but_data_urls():
    fetcher = pdf_url_fetcher()
    for url in ("file:///etc/passwd", "http://127.0.0.1/", "https://example.org/font.woff"):
        with pytest.raises(ValueError, match="disallowed protocol"):
            fetcher(url)
    assert fetcher("data:text/plain,ok").read() == b"ok"


# --- internal documents ----------------------------------------------------------------


@pytest.mark.parametrize("label", list(TLP), ids=lambda label: label.label)
def test_exports_follow_the_label(personas, client_for, label):
    document = make_document(
        personas,
        label,
        slug=f"intern-{label.replace('+', '-')}",
        sections=[("Leak probe section", "Leak probe export text.\n")],
    )
    for persona in PERSONA_NAMES:
        client = client_for(persona)
        for fmt in ("md", "html", "pdf"):
            if fmt == "pdf" and persona in SEES[label] and persona != "coordinator":
                continue  # one PDF per label is enough to prove it renders
            response = client.get(export_url(document, fmt))
            if persona in SEES[label]:
                assert response.status_code == 200, (persona, fmt)
                if fmt != "pdf":
                    assert "Leak probe export text" in response.content.decode()
            else:
                assert response.status_code == 404, (persona, fmt)
                assert b"Leak probe" not in response.content


def test_internal_exports_carry_their_label_and_are_audited(personas, client_for):
    document = make_document(personas, TLP.AMBER, slug="intern")
    client = client_for("expert")
    markdown = client.get(export_url(document, "md")).content.decode()
    assert markdown.startswith("**TLP:AMBER**\n\n# Anderhalve meter samenleving")
    html = client.get(export_url(document, "html")).content.decode()
    assert '<span class="tlp tlp--amber">TLP:AMBER</span>' in html
    assert "do not pass it on" in html
    pdf = client.get(export_url(document, "pdf"), {"version": 1}).content
    assert "TLP:AMBER" in pdf_text(pdf)
    exports = AuditEvent.objects.filter(action="document.export").order_by("id")
    assert [event.data for event in exports] == [
        {"format": "md", "version": 2},
        {"format": "html", "version": 2},
        {"format": "pdf", "version": 1},
    ]
    assert {event.actor for event in exports} == {personas.expert}
    assert {event.object_id for event in exports} == {str(document.pk)}
    views = AuditEvent.objects.filter(action="view", data__surface__startswith="export.")
    assert views.count() == 3


def test_a_coordinator_exporting_beyond_the_rule_is_marked(personas, client):
    document = make_document(personas, TLP.RED, slug="rood")
    other = promote_coordinator(make_user("tweede@ttc.test", full_name="Tweede Coördinator"))
    client.force_login(other)
    assert client.get(export_url(document, "md")).status_code == 200
    assert AuditEvent.objects.filter(
        action="view.beyond_rule", actor=other, object_id=str(document.pk)
    ).exists()
    assert AuditEvent.objects.filter(action="document.export", actor=other).exists()


def test_public_exports_are_not_written_to_the_audit_log(document, client_for):
    client_for("anonymous").get(export_url(document, "md"))
    assert not AuditEvent.objects.filter(action="document.export").exists()


def test_the_document_page_links_to_history_exports_and_feed(document, personas, client_for):
    page = client_for("anonymous").get(document.get_absolute_url()).content.decode()
    for url in (
        reverse("document_history", args=[document.slug]),
        export_url(document, "md"),
        export_url(document, "html"),
        export_url(document, "pdf"),
        reverse("document_feed", args=[document.slug]),
    ):
        assert f'href="{url}"' in page, url
    internal = make_document(personas, TLP.GREEN, slug="groen")
    page = client_for("expert").get(internal.get_absolute_url()).content.decode()
    assert export_url(internal, "pdf") in page
    assert reverse("document_feed", args=[internal.slug]) not in page


# --- feeds -----------------------------------------------------------------------------


#: Feeds are in Dutch for everyone, whatever the reader's language.
with translation.override("nl"):
    ANONYMOUS_NL = gettext("anonymous")


def feed_entries(content: bytes) -> tuple[ElementTree.Element, list[ElementTree.Element]]:
    root = ElementTree.fromstring(content)  # noqa: S314
    return root, root.findall(f"{ATOM}entry")


def test_the_document_feed_lists_accepted_changes(document, client_for):
    response = client_for("anonymous").get(reverse("document_feed", args=[document.slug]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root, entries = feed_entries(response.content)
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "nl"
    assert len(entries) == 5
    newest = entries[0]
    shops = document.sections.get(title="Winkels")
    assert (
        newest.find(f"{ATOM}link")
        .get("href")
        .endswith(reverse("section_revision", args=[document.slug, shops.pk, 3]))
    )
    assert newest.find(f"{ATOM}author/{ATOM}name").text == ANONYMOUS_NL
    assert newest.find(f"{ATOM}author/{ATOM}email") is None
    assert newest.find(f"{ATOM}updated").text
    summary = newest.find(f"{ATOM}summary").text
    with translation.override("nl"):
        words = gettext("Words added: %(added)s, removed: %(removed)s") % {"added": 2, "removed": 1}
    assert words in summary
    assert "afstand<ins>, ook</ins> bij de <del>kassa</del><ins>ingang</ins>.</p>" in summary
    ids = [entry.find(f"{ATOM}id").text for entry in entries]
    assert len(set(ids)) == 5 and all(id_.startswith("tag:") for id_ in ids)
    authors = [entry.find(f"{ATOM}author/{ATOM}name").text for entry in entries]
    assert authors == [
        ANONYMOUS_NL,
        ANONYMOUS_NL,
        "Mehmet Admin",
        "Carla Coördinator",
        "Carla Coördinator",
    ]
    body = response.content.decode()
    for secret in ("Eva Expert", "Vera Bezoeker", "@"):
        assert secret not in body


def test_feeds_never_show_internal_documents(document, personas, client_for):
    internal = {
        label: make_document(
            personas,
            label,
            slug=f"intern-{label.replace('+', '-')}",
            sections=[("Leak probe section", "Leak probe feed text.\n")],
        )
        for label in TLP
        if label != TLP.CLEAR
    }
    for persona in PERSONA_NAMES:
        client = client_for(persona)
        response = client.get(reverse("documents_feed"))
        assert response.status_code == 200
        assert b"Leak probe" not in response.content
        _, entries = feed_entries(response.content)
        assert len(entries) == 5  # the public document's changes only
        for label, document_ in internal.items():
            # Feed readers carry no session: even the label's own readers get nothing.
            feed = client.get(reverse("document_feed", args=[document_.slug]))
            assert feed.status_code == 404, (persona, label)
            assert b"Leak probe" not in feed.content


def test_the_feed_escapes_hostile_markdown(personas, client_for):
    document = make_document(
        personas, title="Titel <script>alert(0)</script>", sections=[("Kop", "Oud.\n")]
    )
    accept_change(personas, document.sections.get(), HOSTILE, contributor=personas.member_admin)
    response = client_for("anonymous").get(reverse("documents_feed"))
    _, entries = feed_entries(response.content)
    summary = entries[0].find(f"{ATOM}summary").text
    assert entries[0].find(f"{ATOM}summary").get("type") == "html"
    # The summary is HTML: contributed text inside it is escaped, never markup.
    assert "script" not in tags(summary) and "img" not in tags(summary)
    assert "&lt;script&gt;" in summary and "&lt;img src=x" in summary
    assert set(tags(summary)) <= {"p", "ins", "del", "br"}
    title = entries[0].find(f"{ATOM}title").text
    assert title == "Kop · Titel <script>alert(0)</script>"  # Atom text, not HTML


def test_the_feed_shows_only_the_changes_of_a_long_section(personas, client_for):
    long_text = "Begin. " + "woord " * 500 + "einde.\n"
    document = make_document(personas, sections=[("Lang", long_text)])
    accept_change(
        personas,
        document.sections.get(),
        long_text.replace("einde.", "nieuw einde."),
        contributor=personas.member_admin,
    )
    _, entries = feed_entries(client_for("anonymous").get(reverse("documents_feed")).content)
    summary = entries[0].find(f"{ATOM}summary").text
    assert "<ins>nieuw </ins>" in summary and "…" in summary
    assert len(summary) < 800
