"""What a change changed, as facets a mail can show, and how they combine.

A block kind (or a page) describes its state as a list of snapshots:

    text("Text", "Hello world")                 words, shown as a word-level diff
    field("Start", "2030-05-14 18:30 Berlin")   one value, shown old → new
    items("Accounts", [{"key": "7", "label": "@ada"}])   shown as added / removed;
          an item may name a stored thumbnail: {"thumb": {"storage", "object", "type"}}

`changed(before, after)` pairs two descriptions into the facets that differ
({"type", "name", "before", "after"}); `merge(records)` folds the records of an edit
session into one, keeping the first `before` and the last `after` of each facet.
"""

import difflib
import re

TEXT, FIELD, ITEMS = "text", "field", "items"
EMPTY = {TEXT: "", FIELD: "", ITEMS: []}


def text(name: str, value: str) -> dict:
    return {"type": TEXT, "name": name, "value": value or ""}


def field(name: str, value) -> dict:
    return {"type": FIELD, "name": name, "value": "" if value is None else str(value)}


def items(name: str, values: list[dict]) -> dict:
    return {"type": ITEMS, "name": name, "value": [{**v, "key": str(v["key"])} for v in values]}


def changed(before: list[dict], after: list[dict]) -> list[dict]:
    """The facets whose value differs between two descriptions, in the order described."""
    old = {(s["type"], s["name"]): s["value"] for s in before}
    new = {(s["type"], s["name"]): s["value"] for s in after}
    names = list(dict.fromkeys([*new, *old]))
    facets = []
    for kind, name in names:
        first = old.get((kind, name), EMPTY[kind])
        last = new.get((kind, name), EMPTY[kind])
        if _differs(kind, first, last):
            facets.append({"type": kind, "name": name, "before": first, "after": last})
    return facets


def _differs(kind: str, before, after) -> bool:
    if kind == ITEMS:
        return [_item(i) for i in before] != [_item(i) for i in after]
    return before != after


def _item(item: dict) -> tuple:
    return item["key"], item.get("label", "")


def merge(records: list[dict]) -> dict:
    """One record for an edit session: the last record's who, when and where, each
    facet from its first `before` to its last `after` (facets back where they began
    are left out). A block deleted and brought back (Undo) in the session is not
    called deleted; if nothing else changed, or what changed came back where it began,
    the record is marked "void" (not sent)."""
    merged = dict(records[-1])
    firsts, lasts, order = {}, {}, []
    for record in records:
        for facet in record.get("facets", []):
            key = (facet["type"], facet["name"])
            if key not in firsts:
                firsts[key] = facet["before"]
                order.append(key)
            lasts[key] = facet["after"]
    merged["facets"] = [
        {"type": kind, "name": name, "before": firsts[(kind, name)], "after": lasts[(kind, name)]}
        for kind, name in order
        if _differs(kind, firsts[(kind, name)], lasts[(kind, name)])
    ]
    merged["edits"] = sum(record.get("edits", 1) for record in records)
    names = [record["action"] for record in records]
    if "deleted" in names and names[-1] == "restored":
        # A delete undone within the session did not stick: the mail does not claim it.
        names = [name for name in names if name not in ("deleted", "restored")]
    # A session that did nothing else, or whose every save showed a change that came
    # back where it began (Esc restored the version the editor opened on), is no change
    # at all ("void"). A save that showed nothing (a kind that could not describe
    # itself) may have changed what no facet shows: it is still mailed.
    edits = [record for record in records if record["action"] in names]
    merged["void"] = (
        not merged["facets"]
        and not {"deleted", "restored"} & set(names)
        and all(record.get("facets") for record in edits)
    )
    actions = list(dict.fromkeys(names))
    merged["action"] = actions[0] if len(actions) == 1 else "edited"
    merged["at_first"] = records[0].get("at_first", records[0]["at"])
    return merged


# --- showing them -----------------------------------------------------------------

_WORDS = re.compile(r"\s+|[^\s]+")


def word_diff(before: str, after: str) -> list[tuple[str, str]]:
    """(op, text) runs: "=" kept, "-" removed, "+" added; words and the spaces between."""
    old, new = _WORDS.findall(before or ""), _WORDS.findall(after or "")
    runs = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        removed, added = "".join(old[i1:i2]), "".join(new[j1:j2])
        if tag == "equal":
            runs.append(("=", removed))
        elif tag == "replace":
            runs += [("-", removed), ("+", added)]
        else:  # a space at either end of a lone insertion or deletion stays as it was
            op, chunk = ("-", removed) if tag == "delete" else ("+", added)
            body = chunk.strip()
            start = chunk.index(body) if body else len(chunk)
            runs += [("=", chunk[:start]), (op, body), ("=", chunk[start + len(body) :])]
    return [(op, chunk) for op, chunk in runs if chunk]


def plain_diff(before: str, after: str) -> str:
    """The word diff as text: [-removed-] and {+added+}, as `git diff --word-diff` writes."""
    marks = {"=": "{}", "-": "[-{}-]", "+": "{{+{}+}}"}
    return "".join(marks[op].format(chunk) for op, chunk in word_diff(before, after))


def item_changes(facet: dict) -> dict:
    """An items facet as added, removed and kept (by key), and whether the order moved."""
    before = {i["key"]: i for i in facet["before"]}
    after = {i["key"]: i for i in facet["after"]}
    kept = [key for key in after if key in before]
    return {
        "added": [i for key, i in after.items() if key not in before],
        "removed": [i for key, i in before.items() if key not in after],
        "changed": [after[key] for key in kept if _item(after[key]) != _item(before[key])],
        "reordered": kept != [key for key in before if key in after],
    }
