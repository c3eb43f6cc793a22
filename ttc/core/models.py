from __future__ import annotations

import hashlib
import json
from datetime import UTC
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ttc.core.tlp import CONFIDENTIAL, TLP

GENESIS_HASH = "0" * 64


class AppendOnlyError(RuntimeError):
    """Audit events are never changed or removed."""


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("audit events cannot be updated")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("audit events cannot be deleted")


class AuditEvent(models.Model):
    """One link in the hash chain: who did what to which object, and when."""

    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64, blank=True)
    object_id = models.CharField(_("object"), max_length=64, blank=True)
    summary = models.CharField(_("summary"), max_length=300)
    data = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action}: {self.summary}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("audit events cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("audit events cannot be deleted")

    def compute_hash(self) -> str:
        payload = json.dumps(
            [
                self.prev_hash,
                self.created_at.astimezone(UTC).isoformat(),
                self.actor_id,
                self.action,
                self.object_type,
                self.object_id,
                self.summary,
                self.data,
            ],
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode()).hexdigest()


class NotificationQuerySet(models.QuerySet["Notification"]):
    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)

    def for_user(self, user: Any) -> NotificationQuerySet:
        """The person's notifications whose content they may still see: a title
        of confidential content disappears when its access does."""
        from ttc.core.access import visible_to

        still_visible = models.Q(target_type__isnull=True) | ~models.Q(tlp__in=CONFIDENTIAL)
        for model in Labelled.__subclasses__():
            still_visible |= models.Q(
                target_type=ContentType.objects.get_for_model(model),
                target_id__in=visible_to(model._default_manager.all(), user).values("pk"),
            )
        return self.filter(still_visible, recipient=user)


class Notification(models.Model):
    """An in-app message to one person. It holds a title and a link, never
    confidential content: the page behind the link applies the access policy."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    title = models.CharField(_("title"), max_length=200)
    url = models.CharField(max_length=500)
    tlp = models.CharField(max_length=16, choices=TLP.choices, default=TLP.CLEAR)
    # The labelled content it is about, if any.
    target_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    target_id = models.PositiveBigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return self.title


class OutboxEmail(models.Model):
    """E-mail kept in the database instead of sent, for the demo and development."""

    created_at = models.DateTimeField(default=timezone.now)
    to = models.CharField(max_length=500)
    subject = models.CharField(max_length=300)
    body = models.TextField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.subject


class Labelled(models.Model):
    """Shared content with a TLP label and its named recipients.

    Subclasses register with `ttc.core.testing.register_labelled` so that the leak test
    walks them on every surface.
    """

    tlp = models.CharField(
        _("TLP label"), max_length=16, choices=TLP.choices, default=TLP.AMBER_STRICT
    )
    recipient_people = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("named people"),
        blank=True,
        related_name="+",
        help_text=_("For TLP:RED: only these people may see it."),
    )
    recipient_orgs = models.ManyToManyField(
        "members.Organisation",
        verbose_name=_("named organisations"),
        blank=True,
        related_name="+",
        help_text=_("For TLP:AMBER and TLP:AMBER+STRICT: these organisations may see it."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)

    class Meta:
        abstract = True
