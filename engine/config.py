"""Settings from AVATARLAB_* environment variables, an optional TOML file, and defaults.

Precedence: environment > TOML file > defaults. The TOML file is AVATARLAB_CONFIG if set, else
<data dir>/config.toml if it exists. Keys in the file are the field names below.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import InvalidInput

ENV_PREFIX = "AVATARLAB_"


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "avatarlab"


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=_default_data_dir)
    models_dir: Path | None = None  # default: <data_dir>/models
    database_url: str | None = None  # default: SQLite in <data_dir>
    max_text_chars: int = 1000
    default_language: str = "en"
    speak_emoji: bool = True  # say "red heart" for ❤️, or drop emoji when False
    device: str = "auto"  # "auto" | "cpu" | "cuda" | "cuda:N"
    # Engine service
    host: str = "127.0.0.1"
    port: int = 8750
    api_tokens: str = ""  # "frontend=token,frontend2=token2"
    queue_limit: int = 200
    rate_limit_per_minute: int = 30
    engine_url: str = "http://127.0.0.1:8750"
    engine_token: str = ""

    @property
    def resolved_models_dir(self) -> Path:
        return self.models_dir or self.data_dir / "models"

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.data_dir / 'avatarlab.db'}"

    @property
    def blobs_dir(self) -> Path:
        return self.data_dir / "blobs"

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    @classmethod
    def load(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        values: dict[str, Any] = {}
        config_file = env.get(ENV_PREFIX + "CONFIG")
        data_dir = Path(env[ENV_PREFIX + "DATA_DIR"]) if ENV_PREFIX + "DATA_DIR" in env else None
        if config_file is None:
            candidate = (data_dir or _default_data_dir()) / "config.toml"
            config_file = str(candidate) if candidate.is_file() else None
        if config_file:
            values.update(_read_toml(Path(config_file)))
        for f in dataclasses.fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is not None:
                values[f.name] = raw
        return cls(**{name: _coerce(cls, name, value) for name, value in values.items()})


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise InvalidInput(f"Can't read the settings file {path}: {exc.strerror}.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"The settings file {path} is not valid TOML: {exc}.") from exc
    known = {f.name for f in dataclasses.fields(Settings)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise InvalidInput(f"Unknown setting(s) in {path}: {', '.join(unknown)}.")
    return data


def _coerce(cls: type[Settings], name: str, value: Any) -> Any:
    kind = {f.name: f.type for f in dataclasses.fields(cls)}[name]
    if not isinstance(value, str):
        return Path(value) if "Path" in str(kind) and value is not None else value
    try:
        if kind == "bool":
            return value.strip().lower() in {"1", "true", "yes", "on"}
        if kind == "int":
            return int(value)
        if "Path" in str(kind):
            return Path(value).expanduser()
    except ValueError as exc:
        raise InvalidInput(
            f"The setting {ENV_PREFIX}{name.upper()}={value!r} is not a valid {kind}."
        ) from exc
    return value


def get_settings() -> Settings:
    return Settings.load()
