"""Staff see every shop, connection and issue. They change shops and their people through the
same services as sellers (kernel.admin.ServiceAdminMixin): the profile, the roles and the rule
that a shop keeps an owner, each change in the audit trail with the staff member as the actor.
Connections, issues, connect attempts and the audit trail are the system's records."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from kernel.admin import ReadOnlyAdminMixin, ServiceAdminMixin
from shops import services
from shops.models import AuditEvent, ConnectAttempt, Membership, MetaConnection, Shop, ShopIssue

#: What staff may see of a connection: everything but the token (only whether it is set).
CONNECTION_READONLY = [
    "token_set", "token_type", "token_expires_at", "scopes", "status", "business_manager_id", "catalog_id", "pixel_id",
    "page_id", "instagram_profile_id", "commerce_merchant_settings_id", "installed_features", "merchant_status", "cta",
    "checks", "connected_at", "disconnected_at", "uninstall_pending", "last_checked_at", "last_ok_at", "last_error",
    "check_requested_at", "usage", "usage_updated_at",
]


class MembershipFormSet(forms.BaseInlineFormSet):
    """The shop's people as staff edit them: refused when the shop would lose its last owner."""

    def clean(self):
        super().clean()
        if self.instance.pk is None or any(self.errors):
            return
        removed, demoted, added = [], [], 0
        for form in self.forms:
            member, role = form.instance, form.cleaned_data.get("role")
            if not form.cleaned_data:
                continue
            if form.cleaned_data.get("DELETE") and member.pk:
                removed.append(member.pk)
            elif member.pk and role != Membership.Role.OWNER:
                demoted.append(member.pk)
            elif not member.pk and role == Membership.Role.OWNER:
                added += 1
        if services.owners_after(self.instance, removed=removed, demoted=demoted, added=added) == 0:
            raise ValidationError(services.LAST_OWNER)


class MembershipInline(admin.TabularInline):
    model = Membership
    formset = MembershipFormSet
    extra = 0
    raw_id_fields = ["user"]

    def get_readonly_fields(self, request, obj=None):
        return ["created_at"]


def save_members(request, shop, formset) -> None:
    """The inline's changes through the member services (the admin's own formset save never runs);
    the formset's lists of what changed feed the admin's history message."""
    for form in formset.deleted_forms:
        if form.instance.pk:
            formset.deleted_objects.append(form.instance)
            services.remove_member(shop, form.instance.pk, actor=request.user)
    for form in formset.forms:
        if form in formset.deleted_forms or not form.has_changed() or not form.cleaned_data:
            continue
        member = form.instance
        if member.pk:
            member = services.change_role(shop, member.pk, role=form.cleaned_data["role"], actor=request.user)
            formset.changed_objects.append((member, form.changed_data))
        else:
            member, _created = services.add_member(shop, user=form.cleaned_data["user"],
                                                   role=form.cleaned_data["role"], actor=request.user)
            formset.new_objects.append(member)


class MetaConnectionInline(admin.StackedInline):
    model = MetaConnection
    can_delete = False
    fields = readonly_fields = CONNECTION_READONLY

    @admin.display(boolean=True, description=_("token set"))
    def token_set(self, obj):
        return obj.has_token


class OpenIssueInline(admin.TabularInline):
    model = ShopIssue
    extra = 0
    can_delete = False
    fields = readonly_fields = ["kind", "severity", "title", "first_seen", "last_seen", "resolved_at"]
    verbose_name_plural = _("shop issues (latest first)")
    ordering = ["resolved_at", "-last_seen"]

    def has_add_permission(self, request, obj=None):
        return False


