from django.urls import path

from graph import views

app_name = "graph"
urlpatterns = [
    path("meta/", views.meta_webhook, name="meta_webhook"),
]
