"""Reading documents: the whole text at any version, and their history."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from ttc.documents.models import Document, Section, SectionRevision


@dataclass(frozen=True)
class Chapter:
    section: Section
    revision: SectionRevision


def chapters_at(document: Document, version: int | None = None) -> list[Chapter]:
    """The document as it stood at `version` (now when empty): each section at
    its latest revision up to then, in the sections' order. Sections added
    later are left out."""
    revisions = document.revisions.select_related("section")
    if version is not None:
        revisions = revisions.filter(document_version__lte=version)
    latest: dict[int, SectionRevision] = {}
    for revision in revisions.order_by("section_id", "-number"):
        latest.setdefault(revision.section_id, revision)
    ordered = sorted(latest.values(), key=lambda r: (r.section.position, r.section_id))
    return [Chapter(revision.section, revision) for revision in ordered]


def as_markdown(document: Document, chapters: list[Chapter]) -> str:
    """One Markdown text: the document's title, summary, then each section."""
    parts = [f"# {document.title}\n"]
    if document.summary:
        parts.append(document.summary.strip() + "\n")
    for chapter in chapters:
        parts.append(f"## {chapter.revision.title}\n\n{chapter.revision.body.strip()}\n")
    return "\n".join(parts)


def credits(document: Document, version: int | None = None) -> tuple[list[str], bool]:
    """Who wrote the text up to `version` (now when empty), in order of their
    first change, and whether anyone chose to stay anonymous."""
    revisions = document.revisions.order_by("document_version")
    if version is not None:
        revisions = revisions.filter(document_version__lte=version)
    names: list[str] = []
    anonymous = False
    for credit in revisions.values_list("credit", flat=True):
        if not credit:
            anonymous = True
        elif credit not in names:
            names.append(credit)
    return names, anonymous


def document_history(document: Document) -> QuerySet[SectionRevision]:
    """Every accepted change, newest first."""
    return document.revisions.select_related("section", "editor").order_by("-document_version")


def section_history(section: Section) -> QuerySet[SectionRevision]:
    return section.revisions.select_related("editor").order_by("-number")
