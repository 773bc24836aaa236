"""Signals other apps listen to. Except `shop_created`, they are sent after the transaction that
changed the connection has committed, with ids only (receivers usually queue a task).

- `shop_created(sender=Shop, shop)`: sent inside the transaction that creates the shop, so apps
  create the rows a shop always needs (their sync state, feeds, settings) with it; a page never
  has to create them on a GET.
- `shop_connected(sender=Shop, shop_id, reconnect)`: a connect or reconnect through FBE
  succeeded; the catalog app queues the shop's first (or a fresh) full catalog sync.
- `shop_disconnected(sender=Shop, shop_id, reason)`: the seller disconnected in the portal
  (`reason="seller"`) or uninstalled at Meta (`reason="uninstalled"`); syncs must stop.
- `check_requested(sender=Shop, shop_id)`: "Check now" (the Issues page, or staff): apps refresh
  what they read from Meta for the shop's issues; the catalog app queues product diagnostics.
"""

from __future__ import annotations

from django.dispatch import Signal

shop_created = Signal()
shop_connected = Signal()
shop_disconnected = Signal()
check_requested = Signal()
