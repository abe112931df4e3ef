"""Query-time synonyms: the names of one place or organization.

The catalog's places and organizations have aliases in other scripts and
languages (Hengqin New Area: Hengqin, 横琴新区, 横琴; Macao: Macau, 澳门,
澳門). A document's own places and organizations are indexed with all their
names (schema.py's ``body``), but its title, summary and attachments say one
of them, and the reader may type another: 横琴 should find "Hengqin" in a
title, and highlight it. So a query word or quoted phrase that is a name of
an entity, unfielded or in ``org:``, is searched as the OR of the word as
typed and every other name of that entity, each a phrase.

Names are compared after the index's folding (case, accents, Traditional to
Simplified) and with punctuation and spacing ignored, so 澳門 is 澳门 and
"HENGQIN" is "Hengqin". A name shared by two entities expands to the names
of both. The groups come from the database (the catalog service hands them
over when it opens and after a write that changes places or organizations);
they are folded on the first query that needs them, not when handed over,
so opening a catalog does not load OpenCC.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from whoosh.qparser import plugins, syntax

from .analysis import contains_han, fold_characters, fold_term

# Fields whose query words are expanded: None is a word without a field
# (title and body); org: searches organizations. Other fields (place:
# already holds every name; title:, tag:...) search what was asked.
EXPANDED_FIELDS = (None, "org")
# After the field plugins (priority 90-100) have given words their field,
# before the multifield plugin (110) copies unfielded words into title and body.
FILTER_PRIORITY = 105

_WORDS = re.compile(r"\w+")


def synonym_key(text: str) -> str:
    """A name as compared: folded, its words joined by single spaces."""
    return " ".join(_WORDS.findall(fold_term(text)))


class Synonyms:
    """Groups of names that mean one entity. Replaced whole (thread-safe:
    one attribute assignment); looked up by folded name."""

    def __init__(self, groups: Iterable[Iterable[str]] = ()):
        self.replace(groups)

    def replace(self, groups: Iterable[Iterable[str]]) -> None:
        cleaned: list[tuple[str, ...]] = []
        for group in groups:
            names = tuple(dict.fromkeys(n.strip() for n in group if n and n.strip()))
            if len(names) > 1:
                cleaned.append(names)
        # the groups, and the tables built from them, by whether Han names are folded
        self._state: tuple[tuple[tuple[str, ...], ...], dict[bool, dict[str, tuple[str, ...]]]] = (tuple(cleaned), {})

    def __bool__(self) -> bool:
        return bool(self._state[0])

    def _table(self, han: bool) -> dict[str, tuple[str, ...]]:
        """Folded name -> the entity's names, one per folded form. The table
        for queries in Latin script keys only Latin names and tells Chinese
        spellings apart character by character (澳門 and 澳门 are one), so
        a Latin query never loads OpenCC; the full table folds every name."""
        groups, tables = self._state
        table = tables.get(han)
        if table is None:
            collected: dict[str, dict[str, str]] = {}
            for names in groups:
                keyed: dict[str, str] = {}
                for name in names:  # the first spelling of each folded form
                    if han or not contains_han(name):
                        keyed.setdefault(synonym_key(name), name)
                    else:
                        keyed.setdefault("\0" + fold_characters(name), name)  # a value, never a key
                keyed.pop("", None)
                for key in keyed:
                    if key.startswith("\0"):
                        continue
                    for other_key, name in keyed.items():
                        collected.setdefault(key, {}).setdefault(other_key, name)
            table = {key: tuple(names.values()) for key, names in collected.items()}
            tables[han] = table  # a replace() meanwhile has its own dict
        return table

    def expansions(self, text: str) -> tuple[str, ...]:
        """The other names of the entity (or entities) named ``text``, one per
        folded form, without ``text`` itself; () when it names none."""
        if not self:
            return ()
        key = synonym_key(text)
        han = contains_han(text)
        names = self._table(han).get(key, ())
        # A Latin name is never a Chinese one: no folding needed to tell.
        return tuple(n for n in names if (contains_han(n) != han) or synonym_key(n) != key)


class SynonymPlugin(plugins.Plugin):
    """Replaces a word or phrase naming an entity by an OR of its names."""

    def __init__(self, synonyms: Synonyms):
        self.synonyms = synonyms

    def filters(self, parser):
        return [(self.do_synonyms, FILTER_PRIORITY)]

    def do_synonyms(self, parser, group):
        if not self.synonyms:
            return group
        for i, node in enumerate(group):
            if isinstance(node, syntax.GroupNode):
                group[i] = self.do_synonyms(parser, node)
            elif (
                isinstance(node, (syntax.WordNode, plugins.PhrasePlugin.PhraseNode))
                and node.fieldname in EXPANDED_FIELDS
            ):
                others = self.synonyms.expansions(node.text)
                if others:
                    group[i] = syntax.OrGroup([node, *(self._phrase(name, node) for name in others)])
        return group

    @staticmethod
    def _phrase(name: str, like) -> syntax.SyntaxNode:
        node = plugins.PhrasePlugin.PhraseNode(name, 0)
        # Where the typed word stood: Whoosh copies these onto the query.
        node.startchar, node.endchar = like.startchar, like.endchar
        node.set_fieldname(like.fieldname)
        node.set_boost(like.boost)
        return node
