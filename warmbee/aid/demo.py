"""Demo aid for Daqing (``manage.py demo``): 金秋助学, 困难帮扶 and 技能取证补贴 of the city,
with applications of 萨尔图街道 workers in every state, made through the services (so the
maker-checker rules, the budget and the ledger hold for the demo too).

赵丽, the officer of 萨尔图街道, enters applications for workers of her street; 李红梅
(district) takes the first step, 王建国 (city) approves, 李红梅 pays out. 孙小峰, the demo courier, has
no application to 技能取证补贴, so the demo can show him applying.
"""

from __future__ import annotations

import datetime as dt
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw

from warmbee.accounts.models import User
from warmbee.regions.models import Region

from . import eligibility, services
from .choices import BenefitKind, ProgrammeKind
from .models import AidProgramme

YUAN = 100


def _photo(text: str) -> SimpleUploadedFile:
    img = Image.new("RGB", (480, 320), (250, 246, 232))
    draw = ImageDraw.Draw(img)
    draw.rectangle((12, 12, 468, 308), outline=(150, 110, 40), width=6)
    draw.text((40, 140), text, fill=(90, 60, 20))
    buf = io.BytesIO()
    img.save(buf, format="JPEG")
    return SimpleUploadedFile("evidence.jpg", buf.getvalue(), content_type="image/jpeg")


def _staff(ctx, name: str) -> User | None:
    return User.objects.unscoped(reason="demo").filter(name=name, is_active=True).first()


def build(ctx) -> None:
    city = Region.objects.get(code=ctx.city_code)
    if AidProgramme.objects.unscoped(reason="demo").filter(region=city).exists():
        return
    city_officer, district = _staff(ctx, "王建国"), _staff(ctx, "李红梅")
    if city_officer is None or district is None:
        return
    clerk = _staff(ctx, "赵丽")  # the street officer of 萨尔图街道 enters applications
    if clerk is None:
        return
    street = Region.objects.get(code="230602013")
    today = timezone.localdate()
    common = {
        "region": city,
        "cycle": str(today.year),
        "opens_on": today - dt.timedelta(days=30),
        "closes_on": today + dt.timedelta(days=60),
    }
    education = services.programme_create(
        actor=city_officer,
        name="金秋助学",
        kind=ProgrammeKind.EDUCATION,
        description="为快递员等新就业形态劳动者家庭中在读义务教育阶段的子女提供助学金。",
        budget_fen=100_000 * YUAN,
        benefit=BenefitKind.FIXED,
        amount_fen=1_000 * YUAN,
        questions=[
            {"key": "child_name", "label": "子女姓名", "child": True},
            {"key": "school", "label": "就读学校和年级", "child": True},
            {"key": "compulsory", "label": "子女正在接受义务教育", "type": "yesno"},
        ],
        eligibility_rules=[
            {"kind": "union_member", "months": 6},
            {"kind": "declared", "question": "compulsory"},
        ],
        **common,
    )
    hardship = services.programme_create(
        actor=city_officer,
        name="困难帮扶",
        kind=ProgrammeKind.HARDSHIP,
        description="对因病、因灾等原因生活困难的快递员家庭给予帮扶救助。",
        budget_fen=100_000 * YUAN,
        benefit=BenefitKind.RANGE,
        min_fen=2_000 * YUAN,
        max_fen=5_000 * YUAN,
        questions=[
            {"key": "situation", "label": "家庭困难情况"},
            {"key": "household", "label": "家庭人口", "type": "number"},
        ],
        evidence=[{"key": "proof", "label": "困难证明（社区或单位出具）"}],
        eligibility_rules=[{"kind": "union_member", "months": 6}],
        **common,
    )
    certificate = services.programme_create(
        actor=city_officer,
        name="技能取证补贴",
        kind=ProgrammeKind.CERTIFICATE_SUBSIDY,
        description="取得快递员、快件处理员等职业技能等级证书的，给予1000至2000元补贴。",
        budget_fen=732_000 * YUAN,
        benefit=BenefitKind.RANGE,
        min_fen=1_000 * YUAN,
        max_fen=2_000 * YUAN,
        evidence=[{"key": "certificate", "label": "职业技能等级证书照片"}],
        **common,
    )
    for p in (education, hardship, certificate):
        services.programme_set_status(actor=city_officer, programme=p, status="open")

    from warmbee.workers.models import Worker

    workers = list(
        Worker.objects.unscoped(reason="demo applicants")
        .filter(region__path__startswith=street.path, status="active", user=None)
        .select_related("region")
        .order_by("pk")
    )
    pool = iter(workers)

    def apply(programme, **kwargs):
        for worker in pool:
            if not eligibility.unmet(worker, programme):
                files = {e["key"]: _photo("CERTIFICATE") for e in programme.evidence}
                return services.application_submit(
                    actor=clerk,
                    programme=programme,
                    worker=worker,
                    files=files,
                    consent_paper=True,
                    **kwargs,
                )
        return None

    def through(app, to: str, amount=None):
        if app is None or to == "applied":
            return
        if to == "returned":
            services.application_return(actor=district, application=app, note="请补充材料原件照片")
            return
        if to == "rejected":
            services.application_reject(actor=district, application=app, reason="不符合申请条件")
            return
        services.application_review(actor=district, application=app, note="材料齐全")
        if to == "reviewed":
            return
        if to == "city_rejected":
            services.application_reject(
                actor=city_officer, application=app, reason="本年度已享受同类补贴"
            )
            return
        services.application_approve(actor=city_officer, application=app, amount_fen=amount)
        if to == "approved":
            return
        services.application_disburse(
            actor=district,
            application=app,
            idempotency_key=f"demo-{app.pk:06d}",
            reference=f"DQ{today:%Y%m%d}{app.pk:04d}",
        )
        if to == "closed":
            services.application_close(actor=district, application=app)

    child = {"child_name": "小明", "school": "大庆市萨尔图区第一小学 四年级", "compulsory": "yes"}
    for to in ["applied", "reviewed", "approved", "disbursed", "closed", "returned"]:
        through(apply(education, answers=child), to)
    situation = {"situation": "配偶患病住院，家庭收入减少", "household": 4}
    for to, amount in [("applied", None), ("reviewed", None), ("approved", 3_000 * YUAN),
                       ("disbursed", 5_000 * YUAN), ("rejected", None)]:  # fmt: skip
        through(apply(hardship, answers=situation, amount_fen=2_000 * YUAN), to, amount)
    for to, amount in [("applied", None), ("applied", None), ("reviewed", None),
                       ("approved", 1_500 * YUAN), ("disbursed", 2_000 * YUAN),
                       ("closed", 1_000 * YUAN), ("city_rejected", None)]:  # fmt: skip
        through(apply(certificate, amount_fen=1_500 * YUAN), to, amount)
    # One rejected application appealed: back at the first step, appeal used.
    appealed = apply(certificate, amount_fen=1_000 * YUAN)
    if appealed is not None:
        through(appealed, "rejected")
        services.application_appeal(actor=clerk, application=appealed, reason="证书已补充，请复核")
