"""SMS templates (as registered with the carrier): code → Chinese text with ``{name}`` fields."""

TEMPLATES = {
    "otp_login": "【暖蜂】您的登录验证码为{code}，5分钟内有效。请勿告诉他人。",
    "otp_register": "【暖蜂】您的注册验证码为{code}，5分钟内有效。请勿告诉他人。",
    # An inbox message's subject, for users who asked to be texted (notify.services.notify_user).
    "notice": "【暖蜂】{subject}。详情请登录暖蜂查看。",
    "data_request_done": "【暖蜂】您提交的个人信息{kind}申请已处理，请登录暖蜂查看结果。",
}


def render(template: str, params: dict) -> str:
    return TEMPLATES[template].format(**params)
