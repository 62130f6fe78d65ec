"""The aiohttp transport: Bot API calls through it, and how each kind of failure is reported.

Faults come from tiny servers written here with ``asyncio.start_server``: one that accepts and
never answers, one that reads the request and hangs up, and a port nobody listens on.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import InvalidToken, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.telegram.transport import AiohttpRequest, MaybeSent, RequestNotSent
from tests.fake_telegram import TOKEN, FakeTelegram

CHAT = 1001
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram()
    await server.start()
    yield server
    await server.stop()


@contextlib.asynccontextmanager
async def connected(base_url: str, token: str = TOKEN, **options: Any) -> AsyncIterator[Bot]:
    """A Bot on an initialized AiohttpRequest; the bot itself is not initialized (no getMe)."""
    request = AiohttpRequest(**options)
    await request.initialize()
    try:
        yield Bot(token, base_url=base_url, request=request)
    finally:
        await request.shutdown()


@contextlib.asynccontextmanager
async def misbehaving(handler: Handler) -> AsyncIterator[str]:
    """A server on 127.0.0.1 running ``handler`` per connection; yields its Bot API base URL."""
    connections: dict[asyncio.Task[Any], asyncio.StreamWriter] = {}

    async def tracked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections[asyncio.current_task()] = writer  # type: ignore[index]
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            await handler(reader, writer)

    server = await asyncio.start_server(tracked, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/bot"
    finally:
        server.close()
        await server.wait_closed()
        for writer in connections.values():  # before Python 3.12 nothing else ends handlers
            writer.close()  # their reads see the end of the stream
        await asyncio.gather(*connections)


async def read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return head + await reader.readexactly(length)


async def never_answers(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    await reader.read()  # until the client gives up and closes
    writer.close()


async def hangs_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    writer.close()


async def stops_reading(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")  # then reads no more of the body: the upload stalls
    await writer.wait_closed()


@contextlib.contextmanager
def unreachable_port() -> Iterator[int]:
    """A port whose accept queue is full: new connections hang in the handshake (Linux)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = int(listener.getsockname()[1])
        fillers = [socket.socket() for _ in range(3)]
        try:
            for filler in fillers:
                filler.setblocking(False)
                filler.connect_ex(("127.0.0.1", port))
            yield port
        finally:
            for filler in fillers:
                filler.close()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- Bot API calls ------------------------------------------------------------------------------


async def test_a_bot_on_this_transport_initializes_and_gets_me(api: FakeTelegram) -> None:
    async with Bot(TOKEN, base_url=api.base_url, request=AiohttpRequest()) as bot:
        me = await bot.get_me()
    assert me.username == "limber_test_bot"
    assert [call.method for call in api.calls] == ["getMe", "getMe"]


async def test_sends_text_with_an_inline_keyboard(api: FakeTelegram) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Pause", callback_data="p:1")]])
    async with connected(api.base_url) as bot:
        sent = await bot.send_message(
            CHAT, "Fold <b>forward</b> & breathe = 100% ✓", parse_mode="HTML", reply_markup=markup
        )
    [message] = api.chats[CHAT]
    assert message.html == "Fold <b>forward</b> & breathe = 100% ✓"
    assert message.callback_data("Pause") == "p:1"
    assert api.calls[0].params["parse_mode"] == "HTML"
    assert sent.message_id == message.message_id
    assert sent.reply_markup == markup


async def test_uploads_a_photo_and_a_document(api: FakeTelegram) -> None:
    async with connected(api.base_url) as bot:
        photo = await bot.send_photo(CHAT, InputFile(PNG, filename="chart.png"), caption="Your reach")
        document = await bot.send_document(CHAT, InputFile(b"day,cm\n2026-01-05,12\n", filename="reach.csv"))
    sent_photo, sent_document = api.chats[CHAT]
    assert (sent_photo.kind, sent_photo.file, sent_photo.text) == ("photo", PNG, "Your reach")
    assert (sent_document.kind, sent_document.file_name, sent_document.file) == (
        "document",
        "reach.csv",
        b"day,cm\n2026-01-05,12\n",
    )
    assert photo.caption == "Your reach"
    assert document.document is not None and document.document.file_name == "reach.csv"


