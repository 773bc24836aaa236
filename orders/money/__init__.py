"""Order money, in one home: what an order's lines, units and refunds are worth, to the minor
unit, computed the way Meta computes it (DESIGN §7, META_API §3.5, §3.10, docs/money.md).

- `rules`: the splitting rules: Meta's cumulative per-unit rule, our largest remainder across
  lines, and the buyer / Meta split of a refund.
- `lines`: one line's figures (`figures_of(item)` → `LineFigures`) and what refunding or
  cancelling units of it returns.
- `refunds`: a seller's refund validated and computed (`plan_refund` → `RefundPlan`), what is
  left to refund, what a cancellation gives back.
- `preview`: the refund confirmation table a seller sees (`refund_preview`).

Every app that needs order money (promotions records and previews allocations with it) imports
it from here; this package imports nothing above orders.
"""

from orders.money.lines import LineFigures, amount_for_units, cancel_units, figures_of, refund_of_amount, units_covered
from orders.money.preview import RefundPreview, refund_amounts_for_units, refund_preview
from orders.money.refunds import (
    RefundPlan,
    cancellation_refund,
    plan_refund,
    refundable,
    refundable_units,
    value_of_units,
)
from orders.money.rules import (
    RefundSplit,
    allocate_order_discount_to_lines,
    allocate_per_unit_meta,
    cumulative,
    refund_amount_split,
    refund_share,
    refund_split,
    units_share,
)

__all__ = [
    "LineFigures", "RefundPlan", "RefundPreview", "RefundSplit", "allocate_order_discount_to_lines",
    "allocate_per_unit_meta", "amount_for_units", "cancel_units", "cancellation_refund", "cumulative", "figures_of",
    "plan_refund", "refund_amount_split", "refund_amounts_for_units", "refund_of_amount", "refund_preview",
    "refund_share", "refund_split", "refundable", "refundable_units", "units_covered", "units_share",
    "value_of_units",
]
