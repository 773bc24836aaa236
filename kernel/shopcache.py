"""A shop's summaries kept in the cache for a minute: the one home of "read it once, show it for a while".

The seller pages show figures that are aggregates over a shop's rows (orders to ship, the
catalog's counts, the products with issues, the issue cards of the navigation badge, the
promotions of recent orders). Each is an indexed query, but at a million orders it still costs
10-25 ms of the database a page; a figure read a few seconds ago is as good. `remember(shop_id,
name, compute)` returns the value stored for the shop within `SECONDS`, or computes and stores
it.

Freshness: every value of a shop belongs to the shop's *generation*, a token in the cache; a
value stored under another generation is not returned. `forget(shop_id)` starts a new
generation, and it is called

- after every request that may change the shop (any POST through `shops.tenancy.shop_view`,
  once the view's writes are committed), so what the seller just did shows at once;
- after every recorded job run of the shop (`kernel.jobs.job_run`: order ingest, catalog
  syncs, finance syncs, ...), so what a background job changed shows at its end;

and whatever else changes a shop's rows shows within `SECONDS`. A reader that computed a value
before a `forget` stores it under the old generation, so it is never returned after it.

The cache must be shared by every process that serves or changes the shop (production: Redis,
`REDIS_URL`; see `portal.settings`): with a per-process cache, a `forget` in one process would
not reach the others, which would show their figures until `SECONDS` ran out.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db import transaction

T = TypeVar("T")

#: How long a stored summary may be shown at most.
SECONDS = 60


def _generation_key(shop_id: int) -> str:
    return f"kernel.shopcache:{shop_id}:generation"


def _value_key(shop_id: int, name: str) -> str:
    return f"kernel.shopcache:{shop_id}:{name}"


def current_generation(shop_id: int) -> str:
    """The shop's current generation: read it before computing a value to `store`."""
    return cache.get(_generation_key(shop_id), "")


def read(shop_id: int, name: str, default=None):
    """The value stored as `name` for the shop in its current generation, or `default` (one cache
    round trip)."""
    gen_key, value_key = _generation_key(shop_id), _value_key(shop_id, name)
    found = cache.get_many([gen_key, value_key])
    stored = found.get(value_key)
    if stored is None or stored[0] != found.get(gen_key, ""):
        return default
    return stored[1]


def store(shop_id: int, name: str, value, *, generation: str | None = None, seconds: int = SECONDS) -> None:
    """Keep `value` as `name` for the shop for `seconds`, under `generation` (the one read before
    the value was computed; the current one when not given)."""
    if generation is None:
        generation = current_generation(shop_id)
    cache.set(_value_key(shop_id, name), (generation, value), seconds)


def remember(shop_id: int, name: str, compute: Callable[[], T], *, seconds: int = SECONDS) -> T:
    """The shop's `name` as stored within `seconds` in its current generation, or `compute()`
    stored now. `name` carries whatever else the value depends on (the language of translated
    text)."""
    gen_key, value_key = _generation_key(shop_id), _value_key(shop_id, name)
    found = cache.get_many([gen_key, value_key])
    generation = found.get(gen_key, "")
    stored = found.get(value_key)
    if stored is not None and stored[0] == generation:
        return stored[1]
    value = compute()
    cache.set(value_key, (generation, value), seconds)
    return value


def forget(shop_id: int) -> None:
    """Start a new generation of the shop's summaries: every value stored before is read anew.

    Inside a transaction, once more when it commits: a reader between the two could have stored
    what it read before the commit under the first new generation. The generation itself never
    expires (a lapsed one could bring an older value back)."""
    _new_generation(shop_id)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _new_generation(shop_id))


def _new_generation(shop_id: int) -> None:
    cache.set(_generation_key(shop_id), secrets.token_hex(8), None)
