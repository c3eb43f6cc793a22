import pytest
from ttc.helprequests import matching
from ttc.helprequests.testing import make_market, open_request

pytestmark = pytest.mark.django_db

def test_scratch(personas):
    make_market(personas)
    r = open_request(personas)
    print([ (i.candidate.key, i.score) for i in matching.rank(r)])
