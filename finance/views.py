"""The Payments pages: payouts with their chart, a payout's transactions, reconciliation,
disputes, reports. Everything is read from the archive (no call to Meta in a request)."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.db.models import Count, Sum
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from finance import reconcile, reports, services
from finance.disputes import disputes
from finance.forms import PeriodForm, ReportForm, default_period
from finance.models import FinanceFeed, FinanceRun, Payout, Report, Transaction
from kernel.money import Money
from kernel.paging import cursor, keyset_page
from shops.tenancy import get_for_shop, shop_view

MAX_PAYOUTS = 500


def _connection(shop):
    """The shop's Meta connection (read with the shop by shops.tenancy), or None."""
    return getattr(shop, "meta_connection", None)


def _cm(conn) -> dict:
    """Commerce Manager's finance pages for the shop's commerce account (shops.links)."""
    from shops import links

    cms = conn.commerce_merchant_settings_id if conn else ""
    if not cms:
        return {}
    return {"settings": links.shop_settings(cms), "payouts": links.payouts(cms), "disputes": links.disputes(cms)}


def _months(start: date, end: date) -> list[date]:
    out, month = [], start.replace(day=1)
    while month <= end:
        out.append(month)
        month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return out


def chart(summary, start: date, end: date, currency: str) -> list[dict]:
    """Per month: payouts, sales and refunds (minor units, from the period's summary in
    `currency`, reconcile.summary) and the bars' heights (0-100)."""
    empty = {"paid": 0, "sales": 0, "refunds": 0}
    months = summary.months if summary is not None else {}
    rows = [{"month": m, **months.get(m, empty)} for m in _months(start, end)]
    top = max([max(r["paid"], r["sales"], r["refunds"]) for r in rows] + [1])
    for i, r in enumerate(rows):
        for name in ("paid", "sales", "refunds"):
            r[f"{name}_h"] = r[name] * 100 // top
            r[f"{name}_y"] = 100 - r[f"{name}_h"]
            r[name + "_money"] = Money(r[name], currency)
        r["x"] = i * 60 + 6
        r["x2"], r["x3"], r["label_x"] = r["x"] + 16, r["x"] + 32, r["x"] + 24
    return rows


@shop_view
def index(request, shop):
    feed = FinanceFeed.objects.filter(shop=shop).first() or FinanceFeed(shop=shop)  # GET writes nothing
    period = PeriodForm(request.GET or None)
    start, end = period.period()
    conn = _connection(shop)
    lo, hi = reconcile.day_range(start, end)  # an index can use these bounds; `__date` it cannot
    # newest first, explicitly: a GROUP BY query (the annotation) ignores Meta.ordering
    payouts = list(Payout.objects.filter(shop=shop, payout_date__gte=lo, payout_date__lt=hi)
                   .annotate(orders=Count("transactions__meta_order_id", distinct=True))
                   .order_by("-payout_date", "-pk")[:MAX_PAYOUTS])
    summaries = reconcile.summary(shop, start, end, stored=feed.reconciliation if feed.pk else None)
    currency = summaries[0].currency if summaries else shop.currency
    from orders.models import Order

    # COUNT(*), not COUNT(id): the partial index orders_order_website answers it alone on PostgreSQL.
    website = (Order.objects.filter(shop=shop, source=Order.Source.WEBSITE, placed_at__gte=lo, placed_at__lt=hi)
               .aggregate(n=Count("*"), total=Sum("total_minor")))
    return render(request, "finance/index.html", {
        "shop": shop, "feed": feed, "period": period, "start": start, "end": end, "payouts": payouts,
        "chart": (rows := chart(next((s for s in summaries if s.currency == currency), None), start, end, currency)), "chart_width": len(rows) * 60 + 12, "chart_currency": currency,
        "summaries": summaries, "disputes": disputes(shop)[:50], "conn": conn,
        "website": {"n": website["n"], "total": Money(website["total"] or 0, shop.currency)},
        "last_run": FinanceRun.objects.filter(shop=shop).first(),
        "report_form": ReportForm(initial={"start": default_period()[0], "end": default_period()[1]}),
        "reports": Report.objects.filter(shop=shop).defer("content")[:10],
        "payouts_ready": conn.payouts_ready if conn else None, "cm": _cm(conn),
    })


