from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.bots.telegram.botapi import StandInBotAPI


@pytest.fixture
async def botapi() -> AsyncIterator[StandInBotAPI]:
    server = StandInBotAPI()
    await server.start()
    yield server
    await server.stop()
