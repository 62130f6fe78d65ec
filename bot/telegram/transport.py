"""The HTTP transport to the Bot API: python-telegram-bot's ``BaseRequest`` on aiohttp.

Why not PTB's own ``HTTPXRequest``: sending is where the bot spends its CPU, and httpx costs more
per request the more requests are in flight (encode/httpx#3215). Measured with
``bench/transport.py`` (``Bot.send_message`` against a minimal fake Bot API in another process,
2 cores, 3,000 messages a run, median of 3 runs; the client's CPU time per message in brackets):

    concurrent sends              1             16             64            256
    HTTPXRequest       838/s (1.1 ms)  429/s (2.1 ms)  407/s (2.4 ms)  351/s (2.8 ms)
    AiohttpRequest   1,519/s (0.5 ms) 3,038/s (0.3 ms) 3,836/s (0.3 ms) 3,188/s (0.3 ms)

How failures are reported. Whoever sends must know whether sending again could deliver a message
twice, so each failure says whether the request may have reached Telegram:

    what happened                                   raised                      reached Telegram?
    no free connection within pool_timeout          RequestNotSent              no: safe to retry
    refused, DNS or TLS failure, connect_timeout    RequestNotSent              no: safe to retry
    written, no response within read_timeout        telegram.error.TimedOut     unknown
    the upload overran write_timeout (see below)    telegram.error.TimedOut     unknown
    connection dropped after sending (disconnect,   MaybeSent                   unknown
      reset, truncated response)
    an HTTP error status (400, 403, 429, 5xx...)    PTB maps the status: BadRequest, Forbidden,
                                                    RetryAfter, NetworkError (5xx: an answer
                                                    that nothing was done)

``RequestNotSent``, ``MaybeSent`` and ``TimedOut`` all subclass ``NetworkError``; test for them
first. No
aiohttp exception escapes, and no message carries more than the failure's kind and errno name:
aiohttp's own messages contain the URL, and the URL contains the bot token. For the same reason
the original exception is not chained (``raise ... from None``), so a logged traceback cannot
print it either.

Timeouts follow ``BaseRequest``: a timeout argument left at ``DEFAULT_NONE`` takes this
instance's value (for uploads, ``media_write_timeout`` replaces ``write_timeout``, as in
``HTTPXRequest``), an explicit ``None`` means no limit, and a float is seconds. aiohttp has no
write timeout of its own, so the time to the response headers is capped at connect + write +
read timeouts; as aiohttp starts the read timeout only once the request is written, only a write
that overran its budget can reach that cap.
"""

from __future__ import annotations

import asyncio
import errno
import functools
import io
import math
from typing import Final

import aiohttp
from aiohttp.payload import BytesPayload
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

_FORM: Final = "application/x-www-form-urlencoded"


class RequestNotSent(NetworkError):
    """The request certainly never reached the server, so sending it again cannot duplicate it."""

    __slots__ = ()


class MaybeSent(NetworkError):
    """The connection broke after the request was written: the server may have acted on it."""

    __slots__ = ()


