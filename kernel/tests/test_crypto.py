from __future__ import annotations

import logging

from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from kernel.crypto import Secret
from kernel.redaction import RedactSecretsFilter, redact

# Built at run time so no token-shaped literal sits in the source.
TOKEN = "EAA" + "Gsandbox" + "TOKEN" + "1234567890abcdef"


def _raw_token(conn_pk):
    with connection.cursor() as cursor:
        cursor.execute("SELECT access_token FROM shops_metaconnection WHERE id = %s", [conn_pk])
        return cursor.fetchone()[0]


# About a hand-made token: encryption at rest of a value the test knows.
def test_tokens_are_encrypted_at_rest(shop_a):
    conn = shop_a.meta_connection
    conn.access_token = TOKEN
    conn.save()
    raw = _raw_token(conn.pk)
    assert TOKEN not in raw and raw.startswith("gAAAA")
    conn.refresh_from_db()
    assert conn.access_token == TOKEN
    assert TOKEN not in repr(conn.access_token) and isinstance(conn.access_token, Secret)


def test_key_rotation_reencrypts_with_the_new_key(shop_a, settings):
    old_key = settings.FIELD_ENCRYPTION_KEY[0]
    conn = shop_a.meta_connection
    conn.access_token = TOKEN
    conn.save()
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEY = [new_key, old_key]
    call_command("rotate_encryption_keys")
    raw = _raw_token(conn.pk)
    assert Fernet(new_key.encode()).decrypt(raw.encode()).decode() == TOKEN
    settings.FIELD_ENCRYPTION_KEY = [new_key]  # the old key can now be dropped
    conn.refresh_from_db()
    assert conn.access_token == TOKEN


def test_the_log_filter_masks_tokens_and_proofs():
    text = f"GET /v26.0/me?access_token={TOKEN}&appsecret_proof=abc123 Authorization: Bearer {TOKEN}"
    cleaned = redact(text)
    assert TOKEN not in cleaned and "abc123" not in cleaned
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "token %s", (TOKEN,), None)
    RedactSecretsFilter().filter(record)
    assert TOKEN not in record.getMessage()