class HealthFilter(admin.SimpleListFilter):
    """Partner-wide connection health: the shops that need someone. The admins using it
    annotate `_open_issues`."""

    title = _("health")
    parameter_name = "health"

    def lookups(self, request, model_admin):
        return [
            ("needs_reconnect", _("Needs reconnect")),
            ("setup_incomplete", _("Set-up incomplete")),
            ("disabled", _("Disabled by Meta")),
            ("has_issues", _("Has open issues")),
            ("uninstall_pending", _("Disconnect not confirmed by Meta")),
            ("healthy", _("Connected, no open issue")),
        ]

    def queryset(self, request, queryset):
        prefix = "" if queryset.model is Shop else "shop__"
        conn = "meta_connection__" if queryset.model is Shop else ""
        open_issue = {f"{prefix}issues__resolved_at__isnull": True}
        value = self.value()
        if value == "needs_reconnect":
            return queryset.filter(**{f"{conn}status": MetaConnection.Status.NEEDS_RECONNECT})
        if value == "setup_incomplete":
            return queryset.filter(**open_issue, **{f"{prefix}issues__kind__in": [
                "shop.setup_incomplete", "shop.catalog_missing",
                "shop.merchant_settings_missing"]}).distinct()
        if value == "disabled":
            return queryset.filter(
                Q(**{f"{conn}merchant_status": "EXTERNALLY_DISABLED"})
                | Q(**open_issue, **{f"{prefix}issues__kind__in": ["shop.merchant_disabled", "shop.review_rejected"]})
            ).distinct()
        if value == "has_issues":
            return queryset.filter(_open_issues__gt=0)
        if value == "uninstall_pending":
            return queryset.filter(**{f"{conn}uninstall_pending": True})
        if value == "healthy":
            return queryset.filter(**{f"{conn}status": MetaConnection.Status.CONNECTED}, _open_issues=0)
        return queryset


@admin.action(description=_("Check health at Meta now (queued)"))
def check_now(modeladmin, request, queryset):
    shops = queryset if queryset.model is Shop else Shop.objects.filter(meta_connection__in=queryset)
    n = 0
    for shop in shops.filter(meta_connection__status__in=["connected", "needs_reconnect"]):
        services.request_health_check(shop, actor=request.user)
        n += 1
    modeladmin.message_user(request, _("%(n)d health check(s) queued.") % {"n": n}, messages.SUCCESS)


@admin.register(Shop)
class ShopAdmin(ServiceAdminMixin, admin.ModelAdmin):
    list_display = ["name", "country", "currency", "connection_status", "open_issues", "external_business_id", "created_at"]
    list_filter = [HealthFilter, "meta_connection__status", "country", "currency"]
    search_fields = ["name", "external_business_id", "meta_connection__catalog_id", "meta_connection__commerce_merchant_settings_id", "memberships__user__email"]
    list_select_related = ["meta_connection"]
    readonly_fields = ["external_business_id", "created_at", "onboarded_at", "checkout_ok", "checkout_checked_at",
                       "checkout_reason"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    inlines = [MetaConnectionInline, MembershipInline, OpenIssueInline]
    actions = [check_now]
    service_fields = services.PROFILE_FIELDS
    owner_field = None

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            _open_issues=Count("issues", filter=Q(issues__resolved_at__isnull=True), distinct=True))

    def save_through_service(self, request, obj, values, form):
        if obj._state.adding:
            return services.create_shop(actor=request.user, **values)
        return services.update_shop_profile(obj, values=values, actor=request.user)

    def save_formset(self, request, form, formset, change):
        # the connection and issue inlines are read-only: only the people change here
        if formset.model is Membership:
            save_members(request, form.instance, formset)

    @admin.display(description=_("Meta connection"))
    def connection_status(self, obj):
        conn = getattr(obj, "meta_connection", None)
        return conn.get_status_display() if conn else "—"

    @admin.display(description=_("open issues"), ordering="_open_issues")
    def open_issues(self, obj):
        return obj._open_issues


