from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.forms import PasswordResetForm
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.tenancy import get_for_shop, shop_view
from shops import services
from shops.forms import InviteMemberForm, ShopProfileForm
from shops.models import Membership


@shop_view
def issues(request, shop):
    return render(request, "shops/issues.html", {"shop": shop})


@shop_view
def settings_view(request, shop):
    form = ShopProfileForm(request.POST or None, instance=shop)
    if request.method == "POST" and form.is_valid():
        services.update_shop_profile(shop, form=form)
        messages.success(request, _("Shop settings saved."))
        return redirect("shops:settings", shop_id=shop.pk)
    return render(request, "shops/settings.html", {"shop": shop, "form": form})


@shop_view
def members(request, shop):
    form = InviteMemberForm(request.POST or None)
    if request.method == "POST":
        if not request.membership.is_owner:
            messages.error(request, _("Only the shop's owner can invite members."))
            return redirect("shops:members", shop_id=shop.pk)
        if form.is_valid():
            try:
                membership, created = services.add_member(shop, **form.cleaned_data)
            except services.MembershipError as exc:
                form.add_error("role", str(exc))
            else:
                if created:
                    reset = PasswordResetForm({"email": membership.user.email})
                    if reset.is_valid():
                        reset.save(request=request, use_https=request.is_secure())
                messages.success(request, _("%(email)s is now a %(role)s of this shop.") % {
                    "email": membership.user.email, "role": membership.get_role_display()})
                return redirect("shops:members", shop_id=shop.pk)
    memberships = shop.memberships.select_related("user").order_by("role", "user__email")
    return render(request, "shops/members.html", {"shop": shop, "form": form, "memberships": memberships})


@require_POST
@shop_view(owner_only=True)
def remove_member(request, shop, membership_id):
    membership = get_for_shop(Membership, shop, pk=membership_id)
    try:
        services.remove_member(shop, membership.pk)
    except services.MembershipError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Member removed."))
    return redirect("shops:members", shop_id=shop.pk)
