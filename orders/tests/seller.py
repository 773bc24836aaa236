"""The seller at an order's action forms (review, then confirm) against the sandbox's Meta: the
real path for tests about order money and what follows from it (refunds, finance)."""

from __future__ import annotations

import json

from django.urls import reverse


class Seller:
    """The seller at the order's action forms (review, then confirm), and the sandbox's view."""

    def __init__(self, meta_shop, client):
        self.m, self.client = meta_shop, client
        self.shop = meta_shop.shop

    def place(self, items, **spec):
        items = [{"retailer_id": rid, "quantity": q, "price": price, "product_name": f"Product {rid}"}
                 for rid, q, price in items]
        self.placed = self.m.place(items=items, **spec)
        self.m.poll()
        self.order = self.m.local(self.placed["id"])
        self.items = list(self.order.items.order_by("position"))
        return self

    def url(self, action: str) -> str:
        return reverse(f"orders:{action}", args=[self.shop.pk, self.order.pk])

    def post(self, action: str, data: dict, *, confirm: bool):
        url = self.url(action)
        form = self.client.get(url).context["form"]
        data = {"submission": form["submission"].value(), **data}
        review = self.client.post(url, data)
        if not confirm:
            return review
        assert review.status_code == 200 and review.context["step"] == "review", errors_of(review)
        done = self.client.post(url, {**data, "confirm": "1"})
        assert done.status_code == 302, errors_of(done)
        self.order.refresh_from_db()
        return review

    def ship(self, units: dict, *, confirm: bool = True):
        data = {f"item_{self.items[i].pk}": "0" for i in range(len(self.items))}
        data.update({f"item_{self.items[i].pk}": str(k) for i, k in units.items()})
        return self.post("ship", {**data, "carrier": "UPS", "tracking_number": "1Z", "shipping_method": ""},
                         confirm=confirm)

    def cancel(self, units: dict, *, confirm: bool = True):
        data = {f"item_{self.items[i].pk}": "0" for i in range(len(self.items))}
        data.update({f"item_{self.items[i].pk}": str(k) for i, k in units.items()})
        return self.post("cancel", {**data, "reason_code": "OUT_OF_STOCK", "description": ""}, confirm=confirm)

    def refund(self, *, units: dict | None = None, amounts: dict | None = None, shipping: str = "",
               confirm: bool = True):
        data = {"mode": "amount" if amounts is not None else "quantity", "reason_code": "QUALITY_ISSUE",
                "reason_text": "", "shipping": shipping, "deduction": ""}
        for i, k in (units or {}).items():
            data[f"item_{self.items[i].pk}"] = str(k)
        for i, a in (amounts or {}).items():
            data[f"amount_{self.items[i].pk}"] = a
        return self.post("refund", data, confirm=confirm)

    def meta(self) -> dict:
        return self.m.meta(self.placed["id"])

    def meta_item(self, i: int) -> dict:
        return next(x for x in self.meta()["items"] if x["id"] == self.items[i].meta_item_id)

    def refundable_on_form(self, i: int) -> int:
        form = self.client.get(self.url("refund")).context["form"]
        return form.fields[f"amount_{self.items[i].pk}"].help_text

    def refund_bodies(self) -> list[dict]:
        """The refund requests the sandbox answered, as sent."""
        out = []
        for r in self.m.requests("*/refunds"):
            body = r.get("params") or r.get("body") or {}
            items = body.get("items")
            out.append({"items": json.loads(items) if isinstance(items, str) else items})
        return out


def errors_of(response) -> list[str]:
    form = (response.context or {}).get("form")
    return [e for errs in form.errors.values() for e in errs] if form is not None else []
