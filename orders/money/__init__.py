"""Order money, in one home: what an order's lines, units and refunds are worth, to the minor
unit, computed the way Meta computes it (DESIGN §7, META_API §3.5, §3.10, docs/money.md).

- `rules`: the splitting rules: Meta's cumulative per-unit rule and our largest remainder
  across lines.
- `lines`: one line's figures (`figures_of(item)` → `LineFigures`).
- `ledger`: a line's units in the order they shipped or were cancelled, and its refunds
  (`ledgers(order)` → `LineLedger`): what each shipment or cancellation carries, what is
  refundable, what a refund returns and to whom.
- `refunds`: a seller's refund or cancellation validated and computed (`plan_refund` →
  `RefundPlan`, `plan_cancel` → `CancelPlan`).
- `preview`: the refund confirmation table a seller sees (`refund_preview`).

Every app that needs order money (promotions records and previews allocations with it) imports
it from here; this package imports nothing above orders.
"""

from orders.money.ledger import LineLedger, LineRefund, Units, ledger_of, ledgers
from orders.money.lines import LineFigures, figures_of
from orders.money.preview import RefundPreview, refund_amounts_for_units, refund_preview
from orders.money.refunds import (
    CancelPlan,
    RefundPlan,
    plan_cancel,
    plan_refund,
)
from orders.money.rules import (
    allocate_order_discount_to_lines,
    allocate_per_unit_meta,
    cumulative,
    refund_share,
    units_share,
)

__all__ = [
    "CancelPlan", "LineFigures", "LineLedger", "LineRefund", "RefundPlan", "RefundPreview", "Units",
    "allocate_order_discount_to_lines", "allocate_per_unit_meta", "cumulative", "figures_of",
    "ledger_of", "ledgers", "plan_cancel", "plan_refund", "refund_amounts_for_units", "refund_preview", "refund_share",
    "units_share",
]
