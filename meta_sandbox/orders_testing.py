"""Order control calls for tests, benchmarks and the demo: the buyer and Meta as actors.

A thin client of `/graph-sandbox/_control/orders...` (meta_sandbox/controls/orders.py), kept
next to `SandboxControl` without changing it::

    orders = OrdersControl(sandbox)
    placed = orders.place(cms_id, items=[{"retailer_id": "TEA-1", "quantity": 2, "price": "12.00"}])
    orders.order(placed["id"])["shipments"]
"""

from __future__ import annotations

from dataclasses import dataclass

from meta_sandbox.testing import SandboxControl


@dataclass
class OrdersControl:
    sandbox: SandboxControl

    def _call(self, method: str, path: str, **kwargs):
        return self.sandbox._call(method, path, **kwargs)

    def place(self, cms_id: str, **spec) -> dict:
        """Place one order (see the spec in meta_sandbox/controls/orders.py); returns its full state."""
        return self._call("POST", "orders", json={"cms_id": cms_id, **spec})["data"][0]

    def place_many(self, cms_id: str, count: int, **spec) -> list[str]:
        """Place `count` orders like `spec`; returns their ids."""
        answer = self._call("POST", "orders", json={"cms_id": cms_id, "count": count, **spec})
        return answer.get("ids") or [o["id"] for o in answer["data"]]

    def orders(self, cms_id: str, *, state: str | None = None) -> list[dict]:
        params = {"cms_id": cms_id, **({"state": state} if state else {})}
        return self._call("GET", "orders", params=params)["data"]

    def order(self, order_id: str) -> dict:
        """An order's full state: totals, items, shipments, payments, cancellations, refunds,
        returns and acknowledgements (amounts as decimal strings)."""
        return self._call("GET", f"orders/{order_id}")

    def release(self, order_id: str) -> dict:
        return self._call("POST", f"orders/{order_id}/release")

    def buyer_cancel(self, order_id: str, items: list[dict] | None = None) -> dict:
        return self._call("POST", f"orders/{order_id}/buyer_cancel", json={"items": items})

    def request_return(self, order_id: str, items: list[dict], message: str = "") -> dict:
        return self._call("POST", f"orders/{order_id}/return_request", json={"items": items, "message": message})

    def meta_refund(self, order_id: str, **body) -> dict:
        """Meta refunds the buyer (FACEBOOK_INITIATED unless `reason_code` says otherwise)."""
        return self._call("POST", f"orders/{order_id}/meta_refund", json=body)

    def set_removed(self, removed: bool = True) -> dict:
        return self._call("POST", "orders/removed", json={"removed": removed})
