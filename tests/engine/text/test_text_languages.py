"""German, Spanish and French numbers, money, ordinals and abbreviations; the fallbacks for the rest."""

from __future__ import annotations

import pytest

from engine.errors import UnsupportedLanguage
from engine.text import base_language, normalize

GERMAN = [
    ("1.234.567", "eine Million zweihundertvierunddreißigtausendfünfhundertsiebenundsechzig"),
    ("3,14", "drei Komma eins vier"),
    ("-5", "minus fünf"),
    ("5-10 Leute", "fünf bis zehn Leute"),
    ("50%", "fünfzig Prozent"),
    ("2,5 %", "zwei Komma fünf Prozent"),
    ("1999", "neunzehnhundertneunundneunzig"),
    ("3,50 €", "drei Euro und fünfzig Cent"),
    ("1 €", "ein Euro"),
    ("€20", "zwanzig Euro"),
    ("$3.50", "drei Dollar und fünfzig Cent"),
    ("der 2. Platz", "der zweite Platz"),
    ("am 3. Oktober", "am dritten Oktober"),
    ("um 15:45", "um fünfzehn Uhr fünfundvierzig"),
    ("um 8:00", "um acht Uhr"),
    ("z.B. das", "zum Beispiel das"),
    ("Dr. Müller", "Doktor Müller"),
    ("Nr. 5", "Nummer fünf"),
    ("Äpfel usw. Dann", "Äpfel und so weiter. Dann"),
    ("Tom & Jerry", "Tom und Jerry"),
    ("www.beispiel.de", "w w w Punkt beispiel Punkt de"),
    ("am 27.11.2026", "am siebenundzwanzigsten November zweitausendsechsundzwanzig"),
    ("2026-11-27", "siebenundzwanzigste November zweitausendsechsundzwanzig"),
    ("3,5 kg", "drei Komma fünf Kilogramm"),
    ("1 h", "eine Stunde"),
    ("-5 °C", "minus fünf Grad Celsius"),
]
SPANISH = [
    ("1.000.000", "un millón"),
    ("3,5", "tres coma cinco"),
    ("-5", "menos cinco"),
    ("5-10 personas", "cinco a diez personas"),
    ("3,5%", "tres coma cinco por ciento"),
    ("1999", "mil novecientos noventa y nueve"),
    ("20 €", "veinte euros"),
    ("1 €", "un euro"),
    ("21 $", "veintiún dólares"),
    ("0,50 €", "cincuenta céntimos"),
    ("3,50 €", "tres euros con cincuenta céntimos"),
    ("el 1º", "el primero"),
    ("la 2ª", "la segunda"),
    ("el Sr. García", "el señor García"),
    ("p. ej. esto", "por ejemplo esto"),
    ("Tom & Jerry", "Tom y Jerry"),
    ("hola@ejemplo.es", "hola arroba ejemplo punto es"),
    ("el 27/11/2026", "el veintisiete de noviembre de dos mil veintiséis"),
    ("el 1/5/2026", "el primero de mayo de dos mil veintiséis"),
    ("1 kg", "un kilo"),
    ("5 km", "cinco kilómetros"),
]
FRENCH = [
    ("1 000 000", "un million"),
    ("3,14", "trois virgule un quatre"),
    ("20 €", "vingt euros"),
    ("21", "vingt et un"),
    ("80", "quatre-vingts"),
    ("le 1er", "le premier"),
    ("la 1re", "la première"),
    ("le 2e", "le deuxième"),
    ("à 15h30", "à quinze heures trente"),
    ("M. Dupont", "monsieur Dupont"),
    ("50 %", "cinquante pour cent"),
    ("le 27/11/2026", "le vingt-sept novembre deux mille vingt-six"),
    ("le 1/5/2026", "le premier mai deux mille vingt-six"),
    ("1 min", "une minute"),
    ("16 Go", "seize gigaoctets"),
]


@pytest.mark.parametrize(("raw", "spoken"), GERMAN)
def test_german(raw: str, spoken: str) -> None:
    assert normalize(raw, "de") == spoken


@pytest.mark.parametrize(("raw", "spoken"), SPANISH)
def test_spanish(raw: str, spoken: str) -> None:
    assert normalize(raw, "es") == spoken


@pytest.mark.parametrize(("raw", "spoken"), FRENCH)
def test_french(raw: str, spoken: str) -> None:
    assert normalize(raw, "fr") == spoken


def test_regional_codes_use_the_base_language_rules() -> None:
    assert normalize("3,50 €", "de-AT") == normalize("3,50 €", "de")
    assert normalize("20 €", "es_MX") == "veinte euros"


def test_other_num2words_languages_get_their_numbers_spoken() -> None:
    assert normalize("Ho 3 gatti e 2,5 cani", "it") == "Ho tre gatti e due virgola cinque cani"
    assert normalize("Ik heb 21 katten", "nl") == "Ik heb eenentwintig katten"


def test_languages_num2words_lacks_keep_digits_for_espeak() -> None:
    assert normalize("ngi 5  !!!", "zu") == "ngi 5!"


def test_emoji_names_are_english_so_other_languages_drop_them() -> None:
    assert normalize("Hallo ❤️", "de") == "Hallo"


@pytest.mark.parametrize(
    ("code", "base"),
    [("en", "en"), ("en-US", "en"), ("en_us", "en"), ("EN", "en"), ("pt-BR", "pt"), ("yue", "yue")],
)
def test_base_language(code: str, base: str) -> None:
    assert base_language(code) == base


@pytest.mark.parametrize("code", ["", "  ", "english!", "e", "12"])
def test_base_language_rejects_non_codes(code: str) -> None:
    with pytest.raises(UnsupportedLanguage):
        base_language(code)
