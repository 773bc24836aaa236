"""State changes of shops, memberships and the Meta connection: the one path views, admin,
tasks and webhook handlers use. Each takes plain values and the acting user (`actor`; None is
the system) and writes its audit event (`shops.audit`) in its transaction."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shops import audit
from shops.models import Membership, MetaConnection, Shop
from shops.signals import check_requested, shop_created, shop_disconnected

log = logging.getLogger(__name__)

#: What a seller edits about the shop (the profile form's fields).
PROFILE_FIELDS = ("name", "storefront_url", "country", "currency", "timezone", "business_vertical")


@transaction.atomic
def create_shop(*, owner=None, actor=None, **profile) -> Shop:
    """A new shop with its owner (the actor, unless staff made it: `actor`) and an empty Meta
    connection. Staff may create a shop without an owner and add its people afterwards."""
    shop = Shop.objects.create(**profile)
    if owner is not None:
        Membership.objects.create(user=owner, shop=shop, role=Membership.Role.OWNER)
    add_shop_rows(shop)
    audit.record(shop, actor or owner, "shop.create", target=shop, changes=profile)
    return shop


def add_shop_rows(shop: Shop) -> None:
    """The rows every shop has, written with a new shop (also one made in the admin or by the
    demo seeder): its Meta connection, and the other apps' rows through `shop_created` (sync
    state, order feed, promotion settings), so no page ever has to create them on a GET."""
    MetaConnection.objects.get_or_create(shop=shop)
    shop_created.send(sender=Shop, shop=shop)


@transaction.atomic
def update_shop_profile(shop: Shop, *, values: Mapping[str, Any], actor=None) -> Shop:
    """Change the shop's profile (`PROFILE_FIELDS`); returns the saved shop."""
    unknown = set(values) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"not profile fields: {sorted(unknown)}")
    locked = Shop.objects.select_for_update().get(pk=shop.pk)
    before = audit.snapshot(locked, values)
    for name, value in values.items():
        setattr(locked, name, value)
    changes = audit.diff(before, audit.snapshot(locked, values))
    if changes:
        locked.save(update_fields=list(changes))
        audit.record(locked, actor, "shop.update", target=locked, changes=changes)
    return locked


@transaction.atomic
def finish_onboarding(shop: Shop, *, actor=None) -> Shop:
    if shop.onboarded_at is None:
        if Shop.objects.filter(pk=shop.pk, onboarded_at__isnull=True).update(onboarded_at=timezone.now()):
            audit.record(shop, actor, "shop.finish_onboarding", target=shop)
        shop.refresh_from_db(fields=["onboarded_at"])
    return shop


# --- members ------------------------------------------------------------------------------------


class MembershipError(Exception):
    pass


#: The one rule about roles: a shop that has an owner keeps one.
LAST_OWNER = _("A shop must keep at least one owner.")


def _keeps_an_owner(shop: Shop, membership: Membership) -> bool:
    return shop.memberships.filter(role=Membership.Role.OWNER).exclude(pk=membership.pk).exists()


def owners_after(shop: Shop, *, removed=(), demoted=(), added: int = 0) -> int | None:
    """How many owners the shop keeps after removing the memberships `removed`, demoting `demoted`
    and adding `added` owners; None when it has no owner today (a shop staff made, still empty),
    where the rule does not apply yet. Forms check it before the services refuse."""
    owners = set(shop.memberships.filter(role=Membership.Role.OWNER).values_list("pk", flat=True))
    if not owners:
        return None
    return len(owners - set(removed) - set(demoted)) + added


@transaction.atomic
def add_member(shop: Shop, *, email: str = "", role: str, user=None, actor=None) -> tuple[Membership, bool]:
    """Give a user (`user`, or the one with this e-mail) a role in the shop, creating the user
    with a random password if none exists (they choose their own through the invitation's reset
    link). Returns (membership, created)."""
    User = get_user_model()
    if user is None:
        user = User.objects.filter(email__iexact=email).order_by("pk").first()
    if user is None:
        user = User.objects.create_user(
            username=_free_username(User, email.lower()), email=email.lower(), password=secrets.token_urlsafe(32)
        )
    membership, created = Membership.objects.get_or_create(user=user, shop=shop, defaults={"role": role})
    if created:
        audit.record(shop, actor, "member.add", target=membership, summary=user.email or user.get_username(),
                     changes={"user": user.pk, "role": role})
    elif membership.role != role:
        change_role(shop, membership.pk, role=role, actor=actor)
        membership.refresh_from_db()
    return membership, created


