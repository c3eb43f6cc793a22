from __future__ import annotations

from ninja import Router

from ttc.api.schemas import MeOut, NotificationOut
from ttc.api.types import AuthedRequest
from ttc.core.models import Notification

router = Router(tags=["me"])


@router.get("", response=MeOut, summary="Who I am, my role and my organisations")
def me(request: AuthedRequest) -> dict:
    user = request.auth
    return {
        "id": user.pk,
        "email": user.email,
        "full_name": user.full_name,
        "preferred_language": user.preferred_language,
        "role": user.role.value,
        "is_coordinator": user.is_coordinator,
        "memberships": [
            {"organisation": {"id": m.organisation_id, "name": m.organisation.name}, "role": m.role}
            for m in user.memberships.select_related("organisation")
        ],
    }


@router.get("/notifications", response=list[NotificationOut], summary="My latest notifications")
def my_notifications(request: AuthedRequest) -> list[dict]:
    return [
        {
            "id": n.pk,
            "title": n.title,
            "url": n.url,
            "tlp": n.tlp,
            "created_at": n.created_at,
            "read": n.read_at is not None,
        }
        for n in Notification.objects.for_user(request.auth)[:100]
    ]
