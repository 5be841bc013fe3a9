"""HTML mail as plain text: what a person would read, with scripts, styles and remote content dropped.

The standard library's html.parser tokenises (it never fetches, never runs
anything, and does not raise on broken markup); this keeps the text of the
page, turns blocks into line breaks and links into "text <url>", and drops
script, style, head, embedded objects and every image (remote images are web
bugs: a fetched image tells the sender the mail was read).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_DROPPED = {"script", "style", "head", "title", "noscript", "iframe", "object", "embed", "svg", "math",
            "template", "applet", "frameset", "frame", "audio", "video", "canvas", "select", "button"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
         "track", "wbr"}
_BLOCK = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table",
          "ul", "ol", "dl", "dt", "dd", "hr", "section", "article", "header", "footer", "address", "form"}
_SAFE_LINK = re.compile(r"^(https?:|mailto:)", re.I)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0  # depth inside dropped elements
        self.links: list[str | None] = []
        self.pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROPPED and tag not in _VOID:
            self.skip += 1
            return
        if self.skip:
            return
        if tag in _BLOCK:
            self.parts.append("\n")
        if tag == "li":
            self.parts.append("- ")
        if tag == "pre":
            self.pre += 1
        if tag == "a":
            href = dict(attrs).get("href") or ""
            self.links.append(href.strip() if _SAFE_LINK.match(href.strip()) else None)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self.skip and tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED and tag not in _VOID:
            self.skip = max(0, self.skip - 1)
            return
        if self.skip:
            return
        if tag == "a" and self.links:
            href = self.links.pop()
            if href and href.removeprefix("mailto:") not in "".join(self.parts[-3:]):
                self.parts.append(f" <{href}>")
        if tag == "pre":
            self.pre = max(0, self.pre - 1)
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        self.parts.append(data if self.pre else re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    """The readable text of an HTML body; never raises (broken markup gives what could be read)."""
    parser = _Text()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # html.parser is lenient; this is belt and braces for a hostile body
        pass
    text = "".join(parser.parts)
    lines = [line.strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
