"""Shop URLs that are not under /shop/<id>/: mounted by portal/urls.py at `shops/`.

- `onboarding:new_shop`: a seller creates a (further) shop and becomes its owner;
- `onboarding:callback`: the one redirect URI registered with Meta for the FBE dialog.
"""

from django.urls import path

from shops import views_wizard

app_name = "onboarding"
urlpatterns = [
    path("new/", views_wizard.new_shop, name="new_shop"),
    path("connect/callback/", views_wizard.callback, name="callback"),
]
