"""Rules every language shares: tidying whitespace and punctuation, URLs and e-mail addresses.

Each rule is a plain function str → str so a language can put them in the order it needs.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Mapping

Rule = Callable[[str], str]

_TERMINAL = ".!?…:;,"
_SPACE = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
# Invisible characters that only confuse a TTS front end (keeping ZWJ, which joins emoji).
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200e\u200f\u2060\ufeff]")


def tidy(text: str) -> str:
    """NFC, one space between words, and a sentence break for each line break.

    Chat messages use line breaks where prose would use full stops; a line that does not already end in
    punctuation gets a full stop so the voice pauses there instead of running the lines together.
    """
    # Messages pasted from web pages can carry HTML entities ("&amp;").
    text = unicodedata.normalize("NFC", html.unescape(text))
    text = _INVISIBLE.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    lines = [_SPACE.sub(" ", line).strip() for line in text.split("\n")]
    lines = [line for line in lines if line]
    joined = []
    for i, line in enumerate(lines):
        if i < len(lines) - 1 and line[-1] not in _TERMINAL:
            line += "."
        joined.append(line)
    return " ".join(joined)


def collapse_punctuation(text: str) -> str:
    """ "!!!" → "!", "?!?" → "?", "....." / "…" → "..." (a pause), ",," → ",", "--" / " - " → ", "."""
    text = text.replace("…", "...")
    text = re.sub(r"\.{2,}", "...", text)
    text = re.sub(r"[!?]*\?[!?]*", lambda m: "?" if len(m.group()) > 1 else m.group(), text)
    text = re.sub(r"!{2,}", "!", text)
    text = re.sub(r"([,;:])\1+", r"\1", text)
    # An en dash between digits is a range ("5–10"), handled with the numbers.
    text = re.sub(r"\s*(?:--+|—|(?<!\d)–|–(?!\d)|(?<=\s)-(?=\s))\s*", ", ", text)
    return text


def final_cleanup(text: str) -> str:
    """Remove spaces before punctuation and doubled marks that the rules above can leave behind."""
    text = _SPACE.sub(" ", text)
    text = re.sub(r"\s+([,;:!?])", r"\1", text)
    text = re.sub(r"\s+\.(?!\.\.)", ".", text)
    text = re.sub(r"(?<!\.)\.(?=[!?])", "", text)
    text = re.sub(r"[,;:]+(?=\s*[.!?](?!\.))", "", text)
    text = re.sub(r"(?<=[!?])\s*[,;:]+", "", text)
    text = re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", text)
    text = re.sub(r"^[\s,;:]+|[\s,;:]+$", "", text)
    return text.strip()


TLDS = (
    "com|org|net|edu|gov|mil|int|io|co|uk|de|es|fr|eu|info|biz|app|dev|ai|me|ly|tv|us|ca|au|nz|ie|nl|it|"
    "ch|at|be|se|no|dk|fi|pl|pt|ru|jp|cn|in|br|mx|ar|za|gg|xyz|online|site|tech|shop|blog|news|org\\.uk|co\\.uk"
)
URL = re.compile(
    r"(?:(?:https?|ftp)://|www\.)[^\s<>\"']+"
    rf"|(?<![\w@.])[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.(?:{TLDS})\b"
    r"(?:/[^\s<>\"']*)?",
    re.IGNORECASE,
)
EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}\b", re.IGNORECASE)
_URL_TRAILING = ".,;:!?)]}'\""


def spoken_address(address: str, words: Mapping[str, str], digit: Callable[[str], str]) -> str:
    """example.com/a-b → "example dot com slash a dash b"; digits one by one, as people read them out."""
    pieces = re.findall(r"[^\W\d_]+|\d+|.", address)
    out = []
    for piece in pieces:
        if piece[0].isdigit():
            out.append(digit(piece))
        elif piece in words:
            out.append(words[piece])
        elif piece.isalpha():
            out.append(piece)
    return " ".join(p for p in out if p.strip())


def url_rule(words: Mapping[str, str], digit: Callable[[str], str]) -> Rule:
    """Speak e-mail addresses and URLs. The scheme, query string and fragment are left out: they are
    machine detail that no listener could follow, and the host and path say where the link goes."""

    def email(match: re.Match[str]) -> str:
        # Addresses are case-insensitive; lower case keeps "COM" from being spelt out as an acronym.
        return f" {spoken_address(match.group().lower(), words, digit)} "

    def url(match: re.Match[str]) -> str:
        raw = match.group()
        trail = ""
        while raw and raw[-1] in _URL_TRAILING:
            trail = raw[-1] + trail
            raw = raw[:-1]
        core = re.sub(r"^(?:https?|ftp)://", "", raw, flags=re.IGNORECASE)
        core = re.split(r"[?#]", core, maxsplit=1)[0].rstrip("/")
        host, slash, path = core.partition("/")
        core = host.lower() + slash + path
        if core.lower().startswith("www."):
            core = "w w w." + core[4:]
        return f" {spoken_address(core, words, digit)}{trail} "

    def rule(text: str) -> str:
        return URL.sub(url, EMAIL.sub(email, text))

    return rule


def split_camel(word: str) -> str:
    """AvatarLab → "Avatar Lab"; keeps acronyms together ("BBCNews" → "BBC News")."""
    return re.sub(
        r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])", " ", word
    )
