"""Accessibility in a real browser on the real site with its demo home page.

axe-core (the copy that the pinned axe-playwright-python package bundles) runs inside
every kind of page, as a visitor and as an admin with the editors open, in light and
dark at a phone's and a desktop's width, and finds no violation of WCAG 2.1 A or AA.
Then the keyboard: Tab reaches every editing control of the admin's home page, each
one shows a focus outline that stands out from what is behind it (3:1), and so does
the edge of each field.

One site and one logged-in admin serve the module; each test turns the same two
browser pages to its theme and width.
"""

import re
import subprocess
import sys

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.fixtures.servers import ROOT, make_admin, start_site, stop
from tests.test_browser_acceptance import editor_ready, log_in
from tests.test_browser_panels import open_panel

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
THEMES = ["light", "dark"]
WIDTHS = [390, 1440]
AXE_SOURCE = Axe().axe_script

# axe.run in the page, once the bundled source is loaded; evaluated by the DevTools
# protocol, which the page's Content-Security-Policy does not govern (no script
# element is added, so no bypass_csp is needed and the CSP stays in force).
RUN_AXE = """([within, tags]) => axe.run(within ?? document, {
    runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]})"""
# Transitions (the block tools fade in) end first: axe reads colours as they are drawn.
SETTLED = """async () => { await Promise.all(document.getAnimations()
    .filter((a) => a.effect?.getComputedTiming().endTime !== Infinity)
    .map((a) => a.finished.catch(() => null))); }"""


FIRST_ACCOUNT = """
from statboard import create_app
from statboard.extensions import db
from statboard.series.models import Account
with create_app().app_context():
    print(db.session.scalar(db.select(Account.id).order_by(Account.id).limit(1)))
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site as a first start serves it (every block kind on its home page), and an
    admin 'boss'."""
    site = start_site(tmp_path_factory.mktemp("a11y"), env={"STATBOARD_LOG_LEVEL": "WARNING"})
    try:
        make_admin(site)
        yield site
    finally:
        stop(site.proc)


def accept_dialogs(pg) -> None:
    pg.on("dialog", lambda dialog: dialog.accept())


@pytest.fixture(scope="module")
def visitor(browser, site):
    context = browser.new_context()
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    accept_dialogs(pg)
    yield pg
    context.close()


@pytest.fixture(scope="module")
def admin(browser, site):
    context = browser.new_context()
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    accept_dialogs(pg)
    log_in(pg, site.url)
    yield pg
    context.close()


