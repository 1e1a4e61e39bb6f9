"""English normalisation, rule by rule: what a listener should hear for what a person typed."""

from __future__ import annotations

import pytest

from engine.text import normalize

CASES = [
    # cardinals, decimals, negatives
    (
        "I have 1,234,567 apples",
        "I have one million two hundred and thirty-four thousand five hundred and sixty-seven apples",
    ),
    ("pi is 3.14", "pi is three point one four"),
    ("about .5 of it", "about zero point five of it"),
    ("It was -5 outside", "It was minus five outside"),
    ("42", "forty-two"),
    ("1,2,3", "one, two, three"),
    # ranges, subtraction, percentages
    ("5-10 people", "five to ten people"),
    ("5–10 people", "five to ten people"),
    ("10-5=5", "ten minus five equals five"),
    ("50% off", "fifty percent off"),
    ("-3.5% and +2%", "minus three point five percent and plus two percent"),
    ("5-10%", "five to ten percent"),
    # ordinals, years, decades, fractions
    ("the 1st 2nd 3rd 23rd 101st", "the first second third twenty-third one hundred and first"),
    ("in 1999", "in nineteen ninety-nine"),
    ("in 2026", "in twenty twenty-six"),
    ("2000", "two thousand"),
    ("1905", "nineteen oh-five"),
    ("1990-1995", "nineteen ninety to nineteen ninety-five"),
    ("In 1066 AD", "In ten sixty-six A D"),
    ("the 1990s and the 80s", "the nineteen nineties and the eighties"),
    ("I have 2026 apples", "I have two thousand and twenty-six apples"),
    (
        "1/2 cup, 3/4, 2/3, 10/10, 24/7",
        "one half cup, three quarters, two thirds, ten out of ten, twenty-four seven",
    ),
    # phone numbers, digit strings, versions, addresses
    ("Call 555-123-4567", "Call five five five, one two three, four five six seven"),
    ("Call (555) 123-4567", "Call five five five, one two three, four five six seven"),
    ("+44 20 7946 0958", "plus four four, two zero, seven nine four six, zero nine five eight"),
    ("07700 900123", "zero seven seven zero zero, nine zero zero one two three"),
    ("code 007", "code zero zero seven"),
    ("5551234567", "five five five one two three four five six seven"),
    ("version 3.0.1", "version three point zero point one"),
    ("192.168.1.1", "one hundred and ninety-two dot one hundred and sixty-eight dot one dot one"),
    # money
    ("$5", "five dollars"),
    ("$1", "one dollar"),
    ("$3.50", "three dollars and fifty cents"),
    ("$0.99", "ninety-nine cents"),
    ("$1.01", "one dollar and one cent"),
    ("€20", "twenty euros"),
    ("£1.2m", "one point two million pounds"),
    ("£2.50", "two pounds and fifty pence"),
    ("$1,000,000", "one million dollars"),
    ("$5k", "five thousand dollars"),
    ("$2.5bn", "two point five billion dollars"),
    ("20€ and 5 €", "twenty euros and five euros"),
    ("10 USD", "ten dollars"),
    ("-$5", "minus five dollars"),
    # dates
    ("27/11/2026", "the twenty-seventh of November twenty twenty-six"),
    ("2026-11-27", "the twenty-seventh of November twenty twenty-six"),
    ("Nov 27", "November twenty-seventh"),
    ("Nov. 27th, 2026", "November twenty-seventh, twenty twenty-six"),
    ("on the 3rd of May", "on the third of May"),
    ("27 November 2026", "the twenty-seventh of November twenty twenty-six"),
    # times
    ("3:30pm", "three thirty p m"),
    ("3:30 p.m. Then", "three thirty p m. Then"),
    ("15:45", "fifteen forty-five"),
    ("9:05", "nine oh five"),
    ("10am", "ten a m"),
    ("12:00", "twelve o'clock"),
    ("23:00", "twenty-three hundred"),
    # abbreviations
    ("Dr. Smith", "Doctor Smith"),
    ("Dr Who", "Doctor Who"),
    ("Main St.", "Main Street."),
    ("42 Main St., Boston", "forty-two Main Street, Boston"),
    (
        "She lives on Main St. with Mr. and Mrs. Jones.",
        "She lives on Main Street with Mister and Missus Jones.",
    ),
    ("St. Louis", "Saint Louis"),
    ("Elm Dr.", "Elm Drive."),
    ("cats, dogs, etc.", "cats, dogs, et cetera."),
    ("fruit, e.g. apples", "fruit, for example apples"),
    ("one thing, i.e. this", "one thing, that is this"),
    ("cats vs. dogs", "cats versus dogs"),
    ("No. 5", "number five"),
    ("no 5 people came", "no five people came"),
    ("on 5th Ave. today", "on fifth Avenue today"),
    ("Gen Z", "Gen Z"),
    # units
    ("5 km", "five kilometres"),
    ("1 km", "one kilometre"),
    ("3kg", "three kilograms"),
    ("10°C", "ten degrees Celsius"),
    ("-5 °C", "minus five degrees Celsius"),
    ("98.6°F", "ninety-eight point six degrees Fahrenheit"),
    ("2-3 kg", "two to three kilograms"),
    ("100 km/h", "one hundred kilometres per hour"),
    ("16 GB", "sixteen gigabytes"),
    # URLs and e-mail
    ("Visit https://www.example.com/path?x=1.", "Visit w w w dot example dot com slash path."),
    ("see example.com", "see example dot com"),
    ("Mail jo.smith@example.com", "Mail jo dot smith at example dot com"),
    ("ME@Example.COM", "me at example dot com"),
    # repeated punctuation and pauses
    ("Wow!!!", "Wow!"),
    ("Really???", "Really?"),
    ("Really?!?!", "Really?"),
    ("Well..... ok", "Well... ok"),
    ("Well… ok", "Well... ok"),
    ("yes,, no", "yes, no"),
    ("this -- that", "this, that"),
    # symbols
    ("Tom & Jerry", "Tom and Jerry"),
    ("Tom &amp; Jerry", "Tom and Jerry"),
    ("2+2=4", "two plus two equals four"),
    ("C++ and A+", "C plus plus and A plus"),
    ("ask @alice", "ask at alice"),
    ("#AvatarLab rocks", "hashtag Avatar Lab rocks"),
    ("#1 fan", "number one fan"),
    ("yes/no", "yes or no"),
    ("*really* important", "really important"),
    ("% of people", "percent of people"),
    ("3 x 4", "three times four"),
    ("a 4x4", "a four by four"),
    ("1.5x faster", "one point five times faster"),
    ("50/50", "fifty fifty"),
    ("flight BA2490", "flight BA two four nine zero"),
    ("Hi!!!! :D", "Hi! grinning face"),
    # acronyms, glued digits, whitespace
    ("NASA and the BBC", "NASA and the BBC"),
    ("MP3 and 4K", "MP three and four K"),
    ("  lots   of\tspace  ", "lots of space"),
    ("Hello\nWorld", "Hello. World"),
    ("Hello!\n\nWorld", "Hello! World"),
]


@pytest.mark.parametrize(("raw", "spoken"), CASES)
def test_english(raw: str, spoken: str) -> None:
    assert normalize(raw, "en") == spoken


def test_invalid_date_is_not_a_date() -> None:
    # 13 is not a month either way round, so this is read as numbers, not as a date.
    spoken = normalize("13/13/2026")
    assert not any(month in spoken for month in ("January", "December", "the thirteenth of"))
    assert "thirteen" in spoken


def test_us_region_reads_numeric_dates_month_first_and_spells_meter() -> None:
    assert normalize("11/12/2026", "en-US") == "November twelfth, twenty twenty-six"
    assert normalize("11/12/2026", "en-GB") == "the eleventh of December twenty twenty-six"
    assert normalize("5 km", "en_US") == "five kilometers"
    us = "one hundred one and one thousand two hundred fifty dollars"
    assert normalize("101 and $1,250", "en-US") == us
    assert normalize("101", "en-GB") == "one hundred and one"


def test_no_digits_left_in_english() -> None:
    text = "On 27/11/2026 at 3:30pm I paid $3.50 for 2 items (5% off), call 555-123-4567, room 12B, 4x4."
    assert not any(ch.isdigit() for ch in normalize(text))
