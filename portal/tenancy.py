"""The only way seller views reach a shop and its objects.

`shop_view` loads the shop named in the URL for the logged-in user: anyone who is not a member
gets 404 (we do not even confirm the shop exists); a viewer who tries to change something gets
403. Objects of a shop are then fetched with `get_for_shop`, which is scoped by shop.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from shops.models import Membership, Shop

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def get_membership(user, shop_id: int) -> Membership:
    try:
        return Membership.objects.select_related("shop").get(user=user, shop_id=shop_id)
    except Membership.DoesNotExist:
        raise Http404("No such shop") from None


def get_shop_for_user(request, shop_id: int, *, write: bool = False) -> Shop:
    membership = get_membership(request.user, shop_id)
    if write and not membership.can_write:
        raise PermissionDenied("Your role in this shop is read-only.")
    request.shop, request.membership = membership.shop, membership
    return membership.shop


def shop_view(view=None, *, write: bool = False, owner_only: bool = False):
    """Decorate a view taking `shop_id`: login required, membership required.

    Unsafe methods (POST, ...) always need a role that can write; `write=True` requires it for
    every method (pages that only exist to change things); `owner_only` requires the owner.
    """

    def decorator(func):
        @login_required
        @wraps(func)
        def wrapper(request, shop_id, *args, **kwargs):
            needs_write = write or request.method not in SAFE_METHODS
            shop = get_shop_for_user(request, shop_id, write=needs_write)
            if owner_only and not request.membership.is_owner:
                raise PermissionDenied("Only the shop's owner can do this.")
            _remember_shop(request.user, shop)
            return func(request, shop, *args, **kwargs)

        return wrapper

    return decorator(view) if view is not None else decorator


def get_for_shop(queryset_or_model, shop: Shop, **lookup):
    """Fetch one object of `shop` or 404: never an object of another shop."""
    return get_object_or_404(queryset_or_model, shop=shop, **lookup)


def _remember_shop(user, shop: Shop) -> None:
    from portal.models import UserPreference

    pref = getattr(user, "_portal_pref", None)
    if pref is None:
        pref, _ = UserPreference.objects.get_or_create(user=user)
        user._portal_pref = pref
    if pref.last_shop_id != shop.pk:
        pref.last_shop = shop
        pref.save(update_fields=["last_shop"])
