"""ctypes binding to the espeak-ng shared library shipped in the `espeakng-loader` wheel.

Only what the espeak engine needs: initialisation in synchronous (retrieval) mode with IPA phoneme events,
voice listing and selection, parameters, and synthesis with a callback that receives audio and events.
The struct layouts follow espeak-ng's public header speak_lib.h.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass

import espeakng_loader

# espeak_AUDIO_OUTPUT
AUDIO_OUTPUT_SYNCHRONOUS = 2
# espeak_Initialize options
INITIALIZE_PHONEME_EVENTS = 0x0001
INITIALIZE_PHONEME_IPA = 0x0002
INITIALIZE_DONT_EXIT = 0x8000
# espeak_EVENT_TYPE
EVENT_LIST_TERMINATED = 0
EVENT_WORD = 1
EVENT_SENTENCE = 2
EVENT_MARK = 3
EVENT_PLAY = 4
EVENT_END = 5
EVENT_MSG_TERMINATED = 6
EVENT_PHONEME = 7
EVENT_SAMPLERATE = 8
# espeak_PARAMETER
PARAM_RATE = 1
PARAM_VOLUME = 2
PARAM_PITCH = 3
PARAM_RANGE = 4
# espeak_POSITION_TYPE
POS_CHARACTER = 1
# espeak_Synth flags
CHARS_UTF8 = 1
ENDPAUSE = 0x1000
EE_OK = 0


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class EspeakEvent(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    ]


class EspeakVoice(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_void_p),  # packed list, see _languages
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    ]


SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(EspeakEvent)
)


@dataclass(frozen=True, slots=True)
class RawVoice:
    name: str
    identifier: str
    languages: tuple[str, ...]  # in priority order
    gender: int  # 0 unknown, 1 male, 2 female


def load_library() -> tuple[ctypes.CDLL, int]:
    """Load and initialise libespeak-ng; returns the library and its output sample rate."""
    lib = ctypes.CDLL(espeakng_loader.get_library_path())
    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.espeak_Initialize.restype = ctypes.c_int
    lib.espeak_SetSynthCallback.argtypes = [SynthCallback]
    lib.espeak_SetSynthCallback.restype = None
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_SetVoiceByName.restype = ctypes.c_int
    lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
    lib.espeak_SetParameter.restype = ctypes.c_int
    lib.espeak_ListVoices.argtypes = [ctypes.POINTER(EspeakVoice)]
    lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(EspeakVoice))
    lib.espeak_Synth.argtypes = [
        ctypes.c_void_p,
        ctypes.c_size_t,
        ctypes.c_uint,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.c_uint,
        ctypes.POINTER(ctypes.c_uint),
        ctypes.c_void_p,
    ]
    lib.espeak_Synth.restype = ctypes.c_int
    options = INITIALIZE_PHONEME_EVENTS | INITIALIZE_PHONEME_IPA | INITIALIZE_DONT_EXIT
    sample_rate = lib.espeak_Initialize(
        AUDIO_OUTPUT_SYNCHRONOUS, 200, espeakng_loader.get_data_path().encode(), options
    )
    if sample_rate <= 0:
        raise RuntimeError(f"espeak-ng failed to initialise (code {sample_rate})")
    return lib, sample_rate


def _languages(address: int | None) -> tuple[str, ...]:
    # espeak packs languages as <priority byte><name>\0 ... ended by a zero priority byte; read it piecewise
    # so we never read past the end of the block.
    out: list[str] = []
    while address and ctypes.string_at(address, 1) != b"\0":
        name = ctypes.string_at(address + 1)
        out.append(name.decode("utf-8", "replace"))
        address += len(name) + 2
    return tuple(out)


def list_voices(lib: ctypes.CDLL, variants: bool = False) -> list[RawVoice]:
    """All voices, or with variants=True the voice variants ("!v/f3" ...)."""
    spec = None
    selector = ctypes.create_string_buffer(b"variant")
    if variants:
        spec = EspeakVoice()
        spec.languages = ctypes.cast(selector, ctypes.c_void_p).value
    array = lib.espeak_ListVoices(ctypes.byref(spec) if spec is not None else None)
    voices = []
    i = 0
    while array[i]:
        v = array[i].contents
        voices.append(
            RawVoice(
                name=(v.name or b"").decode("utf-8", "replace"),
                identifier=(v.identifier or b"").decode("utf-8", "replace"),
                languages=_languages(v.languages),
                gender=int(v.gender),
            )
        )
        i += 1
    return voices
