"""Test helpers: a shop connected to a sandbox business, orders placed by the sandbox's buyer."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from meta_sandbox.facade import OrdersControl, SandboxControl
from orders.models import Order
from shops.models import MetaConnection

TEA = {"retailer_id": "TEA-1", "quantity": 2, "price": "12.00", "product_name": "Jasmine tea"}
CUP = {"retailer_id": "CUP-1", "quantity": 1, "price": "8.00", "product_name": "Tea cup"}


@dataclass
class MetaShop:
    shop: object
    sandbox: SandboxControl
    buyer: OrdersControl
    business: dict

    @property
    def cms(self) -> str:
        return self.business["commerce_merchant_settings_id"]

    def place(self, **spec) -> dict:
        spec.setdefault("items", [TEA])
        return self.buyer.place(self.cms, **spec)

    def meta(self, order_id: str) -> dict:
        return self.buyer.order(order_id)

    def poll(self, **kwargs) -> dict:
        from orders.ingest import poll_shop

        return poll_shop(self.shop.pk, **kwargs)

    def local(self, meta_id: str) -> Order:
        return Order.objects.get(shop=self.shop, meta_order_id=meta_id)

    def requests(self, path: str, method: str = "POST") -> list[dict]:
        return [r for r in self.sandbox.requests(path=path, method=method) if r["status"] is not None]


def connect(sandbox: SandboxControl, shop, *, register_app: bool = True) -> MetaShop:
    """Store a sandbox business's token and assets on the shop's connection, as onboarding would,
    and (by default) run a first poll, which registers the order management app."""
    business = sandbox.create_business(name=f"{shop.name} business", external_business_id=shop.external_business_id)
    MetaConnection.objects.filter(shop=shop).update(
        status=MetaConnection.Status.CONNECTED, access_token=business["access_token"],
        business_manager_id=business["business_id"], catalog_id=business["catalog_id"],
        page_id=business["page_id"], commerce_merchant_settings_id=business["commerce_merchant_settings_id"],
        connected_at=timezone.now())
    conn = MetaConnection.objects.get(shop=shop)
    conn.access_token = business["access_token"]
    conn.save(update_fields=["access_token"])
    shop = type(shop).objects.get(pk=shop.pk)  # no stale cached connection
    meta_shop = MetaShop(shop=shop, sandbox=sandbox, buyer=OrdersControl(sandbox), business=business)
    if register_app:
        meta_shop.poll()
    return meta_shop
