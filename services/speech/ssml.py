"""Read SSML (or plain text) into text and pause segments with their language and voice."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_BREAK_STRENGTH_MS = {"none": 0, "x-weak": 100, "weak": 250, "medium": 400, "strong": 750, "x-strong": 1200}
_SKIP = {"audio", "bookmark", "mark", "metadata", "lexicon"}


@dataclass(frozen=True)
class TextSegment:
    text: str
    lang: str
    voice: str = ""


@dataclass(frozen=True)
class BreakSegment:
    ms: int


Segment = TextSegment | BreakSegment


def is_ssml(text: str) -> bool:
    return text.lstrip().startswith("<")


def parse_break_time(value: str) -> int:
    """``500ms`` / ``1.5s`` → milliseconds (a bare number is read as seconds, as SSML says)."""
    m = re.fullmatch(r"\s*([\d.]+)\s*(ms|s)?\s*", value or "")
    if not m:
        return 0
    number = float(m.group(1))
    return int(number if m.group(2) == "ms" else number * 1000)


def _local(tag: object) -> str:
    return tag.split("}", 1)[-1] if isinstance(tag, str) else ""


def parse_ssml(ssml_or_text: str, default_lang: str) -> list[Segment]:
    """Segments in reading order; adjacent text of the same language/voice is merged."""
    if not is_ssml(ssml_or_text):
        text = " ".join(ssml_or_text.split())
        return [TextSegment(text, default_lang)] if text else []
    try:
        root = ET.fromstring(ssml_or_text)
    except ET.ParseError:
        text = " ".join(html.unescape(re.sub(r"<[^>]*>", " ", ssml_or_text)).split())
        return [TextSegment(text, default_lang)] if text else []
    out: list[Segment] = []
    _walk(root, default_lang, "", out)
    return _merge(out)


def _walk(el: ET.Element, lang: str, voice: str, out: list[Segment]) -> None:
    tag = _local(el.tag)
    lang = el.get(_XML_LANG) or el.get("lang") or lang
    if tag == "voice":
        voice = el.get("name", voice)
    if tag == "break":
        time = el.get("time")
        ms = parse_break_time(time) if time else _BREAK_STRENGTH_MS.get(el.get("strength", ""), 400)
        out.append(BreakSegment(ms))
        return
    if tag == "sub" and el.get("alias") is not None:
        out.append(TextSegment(el.get("alias", ""), lang, voice))
        return
    if tag in _SKIP:
        return
    if el.text:
        out.append(TextSegment(el.text, lang, voice))
    for child in el:
        _walk(child, lang, voice, out)
        if child.tail:  # text after a child belongs to this element's language and voice
            out.append(TextSegment(child.tail, lang, voice))


def _merge(segments: list[Segment]) -> list[Segment]:
    merged: list[Segment] = []
    for seg in segments:
        if isinstance(seg, TextSegment):
            text = " ".join(seg.text.split())
            if not text:
                continue
            seg = TextSegment(text, seg.lang, seg.voice)
            prev = merged[-1] if merged else None
            if isinstance(prev, TextSegment) and (prev.lang, prev.voice) == (seg.lang, seg.voice):
                merged[-1] = TextSegment(f"{prev.text} {text}", seg.lang, seg.voice)
                continue
        merged.append(seg)
    return merged
