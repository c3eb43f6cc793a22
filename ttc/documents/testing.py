"""Working documents on every surface, for the leak test."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.urls import reverse

from ttc.core.testing import LabelledSurfaces, Personas, register_labelled
from ttc.documents.models import Document
from ttc.documents.services import document_create


def make_document(
    personas: Personas, tlp: str, *, people: list[Any], organisations: list[Any]
) -> Document:
    return document_create(
        author=personas.coordinator,
        title=f"Leak probe {tlp} title",
        slug=f"leak-probe-{Document.objects.count() + 1}",
        summary="Probe",
        tlp=tlp,
        people=people,
        organisations=organisations,
        sections=[("Leak probe section", f"Leak probe {tlp} secret body")],
    )


register_labelled(
    LabelledSurfaces(
        model=Document,
        make=make_document,
        list_url=reverse("document_list"),
        detail_url=lambda obj: obj.get_absolute_url(),
        search_url=lambda obj: reverse("search") + "?" + urlencode({"q": "probe"}),
        api_list_url="/api/v1/documents",
        api_detail_url=lambda obj: f"/api/v1/documents/{obj.slug}",
        # Starting a document tells nobody; proposals tell the editors, tested in
        # tests/test_document_access.py.
        broadcasts=False,
        # The dashboard does not list documents.
        partial_surfaces=("home",),
    )
)
