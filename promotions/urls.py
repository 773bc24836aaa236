from django.urls import path

from promotions import views

app_name = "promotions"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create, name="create"),
    path("settings/", views.settings_page, name="settings"),
    path("sync/", views.sync_now, name="sync_now"),
    path("<int:discount_id>/", views.edit, name="edit"),
    path("<int:discount_id>/end/", views.end, name="end"),
]
