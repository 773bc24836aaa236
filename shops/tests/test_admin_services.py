"""Staff change shops and their people in the admin through the shop services: the profile, a
new shop with all its rows, roles and the rule that a shop keeps an owner, each change in the
audit trail with the staff member as the actor; shops are not deleted from the admin."""

from __future__ import annotations

from django.urls import reverse

from shops.models import AuditEvent, Membership, MetaConnection, Shop


def _row(response, user) -> int:
    """The index of `user`'s row in the shop page's members inline."""
    formset = next(f.formset for f in response.context["inline_admin_formsets"] if f.formset.model is Membership)
    return next(i for i, form in enumerate(formset.forms) if form.instance.user_id == user.pk)


def test_a_staff_edit_of_the_profile_is_audited(shop_a, staff_client, admin_form):
    url = reverse("admin:shops_shop_change", args=[shop_a.pk])
    response = staff_client.post(url, admin_form(staff_client.get(url), name="Lotus Tea House"))
    assert response.status_code == 302
    shop_a.refresh_from_db()
    assert shop_a.name == "Lotus Tea House"
    event = AuditEvent.objects.get(shop=shop_a, action="shop.update")
    assert event.actor_label == "staff:stella" and event.changes == {"name": ["Shop A", "Lotus Tea House"]}


def test_a_shop_made_by_staff_has_every_row_and_its_owner(staff_client, admin_form, alice):
    url = reverse("admin:shops_shop_add")
    data = admin_form(staff_client.get(url), name="Harbour Ceramics", currency="GBP", country="GB",
                      **{"memberships-TOTAL_FORMS": "1", "memberships-0-user": str(alice.pk),
                         "memberships-0-role": Membership.Role.OWNER})
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    shop = Shop.objects.get(name="Harbour Ceramics")
    assert MetaConnection.objects.filter(shop=shop).exists()
    assert shop.catalog_sync and shop.promotion_settings  # the other apps' rows came with it
    assert shop.memberships.get().user == alice
    actions = {e.action: e.actor_label for e in AuditEvent.objects.filter(shop=shop)}
    assert actions == {"shop.create": "staff:stella", "member.add": "staff:stella"}


def test_the_last_owner_cannot_be_demoted_or_removed_in_the_admin(shop_a, staff_client, admin_form, alice):
    url = reverse("admin:shops_shop_change", args=[shop_a.pk])
    page = staff_client.get(url)
    row = _row(page, alice)
    for change in ({f"memberships-{row}-role": Membership.Role.VIEWER}, {f"memberships-{row}-DELETE": "on"}):
        response = staff_client.post(url, admin_form(page, **change))
        assert response.status_code == 200
        assert "A shop must keep at least one owner." in response.content.decode()
    assert shop_a.memberships.get(user=alice).role == Membership.Role.OWNER
    membership = shop_a.memberships.get(user=alice)
    change = reverse("admin:shops_membership_change", args=[membership.pk])
    response = staff_client.post(change, admin_form(staff_client.get(change), role=Membership.Role.MANAGER))
    assert response.status_code == 200 and "A shop must keep at least one owner." in response.content.decode()
    delete = reverse("admin:shops_membership_delete", args=[membership.pk])
    assert "A shop must keep at least one owner." in staff_client.get(delete).content.decode()
    staff_client.post(delete, {"post": "yes"})
    assert shop_a.memberships.filter(user=alice, role=Membership.Role.OWNER).exists()
    assert not AuditEvent.objects.filter(shop=shop_a, action__startswith="member.").exists()


def test_roles_changed_and_people_removed_by_staff_are_audited(shop_a, staff_client, admin_form, bob, carol):
    url = reverse("admin:shops_shop_change", args=[shop_a.pk])
    page = staff_client.get(url)
    response = staff_client.post(url, admin_form(page, **{f"memberships-{_row(page, bob)}-role": "manager",
                                                           f"memberships-{_row(page, carol)}-DELETE": "on"}))
    assert response.status_code == 302
    assert shop_a.memberships.get(user=bob).role == "manager"
    assert not shop_a.memberships.filter(user=carol).exists()
    events = {e.action: (e.actor_label, e.changes) for e in AuditEvent.objects.filter(shop=shop_a,
                                                                                      action__startswith="member.")}
    assert events["member.change_role"] == ("staff:stella", {"role": ["viewer", "manager"]})
    assert events["member.remove"][0] == "staff:stella"


def test_shops_are_not_deleted_from_the_admin(shop_a, staff_client):
    assert staff_client.post(reverse("admin:shops_shop_delete", args=[shop_a.pk]), {"post": "yes"}).status_code == 403
    assert Shop.objects.filter(pk=shop_a.pk).exists()
