"""The onboarding wizard: profile → connect (Meta's FBE dialog) → verify → finish.

Resumable: nothing about the wizard lives in the session except the OAuth state; each step is
derived from the shop and its connection, so a seller can leave at any step and come back
(`shops:onboarding` shows the step they are at). GET pages never redirect and never call Meta;
the callback is the one request that talks to Meta.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from shops import checks as C
from shops import onboarding, permissions, services
from shops.forms import NewShopForm, ShopProfileForm
from shops.models import ConnectAttempt, MetaConnection
from shops.tenancy import shop_view

STEPS = (
    ("profile", gettext_lazy("Shop profile")),
    ("connect", gettext_lazy("Connect to Meta")),
    ("verify", gettext_lazy("Verify")),
    ("finish", gettext_lazy("Finish")),
)
FLASH_KEY = "shops.connect_failure"


def current_step(shop, conn: MetaConnection | None) -> str:
    if conn is None or not conn.is_connected:
        return "connect"
    if shop.onboarded_at is None:
        return "verify"
    return "finish"


def _wizard_context(request, shop, step: str) -> dict:
    conn = MetaConnection.objects.get(shop=shop)
    at = current_step(shop, conn)
    order = [s for s, _label in STEPS]
    steps = [{
        "key": key, "label": label, "current": key == step,
        "done": order.index(key) < order.index(at) or (key == "finish" and shop.onboarded_at is not None),
    } for key, label in STEPS]
    return {"shop": shop, "connection": conn, "steps": steps, "step": step, "at_step": at}


@never_cache
@login_required
def new_shop(request):
    """Entry point for a seller's new shop (their first or another one); they become its owner."""
    form = NewShopForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        shop = services.create_shop(owner=request.user, **form.cleaned_data)
        messages.success(request, _("Shop created. Next, connect it to Facebook and Instagram."))
        return redirect("shops:connect", shop_id=shop.pk)
    steps = [{"key": key, "label": label, "current": key == "profile", "done": False} for key, label in STEPS]
    return render(request, "shops/wizard/new_shop.html", {"form": form, "steps": steps, "step": "profile"})


@shop_view
def wizard(request, shop):
    """Resume: show the step the shop is at (no redirect, so it is bookmarkable)."""
    conn = MetaConnection.objects.get(shop=shop)
    return {"connect": connect, "verify": verify, "finish": finish}[current_step(shop, conn)](request, shop.pk)


@shop_view
def profile(request, shop):
    form = ShopProfileForm(request.POST or None, instance=shop)
    if request.method == "POST" and form.is_valid():
        services.update_shop_profile(shop, values=form.values(), actor=request.user)
        return redirect("shops:connect", shop_id=shop.pk)
    return render(request, "shops/wizard/profile.html", {"form": form, **_wizard_context(request, shop, "profile")})


