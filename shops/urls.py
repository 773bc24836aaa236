from django.urls import path

from shops import views

app_name = "shops"
urlpatterns = [
    path("issues/", views.issues, name="issues"),
    path("settings/", views.settings_view, name="settings"),
    path("members/", views.members, name="members"),
    path("members/<int:membership_id>/remove/", views.remove_member, name="remove_member"),
]
