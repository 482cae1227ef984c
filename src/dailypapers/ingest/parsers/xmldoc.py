"""Parse an XML document, falling back to lxml's recover mode, and say which unit a break hit."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from lxml import etree

T = TypeVar("T")

# libxml2 reports an unclosed element where its parent closes, naming the line it opened on:
# "Opening and ending tag mismatch: record line 27 and ListRecords". That line is the culprit.
_OPENED_AT = re.compile(r" line (\d+)")


@dataclass
class XmlDocument:
    root: etree._Element | None
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, message); empty when well-formed

    @property
    def error(self) -> str | None:
        """The first well-formedness error, for a document-level message."""
        if not self.errors:
            return None
        line, message = self.errors[0]
        return f"not well-formed XML: line {line}: {message}"

    def blame(self, units: Sequence[etree._Element]) -> dict[int, str]:
        """Index of each unit (record, entry) an error falls in -> that error.

        Recovery may silently drop or cut part of a broken unit, so such a unit must not be
        trusted. Units are told apart by line: a unit spans from its start tag to the next
        unit's (or, for the last, to the element after it). Units that start on the error's
        own line all take the blame, which rejects every unit of a one-line document."""
        starts = [unit.sourceline or 0 for unit in units]
        blamed: dict[int, str] = {}
        for line, message in self.errors:
            opened = _OPENED_AT.search(message)
            culprit = int(opened.group(1)) if opened else line
            first, after = bisect_left(starts, culprit), bisect_right(starts, culprit)
            if after > first:
                indexes = range(first, after)
            elif after > 0 and not _ends_before(units[after - 1], culprit, last=after == len(units)):
                indexes = range(after - 1, after)
            else:
                continue
            for index in indexes:
                blamed.setdefault(index, f"not well-formed XML: line {line}: {message}")
        return blamed


def _ends_before(unit: etree._Element, line: int, last: bool) -> bool:
    """Whether the last unit is followed by an element (a resumption token) starting by ``line``."""
    following = unit.getnext() if last else None
    return following is not None and (following.sourceline or 0) <= line


def _parser(recover: bool) -> etree.XMLParser:
    # No entity expansion or network: the documents come from outside.
    return etree.XMLParser(recover=recover, resolve_entities=False, no_network=True, huge_tree=True)


def parse_document(data: bytes) -> XmlDocument:
    try:
        return XmlDocument(etree.fromstring(data, _parser(recover=False)))
    except etree.XMLSyntaxError as exc:
        strict_error = (exc.lineno or 0, exc.msg)
    parser = _parser(recover=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        root = None
    errors = [(entry.line, entry.message) for entry in parser.error_log] or [strict_error]
    return XmlDocument(root, errors)


def local_name(element: object) -> str:
    """The tag without its namespace; '' for comments, entities and processing instructions.

    lxml's recover mode keeps an element with an undeclared prefix ("x:feed") as a plain
    name, which ``etree.QName`` refuses, so the name is read from the tag text."""
    tag = getattr(element, "tag", None)
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def namespace(element: object) -> str | None:
    tag = getattr(element, "tag", None)
    return tag[1:].split("}", 1)[0] if isinstance(tag, str) and tag.startswith("{") else None


def undefined_entity(unit: etree._Element) -> str | None:
    """The reason to refuse a unit holding an entity reference nothing defines, or None.

    Entities are never expanded (the input is untrusted), and a document that names an
    external DTD parses without error, so the reference would silently cut the text at it."""
    for node in unit.iter(etree.Entity):
        return f"undefined entity {node.text} in <{local_name(node.getparent())}>"
    return None


# -- streaming ---------------------------------------------------------------------------------


class NotStreamable(Exception):
    """The document cannot be read unit by unit (broken XML, an unexpected shape): read it whole."""


class ChunkSource(Protocol):
    """What a streaming parser reads: the content in pieces, from the top on each call, or whole."""

    def chunks(self) -> Iterator[bytes]: ...

    def read_document(self) -> bytes: ...


def stream_units(
    chunks: Iterable[bytes], root_tag: str, unit_tag: str, on_child: Callable[[etree._Element], None] | None = None
) -> Iterator[etree._Element]:
    """The ``unit_tag`` elements of a well-formed ``root_tag`` document, each as soon as it ends.

    Memory stays bounded: a unit is cleared and dropped from the tree once the caller has
    used it. ``on_child`` sees each other element that ends directly below the root or a
    unit's parent (an OAI <request> or <error>). Raises NotStreamable at the first sign the
    document needs the whole-document path: broken XML, another root, nested units."""
    # huge_tree off: a single text node over 10 MB is refused by libxml2 instead of held.
    parser = etree.XMLPullParser(events=("start", "end"), resolve_entities=False, no_network=True)
    depth_in_unit = 0
    started = False
    try:
        for chunk in chunks:
            parser.feed(chunk)
            for event, element in parser.read_events():
                if not started:
                    started = True
                    if element.tag != root_tag:
                        raise NotStreamable(f"root element is <{local_name(element)}>")
                if element.tag == unit_tag:
                    if event == "start":
                        depth_in_unit += 1
                        if depth_in_unit > 1:
                            raise NotStreamable("a unit inside a unit")
                        continue
                    depth_in_unit -= 1
                    if len(parser.error_log):  # a namespace error and the like: no exception, yet a flaw
                        raise NotStreamable(str(parser.error_log[0]))
                    yield element
                    _drop(element)
                elif event == "end" and depth_in_unit == 0 and on_child is not None:
                    on_child(element)
        parser.close()
        if len(parser.error_log):
            raise NotStreamable(str(parser.error_log[0]))
    except etree.XMLSyntaxError as exc:
        raise NotStreamable(str(exc)) from None
    if not started:
        raise NotStreamable("empty document")


def _drop(unit: etree._Element) -> None:
    unit.clear(keep_tail=False)
    parent = unit.getparent()
    if parent is not None:
        while unit.getprevious() is not None:
            del parent[0]


def streamed_or_whole(stream: Callable[[], Iterable[T]], whole: Callable[[], Iterable[T]]) -> Iterator[T]:
    """``stream()``'s items when a first pass through it finds the document sound, else ``whole()``'s.

    The first pass costs a second parse, but nothing is given before the document is known
    good, so the streamed items are exactly the whole-document ones and memory stays bounded."""
    try:
        for _ in stream():
            pass
    except NotStreamable:
        yield from whole()
        return
    yield from stream()
