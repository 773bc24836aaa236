"""Migration steps that exist on PostgreSQL only (trigram and covering indexes): SQLite, the
embedded demo's database, has neither pg_trgm nor INCLUDE, and runs without them."""

from __future__ import annotations

from django.db import DatabaseError, migrations, transaction


def postgresql_only(forward: list[str], backward: list[str], *, extension: str = ""):
    """A RunPython operation executing `forward` (and `backward` to reverse) on PostgreSQL only.
    With `extension`, it is created first; where the database user may not create it, the
    statements are skipped and the app works without them (slower searches)."""

    def run(statements: list[str], *, create_extension: bool):
        def operation(apps, schema_editor):
            connection = schema_editor.connection
            if connection.vendor != "postgresql":
                return
            with connection.cursor() as cursor:
                if create_extension and extension:
                    try:
                        with transaction.atomic(using=connection.alias):
                            cursor.execute(f"CREATE EXTENSION IF NOT EXISTS {extension}")
                    except DatabaseError:
                        return
                for statement in statements:
                    cursor.execute(statement)

        return operation

    return migrations.RunPython(run(forward, create_extension=True), run(backward, create_extension=False))
