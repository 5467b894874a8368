"""HTTP for the CardDAV store: one :class:`DavClient` per server, over ``httpx``.

httpx was chosen because it is well kept, typed, reuses connections (HTTP/1.1 keep-alive),
has timeouts on every phase and verifies TLS by default. This module turns every transport
failure into a :class:`~syncgui.engine.errors.StoreUnavailable` that names the server and
says what to do (a 5xx into its :class:`ServerFailed`, which the store may blame on the one
card a request was about instead, once the address book still answers); it retries, a
bounded number of times, what a server asks to be retried (429 and 503 with
``Retry-After``) and reads cut off by a connection reset. Writes are retried only when they
never reached the server. Bodies are read up to a size limit.
"""

from __future__ import annotations

import email.utils
import logging
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from syncgui.engine.errors import StoreUnavailable
from syncgui.providers.carddav.errors import SignInFailed

log = logging.getLogger(__name__)

MAX_RESPONSE = 64 * 1024 * 1024  # a multistatus or a card larger than this is refused
ATTEMPTS = 3  # tries per request for what may be retried
MAX_WAIT = 30.0  # longest Retry-After we wait for; longer: the store is unavailable now
_BACKOFF = (0.25, 1.0, 2.0)
_READS = frozenset({"GET", "PROPFIND", "REPORT", "OPTIONS", "HEAD"})


