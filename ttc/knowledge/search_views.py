"""The site search page: knowledge articles and working documents, as far as
the person may read them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.paginator import Page, Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from ttc.core.http import HtmxHttpRequest
from ttc.knowledge.search import KINDS, MAX_QUERY_LENGTH, Hit, record_views, search


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search for"),
        required=False,
        max_length=MAX_QUERY_LENGTH,
        error_messages={
            "max_length": _(
                "Search for at most %(limit_value)d characters (this is %(show_value)d)."
            )
        },
    )
    kind = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[
            ("", _("Articles and documents")),
            ("article", _("Knowledge articles")),
            ("section", _("Working documents")),
        ],
    )


def _page_number(value: str | None) -> int:
    return int(value) if value and value.isdigit() and 0 < len(value) < 7 else 1


def search_page(request: HtmxHttpRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    valid = form.is_valid()
    query = form.cleaned_data.get("q", "") if valid else ""
    kind = form.cleaned_data.get("kind", "") if valid else ""
    result = page = None
    if query:
        result = search(
            user=request.user,
            query=query,
            kinds=(kind,) if kind else KINDS,
            page=_page_number(request.GET.get("page")),
        )
        # Titles and snippets are content too: showing confidential ones is a view.
        record_views(request.user, result, surface="search")
        # The search counted all matches; the paginator only does the arithmetic.
        paginator: Paginator[Any] = Paginator(range(result.total), result.per_page)
        page = Page[Hit](result.hits, result.page, paginator)
    context = {
        "form": form,
        "query": query,
        "kind": kind,
        "extra_query": urlencode({"kind": kind}) if kind else "",
        "result": result,
        "page": page,
    }
    template = "knowledge/search.html"
    if request.htmx:
        template += "#results"
    return render(request, template, context)
