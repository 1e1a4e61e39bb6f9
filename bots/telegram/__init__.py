"""The Telegram bot: a python-telegram-bot Application that talks only to the engine service.

build_application(config, client=None) -> telegram.ext.Application
run(config) -> None   (polling, or a webhook when config.webhook_url is set)
"""

from bots.telegram.app import build_application, run
from bots.telegram.config import TelegramConfig

__all__ = ["TelegramConfig", "build_application", "run"]
