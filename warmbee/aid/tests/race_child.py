"""The body of one harness process (test_race.py). Only the standard library at module level:
the process is spawned and sets Django up itself, on the database URL it is given."""

from __future__ import annotations

import os
import time

AMOUNT = 150_000


def child(url: str, start_at: float, app_pk: int, approve_pks: list[int], actors: dict,
           keys: list[str], out) -> None:  # fmt: skip
    os.environ["WARMBEE_DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "warmbee.settings"
    import django

    django.setup()
    from warmbee.accounts.models import User
    from warmbee.aid import services as svc
    from warmbee.aid.models import AidApplication as App
    from warmbee.core.errors import DomainError

    payer = User.objects.unscoped(reason="harness").get(pk=actors["payer"])
    approver = User.objects.unscoped(reason="harness").get(pk=actors["approver"])
    results = []
    while time.time() < start_at:
        time.sleep(0.001)
    for key in keys:
        app = App.objects.unscoped(reason="harness").select_related("programme").get(pk=app_pk)
        try:
            entry, created = svc.application_disburse(
                actor=payer, application=app, idempotency_key=key
            )
            results.append(("pay", "created" if created else "replay", entry.pk))
        except DomainError as exc:
            results.append(("pay", exc.code, None))
        except Exception as exc:  # noqa: BLE001 - the harness counts every other failure
            results.append(("pay", "error:" + str(exc)[:80], None))
    for pk in approve_pks:
        app = App.objects.unscoped(reason="harness").select_related("programme").get(pk=pk)
        try:
            svc.application_approve(actor=approver, application=app, amount_fen=AMOUNT)
            results.append(("approve", "approved", pk))
        except DomainError as exc:
            results.append(("approve", exc.code, pk))
        except Exception as exc:  # noqa: BLE001
            results.append(("approve", "error:" + str(exc)[:80], pk))
    out.put(results)
