from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MetaToolsConfig(AppConfig):
    name = "metatools"
    verbose_name = _("Meta tools")

    def ready(self):
        from metatools.tasks import queue_after_connect
        from shops.signals import shop_connected

        shop_connected.connect(queue_after_connect, dispatch_uid="metatools.queue_after_connect")

        from catalog.hooks import register_product_panel
        from metatools.panels import product_panel

        register_product_panel(product_panel)
