"""Website checkout: the shop's checkout link, checked the way Meta uses it.

Since September 2025 buyers on Facebook and Instagram pay on the seller's website: Meta sends
them to the checkout link the seller gave (submitted in Commerce Manager's checkout validation
tool) with the cart in the query string (Meta, "Set Up a Checkout URL",
developers.facebook.com/documentation/ads-commerce/commerce-platform/setup-checkout-url, updated
Dec 17, 2025; META_API.md §8):

- ``products=<retailer id>:<quantity>,…`` (commas and colons escaped per RFC 3986);
- ``coupon=<code>`` (optional), ``fbclid`` (on every outbound link), ``cart_origin``
  (``facebook``, ``instagram`` or ``meta_shops`` for Commerce Manager) and the campaign's UTM
  parameters (``utm_source``, ``utm_medium``, ``utm_campaign``, ``utm_content``) for ad traffic.

Meta's own WooCommerce plugin implements it as ``/fb-checkout?products=…&coupon=…``
(facebook/facebook-for-woocommerce, includes/Checkout.php: empty the cart, add each product,
apply the coupon, show the checkout).

One module a step:

- ``links``: the setting's rules (``validate_checkout_url``) and the URLs Meta builds from it
  (``build_checkout_url``, and ``item_checkout_url`` for a catalog item's ``checkout_url``);
- ``fetch``: opening one URL safely (short timeout, size cap, redirects checked hop by hop, no
  private addresses in production);
- ``check``: the check itself (a few in-stock products from the catalog, a coupon from the
  shop's promotions, through ``shops.hooks``), its stored result and the shop issue;
- ``texts``: the wording of reasons and of the issue, in the reader's language;
- ``services``: what a seller does (save the link, "Check now").

The check never runs in a web request: ``shops.tasks.check_checkout_link`` runs it (daily for
every connected shop, after the link is saved, on "Check now").
"""
