"""Reads Markdown, text, HTML and PDF files into heading-aware passages that keep their document title."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from locales import languages
from services.knowledge.base import Passage
from services.knowledge.text import detect_lang

SUPPORTED_SUFFIXES = (".md", ".markdown", ".txt", ".html", ".htm", ".pdf")
MAX_PASSAGE_WORDS = 120


@dataclass(frozen=True)
class Section:
    heading: str
    text: str


@dataclass(frozen=True)
class ParsedDocument:
    title: str
    sections: list[Section]


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def list_sources(source_dir: Path) -> dict[str, Path]:
    """Relative POSIX path -> file, for every supported file under ``source_dir`` (tools/ excluded)."""
    found: dict[str, Path] = {}
    for path in sorted(source_dir.rglob("*")):
        rel = path.relative_to(source_dir)
        if (
            path.is_file()
            and path.suffix.lower() in SUPPORTED_SUFFIXES
            and not rel.parts[0].startswith((".", "_"))
        ):
            if rel.parts[0] != "tools":
                found[rel.as_posix()] = path
    return found


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def parse_markdown(text: str, fallback_title: str) -> ParsedDocument:
    """Walk markdown-it tokens: the first h1 is the title, every h2/h3 starts a section."""
    from markdown_it import MarkdownIt

    md_tokens = MarkdownIt("commonmark").enable("table").parse(text)
    title = ""
    heading = ""
    sections: list[Section] = []
    buffer: list[str] = []
    in_heading: str | None = None

    def flush() -> None:
        body = _clean(" ".join(buffer))
        if body:
            sections.append(Section(heading, body))
        buffer.clear()

    for tok in md_tokens:
        if tok.type == "heading_open":
            in_heading = tok.tag
        elif tok.type == "heading_close":
            in_heading = None
        elif tok.type == "inline":
            if in_heading == "h1" and not title:
                flush()
                title = _clean(tok.content)
            elif in_heading:
                flush()
                heading = _clean(tok.content)
            else:
                plain = "".join(c.content for c in tok.children or [] if c.type in ("text", "code_inline"))
                buffer.append(plain if plain.endswith((".", ":", "?", "!")) else plain + ".")
        elif tok.type == "fence" or tok.type == "code_block":
            buffer.append(tok.content)
    flush()
    return ParsedDocument(title or fallback_title, sections)


def parse_text(text: str, fallback_title: str) -> ParsedDocument:
    """Plain text: the first line is the title, blank-line separated blocks are sections."""
    blocks = [b.strip() for b in re.split(r"\n\s*\n", text) if b.strip()]
    if not blocks:
        return ParsedDocument(fallback_title, [])
    first, *rest = blocks
    lines = first.splitlines()
    title = _clean(lines[0])
    sections = [Section("", _clean(" ".join(lines[1:])))] if len(lines) > 1 else []
    sections += [Section("", _clean(b)) for b in rest]
    return ParsedDocument(title, sections)


def parse_html(html: str, fallback_title: str) -> ParsedDocument:
    """BeautifulSoup: scripts, styles, nav and footer dropped; h1 (or <title>) is the title, h2/h3 split."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "nav", "footer", "header", "noscript"]):
        tag.decompose()
    h1 = soup.find("h1")
    title = _clean(h1.get_text(" ")) if h1 else ""
    if not title and soup.title:
        title = _clean(soup.title.get_text(" "))
    sections: list[Section] = []
    heading = ""
    buffer: list[str] = []
    body = soup.body or soup
    for el in body.find_all(["h2", "h3", "p", "li", "td"]):
        if el.name in ("h2", "h3"):
            if buffer:
                sections.append(Section(heading, _clean(" ".join(buffer))))
                buffer = []
            heading = _clean(el.get_text(" "))
        else:
            piece = _clean(el.get_text(" "))
            if piece:
                buffer.append(piece if piece.endswith((".", ":", "?", "!")) else piece + ".")
    if buffer:
        sections.append(Section(heading, _clean(" ".join(buffer))))
    return ParsedDocument(title or fallback_title, sections)


_PDF_HEADING = re.compile(r"^[A-ZÁÉÍÓÚÑ][^.!?:;]{1,60}$")


def parse_pdf(path: Path, fallback_title: str) -> ParsedDocument:
    """pypdf text: the metadata title (or first line) is the title; short unpunctuated lines are headings."""
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    lines = [ln.strip() for page in reader.pages for ln in (page.extract_text() or "").splitlines()]
    lines = [ln for ln in lines if ln]
    meta_title = str(reader.metadata.title) if reader.metadata and reader.metadata.title else ""
    if lines and (not meta_title or lines[0] == meta_title):
        meta_title = meta_title or lines[0]
        lines = lines[1:]
    sections: list[Section] = []
    heading = ""
    buffer: list[str] = []
    for ln in lines:
        # A heading is short, has no sentence punctuation and follows a finished sentence (or nothing).
        previous_done = not buffer or buffer[-1].endswith((".", "!", "?", ":"))
        if _PDF_HEADING.match(ln) and previous_done:
            if buffer:
                sections.append(Section(heading, _clean(" ".join(buffer))))
                buffer = []
            heading = ln
        else:
            buffer.append(ln)
    if buffer:
        sections.append(Section(heading, _clean(" ".join(buffer))))
    return ParsedDocument(meta_title or fallback_title, sections)


def parse_file(path: Path) -> ParsedDocument:
    fallback = path.stem.replace("-", " ").replace("_", " ").capitalize()
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return parse_pdf(path, fallback)
    text = path.read_text(encoding="utf-8", errors="replace")
    if suffix in (".html", ".htm"):
        return parse_html(text, fallback)
    if suffix in (".md", ".markdown"):
        return parse_markdown(text, fallback)
    return parse_text(text, fallback)


def _split_long(text: str) -> list[str]:
    """Keep passages short enough for the embedder; cut on sentence boundaries."""
    from services.knowledge.text import sentences

    if len(text.split()) <= MAX_PASSAGE_WORDS:
        return [text]
    chunks: list[str] = []
    current: list[str] = []
    for sentence in sentences(text):
        if current and len(" ".join([*current, sentence]).split()) > MAX_PASSAGE_WORDS:
            chunks.append(" ".join(current))
            current = []
        current.append(sentence)
    if current:
        chunks.append(" ".join(current))
    return chunks


def lang_for(source: str, document: ParsedDocument) -> str:
    """The folder name when it says (``en/``, ``es/``), otherwise detected from the text."""
    first = source.split("/", 1)[0].lower()
    if first in languages.codes():
        return first
    sample = " ".join([document.title, *(s.text for s in document.sections[:3])])
    return detect_lang(sample)


def passages_for(source: str, path: Path) -> list[Passage]:
    """Parse one file into passages; ids are stable for a given source and position."""
    document = parse_file(path)
    lang = lang_for(source, document)
    out: list[Passage] = []
    for section in document.sections:
        for chunk in _split_long(section.text):
            digest = hashlib.sha256(f"{document.title}\x1f{section.heading}\x1f{chunk}".encode()).hexdigest()
            pid = hashlib.sha1(f"{source}#{len(out)}".encode()).hexdigest()[:20]
            out.append(Passage(pid, source, document.title, section.heading, chunk, lang, digest[:32]))
    return out