class AiohttpRequest(BaseRequest):
    """A ``BaseRequest`` for ``telegram.Bot`` / ``ApplicationBuilder().request(...)`` on aiohttp.

    One ``aiohttp.ClientSession`` per instance, created by :meth:`initialize` inside the running
    event loop and closed by :meth:`shutdown`. At most ``connection_pool_size`` requests are in
    flight at once; a request waits up to ``pool_timeout`` for its turn.
    """

    __slots__ = (
        "_connect_timeout",
        "_media_write_timeout",
        "_pool_size",
        "_pool_timeout",
        "_proxy",
        "_read_timeout",
        "_session",
        "_slots",
        "_write_timeout",
    )

    def __init__(
        self,
        connection_pool_size: int = 128,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
        proxy: str | None = None,
    ) -> None:
        if connection_pool_size < 1:
            raise ValueError("connection_pool_size must be at least 1")
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._proxy = proxy
        self._session: aiohttp.ClientSession | None = None
        self._slots: asyncio.Semaphore | None = None

    @property
    def read_timeout(self) -> float | None:
        """The read timeout used when a request does not pass one."""
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is not None and not self._session.closed:
            return
        self._slots = asyncio.Semaphore(self._pool_size)
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self._pool_size, limit_per_host=0),
            headers={"User-Agent": self.USER_AGENT},
            proxy=self._proxy,
            # No total limit: each phase has its own (see do_request), as with httpx.
            timeout=aiohttp.ClientTimeout(total=None),
            raise_for_status=False,
        )

    async def shutdown(self) -> None:
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        session, slots = self._session, self._slots
        if session is None or session.closed or slots is None:
            raise RuntimeError("This AiohttpRequest is not initialized")

        uploads = bool(request_data and request_data.contains_files)
        read = _given(read_timeout, self._read_timeout)
        write = _given(write_timeout, self._media_write_timeout if uploads else self._write_timeout)
        connect = _given(connect_timeout, self._connect_timeout)
        pool = _given(pool_timeout, self._pool_timeout)
        # Bounds the time to the response headers; only an overrunning write can reach it.
        deadline = None
        if read is not None and write is not None and connect is not None:
            deadline = connect + write + read

        if slots.locked():
            try:
                async with asyncio.timeout(pool):
                    await slots.acquire()
            except TimeoutError:
                raise RequestNotSent(
                    "Pool timeout: no free connection; the request was not sent"
                ) from None
        else:
            await slots.acquire()  # returns at once
        try:
            return await self._send(session, url, method, request_data, read, connect, deadline)
        finally:
            slots.release()

    async def _send(
        self,
        session: aiohttp.ClientSession,
        url: str,
        method: str,
        request_data: RequestData | None,
        read: float | None,
        connect: float | None,
        deadline: float | None,
    ) -> tuple[int, bytes]:
        body = _body(request_data) if request_data is not None else None
        try:
            async with asyncio.timeout(deadline):
                response = await session.request(method, url, data=body, timeout=_timeout(connect, read))
            async with response:
                return response.status, await response.read()
        except aiohttp.ConnectionTimeoutError:
            raise RequestNotSent("Connect timeout; the request was not sent") from None
        except aiohttp.ClientConnectorError as error:  # refused, DNS, TLS handshake, proxy
            raise RequestNotSent(f"Cannot connect ({_reason(error)}); the request was not sent") from None
        except aiohttp.SocketTimeoutError:
            raise TimedOut("Timed out waiting for the response; the request may have been received") from None
        except aiohttp.ServerDisconnectedError:
            raise MaybeSent("Server disconnected; the request may have been received") from None
        except aiohttp.ClientPayloadError:
            raise MaybeSent("Incomplete response; the request may have been received") from None
        except TimeoutError:  # the deadline above: the write overran write_timeout
            raise TimedOut("Timed out sending the request; it may have been received") from None
        except (aiohttp.ClientError, OSError) as error:
            raise MaybeSent(f"Connection failed ({_reason(error)}); the request may have been received") from None


def _given(value: ODVInput[float], default: float | None) -> float | None:
    """A timeout argument: ``DEFAULT_NONE`` takes the default, ``None`` is no limit."""
    return default if isinstance(value, DefaultValue) else value


@functools.lru_cache(maxsize=64)
def _timeout(connect: float | None, read: float | None) -> aiohttp.ClientTimeout:
    # connect covers DNS, TCP and TLS; sock_read runs from the end of the write to the first
    # byte of the response, then between reads. No ceiling to whole seconds: the write deadline
    # relies on connect ending on time.
    return aiohttp.ClientTimeout(
        total=None, connect=connect, sock_connect=connect, sock_read=read, ceil_threshold=math.inf
    )


def _body(request_data: RequestData) -> BytesPayload | aiohttp.FormData:
    """Parameters as an urlencoded form; with files, a multipart form carrying them too."""
    if not request_data.contains_files:
        return BytesPayload(request_data.url_encoded_parameters().encode(), content_type=_FORM)
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in request_data.multipart_data.items():
        # Streamed from a buffer: aiohttp warns about (and with -W error refuses) large raw bytes.
        stream = io.BytesIO(content) if isinstance(content, bytes) else content
        form.add_field(name, stream, filename=filename, content_type=mimetype)
    return form


def _reason(error: BaseException) -> str:
    """The failure's kind and errno name, never aiohttp's message: that may hold the URL."""
    os_error = getattr(error, "os_error", error)
    code = errno.errorcode.get(os_error.errno or 0) if isinstance(os_error, OSError) else None
    return f"{type(error).__name__}, {code}" if code else type(error).__name__
