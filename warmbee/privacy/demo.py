"""The privacy notices, version 1, for every purpose (``manage.py demo``)."""

from __future__ import annotations

from .models import Notice, Purpose
from .services import notice_publish

TEXTS = {
    Purpose.REGISTRY: (
        "暖蜂平台个人信息保护告知（注册与服务）",
        "为向您提供驿站、求助、帮扶、活动等服务，我们处理您的姓名、手机号码、所在企业和网点。"
        "上述信息仅用于暖蜂行动的服务与统计，由所在地区的工作人员按职责查看，手机号码在页面上"
        "默认隐藏。您可以随时在“我的数据”中查看和下载您的信息，申请更正或删除。",
    ),
    Purpose.ID_NUMBER: (
        "身份证号码处理告知",
        "办理保险、技能证书补贴或帮扶时需要核实您的身份证号码。号码加密保存，页面上隐藏显示，"
        "只有经授权的工作人员说明理由后才能查看完整号码，每次查看都有记录。",
    ),
    Purpose.HEALTH: (
        "健康体检信息处理告知",
        "参加免费体检时，我们保存体检机构提供的结果摘要，仅您本人和负责的健康指导员可以查看。",
    ),
    Purpose.MENTAL_HEALTH: (
        "心理健康服务告知",
        "心理咨询记录加密保存，只有您本人和为您服务的咨询师可以查看，其他工作人员只能看到服务是否完成。",
    ),
    Purpose.AID_FINANCIAL: (
        "帮扶资金信息处理告知",
        "申请帮扶或补贴时，我们处理您的收款账户和家庭经济情况，仅用于审核和发放，发放名单隐藏显示。",
    ),
    Purpose.LOCATION: (
        "位置信息告知",
        "查找附近驿站时，位置只在您的手机上使用，平台不保存您的位置。随手拍只保存您标记的问题地点。",
    ),
    Purpose.CHILD: (
        "儿童个人信息处理告知（监护人同意）",
        "为子女申请助学等服务时，需要监护人同意处理子女的姓名、学校和年级等信息，仅用于该项服务。",
    ),
    Purpose.ID_PHOTO: (
        "证件照片处理告知",
        "上传的证件照片仅用于核验，核验完成后按保存期限删除。",
    ),
}


def build(ctx) -> None:
    if Notice.objects.exists():
        return
    for purpose, (title, body) in TEXTS.items():
        notice_publish(actor=None, purpose=purpose, title=title, body=body)
