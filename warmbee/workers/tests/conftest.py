import pytest

from warmbee.orgs.models import Organisation, OrgKind, Outlet


@pytest.fixture
def registry(db, region, personas):
    """Two companies with outlets in 萨尔图区 (one in its 萨尔图街道) and 龙凤区, a union branch
    and a party branch."""
    city = region("230600")
    sf = Organisation.objects.create(
        kind=OrgKind.COMPANY, name="顺丰速运（大庆）有限公司", short_name="顺丰", region=city
    )
    zt = Organisation.objects.create(
        kind=OrgKind.COMPANY, name="中通快递（大庆）有限公司", short_name="中通", region=city
    )
    union = Organisation.objects.create(
        kind=OrgKind.UNION, name="萨尔图区快递行业联合工会", region=region("230602")
    )
    party = Organisation.objects.create(
        kind=OrgKind.PARTY, name="快递联合支部", region=region("230602")
    )
    return {
        "sf": sf,
        "zt": zt,
        "union": union,
        "party": party,
        "sf_own": Outlet.objects.create(
            company=sf, name="顺丰萨尔图营业部", code="SF01", region=region("230602")
        ),
        "sf_street": Outlet.objects.create(
            company=sf, name="顺丰街道部", region=region("230602013")
        ),
        "zt_own": Outlet.objects.create(
            company=zt, name="中通萨尔图部", region=region("230602"), party_org=party
        ),
        "zt_sibling": Outlet.objects.create(company=zt, name="中通龙凤部", region=region("230603")),
    }
