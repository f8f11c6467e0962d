"""The counter block: value, rates and a chart, refreshed while the page is open."""

from wtforms import StringField
from wtforms.validators import DataRequired, Length, Regexp

from statboard.counters import bp, history, store
from statboard.counters.keys import KEY_CHARS, KEY_MATCH
from statboard.counters.models import KEY_LENGTH
from statboard.forms import Form
from statboard.pages import blocks


class CounterBlockForm(Form):
    key = StringField(
        "Counter key",
        validators=[
            DataRequired("Enter the key of the counter to show, like song/1."),
            Length(max=KEY_LENGTH, message=f"Use at most {KEY_LENGTH} characters."),
            Regexp(KEY_MATCH.__self__, message=f"Use {KEY_CHARS}, like song/1."),
        ],
    )
    title = StringField(
        "Title", validators=[Length(max=200, message="Use at most 200 characters.")]
    )

    def to_data(self, old: dict) -> dict:
        return {**old, "key": self.key.data.strip(), "title": (self.title.data or "").strip()}


def _key(block) -> str | None:
    key = (block.data or {}).get("key", "")
    return key if key and KEY_MATCH(key) is not None else None


def rates_by_block(shown) -> dict:
    """The rates of these counter blocks, in one query: {block id: Rates}."""
    keys = {block.id: _key(block) for block in shown if block.kind == "counter"}
    keys = {block_id: key for block_id, key in keys.items() if key}
    rates = history.rates_of(keys.values())
    return {block_id: rates[key] for block_id, key in keys.items()}


def counter_context(block) -> dict:
    key = _key(block)
    if key is None:
        return {"counter": None}
    rates = blocks.for_page(block, rates_by_block)
    return {
        "counter": {
            "key": key,
            "value": store().get(key),
            "rates": rates,
            "bars": history.chart_bars(rates.minutes),
        }
    }


def register_kind() -> None:
    blocks.register(
        blocks.BlockKind(
            name="counter",
            label="Counter",
            template="blocks/counter/_view.html",
            edit_template="blocks/counter/_edit.html",
            form=CounterBlockForm,
            defaults=lambda: {"key": "demo", "title": ""},
            demo=lambda: {"key": "song/1", "title": "Plays of song 1"},
            context=counter_context,
            channels=lambda block: [f"counter:{block.data.get('key', '')}"],
            styles=("css/counters.css",),
        )
    )


@blocks.route(bp, "/values", kinds="counter")
def block_values(block):
    """The self-replacing values fragment a counter block polls."""
    return blocks.answer(block, "blocks/counter/_values.html", ctx=counter_context(block))


blocks.moved(bp, "/counters-block/<int:block_id>", "counters.block_values")
