"""The French text of the pages: HTML text and attributes people read, and JS string literals
(object keys, which match the server's messages, left out)."""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser

READ_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")
# A space a line may break at, before the punctuation French sets apart (a narrow no-break
# space, U+202F, belongs there).
BREAKABLE = re.compile(r" (?=[:;?!])")


@dataclass(frozen=True)
class Text:
    start: int
    end: int
    value: str


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.found: list[str] = []

    def handle_data(self, data: str) -> None:
        self.found.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        del tag  # every element's readable attributes count
        self.found += [value for name, value in attrs if name in READ_ATTRIBUTES and value]


def html_texts(source: str) -> list[str]:
    """The text and readable attributes of an HTML body."""
    parser = _Html()
    parser.feed(source)
    parser.close()
    return parser.found


def js_strings(source: str) -> Iterator[Text]:
    """String literals of a script, comments skipped; a template's `${…}` parts left out."""
    index, length = 0, len(source)
    while index < length:
        char = source[index]
        if source.startswith("//", index):
            index = source.find("\n", index)
            index = length if index < 0 else index
        elif source.startswith("/*", index):
            index = source.index("*/", index) + 2
        elif char in "'\"`":
            end = index + 1
            while source[end] != char:
                end += 2 if source[end] == "\\" else 1
            before = source[:index].rstrip()[-1:]
            key = before in ("{", ",") and source[end + 1 :].lstrip().startswith(":")
            if not key:
                value = source[index + 1 : end]
                if char == "`":
                    value = re.sub(r"\$\{[^}]*\}", "", value)
                yield Text(index + 1, end, value)
            index = end + 1
        else:
            index += 1


def breakable_spots(text: str) -> list[str]:
    """Where `text` lets a line start with `:`, `;`, `?` or `!`."""
    return [text[max(0, m.start() - 12) : m.end() + 2] for m in BREAKABLE.finditer(text)]
