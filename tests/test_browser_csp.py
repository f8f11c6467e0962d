"""The Content-Security-Policy in a real browser: the site's own pages break none of
it while an admin edits and charts draw, and no other origin can frame the site."""

import http.server
import threading

import pytest

from tests.fixtures.servers import free_port, make_admin, start_site, stop

WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample || ""}`);
});
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    env = {"STATBOARD_HOST_REFRESH_SECONDS": "1", "STATBOARD_LOG_LEVEL": "WARNING"}
    site = start_site(tmp_path_factory.mktemp("csp"), env=env)
    make_admin(site)
    yield site
    stop(site.proc)


@pytest.fixture
def admin(browser, site):
    """An admin's page that records every CSP violation and CSP console message."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(WATCH)
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    pg.console_csp = []
    pg.on(
        "console",
        lambda m: pg.console_csp.append(m.text) if "Content Security Policy" in m.text else None,
    )
    pg.goto(site.url + "/login")
    pg.fill("input[name=username]", "boss")
    pg.fill("input[name=password]", "boss-password")
    pg.click("button[type=submit]")
    pg.wait_for_url(site.url + "/")
    yield pg
    context.close()


def violations(pg) -> list[str]:
    return pg.evaluate("window.__violations") + pg.console_csp


def test_an_admin_edits_and_charts_draw_without_a_violation(admin):
    admin.locator("article.block--chart .chart-canvas.chart-drawn canvas").first.wait_for()
    admin.locator("article.block--host").first.wait_for()

    # Rich text, edited in place and saved.
    text_id = admin.get_attribute("#blocks > article.block--text", "id")
    admin.click(f"article#{text_id} .rich-text p")
    area = admin.locator(f"form#{text_id} .rt-area")
    area.wait_for()
    area.locator("p").first.click()
    admin.keyboard.press("End")
    admin.keyboard.type(" Under a strict policy.")
    admin.keyboard.press("Control+Enter")
    admin.wait_for_function(
        "id => document.getElementById(id)?.innerText.includes('Under a strict policy.')",
        arg=text_id,
    )

    # A chart range swapped in by htmx draws again.
    chart = admin.locator("#blocks > article.block--chart", has=admin.locator(".chart-stats"))
    chart.locator(".chart-ranges a", has_text="1 year").click()
    chart.locator(".chart-ranges a[aria-current='true']:text-is('1 year')").wait_for()
    chart.locator(".chart-canvas.chart-drawn canvas").wait_for()

    # Host tiles poll (every second here) and swap themselves.
    admin.wait_for_timeout(2_500)
    assert violations(admin) == []


def test_another_origin_cannot_frame_the_site(admin, site):
    port = free_port()
    framing = f'<!doctype html><iframe id="f" src="{site.url}/" width="800" height="600"></iframe>'

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            body = framing.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        refused = []
        admin.on(
            "console", lambda m: refused.append(m.text) if "frame-ancestors" in m.text else None
        )
        admin.goto(f"http://127.0.0.1:{port}/")
        admin.wait_for_timeout(1_500)
        frame = admin.frame_locator("#f")
        assert frame.locator(".site-header").count() == 0  # the logged-in site is not shown
        assert refused, "the browser did not say it refused the frame"
    finally:
        server.shutdown()
        server.server_close()


def test_an_admin_adds_a_channel_in_place_without_a_violation(admin, site):
    admin.goto(site.url + "/account")
    form = admin.locator("#channels form.channel-add")
    form.locator("input[name=url]").fill("json://me:pass-word-1@127.0.0.1:9/hook")
    form.locator("input[name=kinds][value=changes]").uncheck()  # host alerts only
    form.locator("button[type=submit]").click()
    row = admin.locator("#channels .channel-list li").first
    row.wait_for()
    assert "me:****@127.0.0.1:9/hook" in row.inner_text()
    assert "pass-word-1" not in admin.content()
    assert not row.locator("input[value=changes]").is_checked()
    admin.once("dialog", lambda dialog: dialog.accept())
    row.locator("button", has_text="Remove").click()
    admin.locator("#channels", has_text="No channels of yours yet").wait_for()
    assert violations(admin) == []


def test_an_admin_sets_an_alert_rule_in_place_without_a_violation(admin):
    tile = admin.locator("#blocks > article.block--host").first
    tile.hover()  # "Alerts…" is one of the block's tools, shown on hover
    tile.locator(".alerts-open").click()
    rules = tile.locator(".alerts-rules")
    rules.wait_for()
    rules.locator("select[name=metric]").select_option("cpu")
    rules.locator("input[name=level]").fill("150")
    rules.locator("input[name=span]").fill("5")
    rules.locator("button", has_text="Add rule").click()
    tile.locator(".alerts-error", has_text="from 0 % to 100 %").wait_for()  # the 422, swapped
    tile.locator("input[name=level]").fill("90")
    tile.locator("button", has_text="Add rule").click()
    tile.locator(".alerts-rule-list li", has_text="CPU above 90% for 5 min").wait_for()
    assert tile.locator(".alerts-error").count() == 0
    assert violations(admin) == []
