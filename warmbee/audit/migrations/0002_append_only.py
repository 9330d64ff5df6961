"""Make the audit table append-only at the database level (R17), on both engines."""

from django.db import migrations

SQLITE_FORWARD = [
    """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_auditevent
       WHEN wb_audit_guard() BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_auditevent
       WHEN wb_audit_guard() BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS audit_event_no_update",
    "DROP TRIGGER IF EXISTS audit_event_no_delete",
]
PG_FORWARD = [
    """CREATE OR REPLACE FUNCTION warmbee_audit_append_only() RETURNS trigger AS $$
       BEGIN
         IF coalesce(current_setting('warmbee.audit_maintenance', true), '') = 'on' THEN
           RETURN coalesce(NEW, OLD);
         END IF;
         RAISE EXCEPTION 'audit events are append-only';
       END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_auditevent
       FOR EACH ROW EXECUTE FUNCTION warmbee_audit_append_only()""",
]
PG_REVERSE = [
    "DROP TRIGGER IF EXISTS audit_event_append_only ON audit_auditevent",
    "DROP FUNCTION IF EXISTS warmbee_audit_append_only()",
]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in SQLITE_FORWARD if vendor == "sqlite" else PG_FORWARD:
        schema_editor.execute(sql)


def reverse(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in SQLITE_REVERSE if vendor == "sqlite" else PG_REVERSE:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(forward, reverse)]
