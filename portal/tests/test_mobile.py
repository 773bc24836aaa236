"""Every seller page on a 390 px phone and on a 1280 px desktop, in headless Debian Chromium:

- no page-level sideways scrolling (`document.documentElement.scrollWidth <= innerWidth`); a
  wide table scrolls inside its own region, which is named, focusable and a `role="region"`
  (the `.table-scroll` markup described in static/css/portal.css, "Tables");
- the main navigation is reachable: the menu opens and every main link is visible and
  clickable (on the dashboard each one is really followed);
- axe-core (vendored in static/vendor/axe-core, injected by the test only) finds no WCAG 2.x
  A/AA violation, touch targets of 24 px included (its `target-size` rule);
- every focusable control shows a focus indicator when reached by keyboard.

The pages are every shop route that answers a full page for the demo seller's connected shop
(`seller_pages`, read from the URL resolver: a new page is covered without editing this file),
the wizard and dashboard of the unconnected demo shop, the account pages, and the login pages.
All problems of all pages are reported together in one assertion message.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

pytestmark = pytest.mark.browser

AXE = Path(django_settings.BASE_DIR) / "static" / "vendor" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
#: Pages outside /shop/<id>/ that a logged-in seller reaches from the top bar.
ACCOUNT_PAGES = ["password_change", "password_change_done", "onboarding:new_shop"]
#: Pages of a visitor who is not logged in.
PUBLIC_PAGES = ["login", "password_reset", "password_reset_done"]

AXE_RUN = """async () => {
  const result = await axe.run(document, {
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
    rules: {'target-size': {enabled: true}},
    resultTypes: ['violations'],
  });
  return result.violations.map(v => `${v.id} (${v.impact}): ${v.help}\\n` + v.nodes.slice(0, 6).map(
    n => `      ${n.target.join(' ')}: ${n.failureSummary.replace(/\\s+/g, ' ').slice(0, 220)}`).join('\\n'));
}"""

#: Page-level overflow, and what sticks out (elements not inside a scrolling box).
OVERFLOW = """() => {
  const doc = document.documentElement, width = window.innerWidth;
  if (doc.scrollWidth <= width) return null;
  const scrolled = e => { for (let a = e.parentElement; a && a !== document.body; a = a.parentElement)
    if (!['visible', 'clip'].includes(getComputedStyle(a).overflowX)) return true; return false; };
  const wide = [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > width + 1 && !scrolled(e))
    .map(e => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}${e.className && typeof e.className === 'string'
      ? '.' + e.className.trim().split(/\\s+/).join('.') : ''} (right edge ${Math.round(e.getBoundingClientRect().right)})`);
  return `scrollWidth ${doc.scrollWidth} > innerWidth ${width}; sticking out: ${wide.slice(0, 8).join(', ')}`;
}"""

#: Boxes that scroll sideways must be named, focusable regions (the `.table-scroll` markup).
SCROLLERS = """() => [...document.querySelectorAll('body *')].filter(e => {
    const x = getComputedStyle(e).overflowX;
    return (x === 'auto' || x === 'scroll') && e.scrollWidth > e.clientWidth + 1;
  }).map(e => {
    const wrong = [];
    if (e.getAttribute('role') !== 'region') wrong.push('role="region"');
    if (e.getAttribute('tabindex') !== '0') wrong.push('tabindex="0"');
    const by = (e.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean)
      .map(id => document.getElementById(id)).filter(Boolean);
    if (!(e.getAttribute('aria-label') || '').trim() && !by.some(l => l.textContent.trim()))
      wrong.push('aria-label or aria-labelledby');
    return wrong.length ? `${e.tagName.toLowerCase()}.${e.className} scrolls sideways without ${wrong.join(', ')}` : null;
  }).filter(Boolean)"""

#: After one Tab (keyboard modality), focus each visible control: it must show an outline or ring.
FOCUS = """() => {
  const sel = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]:not([tabindex="-1"])';
  const shown = e => e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden' && !e.closest('[inert]');
  const bad = [];
  for (const e of document.querySelectorAll(sel)) {
    if (!shown(e) || e.disabled) continue;
    e.focus();
    if (document.activeElement !== e) continue;
    const s = getComputedStyle(e);
    const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 1;
    if (!outline && s.boxShadow === 'none')
      bad.push(`${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''} "${(e.textContent || e.name || '').trim().slice(0, 30)}"`);
  }
  document.activeElement && document.activeElement.blur();
  return bad.slice(0, 8);
}"""

#: Every main-nav link is rendered, inside the viewport and the element hit at its centre.
NAV_LINKS = """() => [...document.querySelectorAll('nav.mainnav a')].map(a => {
  const r = a.getBoundingClientRect();
  const x = r.left + r.width / 2, y = r.top + r.height / 2;
  if (!r.width || !r.height) return `${a.textContent.trim()}: not shown`;
  if (r.left < 0 || r.right > window.innerWidth + 1) return `${a.textContent.trim()}: outside the viewport`;
  const hit = document.elementFromPoint(x, y);
  if (y >= 0 && y <= window.innerHeight && !(hit && a.contains(hit))) return `${a.textContent.trim()}: covered`;
  return null;
}).filter(Boolean)"""


def _check(page, label: str, url: str, width: int) -> list[str]:
    """Open `url` and return its problems (empty when the page passes)."""
    problems = []
    response = page.goto(url)
    if response is None or response.status != 200:
        return [f"{label}: answered {response.status if response else 'nothing'}"]
    overflow = page.evaluate(OVERFLOW)
    if overflow:
        problems.append(f"{label}: page scrolls sideways: {overflow}")
    problems += [f"{label}: {p}" for p in page.evaluate(SCROLLERS)]
    page.add_script_tag(path=str(AXE))
    problems += [f"{label}: axe {v}" for v in page.evaluate(AXE_RUN)]
    page.keyboard.press("Tab")
    unfocused = page.evaluate(FOCUS)
    if unfocused:
        problems.append(f"{label}: no visible focus on {', '.join(unfocused)}")
    nav = page.locator("nav.mainnav")
    if nav.count():
        toggle = nav.locator("summary")
        if toggle.count() and toggle.is_visible():
            toggle.click()
        problems += [f"{label}: main nav link {p}" for p in page.evaluate(NAV_LINKS)]
        if width < DESKTOP["width"] and page.evaluate(OVERFLOW):
            problems.append(f"{label}: the open menu makes the page scroll sideways")
    return problems


def _follow_every_nav_link(page, base: str, shop, width: int) -> list[str]:
    """On the dashboard: open the menu and really follow each main link, coming back each time."""
    problems, dashboard = [], base + reverse("dashboard", args=[shop.pk])
    page.goto(dashboard)
    count = page.locator("nav.mainnav a").count()
    if count < 8:
        problems.append(f"{width}px dashboard: only {count} main nav links")
    for i in range(count):
        page.goto(dashboard)
        toggle = page.locator("nav.mainnav summary")
        if toggle.count() and toggle.is_visible():
            toggle.click()
        link = page.locator("nav.mainnav a").nth(i)
        href = link.get_attribute("href")
        try:
            link.click(timeout=3_000)
            page.wait_for_load_state()
        except Exception as error:  # noqa: BLE001 - reported with the others
            problems.append(f"{width}px dashboard: main nav link {href} is not clickable ({type(error).__name__})")
            continue
        if not page.url.startswith(base + href):
            problems.append(f"{width}px dashboard: main nav link {href} led to {page.url}")
    return problems


def _log_in(page, base: str, username: str, password: str) -> None:
    page.goto(base + reverse("login"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def _all_pages(seller_site, seller_pages, other_shop) -> list[tuple[str, str]]:
    from django.test import Client

    from portal.testing import shop_routes, shop_url

    pages = list(seller_pages)
    # The demo's other shop is not connected: its dashboard and the wizard's pages.
    client = Client()
    client.login(username=seller_site.username, password=seller_site.password)
    seen = {path for _name, path in pages}
    for name, extra in shop_routes():
        if extra or (name != "dashboard" and not name.startswith("shops:")):
            continue
        response = client.get(shop_url(name, extra, other_shop), follow=True)
        path = response.request["PATH_INFO"]
        if response.status_code == 200 and path not in seen and b'<main id="main"' in response.content:
            seen.add(path)
            pages.append((f"{name} (not connected)", path))
    return pages + [(name, reverse(name)) for name in ACCOUNT_PAGES]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390px", "1280px"])
def test_every_seller_page_fits_is_navigable_and_has_no_axe_violations(page, live_server, seller_site,
                                                                        seller_pages, viewport):
    from shops.models import Shop

    assert AXE.exists(), "vendor axe-core: static/vendor/axe-core/axe.min.js"
    base, width = live_server.url, viewport["width"]
    other_shop = Shop.objects.get(external_business_id="demo-harbour-ceramics")
    pages = _all_pages(seller_site, seller_pages, other_shop)
    names = {name for name, _path in pages}
    # The pages that matter most must be among those found (the discovery itself can break).
    assert {"dashboard", "catalog:products", "orders:index", "orders:detail", "promotions:index",
            "finance:index", "finance:payout", "ads:index", "shops:settings", "shops:issues"} <= names, names
    page.set_viewport_size(viewport)
    problems = []
    for name in PUBLIC_PAGES:
        problems += _check(page, f"{width}px {name}", base + reverse(name), width)
    _log_in(page, base, seller_site.username, seller_site.password)
    for name, path in pages:
        problems += _check(page, f"{width}px {name} {path}", base + path, width)
    problems += _follow_every_nav_link(page, base, seller_site.shop, width)
    assert not problems, f"{len(problems)} problems on {len(pages) + len(PUBLIC_PAGES)} pages:\n" + "\n".join(problems)
