from __future__ import annotations

import pytest

from ttc.helprequests import engagements, matching
from ttc.helprequests.models import RequestStatus
from ttc.helprequests.testing import engage, make_market, open_request


@pytest.mark.django_db
def test_smoke(personas, client_for):
    make_market(personas)
    request = open_request(personas)
    ranked = matching.rank(request)
    print([(r.candidate.key, round(r.score, 3)) for r in ranked])
    engagement = engage(personas, request)
    engagements.hours_log(engagement=engagement, person=personas.member_admin, worked_on=engagement.started_at.date(), hours="2,5")
    engagements.engagement_deliver(engagement=engagement, actor=personas.member_admin)
    engagements.engagement_close(engagement=engagement, actor=personas.requester, helped=True, rating=5)
    request.refresh_from_db()
    assert request.status == RequestStatus.CLOSED
    for name in ["coordinator", "requester", "member_admin", "expert", "outsider", "anonymous"]:
        c = client_for(name)
        for url in ["/requests/", f"/requests/{request.pk}/", "/proposals/", "/engagements/", f"/engagements/{engagement.pk}/", "/requests/triage/", "/requests/surge/", f"/requests/{request.pk}/candidates/", "/conflicts/", "/requests/new/"]:
            r = c.get(url)
            print(name, url, r.status_code)
            assert r.status_code in (200, 302, 403, 404)
