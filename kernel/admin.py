"""Admin for the job skeleton's rows; the read-only mixin every journal-like admin uses; the
mixin through which every admin that changes domain rows goes through the domain's services."""

from django.contrib import admin
from django.db import transaction

from kernel.models import JobRun, Lease


class ReadOnlyAdminMixin:
    """For journals and records that only the system writes (job runs, Graph calls, audit
    events, ingestion ledgers): staff can look, filter and search, never add, change or delete."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ServiceAdminMixin:
    """Staff change domain rows through the same services as sellers: the service's rules, its
    side effects (a product flagged for the fast lane, a discount queued for Meta) and its audit
    record, with the staff member as the actor. The admin's own save and delete never write.

    A subclass lists the fields staff edit in `service_fields` (the rest of its `fields` are
    read-only) and implements `save_through_service(request, obj, values, form)`, which returns
    the saved object; `values` holds the edited fields that changed (all of them when adding).
    The owning shop (`owner_field`) is chosen when adding and read-only after. Deleting calls
    `delete_through_service(request, obj)`; without it staff cannot delete."""

    service_fields: tuple = ()
    owner_field = "shop"

    def get_readonly_fields(self, request, obj=None):
        names = list(super().get_readonly_fields(request, obj))
        editable = set(self.service_fields) | ({self.owner_field} if obj is None else set())
        names += [f.name for f in self.model._meta.get_fields()
                  if (f.concrete or f.many_to_many) and not f.auto_created and f.editable
                  and f.name not in editable and f.name not in names]
        return names

    def changed_values(self, form, change: bool) -> dict:
        return {name: form.cleaned_data[name] for name in self.service_fields
                if name in form.cleaned_data and (not change or name in form.changed_data)}

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            saved = self.save_through_service(request, obj, self.changed_values(form, change), form)
        # The admin goes on with `obj` (its log entry, message and redirect): make it the saved row.
        obj.pk = saved.pk
        obj._state.adding, obj._state.db = False, saved._state.db

    def save_through_service(self, request, obj, values, form):
        raise NotImplementedError

    def save_related(self, request, form, formsets, change):
        # Many-to-many fields are the service's to write (it was given them in save_model).
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        pass  # inlines of a service-backed admin are read-only unless the admin saves them itself

    def has_change_permission(self, request, obj=None):
        # a deleted row (a tombstone kept until Meta has deleted its copy) is history: look only
        return getattr(obj, "deleted_at", None) is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return (hasattr(self, "delete_through_service") and getattr(obj, "deleted_at", None) is None
                and super().has_delete_permission(request, obj))

    def delete_model(self, request, obj):
        with transaction.atomic():
            self.delete_through_service(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            if getattr(obj, "deleted_at", None) is None:
                self.delete_model(request, obj)


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["job", "shop", "status", "started_at", "finished_at", "counts", "short_error"]
    list_filter = ["status", "job"]
    list_select_related = ["shop"]
    search_fields = ["job", "shop__name", "error", "task_id"]
    date_hierarchy = "started_at"

    @admin.display(description="error")
    def short_error(self, obj):
        return obj.error[:80]


@admin.register(Lease)
class LeaseAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["key", "until", "taken_at"]
    search_fields = ["key"]
