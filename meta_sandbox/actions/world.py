"""The sandbox's world as a whole: reset, the state overview, businesses and their bad states,
raw objects and the switches."""

from __future__ import annotations

from django.db import transaction

from .. import config as switches
from .. import services
from ..models import Node, Token
from . import ControlError, not_found


def node_or_404(gid: str, type: str | None = None) -> Node:
    """The node with this Graph id (of this type), or a 404 ControlError."""
    pk = Node.pk_from_gid(str(gid))
    node = Node.objects.filter(pk=pk).first() if pk else None
    if node is None or (type and node.type != type):
        raise not_found(type or "object", gid)
    return node


def reset() -> None:
    """Forget every object, token, code, fault, journal row, webhook and switch."""
    services.reset()


def state() -> dict:
    """Ids of everything, businesses with their assets, installs, tokens (tails only) and switches."""

    def ids(type: str) -> list[str]:
        return [Node(pk=pk).gid for pk in Node.objects.of_type(type).order_by("pk").values_list("pk", flat=True)]

    businesses = []
    for business in Node.objects.of_type("business").order_by("pk"):
        businesses.append({"id": business.gid, "name": business.data.get("name"),
                           "external_business_id": business.key or None, **services.assets(business.gid)})
    installs = [{"id": n.gid, "external_business_id": n.key, "business_id": n.business_id,
                 "status": n.data.get("status"), "scopes": n.data.get("scopes", [])}
                for n in Node.objects.of_type("fbe_install").order_by("pk")]
    tokens = [{"id": t.pk, "hint": f"…{t.hint}", "kind": t.kind, "business_id": t.business_id or None,
               "user_id": t.user_id, "status": t.status, "scopes": t.scopes,
               "expires_at": t.expires_at.isoformat() if t.expires_at else None}
              for t in Token.objects.order_by("pk")]
    return {
        "businesses": ids("business"), "catalogs": ids("catalog"), "pixels": ids("pixel"), "pages": ids("page"),
        "instagram_accounts": ids("instagram_account"),
        "commerce_merchant_settings": ids("commerce_merchant_settings"),
        "business_details": businesses, "fbe_installs": installs, "tokens": tokens,
        "config": switches.get_config(),
    }


def create_business(*, name: str = "Sandbox Business", external_business_id: str | None = None,
                    with_catalog: bool = True, with_pixel: bool = True, with_merchant_settings: bool = True,
                    timezone_name: str = "America/Los_Angeles", currency: str = "USD", vertical: str = "ECOMMERCE",
                    scopes=None) -> dict:
    """A business with its page, Instagram account, catalog, pixel and commerce account, an FBE
    install when `external_business_id` is given, and a system-user token (ids and the token)."""
    with transaction.atomic():
        return services.create_business(
            name=name, external_business_id=external_business_id, with_catalog=with_catalog, with_pixel=with_pixel,
            with_merchant_settings=with_merchant_settings, timezone_name=timezone_name, currency=currency,
            vertical=vertical, scopes=scopes)


def set_business_state(business_id: str, state: str, *, scope: str | None = None) -> dict:
    """Put a business into a state an onboarding health check must notice (`services.BAD_STATES`)."""
    with transaction.atomic():
        return services.set_business_state(business_id, state, scope=scope)


def node_dict(node: Node) -> dict:
    return {"id": node.gid, "type": node.type, "business_id": node.business_id or None,
            "parent_id": node.parent_id or None, "key": node.key or None, "data": node.data, "deleted": node.deleted,
            "created": node.created.isoformat(), "updated": node.updated.isoformat()}


def create_object(*, type: str, business_id: str = "", parent_id: str = "", key: str = "",
                  data: dict | None = None) -> dict:
    """Any node (for seeding and for endpoint modules' tests)."""
    if not type:
        raise ControlError("type is required")
    data = data or {}
    if not isinstance(data, dict):
        raise ControlError("data must be a JSON object")
    if business_id:
        node_or_404(business_id, "business")
    return node_dict(services.new_node(type, business_id=business_id, parent_id=parent_id, key=key, **data))


def object_state(object_id: str) -> dict:
    return node_dict(node_or_404(object_id))


def update_object(object_id: str, data: dict) -> dict:
    """Merge `data` into the node's fields."""
    node = node_or_404(object_id)
    node.data.update(data)
    node.save(update_fields=["data", "updated"])
    return node_dict(node)


def delete_object(object_id: str) -> dict:
    node = node_or_404(object_id)
    node.deleted = True
    node.save(update_fields=["deleted", "updated"])
    return node_dict(node)


def config() -> dict:
    """The switches (defaults in meta_sandbox/config.py merged with what was set)."""
    return switches.get_config()


def update_config(patch: dict) -> dict:
    """Merge `patch` into the switches; returns them all."""
    return switches.update_config(patch)
