"""Mounted at /graph-sandbox/ when GRAPH_SANDBOX_ENABLED (portal/urls.py).

Order matters: the control API (core calls here, area calls from meta_sandbox/controls/),
the console and the dialog come first; every other path is a Graph call
(`[vNN.N/]<node>/<edge>`).
"""

from django.urls import include, path, re_path

from . import console, console_finance, control, dialog, pixel_web, views
from .controls import extra_control_patterns

app_name = "sandbox"

control_patterns = [
    path("_control/reset", control.reset),
    path("_control/state", control.state),
    path("_control/businesses", control.businesses),
    path("_control/businesses/<str:business_id>/state", control.business_state),
    path("_control/tokens", control.tokens_view),
    path("_control/tokens/expire", control.tokens_expire),
    path("_control/tokens/revoke", control.tokens_revoke),
    path("_control/tokens/scopes", control.tokens_scopes),
    path("_control/faults", control.faults_view),
    path("_control/faults/<int:fault_id>", control.fault_detail),
    path("_control/requests", control.requests_view),
    path("_control/config", control.config_view),
    path("_control/objects", control.objects_create),
    path("_control/objects/<str:object_id>", control.object_view),
    path("_control/webhooks", control.webhooks_view),
    path("_control/webhooks/send", control.webhooks_send),
    path("_control/webhooks/fbe_install", control.webhooks_fbe_install),
    path("_control/webhooks/flush", control.webhooks_flush),
    path("_control/webhooks/verify", control.webhooks_verify),
    # Area modules in meta_sandbox/controls/ add theirs under _control/ too.
    path("_control/", include(extra_control_patterns())),
]

console_patterns = [
    path("console/", console.console, name="console"),
    path("console/faults", console.add_fault, name="console_add_fault"),
    path("console/faults/clear", console.clear_faults, name="console_clear_faults"),
    path("console/switches", console.switches, name="console_switches"),
    path("console/business-state", console.business_state, name="console_business_state"),
    path("console/webhooks/flush", console.flush_webhooks, name="console_flush_webhooks"),
    path("console/orders", console.place_order, name="console_place_order"),
    path("console/orders/removed", console.orders_removed, name="console_orders_removed"),
    path("console/orders/<str:order_id>/release", console.release_order, name="console_order_release"),
    path("console/orders/<str:order_id>/buyer-cancel", console.buyer_cancel_order, name="console_order_buyer_cancel"),
    path("console/orders/<str:order_id>/return-request", console.return_request_order,
         name="console_order_return_request"),
    path("console/orders/<str:order_id>/meta-refund", console.meta_refund_order, name="console_order_meta_refund"),
    path("console/finance/pay-out", console_finance.pay_out_now, name="console_finance_pay_out"),
    path("console/finance/chargeback", console_finance.open_chargeback, name="console_finance_chargeback"),
    path("console/finance/orders/<str:order_id>/resolve", console_finance.resolve_chargeback,
         name="console_finance_resolve"),
]

dialog_patterns = [
    path("www/dialog/oauth", dialog.oauth_dialog, name="dialog_oauth"),
    re_path(r"^www/(?P<version>v\d+\.\d+)/dialog/oauth/?$", dialog.oauth_dialog, name="dialog_oauth_versioned"),
]

pixel_patterns = [
    path("fbevents.js", pixel_web.fbevents_js, name="fbevents_js"),
    path("tr", pixel_web.tr, name="pixel_tr"),
    path("storefront/", pixel_web.storefront, name="storefront"),
    path("storefront/fb-checkout", pixel_web.fb_checkout, name="storefront_fb_checkout"),
]

urlpatterns = [
    *control_patterns,
    *pixel_patterns,
    # Area control calls (meta_sandbox/controls/<area>.py), relative to _control/.
    path("_control/", include(extra_control_patterns())),
    *console_patterns,
    *dialog_patterns,
    path("", views.graph, name="graph_root"),
    re_path(r"^(?P<graph_path>.+)$", views.graph, name="graph"),
]
