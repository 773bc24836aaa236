"""Hostile input everywhere a seller can type or edit a URL: never a 500, never an error logged,
never unescaped HTML (issue 12).

The URL list is read from the resolver (everything but the admin, the Graph sandbox and
/healthz), so a view added later is swept automatically; each URL is its own test case. For each,
with shop A connected through the FBE dialog and holding real objects (a Meta order placed by the
sandbox's buyer, polled, shipped and returned; products, a product set, an import, a promotion):

- its integer URL arguments are replaced by numbers no database column holds (404, not 500);
- it is read (GET) with hostile values for every field of the forms it shows and for the usual
  query parameters;
- every form that posts to it (read from the rendered page, or the pages that link to it) is
  posted with hostile values, one field at a time, the other fields keeping the page's own values,
  and then with every field hostile at once; file inputs get hostile files.

A redirect is followed once (messages render on the next page). Run on PostgreSQL too: an
over-long value raises DataError there only, and a NUL character is refused by PostgreSQL only.
"""

from __future__ import annotations

import logging
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse

HTML = "<script>alert('hostile')</script>"
HOSTILE = [
    "x" * 5000,  # over-long
    "-1",
    "-99999999999999999999999",
    "99999999999999999999999",
    "1e400",
    "abc",
    "0x1F",
    "NaN",
    " ",
    "\u0633\u0644\u0627\u0645 \u6f22\u5b57 \U0001f642 e\u0301",  # unicode: RTL, CJK, emoji, combining
    HTML,
    "\"'><img src=x onerror=alert(1)>",
    "a\x00b",  # NUL: PostgreSQL refuses it in text
    "../../etc/passwd",
    "//evil.example.com/",
]
#: Posted to each field in turn (the others keeping the page's values): over-long, negative and too
#: large, non-numeric, unicode with HTML, NUL. Every value of HOSTILE goes to all fields at once.
PER_FIELD = ["x" * 5000, "-99999999999999999999999", "abc", "\u6f22\u5b57 \U0001f642 " + HTML, "a\x00b"]
#: Query parameters the seller pages read besides their forms' fields.
QUERY = ["page", "after", "before", "q", "next", "return", "focus", "variant_of", "view", "state", "status", "sync",
         "issue", "kind", "sort", "order", "shop", "code", "state", "error", "error_reason", "hub.mode",
         "hub.challenge", "hub.verify_token"]
#: Numbers a URL's <int:...> converter accepts that no row has (and no 64-bit column holds).
BIG_IDS = [2**31, 2**63]
SKIP_NAMESPACES = ("admin", "meta_sandbox", "graph_sandbox", "sandbox")
SKIP_NAMES = {"healthz"}
#: Values a form needs to reach its next step (the page leaves them empty).
VALID = {"orders:ship": {"carrier": "UPS", "tracking_number": "1Z"}}
#: Pages that show the forms of POST-only views, per URL namespace.
PARENTS = {
    "catalog": ["catalog:index", "catalog:products", "catalog:import_detail", "catalog:sets", "catalog:set_edit",
                "catalog:product_edit", "catalog:product_delete", "catalog:set_delete"],
    "orders": ["orders:index", "orders:detail", "orders:ingest"],
    "shops": ["shops:settings", "shops:members", "shops:issues", "shops:onboarding", "shops:verify",
              "shops:finish", "dashboard"],
    "promotions": ["promotions:index", "promotions:edit", "promotions:settings"],
    "": ["dashboard", "shops:settings"],
}


def all_routes() -> list[tuple[str, tuple[str, ...]]]:
    """(view name, URL kwarg names) of every seller-facing pattern."""
    found = []

    def walk(patterns, ns: str, kwargs: frozenset, skipped: bool):
        for p in patterns:
            if isinstance(p, URLResolver):
                name = p.namespace or ""
                skip = skipped or name in SKIP_NAMESPACES or str(p.pattern).startswith(("admin/", "graph-sandbox/"))
                walk(p.url_patterns, f"{ns}{name}:" if name else ns, kwargs | set(p.pattern.converters), skip)
            elif isinstance(p, URLPattern) and p.name and not skipped and p.name not in SKIP_NAMES:
                found.append((ns + p.name, tuple(sorted(kwargs | set(p.pattern.converters)))))

    walk(get_resolver().url_patterns, "", frozenset(), False)
    return sorted(set(found))


ROUTES = all_routes()


def test_the_sweep_covers_the_seller_portal():
    names = {n for n, _ in ROUTES}
    assert {"dashboard", "catalog:bulk", "orders:ship", "promotions:create", "onboarding:new_shop", "login",
            "set_language"} <= names
    assert not any(n.startswith("admin:") or "sandbox" in n for n in names)
    assert len(ROUTES) >= 60


