"""Atom feeds of accepted changes to the public working documents.

Feed readers carry no session and pass feeds on freely, so a feed is a public
surface whoever asks for it: it shows only what the access policy lets an
anonymous visitor read (TLP:CLEAR). An internal document's feed is a 404 even
for people who may read the document itself.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import translation
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from ttc.core import access
from ttc.documents.history_views import Change, with_changes
from ttc.documents.models import Document, SectionRevision
from ttc.lib.textdiff import Piece, inline

#: How much unchanged text an entry keeps around each change.
CONTEXT_CHARS = 120


def public_documents() -> QuerySet[Document]:
    """The documents the policy lets anyone read, asked as an anonymous visitor."""
    return access.visible_to(Document.objects.all(), AnonymousUser())


def _text_html(text: str) -> str:
    return escape(text).replace("\n", "<br>")


def _trimmed(pieces: list[Piece]) -> list[Piece]:
    """The changes with a little unchanged text around them, not the whole section."""
    out = []
    last = len(pieces) - 1
    for index, piece in enumerate(pieces):
        text = piece.text
        if piece.op == "equal":
            head = text[:CONTEXT_CHARS] if index > 0 else ""
            tail = text[-CONTEXT_CHARS:] if index < last else ""
            if len(text) > len(head) + len(tail) + 1:
                text = head + ("…" if head or tail else "") + tail
        out.append(Piece(piece.op, text))
    return out


def change_html(change: Change) -> SafeString:
    """An entry's summary as HTML; every piece of contributed text is escaped."""
    revision = change.revision
    kind = str(revision.get_kind_display())
    if revision.reverted_to:
        kind += " " + _("(back to revision %(number)s)") % {"number": revision.reverted_to}
    parts = [
        format_html(
            "<p>{} · {} · {}</p>",
            kind,
            change.credit or _("anonymous"),
            _("Words added: %(added)s, removed: %(removed)s")
            % {"added": change.added, "removed": change.removed},
        )
    ]
    if revision.note:
        parts.append(format_html("<p>{}</p>", revision.note))
    pieces = []
    for piece in _trimmed(inline(change.previous_body.rstrip(), revision.body.rstrip())):
        text = _text_html(piece.text)
        if piece.op == "insert":
            pieces.append(f"<ins>{text}</ins>")
        elif piece.op == "delete":
            pieces.append(f"<del>{text}</del>")
        else:
            pieces.append(text)
    # Safe: built only from escaped text and the two fixed tags above.
    parts.append(mark_safe("<p>" + "".join(pieces) + "</p>"))  # noqa: S308
    return mark_safe("".join(parts))  # noqa: S308


class DocumentsFeed(Feed[Change, Document | None]):
    """Accepted changes to every public working document, newest first."""

    feed_type = Atom1Feed
    language = "nl"
    item_count = 50

    def __call__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # One language for everyone who reads the feed, as `language` says.
        with translation.override(self.language):
            return super().__call__(request, *args, **kwargs)

    def get_object(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Document | None:
        return None

    def title(self, obj: Document | None) -> str:
        return _("Changes to the working documents of TechTegenCorona")

    def subtitle(self, obj: Document | None) -> str:
        return _("Every accepted change to the public working documents.")

    def link(self, obj: Document | None) -> str:
        return reverse("document_list")

    def items(self, obj: Document | None) -> list[Change]:
        revisions = (
            SectionRevision.objects.filter(document__in=public_documents())
            .select_related("document", "section", "editor")
            .order_by("-created_at", "-pk")
        )
        if obj is not None:
            revisions = revisions.filter(document=obj)
        return with_changes(list(revisions[: self.item_count]))

    def item_title(self, item: Change) -> str:
        return f"{item.revision.title} · {item.revision.document.title}"

    def item_link(self, item: Change) -> str:
        return item.revision.get_absolute_url()

    def item_description(self, item: Change) -> str:
        return change_html(item)

    def item_author_name(self, item: Change) -> str:
        # The public credit only: never the account or the proposal's address.
        return item.credit or _("anonymous")

    def item_pubdate(self, item: Change) -> Any:
        return item.revision.created_at

    def item_updateddate(self, item: Change) -> Any:
        return item.revision.created_at

    def item_guid(self, item: Change) -> str:
        host = urlsplit(settings.SITE_URL).hostname or "localhost"
        return f"tag:{host},2020:document-revision-{item.revision.pk}"

    item_guid_is_permalink = False


class DocumentFeed(DocumentsFeed):
    """Accepted changes to one public working document."""

    def get_object(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Document | None:
        return get_object_or_404(public_documents(), slug=kwargs["slug"])

    def title(self, obj: Document | None) -> str:
        assert obj is not None
        return _("Changes to “%(title)s”") % {"title": obj.title}

    def subtitle(self, obj: Document | None) -> str:
        return _("Every accepted change to this working document.")

    def link(self, obj: Document | None) -> str:
        assert obj is not None
        return obj.get_absolute_url()