@dataclass(frozen=True, slots=True)
class Reply:
    """A response read in full: status, headers (lower-case names) and body."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def reason(self) -> str:
        """``": "`` and the first line of a plain-text body (less a leading status code,
        ``500 Internal Server Error`` gives ``Internal Server Error``), for messages; "" when
        the body is not plain text."""
        kind = self.header("content-type") or ""
        if not kind.startswith("text/plain") or not self.body:
            return ""
        lines = self.body[:160].decode("utf-8", "replace").strip().splitlines()
        text = lines[0].strip() if lines else ""
        code, _, rest = text.partition(" ")
        if code == str(self.status) and rest.strip():
            text = rest.strip()
        return f": {text}" if text else ""


def server_label(url: str) -> str:
    """``host`` or ``host:port`` of ``url``, for messages."""
    parts = urlsplit(url)
    return parts.netloc.rpartition("@")[2] or url


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _tls_problem(err: BaseException) -> str | None:
    seen: BaseException | None = err
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return seen.verify_message or "the certificate could not be verified"
        if isinstance(seen, ssl.SSLError):
            return seen.reason or str(seen)
        seen = seen.__cause__ or seen.__context__
    text = str(err)
    return text if "CERTIFICATE" in text or "SSL" in text else None


class ServerFailed(StoreUnavailable):
    """A 5xx answer other than a 503 to wait out: the server failed on this request. Left
    alone, the store is unavailable; the store may blame the one card the request was
    about instead (a card the server cannot decode), once the address book still answers."""

    def __init__(self, message: str, reply: Reply) -> None:
        super().__init__(message)
        self.reply = reply

    @property
    def status(self) -> int:
        return self.reply.status


class _Retry(Exception):
    def __init__(self, wait: float, error: StoreUnavailable) -> None:
        super().__init__(error.message)
        self.wait = wait
        self.error = error


class DavClient:
    """Requests to one CardDAV server, with Basic credentials sent only to trusted hosts."""

    def __init__(
        self,
        base_url: str,
        *,
        user: str | None = None,
        password: str | None = None,
        ca_file: str | None = None,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url
        self.server = server_label(base_url)
        self.timeout = timeout
        self.requests = 0  # HTTP requests sent (each retry counts)
        self.on_request: Callable[[str, str], None] | None = None
        self._auth = httpx.BasicAuth(user, password or "") if user else None
        self._trusted = {_origin(base_url)}
        verify: ssl.SSLContext | bool = True
        if ca_file:
            try:
                verify = ssl.create_default_context(cafile=ca_file)
            except (OSError, ssl.SSLError) as err:
                raise StoreUnavailable(
                    f"The certificate authority file {ca_file} cannot be used ({err}); "
                    "check the path in the account settings."
                ) from err
        if transport is None and urlsplit(base_url).scheme == "http":
            transport = _ByScheme(verify)  # on this computer: no proxy, TLS only if asked
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout),
            verify=verify,
            follow_redirects=False,
            transport=transport,
            headers={"User-Agent": "syncgui"},
        )

    def close(self) -> None:
        self._http.close()

    def trust(self, url: str) -> None:
        """Send the credentials to ``url``'s origin too (a redirect discovery approved)."""
        self._trusted.add(_origin(url))

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
        limit: int | None = None,
    ) -> Reply:
        """Send one request (retried where safe); 401 raises SignInFailed, 5xx ServerFailed,
        every transport failure StoreUnavailable; any other status is the caller's to judge."""
        for attempt in range(ATTEMPTS):
            try:
                return self._attempt(method, url, headers, body, limit or MAX_RESPONSE)
            except _Retry as retry:
                if attempt == ATTEMPTS - 1 or retry.wait > MAX_WAIT:
                    raise retry.error from None
                log.info("%s: %s; retrying in %.1f s", self.server, retry.error, retry.wait)
                time.sleep(retry.wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _attempt(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        body: bytes | None,
        limit: int,
    ) -> Reply:
        self.requests += 1
        if self.on_request is not None:
            self.on_request(method, url)
        auth = self._auth if self._auth is not None and _origin(url) in self._trusted else None
        reads = method in _READS
        try:
            with self._http.stream(
                method, url, headers=dict(headers or {}), content=body, auth=auth
            ) as resp:
                reply = Reply(
                    resp.status_code,
                    {k.lower(): v for k, v in resp.headers.items()},
                    self._body(resp, limit),
                    str(resp.url),
                )
        except httpx.TimeoutException as err:
            raise StoreUnavailable(
                f"The CardDAV server {self.server} did not answer within {self.timeout:g} s. "
                "Check your connection, or try again later."
            ) from err
        except httpx.ConnectError as err:
            raise self._connect_error(err, reads) from err
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as err:
            error = StoreUnavailable(
                f"The connection to the CardDAV server {self.server} was cut off "
                f"({err or type(err).__name__}). Try again later."
            )
            if reads:
                raise _Retry(_BACKOFF[0], error) from err
            raise error from err
        except httpx.HTTPError as err:
            raise StoreUnavailable(
                f"The CardDAV server {self.server} could not be reached ({err}). "
                "Check the server address and your connection."
            ) from err
        return self._judge(reply)

    def _body(self, resp: httpx.Response, limit: int) -> bytes:
        declared = resp.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise self._too_large(limit)
        chunks: list[bytes] = []
        size = 0
        for chunk in resp.iter_bytes():
            size += len(chunk)
            if size > limit:
                raise self._too_large(limit)
            chunks.append(chunk)
        return b"".join(chunks)

    def _too_large(self, limit: int) -> StoreUnavailable:
        return StoreUnavailable(
            f"The CardDAV server {self.server} sent a response larger than "
            f"{limit / (1024 * 1024):g} MB; it was refused. Check the server address."
        )

    def _connect_error(self, err: httpx.ConnectError, reads: bool) -> StoreUnavailable | _Retry:
        tls = _tls_problem(err)
        if tls is not None:
            return StoreUnavailable(
                f"The secure connection to the CardDAV server {self.server} failed: {tls}. "
                "If the server uses a certificate of your own, give its CA file in the "
                "account settings; otherwise check the server address."
            )
        text = str(err) or type(err).__name__
        if "Name or service not known" in text or "nodename nor servname" in text:
            return StoreUnavailable(
                f"The CardDAV server {self.server} is unknown ({text}). Check the server "
                "address and your connection."
            )
        error = StoreUnavailable(
            f"Cannot connect to the CardDAV server {self.server} ({text}). Check that the "
            "server is running and the address is right, or try again later."
        )
        if "reset" in text.lower():
            return _Retry(_BACKOFF[1], error)
        return error

    def _judge(self, reply: Reply) -> Reply:
        status = reply.status
        if status == 401:
            raise SignInFailed(
                f"The CardDAV server {self.server} did not accept the user name or password. "
                "Enter the password again (for iCloud, an app-specific password).",
                server=self.server,
            )
        if status in (429, 503):
            wait = retry_after(reply.header("retry-after"))
            busy = "busy (too many requests)" if status == 429 else "not available now"
            when = f"; it asks to wait {wait:.0f} s" if wait else ""
            raise _Retry(
                _BACKOFF[2] if wait is None else wait,
                StoreUnavailable(
                    f"The CardDAV server {self.server} is {busy} ({status}){when}. "
                    "The sync will be tried again later."
                ),
            )
        if status >= 500:
            raise ServerFailed(
                f"The CardDAV server {self.server} failed with an internal error ({status}). "
                "Try again later; if it persists, tell the server's administrator.",
                reply,
            )
        return reply


class _ByScheme(httpx.BaseTransport):
    """For a server on this computer (``http://`` is allowed on loopback only): ``http://``
    through a transport that never loads the certificate authorities (about 20 ms a sync,
    for nothing), ``https://`` (discovery may be sent there) through one that verifies
    certificates, made at its first use. The plain transport's TLS context trusts no one,
    so it could never accept a certificate even if it were asked to. (Given a transport,
    httpx leaves out the proxies of the environment: right for loopback, which is why an
    ``https://`` server gets httpx's own transport.)"""

    def __init__(self, verify: ssl.SSLContext | bool) -> None:
        self._verify = verify
        self._plain = httpx.HTTPTransport(verify=ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT))
        self._tls: httpx.HTTPTransport | None = None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme != "https":
            return self._plain.handle_request(request)
        if self._tls is None:
            self._tls = httpx.HTTPTransport(verify=self._verify)
        return self._tls.handle_request(request)

    def close(self) -> None:
        self._plain.close()
        if self._tls is not None:
            self._tls.close()


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme.lower(), (parts.hostname or "").lower(), port
