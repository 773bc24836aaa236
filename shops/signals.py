"""Signals other apps listen to. Sent after the transaction that changed the connection has
committed, with ids only (receivers usually queue a task).

- `shop_connected(sender=Shop, shop_id, reconnect)`: a connect or reconnect through FBE
  succeeded; the catalog app queues the shop's first (or a fresh) full catalog sync.
- `shop_disconnected(sender=Shop, shop_id, reason)`: the seller disconnected in the portal
  (`reason="seller"`) or uninstalled at Meta (`reason="uninstalled"`); syncs must stop.
"""

from __future__ import annotations

from django.dispatch import Signal

shop_connected = Signal()
shop_disconnected = Signal()
