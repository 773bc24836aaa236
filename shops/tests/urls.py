"""The portal's URLconf plus the global shop URLs (shops/urls_global.py), for tests run before
portal/urls.py mounts them (`path("shops/", include("shops.urls_global"))`)."""

from django.urls import include, path

from portal.urls import urlpatterns as portal_patterns

urlpatterns = [*portal_patterns, path("shops/", include("shops.urls_global"))]
