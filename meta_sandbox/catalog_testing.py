"""Catalog control calls for tests, benchmarks and the demo (meta_sandbox/controls/catalog.py)::

    catalog = CatalogControl(sandbox)
    catalog.reject("TEA-*", "IMAGE_RESOLUTION_LOW", when={"image_link": "*small*"})
    catalog.products(catalog_id)          # what Meta holds, as stored
"""

from __future__ import annotations

from dataclasses import dataclass

from meta_sandbox.testing import SandboxControl


@dataclass
class CatalogControl:
    sandbox: SandboxControl

    def _call(self, method: str, path: str, **kwargs):
        return self.sandbox._call(method, f"catalog/{path}", **kwargs)

    def set_batch_delay(self, seconds: float) -> dict:
        """Batches report `started` for this long, then `finished`."""
        return self._call("POST", "config", json={"batch_delay_seconds": seconds})

    def set_batch_statuses(self, *, progress: list[str] | None = None, outcome: str | None = None,
                           delay: float | None = None) -> dict:
        """The statuses a batch goes through (scheduled, dispatched, started) and its outcome
        (finished, error, canceled)."""
        body = {k: v for k, v in {"batch_progress": progress, "batch_outcome": outcome,
                                  "batch_delay_seconds": delay}.items() if v is not None}
        return self._call("POST", "config", json=body)

    def add_rule(self, *, retailer_id: str = "*", error_type: str | None = None, mode: str = "reject",
                 when: dict | None = None, **extra) -> dict:
        return self._call("POST", "rules", json={"retailer_id": retailer_id, "error_type": error_type, "mode": mode,
                                                 "when": when or {}, **extra})

    def reject(self, retailer_id: str, error_type: str = "IMAGE_RESOLUTION_LOW", *, when: dict | None = None,
               **extra) -> dict:
        """Meta rejects matching items in the batch status (they are not ingested)."""
        return self.add_rule(retailer_id=retailer_id, error_type=error_type, mode="reject", when=when, **extra)

    def flag(self, retailer_id: str, error_type: str = "IMAGE_RESOLUTION_LOW", *, when: dict | None = None,
             **extra) -> dict:
        """Matching items are ingested with this error in their `errors`."""
        return self.add_rule(retailer_id=retailer_id, error_type=error_type, mode="flag", when=when, **extra)

    def policy_reject(self, retailer_id: str, *, when: dict | None = None, **extra) -> dict:
        """Matching items are ingested and rejected by Meta's review (`review_status: rejected`)."""
        return self.add_rule(retailer_id=retailer_id, mode="policy", when=when, **extra)

    def clear_rules(self) -> None:
        self._call("DELETE", "rules")

    def products(self, catalog_id: str, *, retailer_id: str | None = None, deleted: bool = False) -> list[dict]:
        params = {k: v for k, v in {"retailer_id": retailer_id, "deleted": "1" if deleted else None}.items() if v}
        return self._call("GET", f"{catalog_id}/products", params=params)["data"]

    def product(self, catalog_id: str, retailer_id: str) -> dict | None:
        found = self.products(catalog_id, retailer_id=retailer_id)
        return found[0] if found else None

    def add_products(self, catalog_id: str, items: list[dict]) -> dict:
        """Put items straight into the catalog, as if made in Commerce Manager."""
        return self._call("POST", f"{catalog_id}/products", json={"items": items})

    def review(self, catalog_id: str, retailer_ids: list[str], review_status: str = "rejected", **extra) -> dict:
        return self._call("POST", f"{catalog_id}/review", json={"retailer_ids": retailer_ids,
                                                               "review_status": review_status, **extra})

    def product_sets(self, catalog_id: str, *, deleted: bool = False) -> list[dict]:
        return self._call("GET", f"{catalog_id}/product_sets", params={"deleted": "1"} if deleted else None)["data"]

    def batches(self, catalog_id: str) -> list[dict]:
        return self._call("GET", f"{catalog_id}/batches")["data"]

    def set_diagnostics(self, catalog_id: str, diagnostics: list[dict]) -> list[dict]:
        return self._call("POST", f"{catalog_id}/diagnostics", json={"diagnostics": diagnostics})["data"]
