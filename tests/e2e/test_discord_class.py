"""Class servers end to end: setup by managers, tutors speaking for students who allowed it, attribution."""

from __future__ import annotations

import pytest

from bots.common.tutor_consent import act_for_me_prompt, act_for_me_text
from tests.bots.discord.harness import AUTOCOMPLETE, DEFERRED, MESSAGE, Rig, decode, rig
from tests.bots.discord.standin import EPHEMERAL, MANAGE_GUILD
from tests.engine.service.harness import start_service

__all__ = ["rig", "start_service"]

pytestmark = pytest.mark.timeout(120)


def refused(callback_payload: dict) -> str:
    assert callback_payload["type"] == MESSAGE
    assert callback_payload["data"]["flags"] & EPHEMERAL
    return callback_payload["data"]["content"]


async def setup_class(live: Rig) -> None:
    interaction = await live.send(
        "class-setup", user="manager", channel="classroom", tutor_role=live.discord.tutor_role, language="en"
    )
    answer = await live.private_answer(interaction)
    assert f"<@&{live.discord.tutor_role['id']}>" in answer["content"]


async def allow_tutor_help(live: Rig, student: str) -> None:
    interaction = await live.send("class allow tutor-help", user=student, channel="classroom")
    await live.callback(interaction)
    prompt = interaction.original
    assert act_for_me_prompt("the server “Year 9 class”") in prompt["content"]
    clicked = await live.click(prompt, "I agree", user=student, channel="classroom")
    assert "can now speak for you" in (await live.private_answer(clicked))["content"]


async def test_setup_is_for_server_managers_only(rig: Rig) -> None:
    command = rig.discord.command("class-setup")
    assert int(command["default_member_permissions"]) == MANAGE_GUILD
    assert command.get("contexts") in (None, [0]) or command.get("dm_permission") is False

    # Discord may still show it to others (admins can change that), so the bot checks again.
    interaction = await rig.send("class-setup", user="tutor", channel="classroom", all_channels=True)
    assert "manage this server" in refused((await rig.callback(interaction)).payload)
    await setup_class(rig)
    guild = await rig.engine.guild("discord", rig.discord.guild["id"])
    assert guild.tutor_role_ids == (rig.discord.tutor_role["id"],)
    assert guild.allowed_channel_ids == () and guild.default_language == "en"

    # Channels: leaving one out of "every channel" keeps all the others; "all channels" resets.
    channels = rig.discord.channels
    left_out = await rig.send(
        "class-setup", user="manager", channel="classroom", disallow_channel="off-topic"
    )
    await rig.private_answer(left_out)
    guild = await rig.engine.guild("discord", rig.discord.guild["id"])
    assert set(guild.allowed_channel_ids) == {channels["general"]["id"], channels["classroom"]["id"]}
    reset = await rig.send("class-setup", user="manager", channel="classroom", all_channels=True)
    assert "every channel" in (await rig.private_answer(reset))["content"]
    assert (await rig.engine.guild("discord", rig.discord.guild["id"])).allowed_channel_ids == ()


async def test_tutor_speaks_for_a_student_only_after_the_student_allows_it(rig: Rig) -> None:
    await setup_class(rig)
    await rig.use_espeak("student", "tutor")
    text = "I finished my reading."

    before = await rig.send("class say", user="tutor", channel="classroom", student="student", text=text)
    message = refused((await rig.callback(before)).payload)
    assert f"<@{rig.discord.users['student']['id']}>" in message and "/class allow tutor-help" in message

    await allow_tutor_help(rig, "student")
    consents = (await rig.engine.profile(rig.who("student"))).consents
    assert [(c.purpose, c.scope) for c in consents] == [("act_for_me", rig.discord.guild["id"])]
    assert consents[0].text == act_for_me_text("the server “Year 9 class”")

    said = await rig.send("class say", user="tutor", channel="classroom", student="student", text=text)
    assert (await rig.callback(said)).payload["type"] == DEFERRED
    edit = await rig.published(said)
    tutor, student = rig.discord.users["tutor"]["id"], rig.discord.users["student"]["id"]
    assert edit.payload["content"] == f"**Said by <@{tutor}> for <@{student}>:** {text}"
    assert edit.payload["allowed_mentions"]["parse"] == []
    assert decode(edit.files[0].data)["audio_samples"] > 0

    # A classmate without the tutor role cannot, even though the student allowed tutors.
    other = await rig.send("class say", user="classmate", channel="classroom", student="student", text="Hi")
    assert "Only tutors" in refused((await rig.callback(other)).payload)

    # Taking it back stops the tutor again.
    revoked = await rig.send("class revoke tutor-help", user="student", channel="classroom")
    assert "no longer" in (await rig.private_answer(revoked))["content"]
    after = await rig.send("class say", user="tutor", channel="classroom", student="student", text=text)
    assert "/class allow tutor-help" in refused((await rig.callback(after)).payload)


async def test_tutor_says_a_students_saved_phrase(rig: Rig) -> None:
    await setup_class(rig)
    await rig.use_espeak("student")
    added = await rig.send("phrase add", user="student", channel="classroom", text="I need help, please")
    await rig.private_answer(added)

    def autocomplete() -> dict:
        return {
            "user": "tutor",
            "channel": "classroom",
            "student": "student",
            "focused": "phrase",
            "phrase": "help",
        }

    hidden = await rig.send("class phrase", **autocomplete())
    assert (await rig.callback(hidden)).payload["data"]["choices"] == []  # not before the student allows it

    await allow_tutor_help(rig, "student")
    offered = await rig.send("class phrase", **autocomplete())
    callback = await rig.callback(offered)
    assert callback.payload["type"] == AUTOCOMPLETE
    (choice,) = callback.payload["data"]["choices"]
    assert choice["name"] == "I need help, please"

    said = await rig.send(
        "class phrase", user="tutor", channel="classroom", student="student", phrase=choice["value"]
    )
    edit = await rig.published(said)
    assert edit.payload["content"].startswith("**Said by <@")
    assert edit.payload["content"].endswith("I need help, please")


async def test_class_commands_need_a_server(rig: Rig) -> None:
    interaction = await rig.send("class allow tutor-help", user="student", channel=None)
    assert "only in a server" in refused((await rig.callback(interaction)).payload)


async def test_settings_point_to_the_servers_language(rig: Rig) -> None:
    setup = await rig.send("class-setup", user="manager", channel="classroom", language="de")
    await rig.private_answer(setup)
    shown = await rig.send("settings", user="student", channel="classroom")
    assert "This server's language is **de**" in (await rig.private_answer(shown))["content"]
    changed = await rig.send("settings", user="student", channel="classroom", language="de")
    assert "server's language" not in (await rig.private_answer(changed))["content"]
