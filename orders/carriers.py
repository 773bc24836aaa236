"""Carriers Meta accepts in `tracking_info.carrier` (the head of Meta's list, META_API §3.8)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

CARRIERS: list[tuple[str, str]] = [
    ("USPS", "USPS"), ("UPS", "UPS"), ("FEDEX", "FedEx"), ("FEDEX_UK", "FedEx UK"), ("DHL", "DHL"),
    ("DHL_ECOMMERCE_US", "DHL eCommerce (US)"), ("AMAZON_LOGISTICS", "Amazon Logistics"), ("ONTRAC", "OnTrac"),
    ("LASERSHIP", "LaserShip"), ("SPEE_DEE", "Spee-Dee"), ("EAGLE", "Eagle"), ("CANADA_POST", "Canada Post"),
    ("PUROLATOR", "Purolator"), ("ROYAL_MAIL", "Royal Mail"), ("PARCELFORCE", "Parcelforce"), ("DPD", "DPD"),
    ("DPD_UK", "DPD UK"), ("HERMES", "Evri (Hermes)"), ("GLS", "GLS"), ("TNT", "TNT"), ("TNT_POST", "TNT Post"),
    ("POSTNL", "PostNL"), ("POSTNORD", "PostNord"), ("POST_DANMARK", "Post Danmark"),
    ("DEUTSCHE_POST", "Deutsche Post"), ("LA_POSTE", "La Poste"), ("COLISSIMO", "Colissimo"),
    ("CORREOS", "Correos"), ("AUSTRALIA_POST", "Australia Post"), ("NEW_ZEALAND_POST", "New Zealand Post"),
    ("JAPAN_POST", "Japan Post"), ("YAMATO", "Yamato Transport"), ("SAGAWA", "Sagawa Express"),
    ("CHINA_POST", "China Post"), ("CHINA_EMS", "China EMS"), ("SF_EXPRESS", "SF Express"),
    ("YUNEXPRESS", "YunExpress"), ("OTHER", _("Other carrier")),
]
CARRIER_CODES = frozenset(code for code, _label in CARRIERS)


def carrier_label(code: str) -> str:
    return str(dict(CARRIERS).get(code, code))
