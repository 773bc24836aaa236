"""The nine seller jobs that live in Meta's own tools (MISSION.md, channel "Meta only" or Meta's
side of "both"), in the seller's words: what each is and why a seller would go, for the Meta tools
page. Their links are shops.links (`links.JOBS`, the same keys)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Job:
    key: str
    title: Promise
    why: Promise
    cta: Promise


JOBS: tuple[Job, ...] = (
    Job("shop_insights", _("Shop insights and recommendations"),
        _("See how buyers find your shop on Facebook and Instagram and what Meta recommends you improve next."),
        _("Open insights in Commerce Manager")),
    Job("shop_look", _("Your shop's look"),
        _("Choose the collections and products buyers see first when they open your shop."),
        _("Edit the shop in Commerce Manager")),
    Job("inbox", _("Reply to buyers"),
        _("Buyers ask on Messenger, Instagram Direct and WhatsApp before and after they buy; a quick answer keeps "
          "the sale."),
        _("Open the inbox in Business Suite")),
    Job("ugc", _("Buyers' posts about you"),
        _("Posts in which buyers tag you can appear on your product pages once their authors agree."),
        _("See posts that tag you")),
    Job("ads_reporting", _("Ads results"),
        _("What your ads cost and what they bring back, broken down the way you need."),
        _("Open reports in Ads Manager")),
    Job("organic_insights", _("Reach without ads"),
        _("How many people follow and see your Page and Instagram account without paying for it."),
        _("Open insights in Business Suite")),
    Job("product_launches", _("Instagram product launches"),
        _("Announce a product before it is on sale, so followers can set a reminder for the day it launches."),
        _("Choose the product in Commerce Manager")),
    Job("live_shopping", _("Instagram live shopping"),
        _("Meta ended product tags in live videos on 16 March 2023: you can still go live and send viewers to "
          "posts that tag your products."),
        _("Plan a live video in Live Producer")),
    Job("tagged_post", _("Posts that tag your products"),
        _("Tag products in your Instagram posts so people can open them straight from the post."),
        _("Create a post in Business Suite")),
)