@admin.register(MetaConnection)
class MetaConnectionAdmin(admin.ModelAdmin):
    """Partner-wide connection health. The token itself is never shown or editable here."""

    list_display = ["shop", "status", "token_set", "token_expires_at", "merchant_status", "last_checked_at", "last_ok_at",
                    "open_issues", "catalog_id", "commerce_merchant_settings_id"]
    list_filter = [HealthFilter, "status", "merchant_status", "token_type", "uninstall_pending"]
    list_select_related = ["shop"]
    search_fields = ["shop__name", "shop__external_business_id", "catalog_id", "commerce_merchant_settings_id",
                     "business_manager_id", "pixel_id"]
    fields = ["shop", *CONNECTION_READONLY]
    readonly_fields = ["shop", *CONNECTION_READONLY]
    actions = [check_now]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            _open_issues=Count("shop__issues", filter=Q(shop__issues__resolved_at__isnull=True), distinct=True))

    def has_add_permission(self, request):
        return False

    @admin.display(boolean=True, description=_("token set"))
    def token_set(self, obj):
        return obj.has_token

    @admin.display(description=_("open issues"), ordering="_open_issues")
    def open_issues(self, obj):
        return obj._open_issues


@admin.register(ShopIssue)
class ShopIssueAdmin(admin.ModelAdmin):
    list_display = ["shop", "kind", "severity", "title", "first_seen", "last_seen", "resolved_at"]
    list_filter = ["severity", "kind", ("resolved_at", admin.EmptyFieldListFilter)]
    list_select_related = ["shop"]
    search_fields = ["shop__name", "kind", "title"]
    readonly_fields = ["shop", "kind", "severity", "title", "explanation", "cta_label", "cta_url", "cta_external", "params",
                       "first_seen", "last_seen", "resolved_at"]
    date_hierarchy = "last_seen"

    def has_add_permission(self, request):
        return False


@admin.register(ConnectAttempt)
class ConnectAttemptAdmin(admin.ModelAdmin):
    """The audit trail of connects and reconnects (the state itself is only stored hashed)."""

    list_display = ["shop", "user", "purpose", "outcome", "error_code", "created_at", "used_at"]
    list_filter = ["purpose", "outcome", "error_code"]
    list_select_related = ["shop", "user"]
    search_fields = ["shop__name", "user__email", "error_code"]
    exclude = ["state_hash"]
    readonly_fields = ["shop", "user", "purpose", "redirect_uri", "created_at", "expires_at", "used_at", "outcome",
                       "error_code", "error_detail"]

    def has_add_permission(self, request):
        return False


class MembershipForm(forms.ModelForm):
    def clean(self):
        data = super().clean()
        member = self.instance
        if member.pk and data.get("role") and data["role"] != Membership.Role.OWNER:
            if services.owners_after(member.shop, demoted=[member.pk]) == 0:
                self.add_error("role", services.LAST_OWNER)
        return data


@admin.register(Membership)
class MembershipAdmin(ServiceAdminMixin, admin.ModelAdmin):
    list_display = ["user", "shop", "role", "created_at"]
    list_filter = ["role"]
    list_select_related = ["user", "shop"]
    search_fields = ["user__email", "user__username", "shop__name"]
    raw_id_fields = ["user", "shop"]
    form = MembershipForm
    service_fields = ("user", "role")

    def get_readonly_fields(self, request, obj=None):
        names = super().get_readonly_fields(request, obj)
        return [*names, "user"] if obj is not None else names

    def save_through_service(self, request, obj, values, form):
        if obj._state.adding:
            membership, _created = services.add_member(obj.shop, user=values["user"], role=values["role"],
                                                       actor=request.user)
            return membership
        return services.change_role(obj.shop, obj.pk, role=values.get("role", obj.role), actor=request.user)

    def delete_through_service(self, request, obj):
        services.remove_member(obj.shop, obj.pk, actor=request.user)

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms, protected = super().get_deleted_objects(objs, request)
        by_shop: dict = {}
        for member in objs:
            by_shop.setdefault(member.shop, []).append(member)
        for shop, members in by_shop.items():
            if services.owners_after(shop, removed=[m.pk for m in members]) == 0:
                protected = [*protected, f"{shop}: {services.LAST_OWNER}"]
        return deleted, counts, perms, protected


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Who changed what: every change made through a service, by sellers, staff and the system."""

    list_display = ["created_at", "shop", "actor_label", "action", "target_type", "target_id", "summary"]
    list_filter = ["action", "target_type"]
    list_select_related = ["shop"]
    search_fields = ["shop__name", "actor_label", "action", "target_id", "summary"]
    date_hierarchy = "created_at"
