"""Conversation logic shared by the chat bots: what they say, how long messages become clips, consent texts
and how profiles and phrases are shown. Nothing here knows about a particular chat platform."""
