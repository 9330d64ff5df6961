"""Casework fixtures: a desk per position, staffed by the provider persona and a supervisor."""

from __future__ import annotations

import pytest

from warmbee.accounts.roles import Role


def make_desk(code: str, desk: str = "labour_relations"):
    from warmbee.orgs.models import Organisation, OrgKind, ServiceDesk
    from warmbee.regions.models import Region

    region = Region.objects.get(code=code)
    centre, _ = Organisation.objects.unscoped(reason="test").get_or_create(
        kind=OrgKind.PROVIDER, name=f"{region.name}党群服务中心", region=region
    )
    return ServiceDesk.objects.create(provider=centre, desk=desk, region=region, location="101室")


def add_member(desk, user, *, supervisor=False, on_duty=True):
    from warmbee.casework.models import DeskMember

    desk.members.add(user)
    return DeskMember.objects.create(
        desk=desk, user=user, is_supervisor=supervisor, on_duty=on_duty
    )


@pytest.fixture
def desk(db, personas, make_user):
    """萨尔图区's labour-relations desk: the provider persona on duty, a supervisor (off duty)."""
    d = make_desk("230602")
    add_member(d, personas["provider"])
    supervisor = make_user(Role.PROVIDER, "230600", name="主管人")
    add_member(d, supervisor, supervisor=True, on_duty=False)
    d.supervisor = supervisor
    return d


@pytest.fixture
def other_provider(make_user, desk):
    """A provider on another desk (mediation) of the same district: no access to the case."""
    user = make_user(Role.PROVIDER, "230600", name="别的专员")
    add_member(make_desk("230602", "mediation"), user)
    return user


@pytest.fixture
def ask(personas, desk):
    from warmbee.casework import services

    def make(text="网点拖欠我三个月工资，一共8000元。", kind="labour_relations", actor=None, **kw):
        case, hotlines = services.help_request_create(
            actor=actor or personas["courier"], kind=kind, description=text, consent=True, **kw
        )
        return case

    return make


@pytest.fixture
def inbox(monkeypatch):
    """Notifications sent, as (user id, kind, subject, link, sms)."""
    sent = []

    def fake(user, *, kind, subject, link, sms=False):
        sent.append((user.pk, kind, str(subject), link, sms))

    from warmbee.casework import services

    monkeypatch.setattr(services, "_notify", lambda user, **kw: user and fake(user, **kw))
    return sent
