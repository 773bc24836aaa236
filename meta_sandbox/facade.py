"""The sandbox's one public door: the only module of `meta_sandbox` that the demo seeders,
`bench/` and the product's tests may import (an import-linter contract holds it).

Two halves:
- in-process control functions, for code that runs beside the sandbox's tables without a
  server (the demo seeder, benchmarks): plain values in, plain values (ids, dicts) out. They
  are the control actions of `meta_sandbox/actions/`, which the HTTP control API
  (`/graph-sandbox/_control/...`, docs/sandbox.md) and the staff console call too: one
  implementation per action. A refusal raises `ControlError` (`NotFound`, also a
  LookupError, for an unknown id);
- the HTTP clients of that control API (`SandboxControl`, `CatalogControl`, `OrdersControl`)
  and a raw Graph caller (`GraphCaller`), for tests that drive a running sandbox.

Nothing here returns the sandbox's model instances: callers never depend on its tables. The
in-process half imports the sandbox's modules when called, so importing this module needs no
app registry.
"""

from __future__ import annotations

from .actions import ControlError, NotFound  # Django-free: no app registry needed
from .catalog_testing import CatalogControl
from .orders_testing import OrdersControl
from .testing import GraphCaller, SandboxControl, SandboxControlError

__all__ = [
    "CatalogControl", "ControlError", "GraphCaller", "NotFound", "OrdersControl", "SandboxControl",
    "SandboxControlError",
    # the world
    "reset", "state", "create_business", "default_scopes", "set_business_state",
    # tokens, faults, the journal, webhooks
    "mint_token", "expire_token", "revoke_token", "arm_fault", "clear_faults", "requests", "clear_requests",
    "flush_webhooks",
    # orders: the buyer and Meta
    "register_order_app", "has_orders", "count_orders", "place_orders", "list_orders", "order_state",
    "release_order", "buyer_cancel", "request_return", "meta_refund", "set_orders_removed",
    # finance: payouts, transactions, chargebacks
    "finance", "pay_out_now", "open_chargeback", "resolve_chargeback", "corrupt_payout", "set_payout_status",
    "seed_finance_demo", "seed_finance_bulk",
    # the pixel: the buyer's browser and Events Manager
    "fire_browser_event", "received_events", "connect_pixel_to_catalog",
    # ads: the ad account and its spend
    "add_ad_account", "set_ad_spend",
    # the demo
    "seed_demo",
]


# --- the world -----------------------------------------------------------------------------------------


def reset() -> None:
    """Forget every object, token, code, fault, journal row, webhook and switch (`POST _control/reset`)."""
    from .actions import world

    world.reset()


def state() -> dict:
    """Ids of everything, businesses with their assets, installs, token tails, switches (`GET _control/state`)."""
    from .actions import world

    return world.state()


def create_business(*, name: str, external_business_id: str | None = None, **options) -> dict:
    """A business with its page, Instagram account, catalog, pixel and commerce account, an FBE
    install when `external_business_id` is given, and a system-user token: the same as
    `POST _control/businesses` (options: with_catalog, with_pixel, with_merchant_settings,
    timezone_name, currency, scopes)."""
    from .actions import world

    return world.create_business(name=name, external_business_id=external_business_id, **options)


def default_scopes() -> list[str]:
    """The permissions a token minted by `create_business` carries."""
    from . import auth

    return list(auth.DEFAULT_SCOPES)


def set_business_state(business_id: str, state: str, *, scope: str | None = None) -> dict:
    """Put a business into a state an onboarding health check must notice (token_expired,
    token_revoked, permission_missing, setup_incomplete, merchant_disabled, no_catalog, healthy)."""
    from .actions import world

    return world.set_business_state(business_id, state, scope=scope)


# --- tokens, faults, the journal, webhooks ------------------------------------------------------------


