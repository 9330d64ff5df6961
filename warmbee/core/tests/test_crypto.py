"""Field encryption (AES-GCM, R24) and blind indexes."""

from __future__ import annotations

import base64

import pytest

from warmbee.core import crypto

ID = "11010519491231002X"


@pytest.fixture(autouse=True)
def _keys(settings):
    settings.FIELD_ENCRYPTION_KEYS = ["key-one-for-tests"]
    settings.BLIND_INDEX_KEY = "blind-key-for-tests"


def test_round_trip_and_no_plaintext():
    token = crypto.encrypt(ID, context="workers.worker.id_number")
    assert ID not in token
    assert token.startswith("v1.") and crypto.key_id_of(token) == crypto.current_key_id()
    assert crypto.decrypt(token, context="workers.worker.id_number") == ID


def test_same_value_encrypts_differently_each_time():
    assert crypto.encrypt(ID, context="c") != crypto.encrypt(ID, context="c")


def test_a_token_moved_to_another_column_does_not_open():
    token = crypto.encrypt(ID, context="workers.worker.id_number")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token, context="aid.application.bank_account")


def test_a_tampered_token_does_not_open():
    version, key_id, body = crypto.encrypt(ID, context="c").split(".")
    raw = bytearray(base64.urlsafe_b64decode(body))
    raw[-1] ^= 1
    tampered = f"{version}.{key_id}.{base64.urlsafe_b64encode(bytes(raw)).decode()}"
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(tampered, context="c")


@pytest.mark.parametrize("token", ["", "plain text", "v2.abcd.AAAA", "v1.abcd.!!!"])
def test_garbage_is_refused(token):
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token, context="c")


def test_rotation_old_key_still_decrypts_new_key_encrypts(settings):
    old = crypto.encrypt(ID, context="c")
    settings.FIELD_ENCRYPTION_KEYS = ["key-two-for-tests", "key-one-for-tests"]
    assert crypto.decrypt(old, context="c") == ID
    new = crypto.encrypt(ID, context="c")
    assert crypto.key_id_of(new) != crypto.key_id_of(old)
    settings.FIELD_ENCRYPTION_KEYS = ["key-two-for-tests"]
    assert crypto.decrypt(new, context="c") == ID
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(old, context="c")


def test_blind_index_is_stable_keyed_and_separated_by_purpose(settings):
    a = crypto.blind_index(ID, purpose="workers.id_number")
    assert a == crypto.blind_index(ID, purpose="workers.id_number")
    assert a != crypto.blind_index(ID, purpose="aid.bank_account")
    assert ID not in a and len(a) == 64
    settings.BLIND_INDEX_KEY = "another-key"
    assert a != crypto.blind_index(ID, purpose="workers.id_number")


@pytest.mark.django_db
def test_rotate_field_keys_re_encrypts_and_reads_back(settings, make_worker):
    from django.core.management import call_command

    from warmbee.workers.models import Worker

    worker = make_worker()
    Worker.objects.unscoped(reason="test").filter(pk=worker.pk).update(id_number=ID)
    old_id = crypto.current_key_id()
    settings.FIELD_ENCRYPTION_KEYS = ["key-two-for-tests", "key-one-for-tests"]
    call_command("rotate_field_keys", stdout=__import__("io").StringIO())
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM workers_worker WHERE id = %s", [worker.pk])
        token = cursor.fetchone()[0]
    assert crypto.key_id_of(token) == crypto.current_key_id() != old_id
    settings.FIELD_ENCRYPTION_KEYS = ["key-two-for-tests"]
    assert Worker.objects.unscoped(reason="test").get(pk=worker.pk).id_number == ID
