"""The `avatarlab` command line.

Every failure a person can cause prints one line starting with "avatarlab: " and exits with status 2,
leaving no partial output file behind.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path

from engine.config import Settings
from engine.errors import AvatarLabError, InvalidInput, OutputNotWritable

EXIT_USER_ERROR = 2

FORMATS = {"video": "video", "note": "video_note", "voice": "voice"}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # Long-running services log their progress; one-shot commands only warnings.
    quiet = getattr(args, "log_level", logging.WARNING)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else quiet,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        if quiet == logging.INFO
        else "%(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # one line per plugin at start-up
    if not hasattr(args, "run"):
        parser.print_help()
        return EXIT_USER_ERROR
    try:
        return args.run(args) or 0
    except AvatarLabError as exc:
        print(f"avatarlab: {exc.message}", file=sys.stderr)
        return EXIT_USER_ERROR
    except ValueError as exc:  # validation in the value types (rate, pitch, size…)
        print(f"avatarlab: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("avatarlab: stopped.", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `avatarlab voices | head`: the reader left, which is fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="avatarlab",
        description="Turn typed text into speech and a talking-avatar video, offline.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens inside")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    for add in COMMANDS:
        add(commands)
    return parser


# --- say ------------------------------------------------------------------------------------------


def _add_say(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "say",
        help="speak TEXT and write a video, video note or voice message",
        description="Speak TEXT with a voice and an avatar and write the result to --out.",
    )
    p.add_argument("text", metavar="TEXT", help="what to say (quote it)")
    p.add_argument("--out", "-o", required=True, type=Path, help="output file (.mp4 or .ogg)")
    p.add_argument("--format", choices=sorted(FORMATS), default="video", help="video (default), note, voice")
    p.add_argument("--lang", default=None, help="language code, e.g. en, de, es (default: en)")
    p.add_argument("--voice", default=None, help="voice id from `avatarlab voices`")
    p.add_argument("--engine", default=None, help="speech engine: piper, espeak (default: by language)")
    p.add_argument("--rate", type=float, default=1.0, help="speaking rate, 0.5–2.0 (default 1.0)")
    p.add_argument("--pitch", type=float, default=0.0, help="pitch shift in semitones, -12–12 (default 0)")
    p.add_argument("--volume", type=float, default=1.0, help="volume, 0.1–2.0 (default 1.0)")
    p.add_argument(
        "--say-as",
        action="append",
        default=[],
        metavar="WORD=SPOKEN",
        help="pronounce WORD as SPOKEN (repeatable)",
    )
    p.add_argument(
        "--avatar", default="default", metavar="STYLE", help="cartoon style (see `avatarlab avatar styles`)"
    )
    p.add_argument(
        "--photo",
        type=Path,
        default=None,
        help="animate this photo, or a prepared face from `avatarlab avatar prepare`",
    )
    p.add_argument(
        "--captions",
        choices=["soft", "burn", "none"],
        default="soft",
        help="subtitle track (soft, default), drawn into the picture (burn), or none",
    )
    p.add_argument("--size", type=int, default=512, help="video side in pixels (default 512)")
    p.add_argument(
        "--size-limit",
        type=float,
        default=None,
        metavar="MB",
        help="make the file fit in this many megabytes",
    )
    p.add_argument("--srt", type=Path, default=None, help="also write the captions as SRT here")
    p.set_defaults(run=_run_say)


def _run_say(args: argparse.Namespace) -> int:
    from engine.pipeline import Pipeline
    from engine.types import CaptionMode, FaceSettings, OutputFormat, RenderRequest, VoiceSettings

    settings = Settings.load()
    output = OutputFormat(FORMATS[args.format])
    _check_extension(args.out, output)
    _check_writable(args.out)
    if args.srt is not None:
        _check_writable(args.srt)

    voice = VoiceSettings(
        engine=args.engine,
        voice=args.voice,
        rate=args.rate,
        pitch=args.pitch,
        volume=args.volume,
        language=args.lang or settings.default_language,
        pronunciations=_parse_say_as(args.say_as),
    )
    face = FaceSettings(engine="cartoon", style=args.avatar, size=args.size)
    if args.photo is not None:
        face = FaceSettings(engine="portrait", prepared_face=_prepared_face(args.photo), size=args.size)
    limit = None if args.size_limit is None else int(args.size_limit * 1_000_000)
    if limit is not None and limit <= 0:
        raise InvalidInput("--size-limit must be a positive number of megabytes.")
    request = RenderRequest(
        text=args.text,
        voice=voice,
        face=face,
        output=output,
        captions=CaptionMode(args.captions),
        size_limit_bytes=limit,
    )
    clip = Pipeline(settings).render_final(request, progress=_progress_printer(sys.stderr))
    _write_atomically(args.out, clip.data)
    if args.srt is not None:
        _write_atomically(args.srt, clip.captions_srt.encode())
    size = f", {clip.width}×{clip.height}" if clip.width else ""
    print(f"Wrote {args.out} ({clip.duration_s:.1f} s{size}, {len(clip.data) / 1e6:.2f} MB)")
    return 0


def _parse_say_as(pairs: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        word, sep, spoken = pair.partition("=")
        if not sep or not word.strip() or not spoken.strip():
            raise InvalidInput(f"--say-as needs WORD=SPOKEN, got {pair!r}.")
        out[word.strip()] = spoken.strip()
    return out


def _prepared_face(path: Path) -> bytes:
    from engine.face.portrait import PreparedFace, prepare

    data = _read_input(path)
    if PreparedFace.is_serialized(data):
        return data
    return prepare(data).to_bytes()


def _check_extension(path: Path, output: object) -> None:
    expected = ".ogg" if str(output) == "voice" else ".mp4"
    if path.suffix.lower() != expected:
        raise InvalidInput(f"For this format the output file should end in {expected} (got {path.name}).")


def _check_writable(path: Path) -> None:
    """Fail before rendering, not after, when the output cannot be written."""
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise OutputNotWritable(str(path), "it is a folder")
    if not parent.is_dir():
        raise OutputNotWritable(str(path), f"the folder {parent} does not exist")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise OutputNotWritable(str(path), "permission denied")


def _write_atomically(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(
        dir=path.parent if str(path.parent) else ".", prefix=f".{path.name}.", suffix=".part"
    )
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the mode `open` would
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OutputNotWritable(str(path), exc.strerror or "write failed") from exc


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _read_input(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise InvalidInput(f"There is no file {path}.") from exc
    except IsADirectoryError as exc:
        raise InvalidInput(f"{path} is a folder, not a file.") from exc
    except OSError as exc:
        raise InvalidInput(f"Can't read {path}: {exc.strerror}.") from exc


def _progress_printer(stream) -> Callable[[int, int], None]:
    """A progress line for long clips: rewritten in place on a terminal, a few plain lines otherwise."""
    state = {"shown": -1}

    def report(done: int, total: int) -> None:
        if total < 250:  # short clips (under ~10 s) finish before a progress line helps
            return
        percent = 100 * done // total
        step = percent // 10 if stream.isatty() else percent // 25
        if step == state["shown"]:
            return
        state["shown"] = step
        end = "\n" if done >= total or not stream.isatty() else ""
        print(f"\rRendering video… {percent:3d}%", end=end, file=stream, flush=True)

    return report


# --- voices -----------------------------------------------------------------------------------------


def _add_voices(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("voices", help="list the voices and languages available")
    p.add_argument("--lang", default=None, help="only voices for this language (e.g. de)")
    p.set_defaults(run=_run_voices)


def _run_voices(args: argparse.Namespace) -> int:
    from engine.speech import list_voices

    voices = list_voices(args.lang)
    if not voices:
        raise InvalidInput(f"No voice speaks {args.lang!r}. Run `avatarlab voices` to see every language.")
    # espeak-ng offers ~100 variants ("+f3", "+adam") of each of its voices: list the voices, and the
    # variants once, as suffixes, instead of thousands of lines.
    main_voices = [v for v in voices if "+" not in v.id]
    variants = sorted({v.id.partition("+")[2] for v in voices if "+" in v.id})
    width = max(len(v.id) for v in main_voices)
    for v in main_voices:
        print(f"{v.engine:7} {v.id:<{width}}  {v.language:10} {v.name}")
    if variants:
        print(
            f"\nespeak voices also come in {len(variants)} variants: add one to a voice id, e.g. "
            f"--voice {main_voices[0].id}+{variants[0]}."
        )
        if args.lang:
            print(_columns([f"+{name}" for name in variants], width=100))
        else:
            print("See them with `avatarlab voices --lang CODE`.")
    return 0


def _columns(items: list[str], width: int) -> str:
    """Items joined by spaces into lines of at most `width` characters, never splitting an item."""
    lines: list[str] = []
    for item in items:
        if lines and len(lines[-1]) + 1 + len(item) <= width:
            lines[-1] += " " + item
        else:
            lines.append(item)
    return "\n".join(lines)


# --- avatar -----------------------------------------------------------------------------------------


def _add_avatar(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("avatar", help="avatar styles and prepared photo faces")
    sub = p.add_subparsers(title="avatar commands", metavar="ACTION")
    styles = sub.add_parser("styles", help="list the cartoon avatar styles")
    styles.set_defaults(run=_run_avatar_styles)
    prep = sub.add_parser("prepare", help="prepare a photo once so `say --photo` renders faster")
    prep.add_argument("photo", type=Path, help="a photo of one face (JPEG, PNG, WebP, HEIC)")
    prep.add_argument("--out", "-o", required=True, type=Path, help="where to write the prepared face")
    prep.set_defaults(run=_run_avatar_prepare)


def _run_avatar_styles(args: argparse.Namespace) -> int:
    from engine.face.cartoon import styles

    print("\n".join(styles()))
    return 0


def _run_avatar_prepare(args: argparse.Namespace) -> int:
    from engine.face.portrait import prepare

    _check_writable(args.out)
    prepared = prepare(_read_input(args.photo))
    for notice in prepared.notices:
        print(notice, file=sys.stderr)
    data = prepared.to_bytes()
    _write_atomically(args.out, data)
    print(f"Wrote {args.out} ({len(data) / 1e3:.0f} kB)")
    return 0


# --- db ---------------------------------------------------------------------------------------------


def _add_db(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "db",
        help="database schema: upgrade, downgrade, current",
        description="Manage the database schema (AVATARLAB_DATABASE_URL; default SQLite in the data folder).",
    )
    sub = p.add_subparsers(title="db commands", metavar="ACTION")
    up = sub.add_parser("upgrade", help="upgrade the schema (default: to the newest revision)")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(run=_run_db, action="upgrade")
    down = sub.add_parser("downgrade", help="downgrade the schema to REVISION (e.g. base, -1)")
    down.add_argument("revision")
    down.set_defaults(run=_run_db, action="downgrade")
    cur = sub.add_parser("current", help="print the schema revision of the database")
    cur.set_defaults(run=_run_db, action="current")


def _run_db(args: argparse.Namespace) -> int:
    from storage import migrate
    from storage.errors import StorageError

    settings = Settings.load()
    url = settings.resolved_database_url
    if url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        if args.action == "upgrade":
            migrate.upgrade(url, args.revision)
            print(f"Database at revision {migrate.current(url)}.")
        elif args.action == "downgrade":
            migrate.downgrade(url, args.revision)
            print(f"Database at revision {migrate.current(url) or 'base (empty)'}.")
        else:
            revision = migrate.current(url)
            newest = migrate.head()
            state = "up to date" if revision == newest else f"newest is {newest}; run `avatarlab db upgrade`"
            print(f"{revision or 'empty (no schema yet)'} ({state})")
    except StorageError as exc:
        print(f"avatarlab: {exc.message}", file=sys.stderr)
        return EXIT_USER_ERROR
    return 0


# --- models -----------------------------------------------------------------------------------------


def _add_models(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "models",
        help="import official neural-model weights (SMALL-E voice, DiffTalk face)",
        description="Convert official checkpoints into the model folder (AVATARLAB_MODELS_DIR).",
    )
    sub = p.add_subparsers(title="models commands", metavar="ACTION")
    imp = sub.add_parser("import", help="convert official weights into the model folder")
    which = imp.add_subparsers(title="model", metavar="MODEL")
    smalle = which.add_parser("smalle", help="SMALL-E (e.g. gla_60_librilight.pt + bpe256.json)")
    smalle.add_argument(
        "--checkpoint", required=True, type=Path, help="the official Lightning .pt checkpoint"
    )
    smalle.add_argument(
        "--tokenizer", required=True, type=Path, help="the BPE tokenizer JSON shipped with it"
    )
    smalle.add_argument("--encodec", type=Path, default=None, help="EnCodec 24 kHz weights")
    smalle.add_argument("--vocos", type=Path, default=None, help="Vocos (EnCodec) weights")
    smalle.set_defaults(run=_run_import_smalle)
    difftalk = which.add_parser(
        "difftalk", help="DiffTalk (an official Lightning checkpoint + the LDM vq-f4)"
    )
    difftalk.add_argument("--checkpoint", required=True, type=Path, help="the DiffTalk Lightning checkpoint")
    difftalk.add_argument("--vq", type=Path, default=None, help="the LDM vq-f4 checkpoint, if not inside it")
    difftalk.add_argument("--name", default="default", help="model name under <models>/difftalk/")
    difftalk.add_argument("--overwrite", action="store_true", help="replace an existing model of that name")
    difftalk.set_defaults(run=_run_import_difftalk)


def _run_import_smalle(args: argparse.Namespace) -> int:
    from engine.models.smalle.convert import import_smalle
    from engine.models.smalle.errors import SmallEError

    settings = Settings.load()
    try:
        out = import_smalle(
            args.checkpoint,
            args.tokenizer,
            settings.resolved_models_dir,
            args.encodec,
            args.vocos,
            progress=sys.stderr.isatty(),
        )
    except SmallEError as exc:
        raise InvalidInput(str(exc)) from exc
    print(f"SMALL-E installed in {out}. Choose it with --engine smalle.")
    return 0


def _run_import_difftalk(args: argparse.Namespace) -> int:
    from engine.face.difftalk import import_difftalk

    out = Settings.load().resolved_models_dir / "difftalk" / args.name
    import_difftalk(args.checkpoint, args.vq, out, overwrite=args.overwrite)
    print(f"DiffTalk installed in {out}.")
    return 0


COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [
    _add_say,
    _add_voices,
    _add_avatar,
    _add_db,
    _add_models,
]


# --- serve / worker: the engine service (this block belongs to engine/service) ----------------------------


def _add_serve(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "serve",
        help="run the engine service: the HTTP API the bots use, with a worker",
        description="Run the engine service (docs/service.md). Tokens: AVATARLAB_API_TOKENS.",
    )
    p.add_argument("--host", default=None, help="address to listen on (default: AVATARLAB_HOST, 127.0.0.1)")
    p.add_argument("--port", type=int, default=None, help="port (default: AVATARLAB_PORT, 8750)")
    p.add_argument("--no-worker", action="store_true", help="API only; run `avatarlab worker` separately")
    p.set_defaults(run=_run_serve, log_level=logging.INFO)


def _add_worker(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "worker",
        help="run a render worker against the shared database",
        description="Claim and render queued jobs (several workers may share one PostgreSQL database).",
    )
    p.add_argument("--id", default=None, help="worker id shown in logs and job leases (default: host-pid)")
    p.set_defaults(run=_run_worker, log_level=logging.INFO)


def _run_serve(args: argparse.Namespace) -> int:
    from engine.service.runner import serve

    settings = Settings.load()
    return _run_service(
        serve(
            settings,
            host=args.host or settings.host,
            port=settings.port if args.port is None else args.port,
            with_worker=not args.no_worker,
            ready=_announce,
        )
    )


def _run_worker(args: argparse.Namespace) -> int:
    from engine.service.runner import run_worker

    return _run_service(run_worker(Settings.load(), worker_id=args.id, ready=_announce))


def _announce(info: object) -> None:
    from engine.service.runner import startup_summary

    print(startup_summary(info), flush=True)  # type: ignore[arg-type]


def _run_service(main: Coroutine[object, object, None]) -> int:
    import asyncio

    from storage.errors import StorageError

    try:
        asyncio.run(main)
    except StorageError as exc:  # database unreachable or its schema can't be brought up to date
        print(f"avatarlab: {exc.message}", file=sys.stderr)
        return EXIT_USER_ERROR
    return 0


COMMANDS.extend([_add_serve, _add_worker])


# --- discord: the Discord bot (bots/discord) ---------------------------------------------------------------


def _add_discord(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "discord",
        help="run the Discord bot (slash commands) against an engine service",
        description=(
            "Run the Discord bot. It talks to Discord with the bot token and to the engine service "
            "(`avatarlab serve`) with the engine URL and token; it keeps no data of its own."
        ),
    )
    p.add_argument(
        "--token",
        default=None,
        help="the bot token from the Discord developer portal (default: $AVATARLAB_DISCORD_TOKEN)",
    )
    p.add_argument(
        "--application-id",
        type=int,
        default=None,
        metavar="ID",
        help="the application ID (default: $AVATARLAB_DISCORD_APPLICATION_ID, else asked from Discord)",
    )
    p.add_argument(
        "--engine-url",
        default=None,
        metavar="URL",
        help="engine service URL (default: $AVATARLAB_ENGINE_URL, else http://127.0.0.1:8750)",
    )
    p.add_argument(
        "--engine-token",
        default=None,
        metavar="TOKEN",
        help="this bot's engine token, one of AVATARLAB_API_TOKENS (default: $AVATARLAB_ENGINE_TOKEN)",
    )
    p.add_argument(
        "--sync-commands",
        action="store_true",
        help="register the slash commands with Discord at start-up (globally, or with --guild)",
    )
    p.add_argument(
        "--guild",
        type=int,
        default=None,
        metavar="ID",
        help="with --sync-commands: register them in this server only (shows at once; global: up to an hour)",
    )
    p.add_argument(
        "--api-url",
        default=None,
        metavar="URL",
        help="Discord API base URL (default https://discord.com/api/v10; for a local stand-in in tests)",
    )
    p.set_defaults(run=_run_discord)


def _run_discord(args: argparse.Namespace) -> int:
    import asyncio

    import discord

    from bots.discord.bot import run
    from bots.discord.settings import DiscordSettings

    settings = DiscordSettings.resolve(
        token=args.token,
        application_id=args.application_id,
        engine_url=args.engine_url,
        engine_token=args.engine_token,
        sync_commands=args.sync_commands,
        sync_guild_id=args.guild,
        api_url=args.api_url,
    )
    print(f"Connecting to Discord; engine at {settings.engine_url}", file=sys.stderr)
    try:
        asyncio.run(run(settings))
    except discord.LoginFailure as exc:
        raise InvalidInput("Discord refused the bot token. Copy it again from the developer portal.") from exc
    return 0


COMMANDS.append(_add_discord)


# --- telegram (bots/telegram; owned by the Telegram bot) -------------------------------------------------


def _add_telegram(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "telegram",
        help="run the Telegram bot (talks to the engine service)",
        description=(
            "Run the Telegram bot. It needs a bot token from @BotFather and a running engine service "
            "(`avatarlab serve`). Without --webhook-url it uses long polling, which works behind any "
            "firewall."
        ),
    )
    p.add_argument(
        "--token", default=None, help="the bot token from @BotFather (default: $AVATARLAB_TELEGRAM_TOKEN)"
    )
    p.add_argument(
        "--engine-url",
        default=None,
        help="where the engine service listens (default: the engine_url setting, "
        "$AVATARLAB_ENGINE_URL, http://127.0.0.1:8750)",
    )
    p.add_argument(
        "--engine-token",
        default=None,
        help="this bot's access token for the engine service, one of its AVATARLAB_API_TOKENS "
        "(default: the engine_token setting, $AVATARLAB_ENGINE_TOKEN)",
    )
    p.add_argument(
        "--webhook-url",
        default=None,
        metavar="HTTPS_URL",
        help="receive updates by webhook at this public https:// URL instead of polling",
    )
    p.add_argument(
        "--webhook-listen",
        default="127.0.0.1",
        metavar="ADDRESS",
        help="address the webhook server binds to, behind your reverse proxy (default 127.0.0.1)",
    )
    p.add_argument("--webhook-port", type=int, default=8443, help="port of the webhook server (default 8443)")
    p.add_argument(
        "--webhook-secret",
        default=None,
        help="secret Telegram sends with every webhook call (default: $AVATARLAB_TELEGRAM_WEBHOOK_SECRET)",
    )
    p.add_argument(
        "--base-url",
        default=None,
        metavar="URL",
        help="a local Bot API server, e.g. http://127.0.0.1:8081/bot (default: api.telegram.org)",
    )
    p.set_defaults(run=_run_telegram)


def _run_telegram(args: argparse.Namespace) -> int:
    from bots.telegram import TelegramConfig, run

    settings = Settings.load()
    config = TelegramConfig(
        token=args.token or os.environ.get("AVATARLAB_TELEGRAM_TOKEN", ""),
        engine_url=args.engine_url or settings.engine_url,
        engine_token=args.engine_token or settings.engine_token,
        base_url=args.base_url,
        webhook_url=args.webhook_url,
        webhook_listen=args.webhook_listen,
        webhook_port=args.webhook_port,
        webhook_secret=args.webhook_secret or os.environ.get("AVATARLAB_TELEGRAM_WEBHOOK_SECRET") or None,
    )
    if not config.engine_token:
        raise InvalidInput(
            "The bot needs its engine token: pass --engine-token or set AVATARLAB_ENGINE_TOKEN "
            "(the telegram=… value of the engine's AVATARLAB_API_TOKENS)."
        )
    logging.getLogger().setLevel(min(logging.getLogger().level, logging.INFO))
    # httpx logs every request URL at INFO, and Bot API URLs contain the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    run(config)
    return 0


COMMANDS.append(_add_telegram)


if __name__ == "__main__":
    sys.exit(main())