# --- the shop and its objects ------------------------------------------------------------------


@pytest.fixture
def world(meta_shop, alice):
    """URL kwargs of real objects of shop A, connected through the FBE dialog."""
    from catalog.tests.factories import make_import, make_product, make_set
    from finance.tests.factories import make_payout, make_report
    from orders import services
    from orders.tests.factories import make_failed_push
    from promotions.tests.factories import make_discount
    from shops.models import Membership

    shop = meta_shop.shop
    placed = meta_shop.place(items=[{"retailer_id": "TEA-1", "quantity": 3, "price": "12.00",
                                     "product_name": "Jasmine tea"}])
    meta_shop.poll()
    order = meta_shop.local(placed["id"])
    item = order.items.get()
    shipment = services.ship(shop, order.pk, quantities={item.pk: 2}, carrier="UPS", tracking_number="1Z")
    meta_shop.buyer.request_return(placed["id"], [{"item_id": placed["items"][0]["id"], "quantity": 1}])
    meta_shop.poll()
    ret = order.returns.first()
    assert ret is not None
    product = make_product(shop, retailer_id="TEA-1")
    make_product(shop)
    kwargs = {
        "shop_id": shop.pk, "order_id": order.pk, "shipment_id": shipment.pk, "return_id": ret.pk,
        "decision": "approve", "push_id": make_failed_push(order).pk, "product_id": product.pk,
        "job_id": make_import(shop, content="id,title\nTEA-9,Tea\n").pk,
        "set_id": make_set(shop).pk, "discount_id": make_discount(shop, products=[product]).pk,
        "membership_id": shop.memberships.get(role=Membership.Role.VIEWER).pk,
        "uidb64": "MQ", "token": "set-password",
        "payout_id": make_payout(shop).pk, "report_id": make_report(shop).pk,
    }
    return kwargs


def url_of(name: str, extra: tuple[str, ...], world: dict, **override) -> str:
    return reverse(name, kwargs={k: override.get(k, world[k]) for k in extra})


# --- forms as the page renders them --------------------------------------------------------------


