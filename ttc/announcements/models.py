from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ttc.core.models import Labelled
from ttc.lib.markdown import render


class AnnouncementQuerySet(models.QuerySet["Announcement"]):
    def search(self, query: str) -> AnnouncementQuerySet:
        query = query.strip()
        if not query:
            return self
        return self.filter(models.Q(title__icontains=query) | models.Q(body__icontains=query))


class Announcement(Labelled):
    """An update from the core team to the coalition, under a TLP label."""

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), max_length=20_000)

    objects = AnnouncementQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("announcement_detail", args=[self.pk])

    def body_html(self) -> str:
        return render(self.body)
