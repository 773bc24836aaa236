from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from portal import storefront_api, views

shop_patterns = [
    path("", views.dashboard, name="dashboard"),
    path("meta-tools/", views.meta_tools, name="meta_tools"),
    path("meta-tools/refresh/", views.meta_tools_refresh, name="meta_tools_refresh"),
    path("", include("shops.urls")),
    path("catalog/", include("catalog.urls")),
    path("orders/", include("orders.urls")),
    path("promotions/", include("promotions.urls")),
    path("ads/", include("ads.urls")),
    path("payments/", include("finance.urls")),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("shop/<int:shop_id>/", include(shop_patterns)),
    # Onboarding entry points outside one shop: new shop, and the FBE redirect URI (callback).
    path("shops/", include("shops.urls_global")),
    path("accounts/", include("django.contrib.auth.urls")),
    # The address people type: /login/ is the login page (django.contrib.auth's is /accounts/login/).
    path("login/", views.login_short, name="login_short"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", views.healthz, name="healthz"),
    path("webhooks/", include("graph.urls")),
    path("api/storefront/v1/events", storefront_api.events, name="storefront_api_events"),
    path("api/storefront/v1/orders", storefront_api.orders, name="storefront_api_orders"),
    path("api/storefront/v1/orders/<str:order_id>/cancellations", storefront_api.cancellations,
         name="storefront_api_cancellations"),
    path("api/storefront/v1/orders/<str:order_id>/refunds", storefront_api.refunds, name="storefront_api_refunds"),
    path("admin/", admin.site.urls),
]

if settings.GRAPH_SANDBOX_ENABLED:
    urlpatterns.append(path("graph-sandbox/", include("meta_sandbox.urls")))

admin.site.site_header = "Seller portal — staff"
admin.site.site_title = "Seller portal staff"