class Forms(HTMLParser):
    """Every <form> of a page: (method, action, {field name: [default values]}, {file field names})."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form = None
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {"method": (a.get("method") or "get").lower(), "action": a.get("action") or "",
                          "fields": {}, "files": set()}
            self.forms.append(self._form)
            return
        if self._form is None or not a.get("name") or a.get("name") == "csrfmiddlewaretoken":
            if tag == "option" and self._select is not None and (a.get("selected") is not None or not
                                                                 self._form["fields"].get(self._select)):
                self._form["fields"][self._select] = [a.get("value", "")]
            return
        name = a["name"]
        fields = self._form["fields"]
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind == "file":
                self._form["files"].add(name)
            elif kind in ("checkbox", "radio"):
                fields.setdefault(name, [])
                if a.get("checked") is not None:
                    fields[name].append(a.get("value", "on"))
            elif kind in ("submit", "button", "image", "reset"):
                fields.setdefault(name, [a.get("value", "")])
            elif a.get("disabled") is None:
                fields.setdefault(name, []).append(a.get("value", ""))
        elif tag == "button" and (a.get("type") or "submit").lower() == "submit":
            fields.setdefault(name, [a.get("value", "")])
        elif tag == "select":
            self._select = name
            fields.setdefault(name, [])
        elif tag == "textarea":
            self._textarea = name
            fields.setdefault(name, [""])

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea and self._form is not None:
            self._form["fields"][self._textarea] = [data]


def forms_of(response) -> list[dict]:
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        return []
    parser = Forms()
    parser.feed(response.content.decode())
    path = response.wsgi_request.path
    for form in parser.forms:
        form["action"] = urlsplit(form["action"]).path or path
    return parser.forms


# --- the checks ----------------------------------------------------------------------------------


class Sweep:
    def __init__(self, client, caplog):
        self.client = client
        self.caplog = caplog
        self.requests = 0

    def check(self, response, what) -> None:
        self.requests += 1
        assert response.status_code != 500, what
        errors = [r for r in self.caplog.records if r.levelno >= logging.ERROR]
        assert not errors, (what, [r.getMessage() for r in errors])
        content_type = response.get("Content-Type", "")
        if "html" in content_type and not response.streaming:
            body = response.content.decode()
            assert HTML not in body, (what, "unescaped HTML")
            assert "<img src=x onerror" not in body, (what, "unescaped HTML")
        if response.status_code in (301, 302, 303) and response["Location"].startswith("/"):
            following = self.client.get(response["Location"])
            if following.streaming:
                b"".join(following.streaming_content)
            self.check(following, (what, "then", response["Location"]))

    def get(self, url, query=None):
        response = self.client.get(url, query or {})
        if response.streaming:
            b"".join(response.streaming_content)
        self.check(response, ("GET", url, query))
        return response

    def post(self, url, data, files=None):
        payload = {**data, **(files or {})}
        response = self.client.post(url, payload)
        if response.streaming:
            b"".join(response.streaming_content)
        self.check(response, ("POST", url, {k: str(v)[:40] for k, v in data.items()}))
        return response


def hostile_file(value: str, n: int) -> SimpleUploadedFile:
    bodies = [f"id,title,price\n{value},{value},{value}\n".encode(), b"\xff\xfe\x00\x00garbage", b"",
              ("id,title\nA," + "x" * 140_000 + "\n").encode(), b"id\n" + b"\xe9\n" * 3]
    return SimpleUploadedFile(f"hostile-{n}.csv", bodies[n % len(bodies)], content_type="text/csv")


def _case(name, extra):
    return pytest.param(name, extra, id=name)


@pytest.mark.parametrize("name,extra", [_case(*r) for r in ROUTES])
def test_hostile_input_never_gives_a_500(name, extra, world, meta_shop, caplog):
    from django.test import Client

    caplog.set_level(logging.ERROR)
    client = Client()
    client.force_login(meta_shop.shop.memberships.get(role="owner").user)
    sweep = Sweep(client, caplog)
    url = url_of(name, extra, world)

    # Path arguments no row has.
    for key in (k for k in extra if k not in ("decision", "uidb64", "token")):
        for big in BIG_IDS:
            response = client.get(url_of(name, extra, world, **{key: big}))
            sweep.check(response, ("GET", key, big))
            assert response.status_code in (302, 404, 405), (key, big, response.status_code)
            response = client.post(url_of(name, extra, world, **{key: big}))
            sweep.check(response, ("POST", key, big))
            # The storefront API asks for its key before it looks anything up.
            allowed = (401,) if name.startswith("storefront_api") else (302, 404)
            assert response.status_code in allowed, (key, big, response.status_code)
    for key in (k for k in extra if k in ("decision", "uidb64", "token")):
        for value in ("x" * 300, "a-b"):
            sweep.check(client.get(url_of(name, extra, world, **{key: value})), ("GET", key, value))

    # Reading it with hostile query strings.
    page = sweep.get(url)
    forms = forms_of(page)
    get_fields = {f for form in forms if form["method"] == "get" for f in form["fields"]}
    for value in HOSTILE:
        sweep.get(url, {f: value for f in {*QUERY, *get_fields}})

    # Posting to it what its forms (or the pages showing its forms) send, with hostile values.
    path = urlsplit(url).path
    posting = [f for f in forms if f["method"] == "post" and f["action"] == path]
    if not posting:
        namespace = name.split(":")[0] if ":" in name else ""
        for parent in PARENTS.get(namespace, []):
            parent_extra = next((e for n, e in ROUTES if n == parent), None)
            if parent_extra is None:
                continue
            parent_page = client.get(url_of(parent, parent_extra, world))
            posting += [f for f in forms_of(parent_page) if f["method"] == "post" and f["action"] == path]
    if not posting:  # a POST-only view no page shows a form for: post the usual names
        posting = [{"fields": {q: [""] for q in QUERY}, "files": set(), "generic": True}]
    if name == "logout":  # logging out ends the sweep of every later request
        posting = posting[:1]
    # A form's answer may be its next step (a review asking to confirm): that form is swept too.
    seen = [frozenset(f["fields"]) for f in posting]
    posting = posting[:3]
    for form in posting:  # the list grows with the next steps found while it is swept
        base = {k: (v if len(v) != 1 else v[0]) for k, v in form["fields"].items() if v} | VALID.get(name, {})
        n = 0
        for field in ([] if form.get("generic") else form["fields"]):
            for value in PER_FIELD:
                n += 1
                files = {f: hostile_file(value, n) for f in form["files"]}
                sweep.post(url, {**base, field: value}, files)
        for value in HOSTILE:
            n += 1
            files = {f: hostile_file(value, n) for f in form["files"]}
            sweep.post(url, {f: value for f in form["fields"]} | {"confirm": "1"}, files)
        if not form.get("generic"):
            for step in forms_of(sweep.post(url, base)):
                if (step["method"] == "post" and step["action"] == path and frozenset(step["fields"]) not in seen
                        and len(posting) < 5):
                    seen.append(frozenset(step["fields"]))
                    posting.append(step)
    assert sweep.requests > len(HOSTILE)
