"""The aid demo: three Daqing programmes with applications in every state, idempotent."""

from __future__ import annotations

import datetime as dt

from warmbee.aid import demo
from warmbee.aid.models import AidApplication, AidProgramme, Disbursement
from warmbee.core.demo import DemoContext


def test_demo_programmes_and_every_state(db, make_worker, region):
    from warmbee.accounts import demo as accounts_demo
    from warmbee.orgs.models import Organisation, OrgKind
    from warmbee.privacy import demo as privacy_demo
    from warmbee.workers.models import UnionMembership

    ctx = DemoContext(city_code="230600")
    accounts_demo.build(ctx)
    privacy_demo.build(ctx)
    union = Organisation.objects.create(
        kind=OrgKind.UNION, name="萨尔图区工会", region=region("230602")
    )
    for _ in range(24):
        w = make_worker("230602013")
        UnionMembership.objects.create(worker=w, branch=union, joined_on=dt.date(2024, 1, 1))
    demo.build(ctx)
    demo.build(ctx)  # a second start creates nothing
    names = set(AidProgramme.objects.unscoped(reason="t").values_list("name", flat=True))
    assert names == {"金秋助学", "困难帮扶", "技能取证补贴"}
    states = set(AidApplication.objects.unscoped(reason="t").values_list("status", flat=True))
    assert states == {
        "applied",
        "returned",
        "reviewed",
        "approved",
        "rejected",
        "disbursed",
        "closed",
    }
    for p in AidProgramme.objects.unscoped(reason="t"):
        paid = sum(
            Disbursement.objects.unscoped(reason="t")
            .filter(programme=p)
            .values_list("amount_fen", flat=True)
        )
        assert p.disbursed_fen == paid <= p.reserved_fen <= p.budget_fen
    assert AidApplication.objects.unscoped(reason="t").filter(appealed=True).count() == 1
