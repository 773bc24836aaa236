"""Finance reports, per month or chosen period, on screen and as CSV (formula-safe cells):

- **Sales reconciliation**: every order placed in the period, every channel: what the order
  records (items, discount, shipping, tax, total, refunded) beside what Meta's transactions say
  (sales, refunds, chargebacks, fees, net, the payouts that paid it), and whether they tie out.
  Website orders are paid through the seller's own payment provider: marked so.
- **Tax by jurisdiction** (country and state or region of the shipping address): the tax
  captured on the lines (Meta's `captured_tax` for Meta orders, the storefront's tax for website
  orders), what was refunded, what Meta remitted as marketplace facilitator
  (`estimated_payment_details.tax_remitted`) and what the seller owes. Its total captured tax
  equals the sales report's tax column.

Reports are built by a background task (`finance.tasks.build_report`), a chunk of orders at a
time with the progress stored on the `Report` row, so a long period never holds a request."""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterator
from datetime import date

from django.db.models import Sum
from django.utils import timezone

from catalog.csv_io import safe_cell
from finance.models import Report, Transaction
from finance.reconcile import order_differences
from kernel.money import Money
from orders.money import ledgers

CHUNK = 500
#: an amount the report wrote itself stays a number in a spreadsheet ("-5.00" is not a formula)
_NUMBER = re.compile(r"-?\d+(\.\d+)?")

SALES_COLUMNS = ["order", "channel", "meta_order_id", "placed_at", "currency", "items", "discount", "shipping",
                 "tax", "total", "refunded", "meta_sales", "meta_refunds", "meta_chargebacks", "meta_fees",
                 "meta_net", "payouts", "ties_out"]
TAX_COLUMNS = ["country", "region", "currency", "orders", "taxable_sales", "tax_captured", "tax_refunded",
               "tax_remitted_by_meta", "tax_you_owe"]


def _dec(minor: int, currency: str) -> str:
    return Money(minor, currency).to_decimal_str()


def orders_in(shop, start: date, end: date):
    from orders.models import Order

    return Order.objects.filter(shop=shop, placed_at__date__gte=start, placed_at__date__lte=end).order_by("pk")


def _line_tax(order, items) -> int:
    """Tax captured on the order's lines: the storefront's for a website order; Meta's
    `captured_tax` for a Meta order, or, for shipped units Meta has not reported on yet (the
    next order read brings it), the tax the order-money module captures for them."""
    if not order.is_meta:
        return sum(item.tax_minor for item in items)
    unreported = [item for item in items if not item.captured_tax_minor and item.quantity_shipped]
    books = ledgers(order, items) if unreported else {}
    return sum(books[item.pk].captured_tax_minor if item in unreported else item.captured_tax_minor
               for item in items)


def _refunds_by_order(order_ids) -> dict[int, tuple[int, int]]:
    """{order pk: (refunded total, refunded tax)} of the refunds that did not fail."""
    from orders.models import Refund

    rows = (Refund.objects.filter(order_id__in=order_ids).exclude(push__state="failed").values("order_id")
            .annotate(total=Sum("total_minor"), tax=Sum("tax_minor")))
    return {r["order_id"]: (r["total"] or 0, r["tax"] or 0) for r in rows}


def _transactions_by_order(order_ids) -> dict[int, dict]:
    books: dict[int, dict] = defaultdict(lambda: defaultdict(int))
    refs: dict[int, set] = defaultdict(set)
    for row in (Transaction.objects.filter(order_id__in=order_ids)
                .values("order_id", "kind", "payout_reference_id")
                .annotate(gross=Sum("gross_minor"), fee=Sum("fee_minor"), net=Sum("net_minor"))):
        book = books[row["order_id"]]
        book[row["kind"]] += row["gross"]
        book["fee"] += row["fee"]
        book["net"] += row["net"]
        book["n"] += 1
        if row["payout_reference_id"]:
            refs[row["order_id"]].add(row["payout_reference_id"])
    for pk, found in refs.items():
        books[pk]["payouts"] = sorted(found)
    return books


