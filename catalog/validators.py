"""Checks Meta applies to product values, as Django validators and small parsers."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from catalog import constants as c

_url = URLValidator(schemes=["https"])


def validate_https_url(value: str) -> None:
    if value and not value.lower().startswith("https://"):
        raise ValidationError(_("Use an https:// address: Meta only accepts secure links."), code="https")
    try:
        _url(value)
    except ValidationError:
        raise ValidationError(_("Enter a full web address, such as https://shop.example.com/p/1."), code="invalid")


def gtin_checksum_ok(digits: str) -> bool:
    """GS1 mod-10 check digit: weights 3,1,3,... from the right, excluding the check digit."""
    body, check = digits[:-1], int(digits[-1])
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


def validate_gtin(value: str) -> None:
    if not value:
        return
    if not value.isdigit() or len(value) not in (8, 12, 13, 14):
        raise ValidationError(
            _("A GTIN has 8, 12, 13 or 14 digits (GTIN-8, UPC, EAN or ITF-14), nothing else."), code="gtin_format"
        )
    if not gtin_checksum_ok(value):
        raise ValidationError(_("This GTIN's last digit (the check digit) is wrong: check for a typo."),
                              code="gtin_checksum")


_UNSAFE_HTML = re.compile(r"<\s*(script|style|iframe|object|embed)\b|\son\w+\s*=|javascript:", re.IGNORECASE)


def validate_rich_text(value: str) -> None:
    """Meta takes simple HTML (paragraphs, lists, bold...) but no scripts, styles or embeds."""
    if value and _UNSAFE_HTML.search(value):
        raise ValidationError(_("Meta accepts simple formatting only: remove scripts, styles, embedded frames "
                                "and event attributes."), code="unsafe_html")


_RETAILER_ID_RE = re.compile(r"[^\s,]+")


def validate_retailer_id(value: str) -> None:
    if not _RETAILER_ID_RE.fullmatch(value):
        raise ValidationError(_("Use letters, digits and signs such as - _ . / without spaces or commas."),
                              code="retailer_id")


def split_list(text: str) -> list[str]:
    """Lines or commas → items. Accepts Meta's feed spelling ['a','b'] too."""
    text = (text or "").strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    items = []
    for part in re.split(r"[\n,]", text):
        part = part.strip().strip("'\"").strip()
        if part and part not in items:
            items.append(part)
    return items


def clean_image_links(text: str) -> list[str]:
    links = split_list(text)
    if len(links) > c.ADDITIONAL_IMAGES_MAX:
        raise ValidationError(
            ngettext("Meta accepts at most %(max)d additional image; you gave %(n)d.",
                     "Meta accepts at most %(max)d additional images; you gave %(n)d.", c.ADDITIONAL_IMAGES_MAX)
            % {"max": c.ADDITIONAL_IMAGES_MAX, "n": len(links)},
            code="too_many_images",
        )
    errors = []
    for link in links:
        if len(link) > c.URL_MAX:
            errors.append(ValidationError(_("An image link is longer than %(max)d characters.") % {"max": c.URL_MAX}))
            continue
        try:
            validate_https_url(link)
        except ValidationError as exc:
            errors.append(ValidationError(f"{link}: {exc.messages[0]}"))
    if errors:
        raise ValidationError(errors)
    return links


def clean_labels(text: str) -> list[str]:
    labels = split_list(text)
    if len(labels) > c.INTERNAL_LABELS_MAX:
        raise ValidationError(_("Meta accepts at most %(max)d labels.") % {"max": c.INTERNAL_LABELS_MAX})
    too_long = [label for label in labels if len(label) > c.INTERNAL_LABEL_MAX]
    if too_long:
        raise ValidationError(
            _("Each label may have at most %(max)d characters: %(label)s")
            % {"max": c.INTERNAL_LABEL_MAX, "label": too_long[0][:40] + "…"}
        )
    return labels
