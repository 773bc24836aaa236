from django.urls import path

from catalog import views
from catalog.views import product_sets, products, transfer
from catalog.views import sync as sync_views

app_name = "catalog"
urlpatterns = [
    path("", views.index, name="index"),
    path("products/", products.product_list, name="products"),
    path("products/bulk/", products.bulk_action, name="bulk"),
    path("products/new/", products.product_new, name="product_new"),
    path("products/<int:product_id>/", products.product_edit, name="product_edit"),
    path("products/<int:product_id>/delete/", products.product_delete, name="product_delete"),
    path("import/", transfer.import_start, name="import_start"),
    path("import/<int:job_id>/", transfer.import_detail, name="import_detail"),
    path("import/<int:job_id>/progress/", transfer.import_progress, name="import_progress"),
    path("import/<int:job_id>/apply/", transfer.import_apply, name="import_apply"),
    path("import/<int:job_id>/cancel/", transfer.import_cancel, name="import_cancel"),
    path("import/<int:job_id>/problems.csv", transfer.import_errors, name="import_errors"),
    path("export.csv", transfer.export, name="export"),
    path("sync/", sync_views.sync_history, name="sync_history"),
    path("sync/panel/", sync_views.sync_panel, name="sync_panel"),
    path("sync/now/", sync_views.sync_now, name="sync_now"),
    path("sets/", product_sets.set_list, name="sets"),
    path("sets/new/", product_sets.set_new, name="set_new"),
    path("sets/<int:set_id>/", product_sets.set_edit, name="set_edit"),
    path("sets/<int:set_id>/delete/", product_sets.set_delete, name="set_delete"),
]