def mint_token(business_id: str, *, scopes=None, expires_in: int | None = None) -> dict:
    """A system-user token (or a user token expiring in `expires_in` seconds) for the business."""
    from .actions import tokens

    return tokens.mint_token(business_id, scopes=scopes, expires_in=expires_in)


def expire_token(access_token: str) -> None:
    from .actions import tokens

    tokens.expire_token(access_token)


def revoke_token(access_token: str, *, subcode: int = 460) -> None:
    from .actions import tokens

    tokens.revoke_token(access_token, subcode=subcode)


def arm_fault(definition: dict) -> dict:
    """Arm a fault as `POST _control/faults` (docs/sandbox.md, "Faults")."""
    from .actions import faults

    return faults.arm_fault(definition)


def clear_faults() -> None:
    from .actions import faults

    faults.clear_faults()


def requests(*, path: str | None = None, method: str | None = None) -> list[dict]:
    """The journal of calls the sandbox received, oldest first (as `GET _control/requests`)."""
    from .actions import journal

    return journal.requests(path=path, method=method, limit=1_000_000)


def clear_requests() -> None:
    from .actions import journal

    journal.clear_requests()


def flush_webhooks(*, callback_url: str | None = None) -> dict:
    """Deliver every pending webhook now (holds no transaction during the HTTP calls)."""
    from .actions import webhooks

    return webhooks.flush_webhooks(callback_url=callback_url)


# --- orders: the buyer and Meta --------------------------------------------------------------------------


def register_order_app(cms_id: str, app_id: str) -> None:
    """Released orders of this commerce account wait in CREATED for `app_id` from now on."""
    from .actions import orders

    orders.register_order_app(cms_id, app_id)


def has_orders(cms_id: str) -> bool:
    from .actions import orders

    return orders.count_orders(cms_id) > 0


def count_orders(cms_id: str, *, state: str | None = None) -> int:
    from .actions import orders

    return orders.count_orders(cms_id, state=state)


def place_orders(cms_id: str, spec: dict, count: int = 1) -> list[str]:
    """The buyer places `count` orders described by `spec` (docs/sandbox.md, "orders"): the same
    as `POST _control/orders`. Returns the new orders' ids."""
    from .actions import buyer, orders

    orders.merchant(cms_id)  # an unknown merchant is a LookupError (NotFound), whatever the spec says
    return buyer.place_orders({**spec, "cms_id": cms_id}, count)


def list_orders(*, cms_id: str | None = None, business_id: str | None = None, state: str | None = None) -> list[dict]:
    from .actions import orders

    return orders.list_orders(cms_id=cms_id, business_id=business_id, state=state)


def order_state(order_id: str) -> dict:
    """An order's full state (totals, items, shipments, payments, cancellations, refunds, returns)."""
    from .actions import orders

    return orders.order_state(order_id)


def release_order(order_id: str) -> dict:
    from .actions import orders

    return orders.release_order(order_id)


def buyer_cancel(order_id: str, *, items: list[dict] | None = None) -> dict:
    from .actions import orders

    return orders.buyer_cancel(order_id, items=items)


def request_return(order_id: str, *, items: list[dict], message: str = "") -> dict:
    from .actions import orders

    return orders.request_return(order_id, items=items, message=message)


def meta_refund(order_id: str, **options) -> dict:
    """Meta refunds the buyer (options: reason_code, reason_text, items, shipping)."""
    from .actions import orders

    return orders.meta_refund(order_id, **options)


def set_orders_removed(removed: bool = True) -> dict:
    from .actions import orders

    return orders.set_orders_removed(removed)


# --- finance: Meta's payouts, transactions and chargebacks (v21-v25) ---------------------------------------


def finance(cms_id: str) -> dict:
    """The commerce account's payouts, transactions and chargebacks as the sandbox holds them
    (brought up to date first), oldest first, amounts as decimal strings and minor units."""
    from .actions import finance as actions

    return actions.finance_state(cms_id)


