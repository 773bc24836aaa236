"""Listing and reading orders, Meta's release out of FB_PROCESSING, and the order management apps."""

from __future__ import annotations

from django.utils import timezone

from ... import errors
from ...models import Node
from ...params import P
from ...router import edge, route
from .common import (
    FILTERS,
    ORDER,
    READ_PERMS,
    REMOVED_IN,
    RETURN,
    STATES,
    WRITE_PERMS,
    _gated,
    cms_for,
    gate,
    save,
    touch,
)

# --- listing ---------------------------------------------------------------------------------------


def release_due(cms: Node | str) -> int:
    """Orders whose fraud and remorse checks are over move FB_PROCESSING → CREATED (or on to
    IN_PROGRESS when no order management app is registered: Commerce Manager takes them).

    The merchant keeps a count of its orders in checks (`processing_orders`, recounted here),
    so a merchant with none costs nothing: no walk over every order on every list call."""
    if isinstance(cms, str):
        cms = Node.objects.filter(pk=Node.pk_from_gid(cms) or 0).first()
        if cms is None:
            return 0
    if not cms.data.get("processing_orders"):
        return 0
    now = int(timezone.now().timestamp())
    waiting = Node.objects.of_type(ORDER).filter(parent_id=cms.gid, data__state="FB_PROCESSING")
    due = [order for order in waiting if (order.data.get("release_ts") or now + 1) <= now]
    for order in due:
        release(order)
    left = waiting.count()
    if left != cms.data.get("processing_orders"):
        cms.data["processing_orders"] = left
        cms.save(update_fields=["data", "updated"])
    return len(due)


def count_processing(cms: Node, added: int) -> None:
    """The buyer placed `added` orders that start in Meta's checks."""
    if added:
        cms.data["processing_orders"] = int(cms.data.get("processing_orders") or 0) + added
        cms.save(update_fields=["data", "updated"])


def release(order: Node) -> None:
    if order.data["state"] != "FB_PROCESSING":
        raise ValueError(f"order {order.gid} is {order.data['state']}, not FB_PROCESSING")
    cms = Node.objects.filter(pk=Node.pk_from_gid(order.parent_id)).first()
    managed = bool(cms and cms.data.get("order_management_apps"))
    order.data["state"] = "CREATED" if managed else "IN_PROGRESS"
    order.data["release_ts"] = None
    touch(order)
    save(order)


ORDER_LIST_PARAMS = (
    P("state", "list<enum>", enum=STATES),
    P("filters", "list"),
    P("updated_after", "datetime"),
    P("updated_before", "datetime"),
)


@edge(("commerce_merchant_settings", "page"), "commerce_orders", item_label="CommerceOrder", perms=READ_PERMS,
      params=ORDER_LIST_PARAMS, max_limit=100)
def commerce_orders(ctx, node, args):
    gate(ctx)
    cms = cms_for(node)
    release_due(cms)
    qs = Node.objects.of_type(ORDER).filter(parent_id=cms.gid)
    states = args.get("state") or ["CREATED"]  # Meta's default (META_API §3.3)
    qs = qs.filter(data__state__in=states)
    for name in args.get("filters") or []:
        flag = name.lower()
        if flag not in FILTERS:
            raise errors.bad_enum("filters", [f.upper() for f in FILTERS], name)
        if flag in ("has_shipments", "has_fulfillments"):
            qs = qs.filter(data__has_shipments=True)
        elif flag == "no_shipments":
            qs = qs.exclude(data__has_shipments=True)
        elif flag.startswith("has_"):
            qs = qs.filter(**{f"data__{flag}": True})
        else:
            qs = qs.exclude(**{f"data__has_{flag[3:]}": True})
    if args.get("updated_after") is not None:
        qs = qs.filter(data__updated_ts__gt=args["updated_after"])
    if args.get("updated_before") is not None:
        qs = qs.filter(data__updated_ts__lt=args["updated_before"])
    return qs


@route("GET", f"{{order:{ORDER}}}", perms=READ_PERMS, removed_in=REMOVED_IN)
def read_order(ctx):
    gate(ctx)
    release_due(ctx.node.parent_id)
    ctx.node.refresh_from_db()
    return ctx.render(ctx.node, ctx.selection)


@route("GET", f"{{ret:{RETURN}}}", perms=READ_PERMS, removed_in=REMOVED_IN)
def read_return(ctx):
    gate(ctx)
    return ctx.render(ctx.node, ctx.selection)


# --- order management app -------------------------------------------------------------------------


def register_app(cms: Node, app_id: str) -> None:
    """From now on the merchant's released orders wait in CREATED for this app."""
    apps = set(cms.data.get("order_management_apps", []))
    apps.add(str(app_id))
    cms.data["order_management_apps"] = sorted(apps)
    cms.save(update_fields=["data", "updated"])


@route("POST", "{cms:commerce_merchant_settings}/order_management_apps", perms=WRITE_PERMS, removed_in=REMOVED_IN)
def register_app_route(ctx):
    gate(ctx)
    register_app(ctx.node, str(ctx.token.app_id if ctx.token else ""))
    return {"success": True}


@route("DELETE", "{cms:commerce_merchant_settings}/order_management_apps", perms=WRITE_PERMS,
       removed_in=REMOVED_IN)
def unregister_app(ctx):
    gate(ctx)
    cms = ctx.node
    app_id = str(ctx.token.app_id if ctx.token else "")
    cms.data["order_management_apps"] = [a for a in cms.data.get("order_management_apps", []) if a != app_id]
    cms.save(update_fields=["data", "updated"])
    return {"success": True}


@edge("commerce_merchant_settings", "order_management_apps", paged=False, item_label="Application",
      perms=READ_PERMS)
@_gated
def list_apps(ctx, cms, args):
    return [{"id": app_id} for app_id in cms.data.get("order_management_apps", [])]
