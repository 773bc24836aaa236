"""Bulk inserts (and upserts) of plain new rows at a fraction of `QuerySet.bulk_create`'s CPU.

`bulk_create` prepares every value through the whole compiler (expression checks, the field's
`pre_save`, `get_db_prep_save`, a placeholder per value), and on PostgreSQL psycopg's
client-side binding then quotes every value into the SQL text in Python: 0.2-0.3 ms for an
order of 38 columns, the largest single cost of ingesting orders. `insert()` writes the same
rows and prepares values column by column: a value that is already what the database takes
(a `str` for a text column, an `int` for an integer or a foreign key, a `bool` for a boolean,
`None`) is passed as it is, since that is what the field's own preparation returns for it;
everything else (JSON, dates and times, decimals, custom fields) goes through the field's
`get_db_prep_save`, and fields with their own `pre_save` (`auto_now`, `auto_now_add`, ...) have
it called, as `bulk_create` does. Primary keys are set on the objects, which become saved
instances.

The statement, per database:
- SQLite: `INSERT ... VALUES (...), (...) RETURNING pk`, batches sized by the connection's own
  limit of bound values (32,766 on current builds; Django assumes 999), so a page of 100 orders
  is one statement, not four.
- PostgreSQL: `INSERT ... SELECT * FROM unnest(%b::type[], ...) RETURNING pk`, one array per
  column, bound server-side in binary (a cursor without psycopg's client-side quoting; `%b`:
  no text escaping of each value): 38 parameters whatever the number of rows, so psycopg also
  caches the statement's conversion.
Rows come back in the order they were given (PostgreSQL inserts the unnest rows in order, as
it does a VALUES list; `bulk_create` relies on the same); the count is checked.

For new objects of one concrete model without multi-table inheritance, with no expressions
as values, on a database that returns rows from a bulk insert (PostgreSQL; SQLite 3.35+). With
`unique_fields` and `update_fields` it is an upsert (`ON CONFLICT (...) DO UPDATE SET`, the
backend's own clause, as `bulk_create(update_conflicts=True)` writes it), and the keys set are
those of the rows written, existing or new.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import chain

from django.db import connections, models, router
from django.db.models import Field
from django.db.models.constants import OnConflict

_PLAIN_TYPES = {
    models.CharField: (str,),
    models.TextField: (str,),
    models.BooleanField: (bool,),
    models.IntegerField: (int,),  # with BigIntegerField, PositiveIntegerField, the auto fields...
}
_PREPARATION = ("get_db_prep_save", "get_db_prep_value", "get_prep_value")


def _plain(field: Field) -> tuple[type, ...]:
    """The Python types that this field's preparation returns unchanged (see the module)."""
    target = field.target_field if field.is_relation else field
    for cls, types in _PLAIN_TYPES.items():
        if isinstance(target, cls) and all(getattr(type(target), name) is getattr(cls, name) for name in _PREPARATION):
            return types
    return ()


def _rows_per_statement(connection, columns: int) -> int:
    if connection.vendor == "sqlite":
        import sqlite3

        connection.ensure_connection()
        raw = connection.connection
        limit = raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) if hasattr(raw, "getlimit") else 999
        return max(1, limit // columns)
    return 10_000  # PostgreSQL: one array per column, whatever the number of rows


def _cursor(connection):
    """A cursor through Django's wrappers (execute wrappers, debug log); on PostgreSQL one that
    binds parameters server-side."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    import psycopg
    from django.db.backends.utils import CursorDebugWrapper, CursorWrapper

    connection.ensure_connection()
    wrapper = CursorDebugWrapper if connection.queries_logged else CursorWrapper
    return wrapper(psycopg.Cursor(connection.connection), connection)


def insert(model: type[models.Model], objs: Iterable[models.Model], *, unique_fields: Sequence[str] = (),
           update_fields: Sequence[str] = (), using: str | None = None) -> list[models.Model]:
    """Insert `objs` (new instances of `model`) and set their primary keys; with
    `unique_fields` and `update_fields`, upsert them (see the module). Returns the objects."""
    objs = list(objs)
    if not objs:
        return objs
    opts = model._meta
    if opts.parents:
        raise ValueError("kernel.bulk.insert does not write multi-table models")
    alias = using or router.db_for_write(model)
    connection = connections[alias]
    if connection.vendor not in ("sqlite", "postgresql") or not connection.features.can_return_rows_from_bulk_insert:
        raise NotImplementedError(f"kernel.bulk.insert does not write to {connection.vendor}")
    pk = opts.pk
    auto_pk = isinstance(pk, models.AutoField)
    if auto_pk and any(obj.pk is not None for obj in objs):
        raise ValueError("kernel.bulk.insert writes new rows: their keys come from the database")
    fields = [f for f in opts.concrete_fields if not f.generated and not (f is pk and auto_pk)]
    columns = [(f, _plain(f), type(f).pre_save is not Field.pre_save, f.attname) for f in fields]
    qn = connection.ops.quote_name
    on_conflict = OnConflict.UPDATE if unique_fields else None
    by_name = {f.name: f for f in opts.concrete_fields}
    suffix = connection.ops.on_conflict_suffix_sql(
        fields, on_conflict, [by_name[name].column for name in update_fields],
        [by_name[name].column for name in unique_fields]) if on_conflict else ""
    returning, returning_params = connection.ops.return_insert_columns([pk])
    head = (f"{connection.ops.insert_statement(on_conflict=on_conflict)} {qn(opts.db_table)} "
            f"({', '.join(qn(f.column) for f in fields)}) ")
    postgres = connection.vendor == "postgresql"
    if postgres:
        head += "SELECT * FROM unnest(" + ", ".join(f"%b::{f.db_type(connection)}[]" for f in fields) + ")"
    converters = pk.get_db_converters(connection) + connection.ops.get_db_converters(pk.get_col(opts.db_table))
    size = _rows_per_statement(connection, len(fields))
    for start in range(0, len(objs), size):
        batch = objs[start:start + size]
        values: list = []
        for obj in batch:
            for field, plain, pre_save, attname in columns:
                value = field.pre_save(obj, True) if pre_save else getattr(obj, attname)
                if value is None or type(value) in plain:
                    values.append(value)
                elif hasattr(value, "resolve_expression"):
                    raise ValueError(f"kernel.bulk.insert takes plain values, not {value!r}")
                else:
                    values.append(field.get_db_prep_save(value, connection))
        if postgres:
            width = len(fields)
            params = [values[column::width] for column in range(width)]
            sql = head
        else:
            params = values
            sql = head + connection.ops.bulk_insert_sql(fields, [["%s"] * len(fields)] * len(batch))
        sql = " ".join(part for part in (sql, suffix, returning) if part)
        with _cursor(connection) as cursor:
            cursor.execute(sql, tuple(chain(params, returning_params)))
            rows = connection.ops.fetch_returned_insert_rows(cursor)
        if len(rows) != len(batch):
            raise RuntimeError(f"wrote {len(batch)} rows into {opts.db_table}, got {len(rows)} keys back")
        for obj, (value,) in zip(batch, rows, strict=True):
            for converter in converters:
                value = converter(value, pk, connection)
            setattr(obj, pk.attname, value)
            obj._state.adding = False
            obj._state.db = alias
    return objs
