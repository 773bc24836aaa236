from __future__ import annotations

from django.contrib.auth import get_user_model

from shops.models import Membership
from shops.services import add_member


def test_inviting_an_email_that_is_someone_elses_username_creates_a_new_account(shop_a):
    get_user_model().objects.create_user(username="dora@example.com", email="other@example.com")
    membership, created = add_member(shop_a, email="dora@example.com", role=Membership.Role.VIEWER)
    assert created and membership.user.email == "dora@example.com"
    assert membership.user.username != "dora@example.com"
