from __future__ import annotations

from itertools import groupby

from django.contrib import messages
from django.contrib.auth.forms import PasswordResetForm
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kernel.issues import SEVERITY_ORDER, issue_cards
from shops import links, services
from shops.checkout import services as checkout_services
from shops.forms import ChangeRoleForm, CheckoutLinkForm, InviteMemberForm, MembershipActionForm, ShopProfileForm
from shops.models import Membership, MetaConnection
from shops.tenancy import get_for_shop, shop_view

GROUP_LABELS = {
    "shop": gettext_lazy("Shop and connection"),
    "catalog": gettext_lazy("Products"),
    "orders": gettext_lazy("Orders"),
    "promotions": gettext_lazy("Promotions"),
    "ads": gettext_lazy("Ads"),
}


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def issues_context(shop, request=None, conn=None) -> dict:
    """The Issues page's data: every app's cards, grouped by type, most severe group first.
    `conn`: the connection as just changed (else the one read with the shop)."""
    cards = issue_cards(shop, request)
    groups = []
    ordered = sorted(cards, key=lambda c: c.group)
    for group, items in groupby(ordered, key=lambda c: c.group):
        items = sorted(items, key=lambda c: (SEVERITY_ORDER.get(c.severity, 9), -c.count, c.kind))
        groups.append({
            "key": group,
            "label": GROUP_LABELS.get(group, group.replace("_", " ").capitalize()),
            "cards": items,
            "count": sum(c.count for c in items),
            "rank": min(SEVERITY_ORDER.get(c.severity, 9) for c in items),
        })
    groups.sort(key=lambda g: (g["rank"], g["key"]))
    if conn is None:
        conn = getattr(shop, "meta_connection", None)
    pending = bool(conn and conn.check_requested_at and (
        conn.last_checked_at is None or conn.last_checked_at < conn.check_requested_at))
    return {
        "groups": groups,
        "total": sum(g["count"] for g in groups),
        "connection": conn,
        "check_pending": pending,
        "severity_counts": _severity_counts(cards),
    }


def _severity_counts(cards) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for card in cards:
        counts[card.severity] = counts.get(card.severity, 0) + card.count
    return sorted(counts.items(), key=lambda kv: SEVERITY_ORDER.get(kv[0], 9))


@shop_view
def issues(request, shop):
    context = {"shop": shop, **issues_context(shop, request)}
    if _is_htmx(request):
        return render(request, "shops/_issue_list.html", context)
    return render(request, "shops/issues.html", context)


@require_POST
@shop_view
def check_now(request, shop):
    conn = MetaConnection.objects.filter(shop=shop).first()
    if conn is None or not conn.has_token or conn.status == MetaConnection.Status.DISCONNECTED:
        message = _("Connect the shop to Meta first: there is nothing to check yet.")
        if _is_htmx(request):
            return render(request, "shops/_issue_list.html",
                          {"shop": shop, "check_message": message, **issues_context(shop, request)})
        messages.error(request, message)
        return redirect("shops:issues", shop_id=shop.pk)
    services.request_health_check(shop, actor=request.user)
    if _is_htmx(request):
        conn.refresh_from_db()  # the check just asked for: the list polls until it has run
        return render(request, "shops/_issue_list.html", {"shop": shop, **issues_context(shop, request, conn)})
    messages.success(request, _("Checking the shop with Meta. Results appear here in a moment."))
    return redirect("shops:issues", shop_id=shop.pk)


@shop_view
def settings_view(request, shop):
    # Two forms, each with its own Save: the profile, and the checkout link (`form=checkout`).
    posted = request.POST if request.method == "POST" else None
    is_checkout = bool(posted) and posted.get("form") == "checkout"
    form = ShopProfileForm(None if is_checkout else posted, instance=shop)
    checkout_form = CheckoutLinkForm(posted if is_checkout else None, initial={"checkout_url": shop.checkout_url})
    if is_checkout and checkout_form.is_valid():
        checkout_services.update_checkout_url(shop, checkout_url=checkout_form.cleaned_data["checkout_url"],
                                              actor=request.user)
        messages.success(request, _("Checkout link saved. We are opening it the way Meta does; the result "
                                    "appears here in a moment."))
        return redirect(f"{reverse('shops:settings', args=[shop.pk])}#checkout-h")
    if posted and not is_checkout and form.is_valid():
        services.update_shop_profile(shop, values=form.values(), actor=request.user)
        messages.success(request, _("Shop settings saved."))
        return redirect("shops:settings", shop_id=shop.pk)
    highlight = request.GET.get("field", "")
    conn = getattr(shop, "meta_connection", None)
    return render(request, "shops/settings.html", {
        "shop": shop, "form": form, "checkout_form": checkout_form,
        "highlight": highlight if highlight in form.fields or highlight in checkout_form.fields else "",
        "connection": conn,
        "cm_settings": links.shop_settings(conn.commerce_merchant_settings_id)
        if conn and conn.commerce_merchant_settings_id else "",
        **checkout_context(shop),
    })


