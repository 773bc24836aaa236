"""State changes of shops and memberships: the one path views, admin and tasks use."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.db import transaction

from shops.models import Membership, MetaConnection, Shop


@transaction.atomic
def create_shop(*, owner, **profile) -> Shop:
    shop = Shop.objects.create(**profile)
    Membership.objects.create(user=owner, shop=shop, role=Membership.Role.OWNER)
    MetaConnection.objects.create(shop=shop)
    return shop


def update_shop_profile(shop: Shop, *, form) -> Shop:
    return form.save()


class MembershipError(Exception):
    pass


@transaction.atomic
def add_member(shop: Shop, *, email: str, role: str) -> tuple[Membership, bool]:
    """Give the user with this e-mail a role in the shop, creating the user with a random
    password if none exists (they choose their own through the invitation's reset link).
    Returns (membership, created)."""
    User = get_user_model()
    user = User.objects.filter(email__iexact=email).order_by("pk").first()
    if user is None:
        user = User.objects.create_user(
            username=email.lower(), email=email.lower(), password=secrets.token_urlsafe(32)
        )
    membership, created = Membership.objects.get_or_create(user=user, shop=shop, defaults={"role": role})
    if not created and membership.role != role:
        if membership.is_owner and not shop.memberships.filter(role=Membership.Role.OWNER).exclude(pk=membership.pk).exists():
            raise MembershipError("A shop must keep at least one owner.")
        membership.role = role
        membership.save(update_fields=["role"])
    return membership, created


@transaction.atomic
def remove_member(shop: Shop, membership_id: int) -> None:
    membership = shop.memberships.select_for_update().get(pk=membership_id)
    if membership.is_owner and not shop.memberships.filter(role=Membership.Role.OWNER).exclude(pk=membership.pk).exists():
        raise MembershipError("A shop must keep at least one owner.")
    membership.delete()