@shop_view
def payout(request, shop, payout_id: int):
    row = get_for_shop(Payout, shop, pk=payout_id)
    transactions = Transaction.objects.filter(shop=shop, payout=row).select_related("order")
    totals = transactions.aggregate(gross=Sum("gross_minor"), fee=Sum("fee_minor"), net=Sum("net_minor"),
                                    n=Count("pk"))
    page = keyset_page(transactions, after=cursor(request.GET.get("after")), before=cursor(request.GET.get("before")))
    net = totals["net"] or 0
    return render(request, "finance/payout.html", {
        "shop": shop, "payout": row, "page": page, "count": totals["n"],
        "gross": Money(totals["gross"] or 0, row.currency), "fee": Money(totals["fee"] or 0, row.currency),
        "net": Money(net, row.currency), "tied_out": net == row.amount_minor,
        "difference": Money(row.amount_minor - net, row.currency), "cm": _cm(_connection(shop)),
    })


@shop_view
@require_POST
def check_now(request, shop):
    conn = _connection(shop)
    if not (conn and conn.is_connected):
        messages.error(request, _("Reconnect the shop to Meta first: Meta does not accept its access now.")
                       if conn and conn.has_token else _("Connect the shop to Meta first."))
        return redirect("finance:index", shop_id=shop.pk)
    if not conn.commerce_merchant_settings_id:
        messages.info(request, _("This shop has no commerce account at Meta, so Meta holds no payouts for it: its "
                                 "website orders are paid through your own payment provider."))
        return redirect("finance:index", shop_id=shop.pk)
    feed = FinanceFeed.objects.filter(shop=shop).first()
    if feed and feed.api_removed_at:
        messages.info(request, _("Meta no longer gives payouts and transactions; the archive below is complete."))
        return redirect("finance:index", shop_id=shop.pk)
    services.request_sync(shop, actor=request.user)
    messages.success(request, _("Reading payouts and transactions from Meta now; this page shows them in a moment."))
    return redirect("finance:index", shop_id=shop.pk)


@shop_view
@require_POST
def archive(request, shop):
    conn = _connection(shop)
    feed = FinanceFeed.objects.filter(shop=shop).first()
    if not (conn and conn.is_connected and conn.commerce_merchant_settings_id) or (feed and feed.api_removed_at):
        messages.error(request, _("Meta's finance API cannot be read for this shop; nothing more can be archived."))
        return redirect("finance:index", shop_id=shop.pk)
    services.request_archive(shop, actor=request.user)
    messages.success(request, _("Archiving everything Meta still holds, three years back. This takes a few minutes."))
    return redirect("finance:index", shop_id=shop.pk)


@shop_view
def report_new(request, shop):
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        report = services.request_report(shop, **form.values(), actor=request.user)
        return redirect("finance:report", shop_id=shop.pk, report_id=report.pk)
    return render(request, "finance/report_new.html", {"shop": shop, "form": form}, status=400 if form.errors else 200)


@shop_view
def report(request, shop, report_id: int):
    row = get_for_shop(Report, shop, pk=report_id)
    header, rows = reports.parsed(row) if row.state == Report.State.DONE else ([], [])
    return render(request, "finance/report.html", {
        "shop": shop, "report": row, "header": header, "rows": rows[:200], "more": max(0, len(rows) - 200),
        "refresh": row.state in (Report.State.QUEUED, Report.State.RUNNING)})


@shop_view
def report_download(request, shop, report_id: int):
    row = get_for_shop(Report, shop, pk=report_id, state=Report.State.DONE)
    response = HttpResponse(row.content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{row.kind}-{shop.pk}-{row.start}-{row.end}.csv"'
    return response


def order_panel(order):
    """`orders.hooks` detail panel: the order's transactions and the payouts that paid it."""
    rows = list(Transaction.objects.filter(order=order).select_related("payout").order_by("transaction_date", "pk"))
    if not rows and order.is_meta is False:
        return "finance/_order_panel.html", {"website": True}
    return "finance/_order_panel.html", {"transactions": rows, "website": not order.is_meta,
                                         "net": Money(sum(t.net_minor for t in rows), order.currency)}


