from django.urls import path

from ads import views

app_name = "ads"
urlpatterns = [
    path("", views.index, name="index"),
    path("pixel/link/", views.link_pixel, name="link_pixel"),
    path("pixel/check/", views.check_now, name="check_now"),
]