def checkout_context(shop) -> dict:
    """The checkout link's last check, as the Settings page shows it."""
    from shops.checkout import texts

    rows = [{**row, "origin_label": texts.ORIGINS.get(row.get("origin"), row.get("origin")),
             "reason_text": texts.reason_text(row["reason"], row.get("params")) if row.get("reason") else ""}
            for row in shop.checkout_results or []]
    pending = bool(shop.checkout_check_requested_at and (
        shop.checkout_checked_at is None or shop.checkout_checked_at < shop.checkout_check_requested_at))
    return {
        "checkout_rows": rows,
        "checkout_pending": pending,
        "checkout_reason_text": texts.reason_text(shop.checkout_reason, _first_failure_params(shop))
        if shop.checkout_reason else "",
    }


def _first_failure_params(shop) -> dict:
    return next((row.get("params") or {} for row in shop.checkout_results or [] if not row.get("ok")), {})


@require_POST
@shop_view
def checkout_check(request, shop):
    """"Check now" for the checkout link: queues the check; the page never opens the website."""
    if not shop.checkout_url:
        messages.error(request, _("Enter the checkout link first: there is nothing to check yet."))
    else:
        checkout_services.request_checkout_check(shop, actor=request.user)
        messages.success(request, _("Opening your checkout link the way Meta does. The result appears here in "
                                    "a moment."))
    return redirect(f"{reverse('shops:settings', args=[shop.pk])}#checkout-h")


def _send_invitation(request, membership) -> None:
    reset = PasswordResetForm({"email": membership.user.email})
    if reset.is_valid():
        reset.save(request=request, use_https=request.is_secure(),
                   subject_template_name="shops/email/invitation_subject.txt",
                   email_template_name="shops/email/invitation.txt",
                   extra_email_context={"shop": membership.shop, "inviter": request.user})


@shop_view
def members(request, shop):
    form = InviteMemberForm(request.POST or None)
    if request.method == "POST":
        if not request.membership.is_owner:
            messages.error(request, _("Only the shop's owner can invite members."))
            return redirect("shops:members", shop_id=shop.pk)
        if form.is_valid():
            try:
                membership, created = services.add_member(shop, **form.cleaned_data, actor=request.user)
            except services.MembershipError as exc:
                form.add_error("role", str(exc))
            else:
                if created:
                    _send_invitation(request, membership)
                messages.success(request, _("%(email)s is now a %(role)s of this shop.") % {
                    "email": membership.user.email, "role": membership.get_role_display()})
                return redirect("shops:members", shop_id=shop.pk)
    memberships = list(shop.memberships.select_related("user").order_by("role", "user__email"))
    rows = [{"m": m, "pending": services.invitation_pending(m),
             "role_form": ChangeRoleForm(shop=shop, initial={"membership": m.pk, "role": m.role},
                                         auto_id=f"id_m{m.pk}_%s")}
            for m in memberships]
    return render(request, "shops/members.html", {"shop": shop, "form": form, "rows": rows})


@require_POST
@shop_view(owner_only=True)
def change_role(request, shop):
    form = ChangeRoleForm(request.POST, shop=shop)
    if not form.is_valid():
        messages.error(request, _("Choose a member and a role."))
        return redirect("shops:members", shop_id=shop.pk)
    membership = form.cleaned_data["membership"]
    try:
        membership = services.change_role(shop, membership.pk, role=form.cleaned_data["role"], actor=request.user)
    except services.MembershipError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("%(email)s is now a %(role)s of this shop.") % {
            "email": membership.user.email or membership.user.username, "role": membership.get_role_display()})
    return redirect("shops:members", shop_id=shop.pk)


@require_POST
@shop_view(owner_only=True)
def resend_invitation(request, shop):
    form = MembershipActionForm(request.POST, shop=shop)
    if form.is_valid() and services.invitation_pending(form.cleaned_data["membership"]):
        _send_invitation(request, form.cleaned_data["membership"])
        messages.success(request, _("Invitation sent again."))
    else:
        messages.error(request, _("There is no pending invitation for this person."))
    return redirect("shops:members", shop_id=shop.pk)


@require_POST
@shop_view(owner_only=True)
def remove_member(request, shop, membership_id):
    membership = get_for_shop(Membership, shop, pk=membership_id)
    try:
        services.remove_member(shop, membership.pk, actor=request.user)
    except services.MembershipError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Member removed."))
    return redirect("shops:members", shop_id=shop.pk)


@shop_view
def api_keys(request, shop):
    """Storefront API keys: make one (shown once, on this answer only), revoke one."""
    from shops import api_keys as keys
    from shops.forms import ApiKeyForm, ApiKeyRevokeForm
    from shops.models import ApiKey

    form, new_key = ApiKeyForm(), ""
    if request.method == "POST":
        if "revoke" in request.POST:
            revoke = ApiKeyRevokeForm(request.POST)
            if revoke.is_valid():
                key = get_for_shop(ApiKey, shop, pk=revoke.cleaned_data["key"])
                keys.revoke_key(shop, key.pk, actor=request.user)
                messages.success(request, _("The key “%(name)s” is revoked: requests with it now get 401.")
                                 % {"name": key.name})
            return redirect("shops:api_keys", shop_id=shop.pk)
        form = ApiKeyForm(request.POST)
        if form.is_valid():
            _key, new_key = keys.create_key(shop, name=form.cleaned_data["name"], actor=request.user)
            form = ApiKeyForm()
    response = render(request, "shops/api_keys.html", {
        "shop": shop, "form": form, "new_key": new_key,
        "keys": ApiKey.objects.filter(shop=shop).select_related("created_by"),
    })
    if new_key:
        response["Cache-Control"] = "no-store"  # the key is on this page once: no copy in any cache
    return response
