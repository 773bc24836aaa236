"""A run's products as items_batch batches, streamed: `values()` rows read in keyset chunks of one
batch, turned into records by `catalog.payloads` (the one mapping), each record encoded to JSON
once; no model instances, and memory bounded by one batch whatever the catalog's size."""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field

from django.db.models import BooleanField, ExpressionWrapper, Q, TextField
from django.db.models.functions import Cast

from catalog import payloads
from catalog.models import Product, SyncRun

Kind = SyncRun.Kind

#: Meta's maximum records per items_batch call and request size (META_API §2.1).
BATCH_SIZE = 5000
MAX_BATCH_BYTES = 28 * 1024 * 1024
#: The JSON body's other parameters and brackets; kept free under the limit.
BYTES_MARGIN = 64 * 1024

#: What the engine reads of a product beside the payload's fields (`known`: Meta has confirmed it once).
_BOOKKEEPING = ("id", "slow_hash", "fast_hash", "needs_sync_slow")
#: JSON columns are read as their text and decoded here: most are "[]", which Django's JSONField
#: would decode one by one (three per product, the largest share of reading a batch).
_JSON_FIELDS = tuple(f for f in payloads.ROW_FIELDS if f in ("additional_image_links", "internal_labels", "set_labels"))
ROW_FIELDS = (*_BOOKKEEPING, *(f for f in payloads.ROW_FIELDS if f not in _JSON_FIELDS))
#: The fast lane sends only fast records, of products Meta knows.
FAST_ROW_FIELDS = (*_BOOKKEEPING, *payloads.FAST_ROW_FIELDS)
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


@dataclass
class Prepared:
    """One batch ready to send: the records as JSON texts, what the CatalogBatch row keeps of
    each ([product id or None, retailer id, slow hash sent or None, fast hash sent or None]),
    the body's size in bytes, the keyset cursor after it (the last product id it covers,
    skipped ones included), and the highest CatalogBatch id the run knew when its rows were read
    (`read_floor`: the other sync lane's batches above it may carry newer values,
    `Engine.yield_to_other_lane`)."""

    records: list[str] = field(default_factory=list)
    items: list[list] = field(default_factory=list)
    size: int = 0
    cursor: int = 0
    read_floor: int = 0
    #: The products Meta had confirmed when read: only those can ride the other lane's batches
    #: (the fast lane sends nothing else; a product becomes known only by its own lane's batches).
    known: set[int] = field(default_factory=set)

    def body(self) -> str:
        return "[" + ",".join(self.records) + "]"

    def drop(self, product_ids: set[int]) -> int:
        """Take the records of `product_ids` out of the batch (before its call); how many went."""
        keep = [n for n, item in enumerate(self.items) if item[0] is None or item[0] not in product_ids]
        dropped = len(self.items) - len(keep)
        if dropped:
            self.records = [self.records[n] for n in keep]
            self.items = [self.items[n] for n in keep]
            self.known -= product_ids
            self.size = sum(len(text.encode()) + 1 for text in self.records)
        return dropped


def queue(shop, kind: str):
    """The products a run of `kind` goes through (each may still turn out to need no record)."""
    products = Product.objects.filter(shop=shop)
    if kind == Kind.FAST:
        return products.needing_fast_sync()
    if kind == Kind.CHANGES:
        return products.filter(Q(needs_sync_slow=True) | Q(needs_sync_fast=True))
    return products.filter(Q(deleted_at__isnull=True) | Q(needs_sync_slow=True))


def encode(record: dict) -> str:
    return _ENCODER.encode(record)


def _as_rows(queryset, kind: str):
    """The `values()` query of a run's rows: the fields the records need, JSON columns as text."""
    if kind == Kind.FAST:
        return queryset.values(*FAST_ROW_FIELDS, known=_KNOWN)
    texts = {f"{name}_text": Cast(name, TextField()) for name in _JSON_FIELDS}
    return queryset.values(*ROW_FIELDS, known=_KNOWN, **texts)


_KNOWN = ExpressionWrapper(Q(synced_at__isnull=False), output_field=BooleanField())


def _decoded(row: dict, known: dict) -> dict:
    """The row's JSON columns decoded, each distinct text once (`known`: text → value; the mapping
    copies what it sends, so rows may share a value)."""
    for name in _JSON_FIELDS:
        text = row.pop(f"{name}_text")
        value = known.get(text)
        if value is None:
            value = [] if text is None else json.loads(text)
            if len(known) < 10000:
                known[text] = value
        row[name] = value
    return row


def record_for(row, kind: str) -> tuple[dict, bool] | None:
    """(record, full) for one product row, or None when there is nothing to send (a tombstone
    Meta already deleted)."""
    if row["deleted_at"] is not None:
        if not row["needs_sync_slow"]:
            return None
        return payloads.delete_request(row), True
    full = kind == Kind.FULL or not row["known"] or (kind == Kind.CHANGES and row["needs_sync_slow"])
    return payloads.item_request(row, fast=not full), full


def item_for(row, record: dict, full: bool) -> list:
    if record["method"] == "DELETE":
        return [row["id"], row["retailer_id"], row["slow_hash"], None]
    if not full:
        return [row["id"], row["retailer_id"], None, row["fast_hash"]]
    return [row["id"], row["retailer_id"], row["slow_hash"], row["fast_hash"]]


class Outbox:
    """The batches of a run after `cursor`, one at a time (`next()`). Products riding a batch Meta
    has not finished (`inflight`) are skipped: a product never rides two batches at once."""

    def __init__(self, queue, kind: str, cursor: int, inflight: set[int], *, batch_size: int | None = None,
                 floor=None):
        self.queue = _as_rows(queue.order_by("pk"), kind)
        self.kind = kind
        self.cursor = cursor
        self.read_to = cursor
        self.inflight = inflight
        self.batch_size = batch_size or BATCH_SIZE
        self.rows: deque = deque()
        self.json_values: dict = {}
        self.exhausted = False
        self.floor = floor or (lambda: 0)  # the highest batch id known now (see `Prepared.read_floor`)
        self.front_floor = 0  # ... when the rows now at the front were read

    def _fill(self) -> None:
        if self.rows or self.exhausted:
            return
        self.front_floor = self.floor()
        chunk = list(self.queue.filter(pk__gt=self.read_to)[:self.batch_size])
        if len(chunk) < self.batch_size:
            self.exhausted = True
        if chunk:
            self.read_to = chunk[-1]["id"]
            self.rows.extend([_decoded(row, self.json_values) for row in chunk] if self.kind != Kind.FAST else chunk)

    def next(self) -> Prepared | None:
        """The next batch (at most `batch_size` records, under Meta's byte limit), a batch with no
        records when every product read was skipped, or None at the end."""
        self._fill()
        if not self.rows:
            return None
        batch = Prepared(cursor=self.cursor, read_floor=self.front_floor)
        limit = MAX_BATCH_BYTES - BYTES_MARGIN
        while len(batch.records) < self.batch_size:
            if not self.rows:
                if self.exhausted:
                    break
                self._fill()  # top the batch up from the next chunk (what is left waits in `rows`)
                continue
            row = self.rows[0]
            made = None if row["id"] in self.inflight else record_for(row, self.kind)
            if made is not None:
                record, full = made
                text = encode(record)
                size = len(text.encode()) + 1
                if batch.records and batch.size + size > limit:
                    break  # this row opens the next batch
                batch.records.append(text)
                batch.items.append(item_for(row, record, full))
                batch.size += size
                if row["known"]:
                    batch.known.add(row["id"])
            self.rows.popleft()
            batch.cursor = self.cursor = row["id"]
        return batch
