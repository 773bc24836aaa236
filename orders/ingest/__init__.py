"""Ingest Meta orders for one shop: register the order management app, pull what changed on
Meta's side, pull new orders, acknowledge them in bulk. Meta sends no order webhooks, so this
runs every couple of minutes per shop (orders.tasks) and on the seller's "Check now".

One poll (`poll_shop`), under the shop's poll lease (`orders.poll:<shop id>`), in this order:

1. `POST /{cms}/order_management_apps` once per merchant settings (orders then wait in CREATED
   for us instead of going to Commerce Manager).
2. Changes: `state=IN_PROGRESS,COMPLETED&updated_after=<watermark − overlap>` with every
   shipment, cancellation, refund and return of each changed order (buyer cancellations,
   Meta-initiated refunds, returns: all of them, not only the first). The watermark is Meta's
   newest `last_updated` seen and is saved in the transaction of the last page it covers, so a
   crash never skips a change; the overlap makes the query tolerate same-second updates (the
   upserts are idempotent).
3. New orders: `state=FB_PROCESSING,CREATED` (Meta keeps unacknowledged orders there, so every
   poll sees all of them; FB_PROCESSING ones are read early to reserve stock).
4. Acknowledgement in batches of 100 (`AckBatch`: key and body frozen, so a retried call is the
   same call and Meta applies it once), with per-order errors (2361003 ...) kept on the order.

Each page is one transaction. Nothing holds a transaction open while talking to Meta. The
ledger (`IngestRun`) records the window, counts and errors of every poll. Pages of steps 2 and
3 are read one ahead (`readahead`): Meta serves the next page while we write this one.
"""

from orders.ingest.acks import acknowledge_pending, apply_ack_answer, claim_batch, push_batch, retry_failed_acks
from orders.ingest.poll import POLL_JOB, Poller, mark_removed, poll_shop
from orders.ingest.upserts import apply_orders, create_orders, update_order

__all__ = ["POLL_JOB", "Poller", "acknowledge_pending", "apply_ack_answer", "apply_orders", "claim_batch",
           "create_orders", "mark_removed", "poll_shop", "push_batch", "retry_failed_acks", "update_order"]
