"""The order state machine refuses illegal moves with a clear reason."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from orders import states
from orders.models import Order, OrderEvent
from orders.tests.factories import make_order

S = Order.State


@pytest.mark.parametrize("old,new", [
    (S.FB_PROCESSING, S.CREATED), (S.FB_PROCESSING, S.IN_PROGRESS), (S.FB_PROCESSING, S.COMPLETED),
    (S.CREATED, S.IN_PROGRESS), (S.CREATED, S.COMPLETED), (S.IN_PROGRESS, S.COMPLETED),
])
def test_forward_moves_are_allowed_and_recorded(shop_a, old, new):
    order = make_order(shop_a, state=old)
    assert states.transition(order, new) is True
    assert order.state == new
    event = order.events.get(kind=OrderEvent.Kind.STATE)
    assert event.params == {"old": old, "new": new}


@pytest.mark.parametrize("old,new", [
    (S.COMPLETED, S.IN_PROGRESS), (S.COMPLETED, S.CREATED), (S.IN_PROGRESS, S.CREATED),
    (S.CREATED, S.FB_PROCESSING), (S.IN_PROGRESS, S.FB_PROCESSING),
])
def test_backward_moves_are_refused(shop_a, old, new):
    order = make_order(shop_a, state=old)
    with pytest.raises(states.IllegalTransition, match="cannot go from"):
        states.transition(order, new)
    assert order.state == old


def test_the_same_state_is_no_change_and_unknown_states_are_refused(shop_a):
    order = make_order(shop_a, state=S.CREATED)
    assert states.transition(order, S.CREATED) is False
    with pytest.raises(states.IllegalTransition, match="Unknown"):
        states.transition(order, "SHIPPED")


def test_actions_follow_the_state(shop_a):
    created = make_order(shop_a, state=S.CREATED)
    with pytest.raises(states.IllegalTransition, match="must be acknowledged"):
        states.require(created, "ship")
    states.require(created, "acknowledge")
    done = make_order(shop_a, state=S.COMPLETED)
    assert states.allowed(done, "refund") and not states.allowed(done, "ship")
    with pytest.raises(states.IllegalTransition, match="completed"):
        states.require(done, "cancel")


def test_an_order_stuck_in_metas_checks_for_a_day_may_be_cancelled(shop_a):
    fresh = make_order(shop_a, state=S.FB_PROCESSING)
    stuck = make_order(shop_a, state=S.FB_PROCESSING, placed_at=timezone.now() - timedelta(hours=25))
    assert not states.allowed(fresh, "cancel")
    assert states.allowed(stuck, "cancel")
