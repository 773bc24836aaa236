"""The order state machine, in one place (STYLE §20).

Meta's states (META_API §3.2)::

    FB_PROCESSING --(Meta's checks, ≤ ~30 min)--> CREATED --(acknowledge)--> IN_PROGRESS
        --(every unit shipped or cancelled)--> COMPLETED

An order cancelled whole before it was acknowledged goes straight to COMPLETED; without an
order management app Meta moves released orders straight to IN_PROGRESS. Nothing moves back.
`transition()` refuses anything else with `IllegalTransition`, and which seller actions each
state allows is decided here too (`allowed()`), so views, services and tasks agree.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orders.models import Order, OrderEvent

S = Order.State

TRANSITIONS: dict[str, frozenset[str]] = {
    S.FB_PROCESSING: frozenset({S.CREATED, S.IN_PROGRESS, S.COMPLETED}),
    S.CREATED: frozenset({S.IN_PROGRESS, S.COMPLETED}),
    S.IN_PROGRESS: frozenset({S.COMPLETED}),
    S.COMPLETED: frozenset(),
}

#: Seller actions and the states that allow them.
ACTIONS: dict[str, frozenset[str]] = {
    "acknowledge": frozenset({S.CREATED}),
    "ship": frozenset({S.IN_PROGRESS}),
    "cancel": frozenset({S.IN_PROGRESS}),
    "refund": frozenset({S.IN_PROGRESS, S.COMPLETED}),
    "return": frozenset({S.IN_PROGRESS, S.COMPLETED}),
}

ACTION_NAMES = {
    "acknowledge": gettext_lazy("acknowledged"),
    "ship": gettext_lazy("shipped"),
    "cancel": gettext_lazy("cancelled"),
    "refund": gettext_lazy("refunded"),
    "return": gettext_lazy("given a return decision"),
}

#: Meta lets a seller cancel an order stuck in its checks this long (META_API §3.9).
STUCK_PROCESSING = timedelta(hours=24)


class IllegalTransition(Exception):
    """A state change or action the order's state does not allow; the message says why."""


def can_transition(current: str, new: str) -> bool:
    return new == current or new in TRANSITIONS.get(current, frozenset())


def transition(order: Order, new: str, *, origin: str = "meta", message: str = "") -> bool:
    """Move `order` to `new` (the caller saves the order). Returns True if the state changed;
    raises IllegalTransition for a move the machine does not allow."""
    if new not in TRANSITIONS:
        raise IllegalTransition(_("Unknown order state %(state)s.") % {"state": new})
    current = order.state
    if new == current:
        return False
    if not can_transition(current, new):
        raise IllegalTransition(_("An order cannot go from %(old)s to %(new)s.") % {
            "old": S(current).label, "new": S(new).label})
    order.state = new
    OrderEvent.objects.create(order=order, kind=OrderEvent.Kind.STATE, origin=origin,
                              message=message or f"{current} → {new}", params={"old": current, "new": new})
    return True


def allowed(order: Order, action: str) -> bool:
    if action == "cancel" and order.state == S.FB_PROCESSING:
        return timezone.now() - order.placed_at >= STUCK_PROCESSING
    return order.state in ACTIONS[action]


def require(order: Order, action: str) -> None:
    """Raise IllegalTransition with a plain reason when `action` is not possible now."""
    if allowed(order, action):
        return
    if order.state == S.FB_PROCESSING:
        reason = _("Meta is still checking this order; it can be %(action)s once the checks are done.")
    elif order.state == S.CREATED:
        reason = _("The order must be acknowledged before it can be %(action)s.")
    elif order.state == S.COMPLETED:
        reason = _("The order is completed; it can no longer be %(action)s.")
    else:
        reason = _("The order cannot be %(action)s in its current state.")
    raise IllegalTransition(reason % {"action": ACTION_NAMES[action]})
