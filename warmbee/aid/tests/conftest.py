"""Aid fixtures: notices to consent to, a Daqing certificate-subsidy programme, applicants."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from warmbee.aid import services
from warmbee.aid.choices import BenefitKind, ProgrammeKind
from warmbee.privacy.models import Purpose
from warmbee.privacy.services import notice_publish


def jpeg(name: str = "cert.jpg") -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 120, 40)).save(buf, format="JPEG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/jpeg")


@pytest.fixture
def notices(db, personas):
    officer = personas["city_officer"]
    for purpose in (Purpose.AID_FINANCIAL, Purpose.CHILD):
        notice_publish(actor=officer, purpose=purpose, title="告知", body=f"{purpose} 告知书")


@pytest.fixture
def make_programme(db, personas, region):
    def make(**overrides):
        today = timezone.localdate()
        values = {
            "name": "技能取证补贴",
            "kind": ProgrammeKind.CERTIFICATE_SUBSIDY,
            "region": region("230600"),
            "cycle": str(today.year),
            "opens_on": today - dt.timedelta(days=10),
            "closes_on": today + dt.timedelta(days=60),
            "budget_fen": 500_000,
            "benefit": BenefitKind.RANGE,
            "min_fen": 100_000,
            "max_fen": 200_000,
            "evidence": [{"key": "certificate", "label": "证书照片"}],
        }
        values.update(overrides)
        actor = values.pop("actor", personas["city_officer"])
        programme = services.programme_create(actor=actor, **values)
        return services.programme_set_status(actor=actor, programme=programme, status="open")

    return make


@pytest.fixture
def programme(make_programme):
    return make_programme()


@pytest.fixture
def applicant(personas, make_worker):
    """The courier persona's worker record in 萨尔图区."""
    return make_worker("230602", user=personas["courier"])


@pytest.fixture
def submit(notices, applicant, personas):
    def do(programme, *, actor=None, worker=None, **kwargs):
        worker = worker or applicant
        actor = actor or personas["courier"]
        own = worker.user_id == actor.pk
        kwargs.setdefault("files", {e["key"]: jpeg() for e in programme.evidence or []})
        if own:
            kwargs.setdefault("consent_financial", True)
        else:
            kwargs.setdefault("consent_paper", True)
        if programme.benefit == BenefitKind.RANGE:
            kwargs.setdefault("amount_fen", 150_000)
        return services.application_submit(
            actor=actor, programme=programme, worker=worker, **kwargs
        )

    return do


@pytest.fixture
def approved(submit, programme, personas):
    """An application approved in two steps: district, then city."""
    app = submit(programme)
    services.application_review(actor=personas["district_officer"], application=app)
    services.application_approve(actor=personas["city_officer"], application=app)
    return app
