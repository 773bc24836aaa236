"""Forms of the catalog pages, by topic: the product form (products), the list's filters and
bulk actions (listing), product sets (sets), the CSV upload (imports)."""

from catalog.forms.imports import ImportUploadForm
from catalog.forms.listing import BulkActionForm, ProductFilterForm
from catalog.forms.products import FIELDSETS, ProductForm, price_help, product_form_data, shop_timezone
from catalog.forms.sets import ProductSetForm

__all__ = ["FIELDSETS", "BulkActionForm", "ImportUploadForm", "ProductFilterForm", "ProductForm", "ProductSetForm",
           "price_help", "product_form_data", "shop_timezone"]
