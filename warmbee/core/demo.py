"""The demo programme (``manage.py demo``): each app contributes a builder, in order.

A builder is ``build(ctx: DemoContext) -> None``; it must be idempotent (``make run`` calls the
command on every start; only the first start creates anything).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils.module_loading import import_string

BUILDERS = [
    "warmbee.accounts.demo.build",
    "warmbee.privacy.demo.build",
    "warmbee.orgs.demo.build",
    "warmbee.stations.demo.build",
    "warmbee.workers.demo.build",
    "warmbee.regions.demo.build",
    "warmbee.civic.demo.build",
    "warmbee.points.demo.build",
    "warmbee.casework.demo.build",
    "warmbee.aid.demo.build",
    "warmbee.workers.demo.count_coverage",  # last: it counts what the others made
]


@dataclass
class DemoContext:
    city_code: str
    credentials: list[tuple[str, str, str, str]] = field(default_factory=list)
    rng_seed: int = 2306

    def add_credentials(self, role_label: str, name: str, phone: str, password: str) -> None:
        self.credentials.append((str(role_label), name, phone, password))

    @staticmethod
    def new_password() -> str:
        return secrets.token_urlsafe(12)


def write_credentials(path: Path, ctx: DemoContext) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("# WarmBee demo accounts (random passwords, generated once). Keep private.\n")
        fh.write("# role\tname\tmobile\tpassword\n")
        for row in ctx.credentials:
            fh.write("\t".join(row) + "\n")


def run(city_code: str | None = None) -> DemoContext:
    ctx = DemoContext(city_code=city_code or settings.HOME_REGION)
    for dotted in BUILDERS:
        import_string(dotted)(ctx)
    return ctx