@never_cache
@shop_view
def connect(request, shop):
    """GET: what will happen, the last failure if any, and the button. POST: go to Meta."""
    if request.method == "POST":
        return redirect(onboarding.begin_connect(request, shop, actor=request.user))
    context = _wizard_context(request, shop, "connect")
    flash = request.session.pop(FLASH_KEY, None)
    failure = detail = None
    if isinstance(flash, dict) and flash.get("shop_id") == shop.pk and flash.get("code") in onboarding.FAILURES:
        failure, detail = onboarding.FAILURES[flash["code"]], flash.get("detail", "")
    else:
        latest = onboarding.latest_failure(shop)
        if latest is not None:
            failure, detail = latest[1], latest[0].error_detail
    if failure is not None:
        context["failure"] = {
            "code": failure.code, "title": failure.title, "action": failure.action,
            "message": C.fill(failure.message, {"detail": detail or "—",
                                                "minutes": int(onboarding.state_ttl().total_seconds() // 60)}),
        }
    context["extras"] = onboarding.extras(shop, context["connection"])
    context["reconnect"] = context["connection"].connected_at is not None
    return render(request, "shops/wizard/connect.html", context)


@never_cache
@login_required
def callback(request):
    """Meta sends the seller back here (one fixed URL for every shop)."""
    result = onboarding.complete_connect(request, request.GET)
    if result.shop is None:
        return render(request, "shops/wizard/callback_error.html", {"failure": result.failure}, status=400)
    if result.ok:
        if result.attempt.purpose == ConnectAttempt.Purpose.RECONNECT:
            messages.success(request, _("Reconnected to Meta. Your shop syncs again."))
        return redirect("shops:verify", shop_id=result.shop.pk)
    if result.failure.action == "continue" and result.shop.meta_connection.is_connected:
        messages.info(request, str(result.failure.message))
        return redirect("shops:verify", shop_id=result.shop.pk)
    request.session[FLASH_KEY] = {"shop_id": result.shop.pk, "code": result.failure.code,
                                  "detail": result.attempt.error_detail if result.attempt else ""}
    return redirect("shops:connect", shop_id=result.shop.pk)


def check_rows(conn: MetaConnection, shop) -> list[dict]:
    rows = []
    for result in sorted(conn.checks or [], key=lambda r: C.ORDER.get(r.get("key"), 99)):
        kind = C.BY_KEY.get(result.get("key"))
        if kind is None:
            continue
        row = {"key": kind.key, "label": kind.label, "ok": result.get("ok")}
        if result.get("ok") is False:
            row["problem"] = C.fill(kind.title, result.get("params"))
            row["fix_url"], row["fix_external"] = C.cta_url(kind, shop=shop, cms_id=conn.commerce_merchant_settings_id)
            row["fix_label"] = kind.cta_label
        rows.append(row)
    return rows


def feature_rows(conn: MetaConnection, rows: list[dict]) -> list[dict]:
    """Per feature, whether it will work with the permissions Meta reported for the token at the
    last check (empty while the permissions were not read)."""
    if not any(r["key"] == "permissions" and r["ok"] is not None for r in rows):
        return []
    return permissions.feature_rows(conn.scopes or [])


@never_cache
@shop_view
def verify(request, shop):
    """GET: each check as pass or fail with its fix. POST: check again (queued)."""
    conn = MetaConnection.objects.get(shop=shop)
    if request.method == "POST":
        if conn.is_connected or conn.status == MetaConnection.Status.NEEDS_RECONNECT:
            services.request_health_check(shop, actor=request.user)
            messages.success(request, _("Checking with Meta again. Results appear here in a moment."))
        return redirect("shops:verify", shop_id=shop.pk)
    context = _wizard_context(request, shop, "verify")
    rows = check_rows(conn, shop)
    context.update({
        "rows": rows,
        "features": feature_rows(conn, rows),
        "failed": [r for r in rows if r["ok"] is False],
        "check_pending": bool(conn.check_requested_at and (
            conn.last_checked_at is None or conn.last_checked_at < conn.check_requested_at)),
    })
    return render(request, "shops/wizard/verify.html", context)


@never_cache
@shop_view
def finish(request, shop):
    """GET: next steps. POST (from Verify's Continue): mark the wizard done."""
    conn = MetaConnection.objects.get(shop=shop)
    if request.method == "POST":
        if not conn.is_connected:
            messages.error(request, _("Connect the shop to Meta first."))
            return redirect("shops:connect", shop_id=shop.pk)
        services.finish_onboarding(shop, actor=request.user)
        return redirect("shops:finish", shop_id=shop.pk)
    context = _wizard_context(request, shop, "finish")
    context["failed"] = [r for r in check_rows(conn, shop) if r["ok"] is False]
    return render(request, "shops/wizard/finish.html", context)


@require_POST
@shop_view
def disconnect(request, shop):
    services.disconnect(shop, actor=request.user)
    messages.success(request, _("The shop is disconnected from Meta. Your products, orders and settings are kept; "
                                "reconnect at any time."))
    return redirect("shops:connect", shop_id=shop.pk)
