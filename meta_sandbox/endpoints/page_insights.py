"""Organic figures as Meta reports them: Page Insights, Instagram account insights and a catalog
item's `commerce_insights`, written from Meta's documentation:

- `GET /{page-id}/insights` ("Get Page Insights",
  developers.facebook.com/documentation/pages-api/platforminsights/page, and the Graph API
  "Page Insights" reference): `metric` (a comma list), `period` (Business SDK v26
  `InsightsResult.Period`: day, week, days_28, month, lifetime, total_over_range), `since`/`until`
  ("Only 90 days of insights can be viewed at one time"; the first `end_time` is `since` plus one
  day), `date_preset`, `show_description_from_api_doc`. Needs a Page access token with
  pages_read_engagement and read_insights. Answer `{"data": [{"name", "period", "values":
  [{"value", "end_time"}], "title", "description", "id"}]}` (SDK `InsightsResult` fields). No
  metric: 3001 / 1504028 "No metric was specified to be fetched..."; a metric Meta deprecated
  (page_fans, page_impressions, ... on 15 November 2025: Pages API changelog, "Deprecated Facebook
  Page Insights Metrics") or unknown: "(#100) The value must be a valid insights metric".
- `GET /{ig-user-id}/insights` ("Instagram Account Insights",
  developers.facebook.com/documentation/instagram-platform/api-reference/instagram-user/insights):
  `metric`, `period`, `metric_type` (time_series | total_value, SDK
  `InstagramInsightsResult.MetricType`), `since`/`until`, `breakdown`, `timeframe`; needs
  instagram_basic, instagram_manage_insights and pages_read_engagement. `impressions` was removed
  for v22.0 and later (deprecated for all versions on 21 April 2025). A time_series item carries
  `values`, a total_value item `total_value: {"value"}` (SDK `InstagramInsightsResult` fields).
- `ProductItem.commerce_insights` (Business SDK v26 `ProductItemCommerceInsights`:
  organic_impressions, paid_impressions, message_sends, unsigned ints; Meta documents no period).

Missing permissions answer code 10 ("API Permission Denied", Graph API error-handling guide).

The figures are the sandbox's own, deterministic (docs/sandbox.md, "Organic figures"): a node's
audience is a function of its Graph id, the day and the days since it was created, so the same
world reads the same on the same day. Days are UTC days; a day's `end_time` is the next day at
07:00 UTC (Meta counts to midnight Pacific time; the sandbox keeps one offset all year).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from .. import errors
from ..models import Node, Token
from ..params import P
from ..router import Computed, registry, route
from .catalog import products as _products  # noqa: F401  (the ProductItem type this module extends)

PERIODS = ("day", "week", "days_28", "month", "lifetime", "total_over_range")
DATE_PRESETS = ("today", "yesterday", "last_3d", "last_7d", "last_14d", "last_28d", "last_30d", "last_90d")
MAX_WINDOW_DAYS = 90
IG_MAX_WINDOW_DAYS = 30
PAGE_INSIGHT_PERMS = ("pages_read_engagement", "read_insights")
IG_INSIGHT_PERMS = ("instagram_basic", "instagram_manage_insights", "pages_read_engagement")


def _today() -> date:
    return datetime.now(UTC).date()


def _end_time(day: date) -> str:
    return f"{(day + timedelta(days=1)).isoformat()}T07:00:00+0000"


def _seed(node: Node) -> int:
    return int(node.gid) % 997


def _age(node: Node, day: date) -> int:
    return max(0, (day - node.created.astimezone(UTC).date()).days)


# --- the audience (the sandbox's deterministic figures) -------------------------------------------


def followers(node: Node, day: date) -> int:
    """Followers of a Page or an Instagram account at the end of `day`."""
    seed = _seed(node)
    return 100 + seed % 400 + (1 + seed % 3) * _age(node, day)


def new_followers(node: Node, day: date) -> int:
    return (1 + _seed(node) % 3) if _age(node, day) > 0 else 0


def views(node: Node, day: date) -> int:
    """Views of the Page's (or the account's) content on `day`."""
    return 40 + (_seed(node) * 7 + day.toordinal() * 13) % 60


def reach(node: Node, day: date) -> int:
    """Accounts reached on `day` (fewer than the views: one account sees several)."""
    return 20 + (_seed(node) * 11 + day.toordinal() * 17) % 45


def _span(fn, node: Node, day: date, days: int) -> int:
    return sum(fn(node, day - timedelta(days=n)) for n in range(days))


PERIOD_DAYS = {"day": 1, "week": 7, "days_28": 28}


# --- Page Insights --------------------------------------------------------------------------------

#: metric -> (periods it has, title, description, value of a period ending on a day)
PAGE_METRICS = {
    "page_follows": (("day",), "Lifetime Total Follows",
                     "The number of people who follow your Page.", lambda n, d, days: followers(n, d)),
    "page_daily_follows_unique": (("day",), "Daily New Follows",
                                  "The number of new people who followed your Page.",
                                  lambda n, d, days: new_followers(n, d)),
    "page_media_view": (("day", "week", "days_28"), "Views",
                        "The number of times your Page's content was played or displayed.",
                        lambda n, d, days: _span(views, n, d, days)),
    "page_total_media_view_unique": (("day", "week", "days_28"), "Viewers",
                                     "The number of people who saw your Page's content at least once.",
                                     lambda n, d, days: _span(views, n, d, days) * 3 // 5),
    "page_post_engagements": (("day", "week", "days_28"), "Post Engagements",
                              "The number of times people engaged with your posts.",
                              lambda n, d, days: _span(views, n, d, days) // 8),
    "page_views_total": (("day", "week", "days_28"), "Total Page Views",
                         "The number of times your Page's profile was viewed.",
                         lambda n, d, days: _span(views, n, d, days) // 4),
}


def _window(args, *, max_days: int, default_days: int = 2) -> list[date]:
    """The days a request covers: since..until (the first end_time is since plus one day), a
    date preset, or the last `default_days` full days."""
    today = _today()
    since, until = args.get("since"), args.get("until")
    if since is not None or until is not None:
        start = datetime.fromtimestamp(since, UTC).date() if since is not None else today - timedelta(days=default_days)
        end = (datetime.fromtimestamp(until, UTC).date() - timedelta(days=1)) if until is not None else today - timedelta(days=1)
        if (end - start).days + 1 > max_days:
            raise errors.invalid_param(f"There cannot be more than {max_days} days ({max_days * 86400} s) between "
                                       "since and until", error_data={"blame_field_specs": [["since"], ["until"]]})
        if end < start:
            return []
        return [start + timedelta(days=n) for n in range((end - start).days + 1)]
    preset = args.get("date_preset")
    if preset == "today":
        return [today]
    days = {"yesterday": 1, "last_3d": 3, "last_7d": 7, "last_14d": 14, "last_28d": 28, "last_30d": 30,
            "last_90d": 90}.get(preset or "", default_days)
    return [today - timedelta(days=n) for n in range(days, 0, -1)]


def _metrics(args) -> list[str]:
    names = [m for m in args.get("metric") or [] if m]
    if not names:
        raise errors.GraphError("No metric was specified to be fetched. Please specify one or more metrics to be "
                                "fetched and try again.", code=3001, subcode=1504028)
    return names


def _require(ctx, perms: tuple[str, ...]) -> None:
    for perm in perms:
        if not ctx.has_scope(perm):
            raise errors.GraphError(f"(#10) Requires {perm} permission", code=10, type="OAuthException")


@route("GET", "{page:page}/insights", params=(
    P("metric", "list"), P("period", "enum", enum=PERIODS), P("since", "datetime"), P("until", "datetime"),
    P("date_preset", "enum", enum=DATE_PRESETS), P("show_description_from_api_doc", "bool"), P("breakdown", "list"),
))
def page_insights(ctx):
    page = ctx.node
    token = ctx.require_user_token()
    if token.kind != Token.Kind.PAGE or token.page_id != page.gid:
        raise errors.GraphError("(#210) A page access token is required to request this resource.", code=210)
    _require(ctx, PAGE_INSIGHT_PERMS)
    names = _metrics(ctx.args)
    for name in names:
        if name not in PAGE_METRICS:
            raise errors.invalid_param("The value must be a valid insights metric")
    days = _window(ctx.args, max_days=MAX_WINDOW_DAYS)
    wanted = ctx.args.get("period")
    data = []
    for name in names:
        periods, title, description, value = PAGE_METRICS[name]
        for period in periods:
            if wanted and period != wanted:
                continue  # a period the metric does not have: Meta leaves the metric out
            data.append({"name": name, "period": period,
                         "values": [{"value": value(page, day, PERIOD_DAYS[period]), "end_time": _end_time(day)}
                                    for day in days],
                         "title": title, "description": description,
                         "id": f"{page.gid}/insights/{name}/{period}"})
    return {"data": data}


# --- Instagram account insights ----------------------------------------------------------------------

#: metric -> (metric types it has, title, description, value over days ending on a day)
IG_METRICS = {
    "reach": (("time_series", "total_value"), "Accounts reached",
              "The number of unique accounts that have seen your content, at least once.",
              lambda n, d, days: _span(reach, n, d, days)),
    "follower_count": (("time_series",), "Follower count",
                       "The number of accounts that started following you.", lambda n, d, days: new_followers(n, d)),
    "views": (("total_value",), "Views", "The number of times your content was played or displayed.",
              lambda n, d, days: _span(views, n, d, days)),
    "accounts_engaged": (("total_value",), "Accounts engaged",
                         "The number of accounts that have interacted with your content.",
                         lambda n, d, days: _span(reach, n, d, days) // 6),
    "total_interactions": (("total_value",), "Content interactions",
                           "The number of likes, saves, comments, shares and replies on your content.",
                           lambda n, d, days: _span(views, n, d, days) // 5),
}
IG_REMOVED = ("impressions",)


@route("GET", "{ig:instagram_account}/insights", params=(
    P("metric", "list"), P("period", "list"), P("metric_type", "enum", enum=("default", "time_series", "total_value")),
    P("since", "datetime"), P("until", "datetime"), P("breakdown", "list"),
    P("timeframe", "enum", enum=("last_14_days", "last_30_days", "last_90_days", "prev_month", "this_month",
                                 "this_week")),
))
def instagram_insights(ctx):
    account = ctx.node
    ctx.require_user_token()
    _require(ctx, IG_INSIGHT_PERMS)
    names = _metrics(ctx.args)
    for i, name in enumerate(names):
        if name in IG_REMOVED or name not in IG_METRICS:
            raise errors.invalid_param(f"metric[{i}] must be one of the following values: {', '.join(IG_METRICS)}",
                                       error_data={"blame_field_specs": [["metric"]]})
    periods = ctx.args.get("period") or []
    if not periods:
        raise errors.required_param("period")
    if any(p != "day" for p in periods):
        raise errors.invalid_param(f"Incompatible period for the metrics requested: {', '.join(periods)}",
                                   error_data={"blame_field_specs": [["period"]]})
    kind = ctx.args.get("metric_type") or "default"
    if kind == "default":
        kind = "time_series"
    refused = [name for name in names if kind not in IG_METRICS[name][0]]
    if refused:
        raise errors.invalid_param(f"The following metrics ({', '.join(refused)}) should be specified with parameter "
                                   f"metric_type={'total_value' if kind == 'time_series' else 'time_series'}",
                                   error_data={"blame_field_specs": [["metric_type"]]})
    days = _window(ctx.args, max_days=IG_MAX_WINDOW_DAYS)
    data = []
    for name in names:
        _types, title, description, value = IG_METRICS[name]
        item = {"name": name, "period": "day", "title": title, "description": description,
                "id": f"{account.gid}/insights/{name}/day"}
        if kind == "time_series":
            item["values"] = [{"value": value(account, day, 1), "end_time": _end_time(day)} for day in days]
        else:
            item["total_value"] = {"value": value(account, days[-1], len(days)) if days else 0}
        data.append(item)
    return {"data": data}


# --- what other node types carry -------------------------------------------------------------------------

def _ig_followers_count(ctx, node: Node) -> int:
    """IGUser.followers_count: the same audience the insights count."""
    return followers(node, _today())


def _has_ad_spend(business_id: str) -> bool:
    return any(int(a.data.get("daily_spend_minor", 0) or 0) > 0
               for a in Node.objects.of_type("ad_account").filter(business_id=business_id))


def _commerce_insights(ctx, node: Node) -> dict:
    """ProductItem.commerce_insights: impressions since the item was created, paid ones only
    while the business has an ad account that spends."""
    seed, age = node.pk % 37, _age(node, _today())
    organic = seed * 3 + age * (seed % 5 + 2)
    return {"organic_impressions": organic, "paid_impressions": organic // 3 if _has_ad_spend(node.business_id) else 0,
            "message_sends": seed % 4 + age // 7}


registry.node_types["instagram_account"].fields["followers_count"] = Computed(_ig_followers_count)
registry.node_types["product"].fields["commerce_insights"] = Computed(_commerce_insights)
