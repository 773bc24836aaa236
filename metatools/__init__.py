"""Meta's own tools for the seller's Meta-only jobs: the organic figures Meta reports for a shop
(its Page, its Instagram account, its products), read by a daily task and stored with their date,
and what the product page shows of them. The links themselves live in shops.links; the Meta tools
page (portal) puts them together with the ads figures (ads.figures)."""
