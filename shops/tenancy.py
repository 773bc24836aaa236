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

from kernel import shopcache
from kernel.forms import ID_MAX
from shops.models import Membership, Shop

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# `<int:...>` in a URL matches any number of digits; an id past ID_MAX names no row, and SQLite
# cannot even compare it (OverflowError, a 500).


def user_memberships(request) -> list[Membership]:
    """The signed-in user's memberships with their shops, in the shop switcher's order: read
    once per request (tenancy and the navigation share them)."""
    memberships = getattr(request, "_user_memberships", None)
    if memberships is None:
        # The shop's Meta connection comes along: most pages show it (a reverse one-to-one, so
        # `getattr(shop, "meta_connection", None)` then costs no query).
        memberships = list(Membership.objects.filter(user=request.user)
                           .select_related("shop", "shop__meta_connection").order_by("shop__name", "shop_id"))
        request._user_memberships = memberships
    return memberships


def get_membership(request, shop_id: int) -> Membership:
    for membership in user_memberships(request):
        if membership.shop_id == shop_id:
            return membership
    raise Http404("No such shop")


def get_shop_for_user(request, shop_id: int, *, write: bool = False) -> Shop:
    membership = get_membership(request, shop_id)
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
            if any(isinstance(v, int) and not 0 <= v <= ID_MAX for v in (shop_id, *args, *kwargs.values())):
                raise Http404("No such page")
            needs_write = write or request.method not in SAFE_METHODS
            shop = get_shop_for_user(request, shop_id, write=needs_write)
            if owner_only and not request.membership.is_owner:
                raise PermissionDenied("Only the shop's owner can do this.")
            response = func(request, shop, *args, **kwargs)
            if request.method not in SAFE_METHODS:
                shopcache.forget(shop.pk)  # what the seller just changed shows in every figure and card at once
            remember_shop(request, response, shop)
            return response

        return wrapper

    return decorator(view) if view is not None else decorator


def get_for_shop(queryset_or_model, shop: Shop, **lookup):
    """Fetch one object of `shop` or 404: never an object of another shop."""
    return get_object_or_404(queryset_or_model, shop=shop, **lookup)


#: The shop a browser used last (the home page opens it). A cookie, so that a GET writes no row.
LAST_SHOP_COOKIE = "portal_last_shop"


def remember_shop(request, response, shop: Shop) -> None:
    if request.COOKIES.get(LAST_SHOP_COOKIE) != str(shop.pk) and hasattr(response, "set_cookie"):
        response.set_cookie(LAST_SHOP_COOKIE, str(shop.pk), max_age=365 * 24 * 3600, httponly=True, samesite="Lax")


def last_shop_id(request) -> int | None:
    """The shop this browser used last, as the cookie says (callers check the membership)."""
    value = request.COOKIES.get(LAST_SHOP_COOKIE, "")
    return int(value) if value.isdigit() and int(value) <= ID_MAX else None
