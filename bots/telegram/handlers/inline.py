"""Inline mode: "@bot some words" in any chat offers the person's matching saved phrases.

Inline results can carry media only by URL or by Telegram file_id, and the engine's media is not on a
public URL. So a phrase whose voice clip this bot already sent once is offered as that cached voice
message (file_id); any other phrase, and the typed text itself, is offered as a text message, which the
person can then have spoken by forwarding it to the bot or tapping the phrase in /phrases.
"""

from __future__ import annotations

from telegram import InlineQueryResultArticle, InlineQueryResultCachedVoice, InputTextMessageContent, Update
from telegram.constants import InlineQueryLimit
from telegram.ext import Application, InlineQueryHandler

from bots.common.formatting import short
from bots.telegram.handlers.common import Context, who
from bots.telegram.state import get_state

CACHE_S = 0  # answers are personal and phrases change: never let Telegram reuse them


async def on_inline(update: Update, context: Context) -> None:
    query = update.inline_query
    state = get_state(context)
    identity = who(update)
    text = " ".join(query.query.split())
    phrases = await state.client.phrases(identity, query=text or None)
    results: list[InlineQueryResultArticle | InlineQueryResultCachedVoice] = []
    if text:
        results.append(
            InlineQueryResultArticle(
                id="say",
                title=f"Say: {short(text, 60)}",
                description="Send this text",
                input_message_content=InputTextMessageContent(text),
            )
        )
    for phrase in phrases:
        if len(results) >= InlineQueryLimit.RESULTS:
            break
        file_id = state.cached_phrase_voice(identity.user_id, phrase.id, phrase.text)
        if file_id is not None:
            results.append(
                InlineQueryResultCachedVoice(
                    id=f"v{phrase.id}",
                    voice_file_id=file_id,
                    title=short(phrase.text, 60),
                    caption=phrase.text,
                )
            )
        else:
            results.append(
                InlineQueryResultArticle(
                    id=f"p{phrase.id}",
                    title=short(phrase.text, 60),
                    description="Saved phrase",
                    input_message_content=InputTextMessageContent(phrase.text),
                )
            )
    await query.answer(results, cache_time=CACHE_S, is_personal=True)


def register(app: Application) -> None:
    app.add_handler(InlineQueryHandler(on_inline))
