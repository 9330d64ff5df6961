"""The casework demo: staffed desks in every Daqing district, a hundred cases in every state."""

from __future__ import annotations

import pytest

from warmbee.casework import demo, selectors
from warmbee.casework.models import DeskMember, HelpRequest
from warmbee.core.demo import DemoContext

pytestmark = pytest.mark.django_db


def test_demo_builds_staffed_desks_and_a_hundred_cases_once(personas):
    from warmbee.accounts import demo as accounts_demo
    from warmbee.orgs import demo as orgs_demo

    ctx = DemoContext(city_code="230600")
    accounts_demo.build(ctx)
    orgs_demo.build(ctx)
    demo.build(ctx)
    cases = HelpRequest.objects.unscoped(reason="t")
    assert cases.count() == demo.CASES
    assert set(cases.values_list("status", flat=True)) == {"assigned", "in_progress", "closed"}
    assert {"resolved", "referred"} <= set(cases.values_list("outcome", flat=True))
    assert cases.filter(crisis=True, urgency="urgent").exists()
    assert cases.filter(rating__isnull=False).exists()
    members = DeskMember.objects.unscoped(reason="t")
    assert (
        members.filter(is_supervisor=True).values("desk").distinct().count()
        == members.values("desk").distinct().count()
    )
    assert selectors.figures(personas["city_officer"])["all"]["total"] == demo.CASES
    demo.build(ctx)
    assert cases.count() == demo.CASES
