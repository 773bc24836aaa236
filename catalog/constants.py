"""Meta's PRODUCT_ITEM constraints (META_API.md §2.4-2.5) in one place.

Forms, the CSV import and the payload builder all read these, so a rule changes in one spot.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Availability(models.TextChoices):
    # Meta's own values, sent as they are (items_batch lists the first four for products).
    IN_STOCK = "in stock", _("In stock")
    OUT_OF_STOCK = "out of stock", _("Out of stock")
    PREORDER = "preorder", _("Pre-order")
    AVAILABLE_FOR_ORDER = "available for order", _("Available for order")
    DISCONTINUED = "discontinued", _("Discontinued")


class Condition(models.TextChoices):
    NEW = "new", _("New")
    REFURBISHED = "refurbished", _("Refurbished")
    USED = "used", _("Used")


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    UNISEX = "unisex", _("Unisex")


class AgeGroup(models.TextChoices):
    ADULT = "adult", _("Adult")
    ALL_AGES = "all ages", _("All ages")
    TEEN = "teen", _("Teen")
    KIDS = "kids", _("Kids")
    TODDLER = "toddler", _("Toddler")
    INFANT = "infant", _("Infant")
    NEWBORN = "newborn", _("Newborn")


class WeightUnit(models.TextChoices):
    G = "g", _("g")
    KG = "kg", _("kg")
    LB = "lb", _("lb")
    OZ = "oz", _("oz")


# Lengths. Title and description follow our issue's rules (feeds allow 200 / 9999); Meta's
# batch API documents 100-150 / 5000, so longer values get a warning, never a silent cut.
RETAILER_ID_MAX = 100
TITLE_MAX = 200
TITLE_RECOMMENDED = 150
DESCRIPTION_MAX = 9999
DESCRIPTION_BATCH_MAX = 5000
RICH_TEXT_MAX = 9999
BRAND_MAX = 100
URL_MAX = 2000
ADDITIONAL_IMAGES_MAX = 20
GTIN_MAX = 70
MPN_MAX = 70
COLOR_MAX = 100
SIZE_MAX = 100
PATTERN_MAX = 100
MATERIAL_MAX = 200
PRODUCT_TYPE_MAX = 750
GOOGLE_CATEGORY_MAX = 250
CUSTOM_LABEL_MAX = 100
INTERNAL_LABEL_MAX = 110
INTERNAL_LABELS_MAX = 5000
ITEM_GROUP_ID_MAX = 100

#: Fields Meta needs on every item (a CREATE without them is rejected).
REQUIRED_FIELDS = ("retailer_id", "title", "description", "availability", "condition", "price", "link",
                   "image_link", "brand")
