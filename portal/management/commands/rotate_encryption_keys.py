from django.core.management.base import BaseCommand
from django.db import connection, transaction

from kernel.crypto import rotate
from shops.models import MetaConnection

#: (model, column) pairs holding EncryptedTextField values.
ENCRYPTED_COLUMNS = [(MetaConnection, "access_token")]


class Command(BaseCommand):
    help = "Re-encrypt every stored secret with the first key in FIELD_ENCRYPTION_KEY."

    def handle(self, *args, **options):
        count = 0
        with transaction.atomic(), connection.cursor() as cursor:
            for model, column in ENCRYPTED_COLUMNS:
                table = connection.ops.quote_name(model._meta.db_table)
                col = connection.ops.quote_name(column)
                # Raw ciphertext in, raw ciphertext out: no plaintext is materialised.
                cursor.execute(f"SELECT id, {col} FROM {table} WHERE {col} <> ''")
                for pk, ciphertext in cursor.fetchall():
                    cursor.execute(f"UPDATE {table} SET {col} = %s WHERE id = %s", [rotate(ciphertext), pk])
                    count += 1
        self.stdout.write(f"re-encrypted {count} secret(s)")
