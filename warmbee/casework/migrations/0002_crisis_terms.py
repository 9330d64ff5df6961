"""The initial crisis word list (Chinese and English); the system administrator maintains it."""

from django.db import migrations

from warmbee.casework.rules import SEED_TERMS


def load(apps, schema_editor):
    CrisisTerm = apps.get_model("casework", "CrisisTerm")
    for category, languages in SEED_TERMS.items():
        for language, terms in languages.items():
            for term in terms:
                CrisisTerm.objects.get_or_create(
                    term=term, defaults={"language": language, "category": str(category)}
                )


def unload(apps, schema_editor):
    CrisisTerm = apps.get_model("casework", "CrisisTerm")
    terms = [t for languages in SEED_TERMS.values() for ts in languages.values() for t in ts]
    CrisisTerm.objects.filter(term__in=terms).delete()


class Migration(migrations.Migration):
    dependencies = [("casework", "0001_help_requests_and_desks")]
    operations = [migrations.RunPython(load, unload)]
