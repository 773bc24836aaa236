"""The catalog sync engine: our products to Meta's `items_batch`, batch results back.

Three kinds of run (DESIGN §5, META_API §2.9) in two lanes per shop, each one run at a time
under its own lease (`kernel.Lease`, renewed while the run works): the scheduled lane (changes,
full: `catalog.sync:<shop id>`) and the fast lane (`catalog.sync.fast:<shop id>`), which runs
beside a changes or full sync instead of waiting for it. A product never rides two unfinished
batches at once, of either lane, and a batch gives up products the other lane sent since it read
them (`Engine.yield_to_other_lane`), so the newest value is the last Meta receives:

- **fast**: price, sale price, availability and inventory of products Meta knows, seconds after
  an edit (coalesced: `request_fast_sync` on commit, a debounce lease, a minimum spacing between
  calls) and every 5 minutes by the sweep;
- **changes** (hourly): every dirty product (new ones and slow changes as full records, the rest
  as fast records), tombstones as DELETE, product sets;
- **full** (daily): every product as a full record, product sets, and removal at Meta of items
  of the shop's catalog that no longer exist here (the catalog's products listed with paging).

Each batch (≤ 5,000 records, ≤ 28 MB, sent as a JSON body) is written as a CatalogBatch row with
the hashes sent *before* the call, and gets Meta's handle after it; the calls run on worker
threads while the run's thread builds the next batch and applies Meta's answers (`engine`). Products are marked synced only
from `check_batch_request_status` results for that handle: confirmed → `confirm_synced` with the
hashes sent (so a product edited meanwhile stays dirty); rejected → a product issue (source
"batch"). A worker killed anywhere leaves either a pending row (abandoned by the next run: its
products are still dirty and go again) or a sent row (polled and applied later): nothing is
lost and nothing is marked synced that Meta did not confirm.

Meta's batch budget: the fast lane coalesces and spaces its calls (more when the usage headers
show pressure); a throttle (80014/80009, `RateLimited`) or a budget nearly spent pauses the run
(`deferred`) and reschedules it — never a sleep — and the resumed run continues after its cursor,
so confirmed items are not sent again.

The modules: `config` (settings, lease keys, `Deferred`), `state` (the shop's sync state and
connection, the budget, the fast lane's requests), `run` (`sync_shop`, `poll_shop`), `engine`
(one run: its phases and sending pipeline), `batches` (rows to batches), `background` (calls on
worker threads), `outcomes` (status checks, per-item results), `reconcile`, `results` (reading
batch answers), `sets`, `diagnostics`, `panel` (what the seller's pages show and ask).
"""

from catalog.sync.run import Outcome, sync_shop

__all__ = ["Outcome", "sync_shop"]