@transaction.atomic
def change_role(shop: Shop, membership_id: int, *, role: str, actor=None) -> Membership:
    membership = shop.memberships.select_for_update().select_related("user").get(pk=membership_id)
    if membership.role == role:
        return membership
    if membership.is_owner and not _keeps_an_owner(shop, membership):
        raise MembershipError(LAST_OWNER)
    before = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit.record(shop, actor, "member.change_role", target=membership,
                 summary=membership.user.email or membership.user.username, changes={"role": [before, role]})
    return membership


@transaction.atomic
def remove_member(shop: Shop, membership_id: int, *, actor=None) -> None:
    membership = shop.memberships.select_for_update().select_related("user").get(pk=membership_id)
    if membership.is_owner and not _keeps_an_owner(shop, membership):
        raise MembershipError(LAST_OWNER)
    audit.record(shop, actor, "member.remove", target=membership,
                 summary=membership.user.email or membership.user.username,
                 changes={"user": membership.user_id, "role": membership.role})
    membership.delete()


def invitation_pending(membership: Membership) -> bool:
    """The person was invited but has never logged in."""
    return membership.user.last_login is None


# --- the Meta connection ------------------------------------------------------------------------


def _queue(func: str, *args, group: str) -> None:
    from django_q.tasks import async_task

    async_task(func, *args, group=group)


@transaction.atomic
def disconnect(shop: Shop, *, reason: str = "seller", actor=None) -> MetaConnection:
    """The seller disconnects: syncing stops now; a task tells Meta (DELETE fbe_installs) and
    then wipes the token. Products, orders and settings here are kept."""
    from shops.health.recording import resolve_all

    conn = MetaConnection.objects.select_for_update().get(shop=shop)
    if conn.status == MetaConnection.Status.DISCONNECTED and not conn.uninstall_pending:
        return conn
    conn.status = MetaConnection.Status.DISCONNECTED
    conn.disconnected_at = timezone.now()
    conn.uninstall_pending = conn.has_token
    conn.checks = []
    conn.save(update_fields=["status", "disconnected_at", "uninstall_pending", "checks"])
    resolve_all(shop)
    audit.record(shop, actor, "connection.disconnect", target=conn, summary=reason)
    if conn.uninstall_pending:
        transaction.on_commit(lambda: _queue("shops.tasks.uninstall_at_meta", shop.pk, group="shops.uninstall"), robust=True)
    transaction.on_commit(lambda: shop_disconnected.send(sender=Shop, shop_id=shop.pk, reason=reason), robust=True)
    return conn


@transaction.atomic
def mark_uninstalled_at_meta(shop: Shop) -> bool:
    """Meta told us (fbe_install webhook without a token) that the seller removed the extension:
    the connection is disconnected, the token wiped and the seller gets an issue to reconnect.
    Returns False when there was nothing to do (already disconnected)."""
    from shops.health.recording import open_issue, resolve_all

    conn = MetaConnection.objects.select_for_update().get(shop=shop)
    if conn.status in (MetaConnection.Status.NOT_CONNECTED, MetaConnection.Status.DISCONNECTED) and not conn.has_token:
        return False
    now = timezone.now()
    conn.status = MetaConnection.Status.DISCONNECTED
    conn.disconnected_at = now
    conn.access_token = ""
    conn.uninstall_pending = False
    conn.last_error = "The Facebook Business Extension was uninstalled at Meta."
    conn.save(update_fields=["status", "disconnected_at", "access_token", "uninstall_pending", "last_error"])
    resolve_all(shop, now=now)
    open_issue(shop, "install", now=now)
    audit.record(shop, "Meta", "connection.uninstalled", target=conn, summary=conn.last_error)
    transaction.on_commit(lambda: shop_disconnected.send(sender=Shop, shop_id=shop.pk, reason="uninstalled"), robust=True)
    return True


@transaction.atomic
def request_health_check(shop: Shop, *, actor=None) -> None:
    """"Check now": queue the health task (the page never waits on Meta)."""
    MetaConnection.objects.filter(shop=shop).update(check_requested_at=timezone.now())
    audit.record(shop, actor, "connection.check", summary="health check requested")
    transaction.on_commit(lambda: _queue("shops.tasks.check_shop_health", shop.pk, group="shops.health"), robust=True)
    transaction.on_commit(lambda: check_requested.send(sender=Shop, shop_id=shop.pk), robust=True)


def _free_username(User, wanted: str) -> str:
    """The e-mail as username, or with a suffix when another account already uses that string."""
    candidate, n = wanted, 1
    while User.objects.filter(username=candidate).exists():
        n += 1
        candidate = f"{wanted}~{n}"
    return candidate
