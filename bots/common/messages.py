"""What the bots say. Short, plain and kind: many readers use a screen reader, read slowly, or read in a
second language, so one idea per sentence and no jargon."""

from __future__ import annotations

WELCOME = (
    "Hello! I say what you type, in a voice and with a face.\n"
    "Type any message and I'll send it back as a voice message and a video.\n"
    "First, which language do you write in?"
)
PICK_VOICE = "Now pick a voice. You can change it later with /voice."
NO_VOICES = "I have no preset voices for that language yet, so I'll use the default voice."
READY = (
    "All set! Your cartoon face is ready. Type a message and I'll say it.\n"
    "Want your own voice or face? Send /voice or /face."
)
HELP = (
    "Type a message: I say it as a voice message and a video.\n"
    "/phrases – your saved phrases, one tap to speak\n"
    "/save TEXT – save a phrase\n"
    "/voice – choose a voice, or use your own\n"
    "/face – choose a cartoon, or use your photo\n"
    "/settings – video, round video or voice only; captions; language\n"
    "/export – get a copy of your data\n"
    "/forget – delete everything about you\n"
    "In any chat, type @{bot} and a few words to send a saved phrase."
)

BUSY = "I'm busy, I'll send it in a moment."
BUSY_TRY_AGAIN = "I'm busy right now. Please try again in a moment."
RETRY_GAVE_UP = "Sorry, I couldn't make that clip. Please send the message again."
UPLOAD_GAVE_UP = "Sorry, I couldn't use that file just now. Please send it again in a few minutes."
UNEXPECTED = "Sorry, something went wrong on my side. Please try again."
EDITED = "You changed this message. Should I say the new text?"
SPEAK_EDITED_GONE = "I no longer have that text. Please send it again."

# Voice
VOICE_MENU = "Your voice: {voice}.\nSpeed {rate}, pitch {pitch}, volume {volume}."
VOICE_PICK = "Pick a voice:"
VOICE_SET = "Done. I'll use the voice {voice}."
VOICE_OWN_ASK = "To use your own voice, I need your OK first:\n\n{consent}"
VOICE_SEND_SAMPLES = (
    "Thank you. Now send me voice messages or audio files of you speaking.\n"
    "Old recordings of you work too. A few minutes in total is best; short pieces are fine."
)
VOICE_SAMPLE_ADDED = "Thanks, I've added that recording to your voice."
VOICE_NEEDS_CONSENT = "I got a recording. Before I use it for your voice, I need your OK."
VOICE_ADJUSTED = "Changed. Speed {rate}, pitch {pitch}, volume {volume}."
VOICE_LIMIT = "That's already the {end} {what}."
SAMPLE_TEXT = "Hello! This is how I sound."

# Face
FACE_MENU = "Your face: {face}.\nPick a cartoon, or use a photo of yourself."
FACE_OWN_ASK = "To use your photo, I need your OK first:\n\n{consent}"
FACE_SEND_PHOTO = (
    "Thank you. Now send me a clear photo of your face, looking at the camera, like a passport photo."
)
FACE_WORKING = "Got it. I'm getting your face ready; this takes a moment."
FACE_READY = "Here you are! From now on I'll use this face. Send /face to change it."
KEPT_FOR_CONSENT = 'I\'ll keep this one too, until you tap "I agree" above.'
FACE_NEEDS_CONSENT = "I got a photo. Before I use it for your face, I need your OK."
FACE_STYLE_SET = "Done. I'll use the {style} cartoon."
PICK_TONE = "Pick a skin colour, or keep this one."
FACE_CLEARED = "Done. I'll use the cartoon again, and I deleted your photo."

# Phrases
PHRASES_EMPTY = (
    'You have no saved phrases yet.\nSend /save and the text, or tap "Save phrase" under a message I spoke.'
)
PHRASES_LIST = "Your phrases. Tap one to say it."
PHRASES_EDIT = "Edit your phrases: move them up or down, or delete them."
PHRASE_SAVED = 'Saved: "{text}". Find it in /phrases.'
PHRASE_EXISTS = "That's already in your phrases."
PHRASE_DELETED = "Deleted."
PHRASE_MOVED = "Moved."
PHRASE_GONE = "That phrase isn't saved any more."
SAVE_USAGE = "To save a phrase, send /save and the text, for example:\n/save I need a break, please."

# Settings
SETTINGS = "Your settings:\nLanguage: {language}\nI send: {output}\nCaptions in the video: {captions}"
SETTINGS_SAVED = "Saved."
OUTPUTS: dict[str, str] = {"video": "video", "video_note": "round video", "voice": "voice only"}
CAPTIONS: dict[str, str] = {"soft": "optional", "burn": "always", "none": "off"}
LANGUAGE_SET = "Done. I'll speak {language}."

# Privacy
FORGET_ASK = (
    "This deletes everything I keep about you: voice, face, phrases and settings. It can't be undone.\n"
    "Are you sure?"
)
FORGOTTEN = "Done. I deleted everything about you. Send /start to begin again."
FORGET_KEPT = "OK, I kept everything."
EXPORT_CAPTION = "Here is everything I keep about you."

# Consent buttons
CONSENT_THANKS = "Thank you. I saved your OK."
CANCELLED = "OK, cancelled."

# Uploads
FILE_TOO_BIG = "That file is larger than 20 MB, which is the most I can receive. Please send a shorter one."
UNSUPPORTED_FILE = (
    "I can't use that kind of file. Send me a photo of your face, or a recording of your voice."
)
UNREADABLE_AUDIO = "I couldn't play that recording. Could you record it again?"
NOTHING_TO_SAY = "There is nothing to say yet: please type a message."
GROUP_HINT = "In groups, mention me or reply to me, and I'll say your message."
