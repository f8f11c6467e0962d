"""The block-kind registry: how features add block kinds without pages importing them.

A feature registers its kinds, through the door (statboard.pages.blocks), from its
`<feature>/blocks.py`, called by its init_app:

    blocks.register(blocks.BlockKind(
        name="counter", label="Counter",
        template="blocks/counter/_view.html",       # display partial, gets `block`, `ctx`
        edit_template="blocks/counter/_edit.html",  # edit partial, gets `block`, `form`
        form=CounterBlockForm,                      # FlaskForm: validates an edit
        defaults=lambda: {"key": "demo"},           # data of a new block
        demo=lambda: {"key": "song/1"},             # data for the demo home page
        context=counter_context,                    # optional: block -> the partial's `ctx`
        styles=("css/counters.css",),               # static files every page loads
        scripts=(), admin_scripts=("js/x.js",),     # ... and those only admins load
        on_delete=None,                             # optional: block -> None, see below
        after_demo=None,                            # optional: block -> None, see below
        channels=lambda block: ["counter:song/1"],  # optional: live channels it reads
        describe=None,                              # optional: data -> what a mail shows
        panel_template=None,                        # optional: its management panel, below
        cached_by=None,                             # optional: its fragment is kept, below
    ))

The form class takes the block's data as `data=` for editing, and its
`to_data(old_data) -> dict` returns the new data after `validate()`. The edit
partial holds only the fields: pages wraps them in its own form (version, CSRF,
Save and Cancel).

`context(block)` is the one place a kind's template context is computed: the page
hands it to the display partial as `ctx`, and the kind's own routes call the same
function (with their own arguments, say a range) for the fragments they answer.

`on_delete(block)` is called by pages.history.purge just before it deletes the block
for good (a delete only marks it, so that it can be undone for a while), inside the
same transaction: database changes it makes are committed or
rolled back with the deletion, and work outside the database (removing the image
files of an image block, say) belongs in notify.after_commit().

`describe(data) -> list` says what a block of the kind holds, for the admins' change
mail: notify.text / notify.field / notify.items snapshots (a text diffed word by word,
a value shown old and new, items shown added and removed, with thumbnails). The
door compares the descriptions before and after each change. Without it, each
plain value of the data is a field.

`panel_template` holds what admins manage besides the block's own settings (a chart's
accounts and imports, a gallery's uploads): forms that would crowd the block if they
stood on the page. The block's tools then show "Manage…", which opens the panel over
the page (an HTML popover: the block keeps its size, and it opens without JavaScript).
The kind's display partial includes "pages/_panel.html" inside the element its own
routes re-render, so that their answers (an account added, a host removed) bring the
panel with them; the panel gets `block` and `ctx` like the display partial.

`cached_by(block)` says that the kind's display partial shows the block's content
and nothing else but what it returns (an event: whether it is over), so that the
rendered partial is kept per version and viewer class and a page view joins it
(pages/fragments.py; `blocks.content_only` for a kind that depends on nothing more).
A kind that shows live values (a counter, a host tile, a chart's samples) leaves it
None: its partial is rendered at each view.

`after_demo(block)` is called by the demo seed once the demo block has its id, in the
same transaction: demo rows that belong to the block (the demo host of an "Other
hosts" block) are made there, since `demo()` cannot know the id yet.
"""

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from flask import abort


@dataclass(frozen=True)
class BlockKind:
    name: str
    label: str
    template: str
    edit_template: str
    form: type
    defaults: Callable[[], dict[str, Any]]
    demo: Callable[[], dict[str, Any]] | None = None
    context: Callable[[Any], dict[str, Any]] | None = None
    span: int = 1
    # Static files (paths under static/) every page loads, and those only admins load.
    styles: tuple[str, ...] = ()
    scripts: tuple[str, ...] = ()
    admin_scripts: tuple[str, ...] = ()
    # Called with the block by pages.history.purge before it deletes the block for good.
    on_delete: Callable[[Any], None] | None = None
    # Called with the demo block by pages.demo.seed_demo once the block has its id.
    after_demo: Callable[[Any], None] | None = None
    # The live channels a page showing the block reads besides its own (see live).
    channels: Callable[[Any], list[str]] | None = None
    # What a block of the kind holds, for change mails (notify.text/field/items).
    describe: Callable[[dict[str, Any]], list[dict[str, Any]]] | None = None
    # Admins' management forms, opened from the block's tools (see pages/_panel.html).
    panel_template: str | None = None
    # What the display partial shows besides the block's content: set, the rendered
    # partial is kept per version and viewer class (pages/fragments.py); None: live.
    cached_by: Callable[[Any], Hashable] | None = None


# Keeps an open panel open when htmx replaces it with the answer to one of its forms.
PANEL_SCRIPT = "js/panels.js"

_kinds: dict[str, BlockKind] = {}
_badges: list[Callable[[Any], str]] = []


def badge(func: Callable[[Any], str]) -> None:
    """A feature's line under every block (alerts' state line): func(block) -> markup,
    "" for blocks it has nothing to say about."""
    if func not in _badges:
        _badges.append(func)


_deletes: list[Callable[[Any], None]] = []


def on_any_delete(func: Callable[[Any], None]) -> None:
    """A feature's rows about blocks of any kind (alerts' rules): func(block) removes
    them, in the deleting transaction, like a kind's own on_delete."""
    if func not in _deletes:
        _deletes.append(func)


def deleting(block) -> None:
    for func in _deletes:
        func(block)


def badges(block) -> list[str]:
    return [html for html in (func(block) for func in _badges) if html]


def register(kind: BlockKind) -> None:
    _kinds[kind.name] = kind


def get(name: str) -> BlockKind:
    """The kind called `name`, or a 400 naming the kinds there are."""
    kind = _kinds.get(name)
    if kind is None:
        abort(400, f"Unknown block kind {name!r}; use one of: {', '.join(sorted(_kinds))}.")
    return kind


def find(name: str) -> BlockKind | None:
    """The kind called `name`, or None (say, a block whose feature is switched off)."""
    return _kinds.get(name)


def all_kinds() -> list[BlockKind]:
    return list(_kinds.values())


def assets(admin: bool) -> tuple[list[str], list[str]]:
    """The styles and scripts of all kinds, each once: admins may add any kind
    to a page in place, so every page carries them; editing scripts only for admins."""
    styles, scripts = [], []
    for kind in _kinds.values():
        styles += [name for name in kind.styles if name not in styles]
        names = kind.scripts + (kind.admin_scripts if admin else ())
        if admin and kind.panel_template:
            names += (PANEL_SCRIPT,)
        scripts += [name for name in names if name not in scripts]
    return styles, scripts
