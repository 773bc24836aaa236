"""Control calls for finance (`/graph-sandbox/_control/finance...`): Meta's payments side as an actor.

- `GET finance/<cms_id>`: the account's payouts, transactions and chargebacks (minor units too).
- `POST finance/<cms_id>/pay_out_now`: Meta pays out every pending transaction now.
- `POST finance/<cms_id>/seed_demo`: a few months of history that ties out (once per account).
- `POST finance/orders/<order_id>/chargeback`: `{"amount_minor"?, "reason"?}` opens a chargeback.
- `POST finance/orders/<order_id>/chargeback/resolve`: `{"won": true|false}`.
- `POST finance/payouts/<ref>/corrupt`: `{"delta_minor": n}` (test helper).
- `POST finance/payouts/<ref>/status`: `{"status": "PAID"|"IN_PROGRESS"|"FAILED"}` (test helper).
"""

from __future__ import annotations

from django.urls import path

from ..actions import finance as actions
from ..control import control


@control("GET")
def finance_view(request, body, cms_id: str):
    return actions.finance_state(cms_id)


@control("POST")
def pay_out_now_view(request, body, cms_id: str):
    return actions.pay_out_now(cms_id)


@control("POST")
def seed_demo_view(request, body, cms_id: str):
    return actions.seed_demo_finance(cms_id)


@control("POST")
def chargeback_view(request, body, order_id: str):
    return actions.open_chargeback(order_id, amount_minor=body.get("amount_minor"), reason=body.get("reason") or "")


@control("POST")
def resolve_view(request, body, order_id: str):
    return actions.resolve_chargeback(order_id, won=bool(body.get("won")))


@control("POST")
def corrupt_view(request, body, reference: str):
    return actions.corrupt_payout(reference, body.get("delta_minor"))


@control("POST")
def status_view(request, body, reference: str):
    return actions.set_payout_status(reference, str(body.get("status") or ""))


urlpatterns = [
    path("finance/orders/<str:order_id>/chargeback", chargeback_view),
    path("finance/orders/<str:order_id>/chargeback/resolve", resolve_view),
    path("finance/payouts/<str:reference>/corrupt", corrupt_view),
    path("finance/payouts/<str:reference>/status", status_view),
    path("finance/<str:cms_id>", finance_view),
    path("finance/<str:cms_id>/pay_out_now", pay_out_now_view),
    path("finance/<str:cms_id>/seed_demo", seed_demo_view),
]
