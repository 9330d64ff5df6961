"""The earning rules every deployment starts with (points are data: officers may change them)."""

from django.db import migrations

RULES = [
    ("civic.report_confirmed", "随手拍问题经上报人确认已解决", 10),
    ("civic.report_accepted", "随手拍问题被受理为有效", 5),
    ("events.attended", "参加活动", 5),
    ("training.completed", "完成培训", 20),
]


def add_rules(apps, schema_editor):
    EarnRule = apps.get_model("points", "EarnRule")
    for code, name, points in RULES:
        EarnRule.objects.get_or_create(code=code, defaults={"name": name, "points": points})


def remove_rules(apps, schema_editor):
    EarnRule = apps.get_model("points", "EarnRule")
    EarnRule.objects.filter(code__in=[code for code, _name, _points in RULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("points", "0001_ledger")]

    operations = [migrations.RunPython(add_rules, remove_rules)]