@pytest.fixture(scope="module")
def things(admin, site):
    """What the pages show, made once: a private page in the menu, a task (a collection,
    which fails without a network: the chart's account then shows an error), the ids
    of the home page's blocks by kind and of the demo chart's account."""
    url = site.url
    admin.goto(url + "/nav/edit")
    form = admin.locator("form.new-page")
    form.locator("[name=title]").fill("Lab notes")
    form.locator("[name=slug]").fill("lab-notes")
    form.locator("[name=is_public]").uncheck()
    with admin.expect_navigation():
        form.get_by_role("button", name="Create page").click()

    admin.goto(url + "/")
    token = admin.get_attribute("body", "hx-headers")
    answer = admin.request.post(
        url + "/series/collect",
        headers={"X-CSRFToken": re.search(r'"X-CSRFToken": "([^"]+)"', token)[1]},
    )
    assert answer.ok, answer.text()
    task_id = re.search(r'id="task-([^"]+)"', answer.text())[1]
    blocks = dict(
        admin.eval_on_selector_all(
            "#blocks > .block",
            "els => els.map(e => [e.className.match(/block--(\\w+)/)[1], e.dataset.blockId])",
        )
    )
    assert {"text", "image", "gallery", "event", "chart", "host", "remote_hosts", "counter"} <= set(
        blocks
    ), blocks
    account = subprocess.run(
        [sys.executable, "-c", FIRST_ACCOUNT],
        env=site.env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()[-1]
    return {"task": task_id, "blocks": blocks, "account": account}


def look(pg, theme: str, width: int) -> None:
    pg.emulate_media(color_scheme=theme)
    pg.set_viewport_size({"width": width, "height": 900})


def violations(pg, within: str | None = None) -> list[str]:
    """What axe-core finds on the page as it is now (or in its part `within`, a CSS
    selector), one line per element."""
    pg.evaluate(SETTLED)
    if not pg.evaluate("() => typeof window.axe === 'object'"):
        pg.evaluate(AXE_SOURCE)
    found = pg.evaluate(RUN_AXE, [within, WCAG_21_AA])["violations"]
    # axe leaves an empty style attribute on the fields it measured. htmx settles a swap
    # by copying an old element's style to the new one of the same id, which the CSP
    # then refuses: what axe left is the test's doing, not the site's, so it goes.
    pg.evaluate("""() => document.querySelectorAll('[style=""]')
        .forEach((el) => el.removeAttribute("style"))""")
    return [
        f"{v['id']} ({v['impact']}): {' '.join(node['target'])} {node['html'][:140]}\n"
        f"    {node['failureSummary'].splitlines()[-1].strip()}"
        for v in found
        for node in v["nodes"]
    ]


class Report:
    """Violations of every page a test looks at, asserted once at its end."""

    def __init__(self, theme: str, width: int):
        self.where = f"{theme}, {width} px"
        self.found: dict[str, list[str]] = {}

    def check(self, pg, what: str, within: str | None = None) -> None:
        if problems := violations(pg, within):
            self.found[what] = problems

    def assert_clean(self) -> None:
        lines = [f"{what}:\n  " + "\n  ".join(p) for what, p in self.found.items()]
        assert not self.found, f"axe-core ({self.where}) found:\n" + "\n".join(lines)


def visit(pg, report: Report, url: str, what: str, status=200, within=None, ready=None) -> None:
    """Go to url, wait for `ready` (a selector) if given, and check the page or its part."""
    answer = pg.goto(url)
    assert answer.status == status, f"{what}: {url} answered {answer.status}"
    if ready:
        pg.locator(ready).first.wait_for()
    report.check(pg, what, within)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("theme", THEMES)
def test_visitor_pages_pass_axe(visitor, site, things, theme, width):
    look(visitor, theme, width)
    url, blocks, report = site.url, things["blocks"], Report(theme, width)
    drawn = ".chart-canvas.chart-drawn canvas"
    visit(visitor, report, url + "/", "the home page, every block kind", ready=drawn)
    visit(visitor, report, url + f"/blocks/{blocks['chart']}/chart?range=30d", "a chart alone")
    visit(visitor, report, url + f"/blocks/{blocks['host']}/tile?range=24h", "a host tile alone")
    if width == max(WIDTHS):  # a long page, and axe takes seconds over it: one width
        visit(visitor, report, url + "/openapi", "the API reference")
    visit(visitor, report, url + "/no-such-page", "a missing page", 404)
    visit(visitor, report, url + "/login", "the login form")
    visitor.fill("input[name=username]", "boss")
    visitor.fill("input[name=password]", "not-the-password")
    with visitor.expect_navigation():
        visitor.click("button[type=submit]")
    visitor.locator("main .flash-error").wait_for()
    report.check(visitor, "the login form after a wrong password")
    report.assert_clean()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("theme", THEMES)
def test_admin_pages_pass_axe(admin, site, things, theme, width):
    look(admin, theme, width)
    url, blocks, report = site.url, things["blocks"], Report(theme, width)
    chart = blocks["chart"]
    admin.goto(url + "/")
    admin.locator(f"#block-{blocks['text']} .add-after summary").focus()  # its tools show
    admin.keyboard.press("Enter")
    admin.locator(f"#block-{blocks['text']} .add-after form.adder").wait_for()
    report.check(admin, "the home page, a block's tools and 'add after' menu shown")
    panel = open_panel(admin, f"block-{chart}")  # the chart's accounts, collect, import
    report.check(admin, "a chart's panel, open", f"#block-{chart} .block-panel")
    account = f"#series-account-{things['account']}"  # the chart's account, edited in place
    panel.locator(account).get_by_role("button", name="Edit").click()
    admin.locator(f"{account}.editing").wait_for()
    report.check(admin, "a chart account's editor", account)
    admin.keyboard.press("Escape")

    # Every editor at once: each block's, a gallery item's, the page head's, the menu's.
    for kind, block_id in blocks.items():
        if kind == "gallery":
            item = admin.locator(f"#block-{block_id} .gallery-item").first
            item.locator(".gallery-controls a").focus()
            admin.keyboard.press("Enter")
            title = f"#block-{block_id} .gallery-item input[name=title]"
            admin.locator(title).wait_for()
            # Its field takes the focus as it shows, and again once htmx has settled it:
            # wait for both, or the second would take the next block's Enter.
            admin.wait_for_function(
                "s => document.activeElement?.matches(s) &&"
                " !document.activeElement.closest('.htmx-added, .htmx-settling')",
                arg=title,
            )
            continue
        admin.locator(f"#block-{block_id} .block-tools a.tool", has_text="Edit").focus()
        admin.keyboard.press("Enter")
        editor_ready(admin, f"block-{block_id}")
    admin.click(".page-settings")
    admin.locator("form.page-head.editing").wait_for()
    admin.click(".edit-nav")
    admin.locator(".nav-editor").wait_for()
    report.check(admin, "the home page with every editor open")

    # An editor that refused what it was given says why, next to the field.
    event = admin.locator(f"form#block-{blocks['event']}")
    event.locator("[name=tz]").fill("Nowhere/Atlantis")
    with admin.expect_response(lambda r: r.status == 422):
        event.get_by_role("button", name="Save").click()
    admin.locator(f"form#block-{blocks['event']} .field-error").wait_for()
    report.check(admin, "an event editor that refused a time zone", f"form#block-{blocks['event']}")

    visit(admin, report, url + "/lab-notes", "a private page")
    visit(admin, report, url + "/nav/edit", "the navigation editor alone")
    # Without JavaScript an editor is a page of its own: the page it edits, checked
    # above, with the editor in place.
    editor = "form.editing"
    visit(admin, report, url + "/pages/home/settings", "the page head editor", within=editor)
    visit(admin, report, url + f"/blocks/{blocks['text']}/edit", "a block editor", within=editor)
    visit(admin, report, url + f"/blocks/{blocks['event']}/delete", "a block's delete question")
    visit(admin, report, url + f"/blocks/{chart}/chart", "a chart alone, with its accounts")
    visit(
        admin,
        report,
        url + f"/blocks/{chart}/accounts/{things['account']}/delete",
        "an account's delete question",
    )
    visit(admin, report, url + f"/tasks/{things['task']}", "a task")
    visit(admin, report, url + "/account", "the account page")
    visit(admin, report, url + "/tokens", "the API tokens")
    create = admin.locator("form.token-create")
    create.locator("[name=name]").fill(f"a11y {theme} {width}")
    create.get_by_role("button", name="Create token").click()  # no scope: refused
    admin.locator("form.token-create [role=alert]").wait_for()
    report.check(admin, "the API tokens, a new one refused")
    create.locator("[name=scopes]").first.check()
    create.get_by_role("button", name="Create token").click()
    admin.locator(".token-new .token-plain").wait_for()
    report.check(admin, "the API tokens, a new one shown once")
    visit(admin, report, url + "/logout", "the log-out question")
    visit(admin, report, url + "/no-such-page", "a missing page", 404)
    report.assert_clean()


# --- The keyboard -----------------------------------------------------------------------

# What has the focus after a Tab, once the transitions it started (tools fading in) ended:
# whether it is drawn, its outline, and the colour behind that outline (the element's
# own background for an outline drawn inside it, else its parent's), made opaque by
# painting every layer down to the page on a 1×1 canvas; for a field, its border too.
FOCUSED = r"""async () => {
  const FIELDS = "input:not([type=checkbox], [type=radio], [type=file]), select, textarea, " +
    "[contenteditable]";
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  await Promise.all(document.getAnimations()
    .filter((a) => a.effect?.getComputedTiming().endTime !== Infinity)
    .map((a) => a.finished.catch(() => null)));
  const style = getComputedStyle(el);
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 1;
  const paint = canvas.getContext("2d", {willReadFrequently: true});
  const rgb = (colours) => {
    paint.fillStyle = "#fff";
    paint.fillRect(0, 0, 1, 1);
    for (const colour of colours) { paint.fillStyle = colour; paint.fillRect(0, 0, 1, 1); }
    return Array.from(paint.getImageData(0, 0, 1, 1).data.slice(0, 3));
  };
  const layers = [];
  let node = parseFloat(style.outlineOffset) < 0 ? el : el.parentElement;
  for (; node; node = node.parentElement) layers.unshift(getComputedStyle(node).backgroundColor);
  const box = el.getBoundingClientRect();
  const text = (el.getAttribute("aria-label") || el.title || el.innerText || el.name || "")
    .replace(/\s+/g, " ").trim();
  return {
    what: `${el.tagName.toLowerCase()} "${text.slice(0, 40)}"` +
      ` in ${el.closest("[id]")?.id ?? "the page"}`,
    label: text,
    block: el.closest(".block")?.id || null,
    drawn: box.width > 0 && box.height > 0 &&
      el.checkVisibility({opacityProperty: true, visibilityProperty: true}),
    outline: style.outlineStyle === "none" ? 0 : parseFloat(style.outlineWidth),
    ring: rgb([style.outlineColor]),
    behind: rgb(layers),
    // A field's edge: what tells it apart from the text around it.
    edge: el.matches(FIELDS) && style.borderTopStyle !== "none" ?
      rgb([...layers, style.borderTopColor]) : null,
    around: rgb(parseFloat(style.outlineOffset) < 0 ? layers.slice(0, -1) : layers),
  };
}"""


def contrast(a: list[int], b: list[int]) -> float:
    def luminance(rgb):
        c = [x / 255 for x in rgb]
        c = [x / 12.92 if x <= 0.04045 else ((x + 0.055) / 1.055) ** 2.4 for x in c]
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def tab_through(pg, limit: int = 400) -> list[dict]:
    """Press Tab until the focus comes round again; what had it, in order."""
    seen, spots = set(), []
    for _ in range(limit):
        pg.keyboard.press("Tab")
        spot = pg.evaluate(FOCUSED)
        if spot is None:  # past the last control: back on the page itself
            if spots:
                break
            continue
        if spot["what"] in seen:
            break
        seen.add(spot["what"])
        spots.append(spot)
    else:
        raise AssertionError(f"the focus did not come round after {limit} Tabs")
    return spots


def badly_shown(spots: list[dict]) -> list[str]:
    """The spots whose focus a sighted keyboard user could not see."""
    bad = []
    for spot in spots:
        ratio = contrast(spot["ring"], spot["behind"])
        if not spot["drawn"]:
            bad.append(f"{spot['what']}: focused but not shown")
        elif spot["outline"] < 2 or ratio < 3:
            bad.append(f"{spot['what']}: outline {spot['outline']} px at {ratio:.1f}:1")
        elif spot["edge"] and (edge := contrast(spot["edge"], spot["around"])) < 3:
            bad.append(f"{spot['what']}: a field whose edge is at {edge:.1f}:1")
    return bad


# Each block's tools, by the names Tab reaches them with (their titles where they have one).
TOOLS = ["Edit", "Move block up", "Move block down", "Width and height", "Earlier versions"]
TOOLS += ["Delete", "Add a"]


@pytest.mark.parametrize("theme", THEMES)
def test_keyboard_reaches_every_editing_control_with_a_visible_focus(admin, site, things, theme):
    look(admin, theme, max(WIDTHS))
    admin.goto(site.url + "/")
    spots = tab_through(admin)
    bad = badly_shown(spots)
    assert not bad, "\n".join(bad)

    # Every block's tools, every gallery item's controls, the menu's and the page's.
    labels = {(spot["block"], spot["label"]) for spot in spots}
    for block_id in things["blocks"].values():
        tools = [label for block, label in labels if block == f"block-{block_id}"]
        for tool in TOOLS:
            assert any(t.startswith(tool) for t in tools), f"Tab never reaches {tool} of {block_id}"
    gallery = f"block-{things['blocks']['gallery']}"
    for item in admin.locator(f"#{gallery} .gallery-item img").all():
        name = item.get_attribute("alt")
        for control in [f"Edit {name}", f"Move {name} up", f"Move {name} down", f"Remove {name}"]:
            assert (gallery, control) in labels, f"Tab never reaches {control}"
    assert (None, "Edit menu") in labels and (None, "Page settings") in labels

    # Inside an editor opened from the keyboard: its fields, its buttons, its toolbar.
    text = f"block-{things['blocks']['text']}"
    admin.locator(f"#{text} .block-tools a.tool", has_text="Edit").focus()
    admin.keyboard.press("Enter")
    editor_ready(admin, text)
    inside = [spot for spot in tab_through(admin) if spot["block"] == text]
    assert {"Save", "Cancel"} <= {spot["label"] for spot in inside}, inside
    bad = badly_shown(inside)
    assert not bad, "\n".join(bad)
    admin.keyboard.press("Escape")
