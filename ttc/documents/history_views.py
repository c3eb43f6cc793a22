"""A working document's history: every accepted change, any two versions
compared, and reverts.

Every page here goes through the access policy first: an internal document's
history is as confidential as its text, so people outside its label get a 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ttc.core import access
from ttc.core.pagination import paginate
from ttc.documents import selectors, services
from ttc.documents.models import Document, Section, SectionRevision
from ttc.documents.views import get_document_for_user
from ttc.lib import textdiff
from ttc.lib.markdown import render as render_markdown

if TYPE_CHECKING:
    from ttc.accounts.models import User
    from ttc.core.http import HtmxHttpRequest

#: How a comparison is shown; the first is the default.
COMPARE_VIEWS = ("side", "inline")


def _get_section(document: Document, section_pk: int) -> Section:
    section = get_object_or_404(Section, pk=section_pk, document=document)
    section.document = document  # its links need the slug; no second query
    return section


@dataclass(frozen=True)
class Change:
    """One accepted revision with what it changed, ready to show."""

    revision: SectionRevision
    previous_body: str
    added: int
    removed: int
    credit: str
    editor: str

    @property
    def previous_number(self) -> int | None:
        return self.revision.number - 1 if self.revision.number > 1 else None


def with_changes(revisions: list[SectionRevision]) -> list[Change]:
    """Each revision with the words it added and removed against the one before
    it in its section; one query for all the earlier texts."""
    wanted = {(r.section_id, r.number - 1) for r in revisions if r.number > 1}
    previous: dict[tuple[int, int], str] = {}
    if wanted:
        condition = Q()
        for section_id, number in wanted:
            condition |= Q(section_id=section_id, number=number)
        for section_id, number, body in SectionRevision.objects.filter(condition).values_list(
            "section_id", "number", "body"
        ):
            previous[(section_id, number)] = body
    changes = []
    for revision in revisions:
        before = previous.get((revision.section_id, revision.number - 1), "")
        added, removed = textdiff.changed(before, revision.body)
        changes.append(
            Change(
                revision=revision,
                previous_body=before,
                added=added,
                removed=removed,
                credit=revision.credit,
                editor=revision.editor.credit if revision.editor else "",
            )
        )
    return changes


def document_history(request: HttpRequest, slug: str) -> HttpResponse:
    document = get_document_for_user(request, slug)
    page = paginate(request, selectors.document_history(document))
    access.record_views(request.user, [document], surface="history")
    return render(
        request,
        "documents/history.html",
        {
            "document": document,
            "page": page,
            "changes": with_changes(list(page.object_list)),
            "versions": _document_versions(document),
            "old_version": max(document.version - 1, 1),
            "new_version": document.version,
        },
    )


def section_history(request: HttpRequest, slug: str, section_pk: int) -> HttpResponse:
    document = get_document_for_user(request, slug)
    section = _get_section(document, section_pk)
    page = paginate(request, selectors.section_history(section))
    access.record_views(request.user, [document], surface="history")
    return render(
        request,
        "documents/history_section.html",
        {
            "document": document,
            "section": section,
            "page": page,
            "changes": with_changes(list(page.object_list)),
            "choices": _section_choices(section),
            "old_number": max(section.number - 1, 1),
            "new_number": section.number,
            "is_editor": document.is_editor(request.user),
        },
    )


def section_revision(request: HttpRequest, slug: str, section_pk: int, number: int) -> HttpResponse:
    document = get_document_for_user(request, slug)
    section = _get_section(document, section_pk)
    revision = get_object_or_404(
        SectionRevision.objects.select_related("editor"), section=section, number=number
    )
    revision.section, revision.document = section, document
    access.record_views(request.user, [document], surface="revision")
    change = with_changes([revision])[0]
    return render(
        request,
        "documents/revision.html",
        {
            "document": document,
            "section": section,
            "revision": revision,
            "change": change,
            "body_html": render_markdown(revision.body),
            "is_current": revision.number == section.number,
            "reads_as_current": (revision.title, revision.body) == (section.title, section.body),
            "is_editor": document.is_editor(request.user),
        },
    )


# --- comparing -----------------------------------------------------------------------


class CompareError(Exception):
    """A requested version that is missing or does not exist: told, not a 500."""


def _requested(request: HttpRequest, name: str, default: int, *, lowest: int, highest: int) -> int:
    value = request.GET.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise CompareError(
            _("“%(value)s” is not a version number: choose a version from the lists.")
            % {"value": value[:20]}
        ) from None
    if not lowest <= number <= highest:
        raise CompareError(
            _("Version %(number)s does not exist: choose one from %(lowest)s to %(highest)s.")
            % {"number": number, "lowest": lowest, "highest": highest}
        )
    return number


def _compare_view(request: HttpRequest) -> str:
    view = request.GET.get("view", "")
    return view if view in COMPARE_VIEWS else COMPARE_VIEWS[0]


def _comparison(old: str, new: str, view: str) -> dict[str, Any]:
    added, removed = textdiff.changed(old, new)
    return {
        "added": added,
        "removed": removed,
        "same": old == new,
        "rows": textdiff.side_by_side(old, new) if view == "side" else None,
        "pieces": textdiff.inline(old, new) if view == "inline" else None,
    }


def _toggle_links(base_url: str, old: int, new: int, view: str) -> list[dict[str, Any]]:
    labels = {"side": _("Side by side"), "inline": _("Inline")}
    return [
        {
            "label": labels[name],
            "url": base_url + "?" + urlencode({"from": old, "to": new, "view": name}),
            "current": name == view,
        }
        for name in COMPARE_VIEWS
    ]


def _section_choices(section: Section) -> list[dict[str, Any]]:
    return [
        {"number": number, "created_at": created_at, "credit": credit}
        for number, created_at, credit in section.revisions.order_by("-number").values_list(
            "number", "created_at", "credit"
        )
    ]


def _document_versions(document: Document) -> list[dict[str, Any]]:
    return [
        {"number": number, "created_at": created_at, "section": title}
        for number, created_at, title in document.revisions.order_by(
            "-document_version"
        ).values_list("document_version", "created_at", "title")
    ]


def section_compare(request: HtmxHttpRequest, slug: str, section_pk: int) -> HttpResponse:
    document = get_document_for_user(request, slug)
    section = _get_section(document, section_pk)
    view = _compare_view(request)
    context: dict[str, Any] = {
        "document": document,
        "section": section,
        "choices": _section_choices(section),
        "view": view,
        "action": reverse("section_compare", args=[document.slug, section.pk]),
    }
    try:
        new_number = _requested(request, "to", section.number, lowest=1, highest=section.number)
        old_number = _requested(
            request, "from", max(new_number - 1, 1), lowest=1, highest=section.number
        )
    except CompareError as error:
        context["error"] = str(error)
        context["old_number"], context["new_number"] = max(section.number - 1, 1), section.number
    else:
        revisions = {
            revision.number: revision
            for revision in section.revisions.select_related("editor").filter(
                number__in=[old_number, new_number]
            )
        }
        old, new = revisions[old_number], revisions[new_number]
        context.update(
            old_number=old_number,
            new_number=new_number,
            old=old,
            new=new,
            old_credit=old.credit,
            new_credit=new.credit,
            title_pieces=textdiff.inline(old.title, new.title) if old.title != new.title else None,
            toggles=_toggle_links(context["action"], old_number, new_number, view),
            **_comparison(old.body, new.body, view),
        )
    access.record_views(request.user, [document], surface="compare")
    template = "documents/compare.html"
    if request.htmx:
        template += "#comparison"
    return render(request, template, context)


def document_compare(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    document = get_document_for_user(request, slug)
    view = _compare_view(request)
    latest = document.version
    context: dict[str, Any] = {
        "document": document,
        "versions": _document_versions(document),
        "view": view,
        "action": reverse("document_compare", args=[document.slug]),
    }
    try:
        if latest < 1:
            raise CompareError(_("This document has no text yet, so there is nothing to compare."))
        new_version = _requested(request, "to", latest, lowest=1, highest=latest)
        old_version = _requested(request, "from", max(new_version - 1, 1), lowest=1, highest=latest)
    except CompareError as error:
        context["error"] = str(error)
        context["old_number"], context["new_number"] = max(latest - 1, 1), latest
    else:
        old_text = selectors.as_markdown(document, selectors.chapters_at(document, old_version))
        new_text = selectors.as_markdown(document, selectors.chapters_at(document, new_version))
        context.update(
            old_number=old_version,
            new_number=new_version,
            toggles=_toggle_links(context["action"], old_version, new_version, view),
            **_comparison(old_text, new_text, view),
        )
    access.record_views(request.user, [document], surface="compare")
    template = "documents/compare_document.html"
    if request.htmx:
        template += "#comparison"
    return render(request, template, context)


# --- reverting -----------------------------------------------------------------------


@require_POST
def section_revert(request: HttpRequest, slug: str, section_pk: int) -> HttpResponse:
    """Bring back an earlier revision's text as a new revision; editors only.

    The confirmation is the form on the revision page, which says what happens."""
    document = get_document_for_user(request, slug)
    section = _get_section(document, section_pk)
    if not document.is_editor(request.user):
        raise PermissionDenied
    editor = cast("User", request.user)  # an editor is always signed in
    history = redirect("section_history", document.slug, section.pk)
    try:
        number = int(request.POST.get("number", ""))
    except ValueError:
        messages.error(request, _("Choose the revision to bring back."))
        return history
    try:
        revision = services.section_revert(
            section=section, number=number, editor=editor, note=request.POST.get("note", "")
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return history
    messages.success(
        request,
        _("Revision %(old)s is back, as the new revision %(new)s. The history keeps them all.")
        % {"old": number, "new": revision.number},
    )
    return history