async def test_a_429_surfaces_as_retry_after(api: FakeTelegram, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # as bot.app does: retry_after as a timedelta
    api.refuse_next_sends = 1
    async with connected(api.base_url) as bot:
        with pytest.raises(RetryAfter):
            await bot.send_message(CHAT, "too fast")
        await bot.send_message(CHAT, "later")
    assert [m.text for m in api.chats[CHAT]] == ["later"]


async def test_a_wrong_token_surfaces_as_invalid_token(api: FakeTelegram) -> None:
    with pytest.raises(InvalidToken):
        async with Bot(
            "123456789:AAWrongTokenWrongTokenWrongToken_xyz", base_url=api.base_url, request=AiohttpRequest()
        ):
            pass


# -- failures ------------------------------------------------------------------------------------


async def test_connection_refused_means_not_sent() -> None:
    async with connected(f"http://127.0.0.1:{closed_port()}/bot") as bot:
        with pytest.raises(RequestNotSent):
            await bot.send_message(CHAT, "hello")


async def test_a_connect_timeout_means_not_sent() -> None:
    with unreachable_port() as port:
        async with connected(f"http://127.0.0.1:{port}/bot", connect_timeout=0.05) as bot:
            with pytest.raises(RequestNotSent, match="Connect timeout"):
                await bot.send_message(CHAT, "hello")


async def test_no_answer_within_the_read_timeout_is_timed_out() -> None:
    async with misbehaving(never_answers) as base_url, connected(base_url, read_timeout=0.05) as bot:
        with pytest.raises(TimedOut) as raised:
            await bot.send_message(CHAT, "hello")
    assert not isinstance(raised.value, RequestNotSent)


async def test_a_timeout_passed_with_the_call_overrides_the_default() -> None:
    async with misbehaving(never_answers) as base_url, connected(base_url, read_timeout=None) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(CHAT, "hello", read_timeout=0.05)


async def test_an_explicit_none_means_no_read_limit() -> None:
    async with misbehaving(never_answers) as base_url, connected(base_url, read_timeout=0.01) as bot:
        # The instance's 0.01 s would have raised TimedOut long before; None waits on.
        with pytest.raises(TimeoutError) as raised:
            await asyncio.wait_for(bot.send_message(CHAT, "hello", read_timeout=None), 0.5)
    assert not isinstance(raised.value, TimedOut)


async def test_an_upload_that_overruns_the_write_timeout_is_timed_out() -> None:
    big = InputFile(bytes(32 * 2**20), filename="big.bin")  # more than the socket buffers hold
    timeouts: dict[str, Any] = {"connect_timeout": 0.05, "read_timeout": 0.05, "media_write_timeout": 0.05}
    async with misbehaving(stops_reading) as base_url, connected(base_url, **timeouts) as bot:
        with pytest.raises(TimedOut) as raised:
            await bot.send_document(CHAT, big)
    assert not isinstance(raised.value, RequestNotSent)


async def test_a_connection_dropped_after_sending_may_have_been_sent() -> None:
    async with misbehaving(hangs_up) as base_url, connected(base_url) as bot:
        with pytest.raises(MaybeSent) as raised:
            await bot.send_message(CHAT, "hello")
    assert not isinstance(raised.value, (TimedOut, RequestNotSent))


async def test_no_free_connection_within_the_pool_timeout_means_not_sent() -> None:
    arrived = asyncio.Event()

    async def holds(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        arrived.set()
        await never_answers(reader, writer)

    async with misbehaving(holds) as base_url, connected(base_url, connection_pool_size=1, read_timeout=None) as bot:
        first = asyncio.create_task(bot.send_message(CHAT, "takes the only connection"))
        await arrived.wait()
        with pytest.raises(RequestNotSent):
            await bot.send_message(CHAT, "waits for it", pool_timeout=0.01)
        first.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await first


async def test_the_token_never_appears_in_an_error(api: FakeTelegram) -> None:
    errors: list[BaseException] = []

    async def collect(base_url: str, token: str = TOKEN, **options: Any) -> None:
        async with connected(base_url, token, **options) as bot:
            try:
                await bot.send_message(CHAT, "hello")
            except TelegramError as error:
                errors.append(error)

    await collect(f"http://127.0.0.1:{closed_port()}/bot")
    async with misbehaving(never_answers) as base_url:
        await collect(base_url, read_timeout=0.05)
    async with misbehaving(hangs_up) as base_url:
        await collect(base_url)
    await collect(api.base_url, "123456789:AAWrongTokenWrongTokenWrongToken_xyz")
    assert [type(error) for error in errors] == [RequestNotSent, TimedOut, MaybeSent, InvalidToken]
    secret = TOKEN.split(":")[1]
    for error in errors:
        text = "".join(traceback.format_exception(error)) + repr(error)
        assert secret not in text and "WrongToken" not in text, text


# -- lifecycle -----------------------------------------------------------------------------------


async def test_lifecycle(api: FakeTelegram) -> None:
    request = AiohttpRequest(read_timeout=2.5)
    assert request.read_timeout == 2.5
    bot = Bot(TOKEN, base_url=api.base_url, request=request)
    with pytest.raises(NetworkError, match="not initialized"):  # PTB wraps the RuntimeError
        await bot.get_me()
    await request.initialize()
    await request.initialize()  # idempotent
    await bot.get_me()
    await request.shutdown()
    await request.shutdown()  # idempotent
    with pytest.raises(NetworkError, match="not initialized"):  # PTB wraps the RuntimeError
        await bot.get_me()
    async with request:  # usable again after a shutdown
        await bot.get_me()