def sales_rows(orders) -> Iterator[list]:
    """One row per order (values, not yet CSV cells), for a chunk of orders."""
    orders = list(orders.prefetch_related("items"))
    ids = [o.pk for o in orders]
    refunds, books = _refunds_by_order(ids), _transactions_by_order(ids)
    # whether an order ties out is the reconciliation's rule (finance.reconcile), not a copy of it
    differing = {d.order.pk for d in order_differences(orders[0].shop, ids)} if orders else set()
    for order in orders:
        c = order.currency
        items = list(order.items.all())
        tax = _line_tax(order, items)
        refunded, _tax = refunds.get(order.pk, (0, 0))
        book = books.get(order.pk)
        if not order.is_meta:
            meta = [""] * 6
            ties = "paid through your payment provider"
        elif not book:
            meta, ties = [""] * 6, "no transaction yet"
        else:
            sales, refunds_ = book[Transaction.Kind.SALE], -book[Transaction.Kind.REFUND]
            chargebacks = -(book[Transaction.Kind.CHARGEBACK] + book[Transaction.Kind.CHARGEBACK_REVERSAL])
            meta = [_dec(sales, c), _dec(refunds_, c), _dec(chargebacks, c), _dec(book["fee"], c),
                    _dec(book["net"], c), " ".join(book.get("payouts") or [])]
            ties = "no" if order.pk in differing else "yes"
        yield [order.reference, order.channel, order.meta_order_id, order.placed_at.isoformat(), c,
               _dec(order.items_subtotal_minor, c), _dec(order.order_discount_minor, c), _dec(order.shipping_minor, c),
               _dec(tax, c), _dec(order.total_minor, c), _dec(refunded, c), *meta, ties]


def tax_rows(orders, totals: dict) -> None:
    """Add a chunk of orders into `totals` {(country, region, currency): {...}}."""
    orders = list(orders.prefetch_related("items"))
    refunds = _refunds_by_order([o.pk for o in orders])
    for order in orders:
        address = order.shipping_address or {}
        key = (str(address.get("country") or "").upper()[:2] or "?",
               str(address.get("state") or address.get("region") or "").upper()[:40], order.currency)
        row = totals.setdefault(key, defaultdict(int))
        items = list(order.items.all())
        captured = _line_tax(order, items)
        _total, refunded_tax = refunds.get(order.pk, (0, 0))
        row["orders"] += 1
        row["taxable"] += order.items_subtotal_minor - order.order_discount_minor + order.shipping_minor
        row["captured"] += captured
        row["refunded"] += refunded_tax
        if order.is_meta and order.tax_remitted:
            row["remitted"] += captured - refunded_tax
        else:
            row["owed"] += captured - refunded_tax


def tax_table(totals: dict) -> list[list]:
    out = []
    for (country, region, currency), row in sorted(totals.items()):
        out.append([country, region, currency, row["orders"], _dec(row["taxable"], currency),
                    _dec(row["captured"], currency), _dec(row["refunded"], currency), _dec(row["remitted"], currency),
                    _dec(row["owed"], currency)])
    return out


def _csv(header: list, rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([v if not isinstance(v, str) or _NUMBER.fullmatch(v) else safe_cell(v) for v in row])
    return out.getvalue()


def build(report: Report) -> Report:
    """Build `report` in chunks, storing progress after each; the CSV is kept on the row."""
    orders = orders_in(report.shop, report.start, report.end)
    report.total = orders.count()
    report.state, report.done = Report.State.RUNNING, 0
    report.save(update_fields=["total", "state", "done"])
    ids = list(orders.values_list("pk", flat=True))
    sales: list[list] = []
    totals: dict = {}
    for start in range(0, len(ids), CHUNK):
        chunk = orders.filter(pk__in=ids[start:start + CHUNK])
        if report.kind == Report.Kind.SALES:
            sales.extend(sales_rows(chunk))
        else:
            tax_rows(chunk, totals)
        report.done = min(report.total, start + CHUNK)
        Report.objects.filter(pk=report.pk).update(done=report.done)
    if report.kind == Report.Kind.SALES:
        report.content = _csv(SALES_COLUMNS, sales)
    else:
        report.content = _csv(TAX_COLUMNS, tax_table(totals))
    report.state, report.finished_at, report.done = Report.State.DONE, timezone.now(), report.total
    report.save(update_fields=["content", "state", "finished_at", "done"])
    return report


def parsed(report: Report) -> tuple[list[str], list[list[str]]]:
    """The report's CSV back as (header, rows) for the screen."""
    rows = list(csv.reader(io.StringIO(report.content)))
    return (rows[0], rows[1:]) if rows else ([], [])
