from __future__ import annotations

import logging
from collections.abc import Sequence

from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend

logger = logging.getLogger(__name__)


class OutboxBackend(BaseEmailBackend):
    """Keeps e-mail in the database, readable by coordinators at /outbox/."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        from ttc.core.models import OutboxEmail

        for message in email_messages:
            OutboxEmail.objects.create(
                to=", ".join(message.recipients())[:500],
                subject=str(message.subject)[:300],
                body=str(message.body),
            )
            # The demo has no mail server: show the message where the server runs too.
            logger.info(
                "E-mail to %s kept in the outbox:\n%s\n%s",
                message.to,
                message.subject,
                message.body,
            )
        return len(email_messages)
