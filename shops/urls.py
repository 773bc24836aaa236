from django.urls import path

from shops import views, views_wizard

app_name = "shops"
urlpatterns = [
    path("issues/", views.issues, name="issues"),
    path("issues/check/", views.check_now, name="check_now"),
    path("settings/", views.settings_view, name="settings"),
    path("settings/api-keys/", views.api_keys, name="api_keys"),
    path("settings/checkout/check/", views.checkout_check, name="checkout_check"),
    path("members/", views.members, name="members"),
    path("members/role/", views.change_role, name="change_role"),
    path("members/resend/", views.resend_invitation, name="resend_invitation"),
    path("members/<int:membership_id>/remove/", views.remove_member, name="remove_member"),
    path("onboarding/", views_wizard.wizard, name="onboarding"),
    path("onboarding/profile/", views_wizard.profile, name="profile"),
    path("onboarding/connect/", views_wizard.connect, name="connect"),
    path("onboarding/verify/", views_wizard.verify, name="verify"),
    path("onboarding/finish/", views_wizard.finish, name="finish"),
    path("connection/disconnect/", views_wizard.disconnect, name="disconnect"),
]
