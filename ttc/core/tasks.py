"""Background work for core: e-mail delivery and the daily audit check."""

from __future__ import annotations

import logging

from crontask import cron
from django.conf import settings
from django.core.mail import mailers
from django.core.mail.message import EmailMessage
from django.tasks import task

logger = logging.getLogger(__name__)


@task
def deliver_email(*, to: list[str], subject: str, body: str) -> int:
    """Send one message to each address (never one message with every address in it)."""
    messages = [
        EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [address]) for address in to
    ]
    return mailers.default.send_messages(messages) or 0


@cron("17 3 * * *")
@task
def verify_audit_chain() -> bool:
    """Every night: prove the audit chain intact, and alert coordinators if not."""
    from django.contrib.auth import get_user_model

    from ttc.core.audit import verify_chain

    report = verify_chain()
    if report.intact:
        # The head in the logs (kept elsewhere) later proves nothing was cut off.
        logger.info(
            "Audit chain intact: %s events, head %s:%s",
            report.checked,
            report.head_id,
            report.head_hash,
        )
        return True
    coordinators = get_user_model().objects.filter(is_coordinator=True, is_active=True)
    deliver_email.call(
        to=list(coordinators.values_list("email", flat=True)),
        subject="[TTC] Audit log tampering detected",
        body=f"The audit chain breaks at event #{report.first_broken_id}: {report.reason}.",
    )
    logger.error("Audit chain broken at event #%s", report.first_broken_id)
    return False


#: Finished background tasks keep their arguments (e-mail addresses, texts of
#: e-mails): they are deleted after this many days.
TASK_RESULT_DAYS = 14


@cron("40 3 * * *")
@task
def prune_task_results() -> None:
    """Every night: forget finished background tasks older than two weeks."""
    from django.core.management import call_command
    from django.tasks import task_backends
    from django_tasks_db import DatabaseBackend

    if isinstance(task_backends["default"], DatabaseBackend):
        call_command(
            "prune_db_task_results", min_age_days=TASK_RESULT_DAYS, queue_name="*", verbosity=0
        )
