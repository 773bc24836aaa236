from django.urls import path

from orders import views, views_actions

app_name = "orders"
urlpatterns = [
    path("", views.index, name="index"),
    path("check/", views.check_now, name="check_now"),
    path("export.csv", views.export, name="export"),
    path("ingest/", views.ingest_log, name="ingest"),
    path("acknowledge-again/", views_actions.retry_acknowledgements, name="retry_acks"),
    path("<int:order_id>/", views.detail, name="detail"),
    path("<int:order_id>/ship/", views_actions.ship, name="ship"),
    path("<int:order_id>/cancel/", views_actions.cancel, name="cancel"),
    path("<int:order_id>/refund/", views_actions.refund, name="refund"),
    path("<int:order_id>/shipments/<int:shipment_id>/tracking/", views_actions.tracking, name="tracking"),
    path("<int:order_id>/returns/<int:return_id>/<slug:decision>/", views_actions.return_decision,
         name="return_decision"),
    path("<int:order_id>/changes/<int:push_id>/retry/", views_actions.retry, name="retry"),
    path("<int:order_id>/changes/<int:push_id>/discard/", views_actions.discard, name="discard"),
]