def pay_out_now(cms_id: str) -> dict:
    """Meta pays out every pending transaction of the account now: `{"cms_id", "payouts": [...]}`."""
    from .actions import finance as actions

    return actions.pay_out_now(cms_id)


def open_chargeback(order_id: str, amount_minor: int | None = None, reason: str = "") -> dict:
    """The buyer's bank opens a chargeback on the order (default: all the buyer paid and did not get back)."""
    from .actions import finance as actions

    return actions.open_chargeback(order_id, amount_minor=amount_minor, reason=reason)


def resolve_chargeback(order_id: str, won: bool) -> dict:
    """The order's open chargeback is won (reversed) or lost."""
    from .actions import finance as actions

    return actions.resolve_chargeback(order_id, won=won)


def corrupt_payout(payout_reference_id: str, delta_minor: int) -> dict:
    """Test helper: make the payout's amount differ from its transactions' net by `delta_minor`."""
    from .actions import finance as actions

    return actions.corrupt_payout(payout_reference_id, delta_minor)


def set_payout_status(payout_reference_id: str, status: str) -> dict:
    """Test helper: pin a payout's status (IN_PROGRESS, PAID, FAILED)."""
    from .actions import finance as actions

    return actions.set_payout_status(payout_reference_id, status)


def seed_finance_demo(cms_id: str) -> dict:
    """A few months of shipped orders with their transactions, weekly payouts that tie out and one
    open chargeback for the account (once per account)."""
    from .actions import finance as actions

    return actions.seed_demo_finance(cms_id)


def seed_finance_bulk(cms_id: str, *, orders: int, days: int = 365, refund_every: int = 20,
                      currency: str = "USD") -> dict:
    """Benchmarks: `orders` minimal orders over `days`, a SALE each, a half REFUND of every
    `refund_every`-th, and the weekly payouts of them, written in bulk by the ledger's rules
    (once, on an account with no finance history): `{cms_id, orders: [{id, merchant_order_id,
    placed_ts, paid_minor, refunded_minor}], transactions, payouts, pending}`."""
    from .actions import finance as actions

    return actions.seed_finance_bulk(cms_id, orders=orders, days=days, refund_every=refund_every, currency=currency)


# --- the demo --------------------------------------------------------------------------------------------


def fire_browser_event(pixel_id: str, *, event_name: str, event_id: str = "", custom_data: dict | None = None,
                       event_source_url: str = "") -> dict:
    """The storefront's browser pixel sends an event (`fbq('track', …, {eventID})`)."""
    from .actions import pixel

    return pixel.fire_browser_event(pixel_id, event_name=event_name, event_id=event_id, custom_data=custom_data,
                                    event_source_url=event_source_url)


def received_events(pixel_id: str) -> list[dict]:
    """What Meta kept for the pixel after deduplicating browser and server copies."""
    from .actions import pixel

    return pixel.received_events(pixel_id)


def connect_pixel_to_catalog(catalog_id: str, pixel_id: str) -> None:
    """The seller connects the pixel to the catalog (Commerce Manager, or the Graph call)."""
    from .actions import pixel

    pixel.connect_to_catalog(catalog_id, pixel_id)


def add_ad_account(business_id: str, *, currency: str = "USD", name: str = "", daily_spend: str = "0",
                   days_running: int = 30) -> dict:
    """The seller opens an ad account in the business (FBE installs then report its id) whose ads
    spend `daily_spend` a day -> {"ad_account_id", "currency"}."""
    from .actions import ads

    return ads.add_ad_account(business_id, currency=currency, name=name, daily_spend=daily_spend,
                              days_running=days_running)


def set_ad_spend(ad_account_id: str, daily_spend: str) -> dict:
    from .actions import ads

    return ads.set_ad_spend(ad_account_id, daily_spend)


def seed_demo(shops, stdout=None) -> None:
    """The sandbox's part of `manage.py seed_demo` (webhooks delivered automatically)."""
    from .seed import seed_sandbox

    seed_sandbox(shops, stdout=stdout)
