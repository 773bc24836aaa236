"""Shop health: read what Meta says about a shop, judge it, record it.

Three steps, kept apart so each can be tested on its own:

1. *read* (network): the token (`/me/permissions`, asked with the token itself), the FBE install, the
   commerce merchant settings (`merchant_status`, `cta`, review rejections, the Facebook and
   Instagram channels) and `setup_status`;
2. *judge* (pure): turn those answers into `Check`s (pass, fail, or unknown when Meta could
   not be asked);
3. *record* (database): store the checks on the connection, open or refresh one `ShopIssue`
   per failed check, resolve the issues of checks that pass; unknown checks leave their issues
   alone. History is kept: a resolved issue keeps its row, a new occurrence gets a new one.

The onboarding callback runs 1-3 for a brand-new token (`read_new_connection`); the health
task runs them for a stored one (`shops.tasks.check_shop_health`).

One module a step: ``reading`` (1, and the assets Meta reports), ``judging`` (2) and
``recording`` (3, plus the issues opened or resolved outside a full check).
"""
