"""The notify rows of the authorisation matrix (merged by core/tests/test_matrix.py).

The inbox is the signed-in user's own: every signed-in persona gets their page (200) and may
mark their messages read (302 back to the inbox); anonymous is sent to the login (302). Another
user's message id in the POST has no effect (``test_inbox.py`` asserts the row is untouched).
"""

from __future__ import annotations

from django.urls import reverse


def _other_users_message(ctx) -> None:
    from warmbee.notify.services import notify_user

    ctx["message"] = notify_user(user=ctx["target"], kind="test.matrix", subject="别人的消息")


def _message_state(ctx) -> dict:
    from warmbee.notify.models import InboxMessage

    return {"messages": list(InboxMessage.objects.values("id", "user_id", "read_at"))}


def _signed_in(status):
    return lambda persona, position: 302 if persona == "anonymous" else status


def routes(Route) -> dict:
    return {
        "notify:inbox": Route("get", lambda ctx: reverse("notify:inbox"), _signed_in(200)),
        "notify:inbox_read": Route(
            "post",
            lambda ctx: reverse("notify:inbox_read"),
            _signed_in(302),
            positional=True,
            setup=_other_users_message,
            state=_message_state,
            data=lambda ctx: {"ids": [ctx["message"].pk]},
        ),
    }
