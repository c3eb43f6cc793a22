"""A working document to take away: Markdown, a printable web page, or PDF.

Exports go through the same access policy as the pages (404 otherwise) and,
for anything not public, are written to the audit log: a file leaves the
platform, so who took which version matters.
"""

from __future__ import annotations

import base64
import hashlib
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.utils.csp import CSP
from django.utils.http import content_disposition_header
from django.utils.timezone import localtime
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csp import csp_override

from ttc.core import access, audit
from ttc.core.tlp import TLP
from ttc.documents import selectors
from ttc.documents.selectors import Chapter, as_markdown, chapters_at
from ttc.documents.views import get_document_for_user
from ttc.lib.markdown import render as render_markdown

if TYPE_CHECKING:
    from ttc.documents.models import Document

FORMATS = {
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
}

PDF_CACHE_SECONDS = 24 * 3600

#: The export's whole style: no web font, no file, nothing fetched.
EXPORT_CSS = """
html { color: #1a1a1a; font-family: system-ui, "Noto Sans", "DejaVu Sans", Arial, sans-serif;
  font-size: 11pt; line-height: 1.5; }
body { margin: 2rem auto; max-width: 46rem; padding: 0 1rem; }
h1 { font-size: 1.9em; line-height: 1.2; margin: 0.3em 0; }
h2 { border-bottom: 1px solid #c9d3d6; font-size: 1.35em; margin: 1.6em 0 0.5em; }
h3, h4, h5, h6 { font-size: 1.1em; margin: 1.2em 0 0.4em; }
a { color: #00566b; }
pre, code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.92em; }
pre { background: #f4f7f8; overflow-wrap: anywhere; padding: 0.5em; white-space: pre-wrap; }
blockquote { border-left: 4px solid #c9d3d6; margin-left: 0; padding-left: 1em; }
table { border-collapse: collapse; }
th, td { border: 1px solid #c9d3d6; padding: 0.25em 0.5em; text-align: left; vertical-align: top; }
.tlp { background: #000; border-radius: 3px; display: inline-block; font-family: monospace;
  font-weight: bold; padding: 0.05em 0.5em; }
.tlp--red { color: #ff2b2b; } .tlp--amber, .tlp--amber-strict { color: #ffc000; }
.tlp--green { color: #33ff00; } .tlp--clear { color: #fff; }
.meta, footer { color: #595959; font-size: 0.9em; }
footer { border-top: 1px solid #c9d3d6; margin-top: 3em; padding-top: 0.5em; }
@media print { body { margin: 0; max-width: none; } a { color: inherit; } }
"""

#: The HTML export is opened in the browser: its own policy allows exactly
#: the one style sheet above and nothing else (no script, image or form).
_EXPORT_CSS_HASH = base64.b64encode(hashlib.sha256(EXPORT_CSS.encode()).digest()).decode()
EXPORT_CSP: dict[str, list[str]] = {
    "default-src": [CSP.NONE],
    "style-src": [f"'sha256-{_EXPORT_CSS_HASH}'"],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
}


def _pdf_css(label: str) -> str:
    """Pages for print; a confidential label heads every page, as TLP asks."""
    header = "" if label == TLP.CLEAR else f'@top-right {{ content: "{TLP(label).label}"; }}'
    return (
        "@page { size: A4; margin: 2cm 2cm 2.2cm; "
        f"{header} "
        '@bottom-center { content: counter(page) " / " counter(pages); '
        "color: #595959; font-size: 9pt; } }"
        "body { margin: 0; max-width: none; padding: 0; } h2 { break-after: avoid; }"
    )


