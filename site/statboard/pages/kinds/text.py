"""Text blocks: rich text (headings, bold, italic, links, lists, quotes), sanitized on save."""

import re
from html import unescape

from wtforms import TextAreaField
from wtforms.validators import Length

from statboard import notify
from statboard.forms import Form
from statboard.pages.fragments import content_only
from statboard.pages.registry import BlockKind

MAX_HTML = 100_000
TAGS = {"h2", "h3", "h4", "p", "br", "strong", "b", "em", "i", "a", "ul", "ol", "li", "blockquote"}
ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}


def sanitize(html: str) -> str:
    """Only the tags the editor makes; links to http(s)/mailto only, never followed by bots."""
    import nh3  # 1.6 MB: loaded by the first save, not by every worker that shows pages

    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener nofollow",
        strip_comments=True,
    ).strip()


_BREAKS = re.compile(r"</(?:p|h[1-6]|li|blockquote)>|<br\s*/?>", re.IGNORECASE)


def plain_text(html: str) -> str:
    """The words of rich text, a line per paragraph, heading or list item."""
    import nh3  # see sanitize()

    broken = _BREAKS.sub("\n", html or "")
    lines = (" ".join(line.split()) for line in unescape(nh3.clean(broken, tags=set())).split("\n"))
    return "\n".join(line for line in lines if line)


def describe(data: dict) -> list[dict]:
    return [notify.text("Text", plain_text(data.get("html", "")))]


class TextBlockForm(Form):
    html = TextAreaField(
        "Text",
        validators=[Length(max=MAX_HTML, message=f"Keep the text under {MAX_HTML:,} characters.")],
    )

    def to_data(self, old: dict) -> dict:
        return {**old, "html": sanitize(self.html.data or "")}


DEMO = """<h2>Welcome to Statboard</h2>
<p>The numbers we care about, on one page: how this host is doing, how our followers
grow, how often our songs are played and whether our other sites are up. Every
figure here <strong>updates itself</strong> while the page is open.</p>
<blockquote>Numbers you care about, on one page.</blockquote>"""

KIND = BlockKind(
    name="text",
    label="Text",
    template="blocks/text/_view.html",
    edit_template="blocks/text/_edit.html",
    form=TextBlockForm,
    defaults=lambda: {"html": "<p>New text. Click to edit.</p>"},
    demo=lambda: {"html": sanitize(DEMO)},
    span=2,
    describe=describe,
    cached_by=content_only,
)
