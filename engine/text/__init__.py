"""The text front end: what a person typed → text a speech engine can say.

prepare_text(text, language=..., pronunciations=..., max_chars=..., speak_emoji=...) → str
normalize(text, language, speak_emoji=...) → str
apply_pronunciations(text, pronunciations) → str
split_sentences(text, language, max_chars) → list[str]
base_language(code) → str
"""

from engine.text.language import base_language
from engine.text.normalize import normalize, prepare_text
from engine.text.pronunciations import apply_pronunciations
from engine.text.sentences import split_sentences

__all__ = ["apply_pronunciations", "base_language", "normalize", "prepare_text", "split_sentences"]