def pdf_url_fetcher() -> Any:
    """WeasyPrint may load data: URLs only. The text is anyone's writing: it
    must never make the server read a file or call an address."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols={"data"}, allow_redirects=False, timeout=1)


def render_pdf(html: str) -> bytes:
    """The page as PDF. Laying out a long document takes a while and anyone may
    ask for a public one, so the result is kept under the page's own hash:
    any change to the text, label, credits or language makes a new one."""
    from weasyprint import HTML

    key = "documents:pdf:" + hashlib.sha256(html.encode()).hexdigest()
    pdf: bytes | None = cache.get(key)
    if pdf is None:
        pdf = HTML(string=html, base_url=None, url_fetcher=pdf_url_fetcher()).write_pdf()
        cache.set(key, pdf, PDF_CACHE_SECONDS)
    return pdf


class _BadVersion(Exception):
    pass


def _requested_version(request: HttpRequest, document: Document) -> int | None:
    value = request.GET.get("version", "").strip()
    if not value:
        return None
    try:
        version = int(value)
    except ValueError:
        raise _BadVersion from None
    if not 1 <= version <= document.version:
        raise _BadVersion
    return version


def _markdown(document: Document, chapters: list[Chapter], context: dict[str, Any]) -> str:
    text = as_markdown(document, chapters)
    if document.tlp != TLP.CLEAR:
        text = f"**{document.get_tlp_display()}**\n\n{text}"
    footer = [
        _("Version %(version)s, %(date)s.")
        % {"version": context["version"], "date": localtime(context["date"]).date().isoformat()},
        context["source_url"],
    ]
    if context["credits"] or context["anonymous"]:
        if not context["credits"]:
            footer.append(_("Written by people who chose to stay anonymous."))
        elif context["anonymous"]:
            footer.append(
                _("Written together with:")
                + " "
                + ", ".join(context["credits"])
                + _(", and people who chose to stay anonymous.")
            )
        else:
            footer.append(_("Written together with:") + " " + ", ".join(context["credits"]) + ".")
    return text.rstrip() + "\n\n---\n\n" + "  \n".join(footer) + "\n"


@csp_override(EXPORT_CSP)
def document_export(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    document = get_document_for_user(request, slug)
    try:
        requested = _requested_version(request, document)
    except _BadVersion:
        messages.error(
            request,
            _("That version does not exist: this document has versions 1 to %(latest)s.")
            % {"latest": document.version},
        )
        return redirect("document_history", document.slug)
    chapters = chapters_at(document, requested)
    version = requested or document.version
    credits, anonymous = selectors.credits(document, version)
    context: dict[str, Any] = {
        "document": document,
        "tlp_class": document.tlp.replace("+", "-"),
        "version": version,
        "date": max(
            (chapter.revision.created_at for chapter in chapters), default=document.updated_at
        ),
        "chapters": [
            {
                "anchor": chapter.section.anchor,
                "title": chapter.revision.title,
                "html": render_markdown(chapter.revision.body),
            }
            for chapter in chapters
        ],
        "summary_html": document.summary_html(),
        "credits": credits,
        "anonymous": anonymous,
        "source_url": settings.SITE_URL + document.get_absolute_url(),
        "language": get_language(),
        "css": EXPORT_CSS,
    }
    if fmt == "md":
        content: str | bytes = _markdown(document, chapters, context)
    elif fmt == "html":
        content = render_to_string("documents/export.html", context, request=request)
    else:
        content = render_pdf(
            render_to_string(
                "documents/export.html",
                {**context, "pdf_css": _pdf_css(document.tlp)},
                request=request,
            )
        )
    access.record_views(request.user, [document], surface=f"export.{fmt}")
    if document.tlp != TLP.CLEAR:
        audit.record(
            actor=request.user if request.user.is_authenticated else None,  # type: ignore[arg-type]
            action="document.export",
            obj=document,
            summary=f"{document.get_tlp_display()} {document.title}: {fmt}, version {version}",
            data={"format": fmt, "version": version},
        )
    filename = f"{document.slug}-v{requested}.{fmt}" if requested else f"{document.slug}.{fmt}"
    response = HttpResponse(content, content_type=FORMATS[fmt])
    # The HTML opens in the browser, ready to print; the others download.
    disposition = content_disposition_header(as_attachment=fmt != "html", filename=filename)
    response["Content-Disposition"] = disposition or "attachment"
    return response
