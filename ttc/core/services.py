from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from ttc.core.models import Notification

if TYPE_CHECKING:
    from ttc.accounts.models import User


@transaction.atomic
def notifications_mark_read(*, user: User, notification_id: int | None = None) -> int:
    """Mark one of the person's notifications read, or all of them."""
    unread = Notification.objects.for_user(user).unread()
    if notification_id is not None:
        unread = unread.filter(pk=notification_id)
    return unread.update(read_at=timezone.now())
