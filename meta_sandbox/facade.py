"""The sandbox's one public door: the only module of `meta_sandbox` that the demo seeders,
`bench/` and the product's tests may import (an import-linter contract holds it).

Two halves:
- in-process control functions, for code that runs beside the sandbox's tables without a
  server (the demo seeder, benchmarks): plain values in, plain values (ids, dicts) out; the
  HTTP control API (`/graph-sandbox/_control/...`, docs/sandbox.md) calls the same functions;
- the HTTP clients of that control API (`SandboxControl`, `CatalogControl`, `OrdersControl`)
  and a raw Graph caller (`GraphCaller`), for tests that drive a running sandbox.

Nothing here returns the sandbox's model instances: callers never depend on its tables.
"""

from __future__ import annotations

from .catalog_testing import CatalogControl
from .orders_testing import OrdersControl
from .testing import GraphCaller, SandboxControl, SandboxControlError

__all__ = [
    "CatalogControl", "GraphCaller", "OrdersControl", "SandboxControl", "SandboxControlError",
    "clear_requests", "create_business", "default_scopes", "has_orders", "place_orders", "register_order_app",
    "requests", "seed_demo", "count_orders",
]


def create_business(*, name: str, external_business_id: str | None = None, **options) -> dict:
    """A business with its page, Instagram account, catalog, pixel and commerce account, an FBE
    install when `external_business_id` is given, and a system-user token: the same as
    `POST _control/businesses`. Run it inside a transaction."""
    from . import services

    return services.create_business(name=name, external_business_id=external_business_id, **options)


def default_scopes() -> list[str]:
    """The permissions a token minted by `create_business` carries."""
    from . import auth

    return list(auth.DEFAULT_SCOPES)


def register_order_app(cms_id: str, app_id: str) -> None:
    """Released orders of this commerce account wait in CREATED for `app_id` from now on."""
    from .endpoints.orders.listing import register_app

    register_app(_node(cms_id, "commerce_merchant_settings"), str(app_id))


def has_orders(cms_id: str) -> bool:
    from .endpoints.orders.state import find_orders

    return find_orders(cms_id=cms_id).exists()


def count_orders(cms_id: str, *, state: str | None = None) -> int:
    from .endpoints.orders.state import find_orders

    return find_orders(cms_id=cms_id, state=state).count()


def place_orders(cms_id: str, spec: dict, count: int = 1) -> list[str]:
    """The buyer places `count` orders described by `spec` (docs/sandbox.md, "orders"): the same
    as `POST _control/orders`. Returns the new orders' ids."""
    from .actions.buyer import place_orders as place

    return [node.gid for node in place(_node(cms_id, "commerce_merchant_settings"), spec, count)]


def requests(*, path: str | None = None, method: str | None = None) -> list[dict]:
    """The journal of calls the sandbox received, oldest first (as `GET _control/requests`)."""
    from .control import journal_rows

    return [row.as_dict() for row in reversed(journal_rows(path=path, method=method, limit=1_000_000))]


def clear_requests() -> None:
    from .models import RequestLog

    RequestLog.objects.all().delete()


def seed_demo(shops, stdout=None) -> None:
    """The sandbox's part of `manage.py seed_demo` (webhooks delivered automatically)."""
    from .seed import seed_sandbox

    seed_sandbox(shops, stdout=stdout)


def _node(gid: str, type: str):
    from .models import Node

    node = Node.objects.filter(pk=Node.pk_from_gid(gid) or 0, type=type).first()
    if node is None:
        raise LookupError(f"no {type} {gid}")
    return node
