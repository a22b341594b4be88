"""The one way out to a webhook receiver: URL rules against server-side request forgery, and the
POST itself.

A URL is ``http`` or ``https`` with a host and no user information (credentials in a URL would
show wherever the URL does). In production mode (``CONSOLE_ENV=production``) every address the
host resolves to must be public: loopback, private, link-local, multicast, reserved and
unspecified addresses are refused, unless ``WEBHOOK_ALLOW_PRIVATE_ADDRESSES=1``. The host is
resolved when the URL is saved and again at every delivery, and the request connects to the
address that was checked (never resolving a second time), so a DNS answer that changes between
the check and the connection cannot point the request inside. Redirects are never followed.

Resolving has a deadline too: saving a URL waits at most ``WEBHOOK_RESOLVE_TIMEOUT`` seconds for
the DNS answer, a delivery attempt's ``WEBHOOK_TIMEOUT`` covers resolving as well as connecting,
sending and reading. The system resolver (``getaddrinfo``: /etc/hosts, nsswitch) has no time
limit of its own, so it runs on a small shared pool of threads and the caller waits only for the
time left; a lookup still running then finishes in its thread, unwaited for.
"""

from __future__ import annotations

import http.client
import io
import ipaddress
import logging
import socket
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit

from django.conf import settings

logger = logging.getLogger(__name__)

MAX_URL_LENGTH = 2048
MAX_ERROR_LENGTH = 255
USER_AGENT = "oidc-admin-console-webhooks"
# Every printable ASCII character: quoting with these as safe percent-encodes only what is not
# ASCII (as UTF-8), and keeps escapes already in the URL as they are.
_ASCII_SAFE = "".join(chr(code) for code in range(0x21, 0x7F))
# NAT64's well-known prefix (RFC 6052): the last 32 bits are an IPv4 address.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Lookups under way at once in this process (a thread each). One more waits for a free thread
# only until its own deadline, then is refused: slow name servers can neither grow the threads
# nor build a queue.
LOOKUP_THREADS = 8
_lookups = ThreadPoolExecutor(max_workers=LOOKUP_THREADS, thread_name_prefix="webhook-dns")
_lookup_slots = threading.BoundedSemaphore(LOOKUP_THREADS)


class URLRefused(ValueError):
    """A webhook URL this server will not call; ``str()`` is the reason, for a form or a 400."""


class ResolveTimeout(URLRefused):
    """The host's addresses did not come before the deadline (or every lookup thread was busy)."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def strict() -> bool:
    """Whether private and special addresses are refused (production mode, unless allowed)."""
    return bool(settings.PRODUCTION) and not settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES


def url_normalize(url: str) -> str:
    """The URL as sent: a host that is not ASCII in its IDNA form, a path, query or fragment
    that is not ASCII percent-encoded as UTF-8 (the request line and Host header are ASCII).
    ``URLRefused`` when that is not possible or the URL is then too long."""
    if not isinstance(url, str) or not url:
        raise URLRefused("Enter a URL")
    if url.isascii():
        return url
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if not netloc.isascii():
            if parts.username is not None or parts.password is not None or not parts.hostname:
                raise URLRefused("Enter a valid URL")
            netloc = parts.hostname.encode("idna").decode("ascii")
            if parts.port is not None:
                netloc += f":{parts.port}"
    except (UnicodeError, ValueError) as exc:
        if isinstance(exc, URLRefused):
            raise
        raise URLRefused("Enter a valid URL") from None
    normalized = urlunsplit(
        (parts.scheme, netloc, quote(parts.path, safe=_ASCII_SAFE), quote(parts.query, safe=_ASCII_SAFE),
         quote(parts.fragment, safe=_ASCII_SAFE))
    )
    if len(normalized) > MAX_URL_LENGTH:
        raise URLRefused(f"The URL is longer than {MAX_URL_LENGTH} characters once encoded")
    return normalized


def url_target(url: str) -> Target:
    """The parts of an acceptable URL; ``URLRefused`` otherwise. No DNS lookup."""
    if not isinstance(url, str) or not url:
        raise URLRefused("Enter a URL")
    if len(url) > MAX_URL_LENGTH:
        raise URLRefused(f"The URL is longer than {MAX_URL_LENGTH} characters")
    if any(ord(ch) <= 0x20 or ord(ch) == 0x7F for ch in url):
        raise URLRefused("The URL contains spaces or control characters")
    url = url_normalize(url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise URLRefused("Enter a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise URLRefused("Only http and https URLs are allowed")
    if not parts.hostname:
        raise URLRefused("The URL has no host")
    if parts.username is not None or parts.password is not None:
        raise URLRefused("The URL must not contain a user name or password")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(scheme=scheme, host=parts.hostname, port=port or (443 if scheme == "https" else 80), path=path)


def _not_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or getattr(ip, "is_site_local", False)
        or not ip.is_global
    )


def _embedded_ipv4(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address leads to: IPv4-mapped, 6to4, Teredo (server and
    client) and NAT64."""
    if ip.version != 6:
        return []
    embedded = [address for address in (ip.ipv4_mapped, ip.sixtofour) if address is not None]
    if ip.teredo is not None:
        embedded.extend(ip.teredo)
    if ip in _NAT64:
        embedded.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return embedded


def _refused_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6 and ip.ipv4_mapped is not None:
        return _not_public(ip.ipv4_mapped)
    return _not_public(ip) or any(_not_public(embedded) for embedded in _embedded_ipv4(ip))


def _release_slot(_future) -> None:
    _lookup_slots.release()


def _addresses(target: Target, deadline: float) -> list[str]:
    """The host's addresses, looked up on the pool and waited for until ``deadline`` (monotonic);
    ``ResolveTimeout`` when they do not come in time."""
    try:
        ipaddress.ip_address(target.host)
    except ValueError:
        pass
    else:
        return [target.host]  # an address needs no lookup (and no thread)
    late = ResolveTimeout(f"The host {target.host} could not be resolved in time")
    if not _lookup_slots.acquire(timeout=max(deadline - time.monotonic(), 0)):
        raise late
    try:
        future = _lookups.submit(socket.getaddrinfo, target.host, target.port, type=socket.SOCK_STREAM)
    except BaseException:
        _lookup_slots.release()
        raise
    # The slot is freed when the lookup ends, not when the caller stops waiting for it.
    future.add_done_callback(_release_slot)
    try:
        infos = future.result(timeout=max(deadline - time.monotonic(), 0))
    except TimeoutError:
        raise late from None
    except (OSError, UnicodeError):
        raise URLRefused(f"The host {target.host} could not be resolved") from None
    return [info[4][0] for info in infos]


def resolve(target: Target, *, deadline: float) -> str:
    """The address to connect to, known before ``deadline`` (``time.monotonic()``) or
    ``ResolveTimeout``. In strict mode every address of the host must be public, or
    ``URLRefused``; the first one is used."""
    addresses = _addresses(target, deadline)
    if not addresses:
        raise URLRefused(f"The host {target.host} could not be resolved")
    if strict() and any(_refused_address(address) for address in addresses):
        raise URLRefused(
            "The URL points to a loopback, private, link-local, multicast or reserved address, which is not allowed"
        )
    return addresses[0]


def url_check(url: str) -> str:
    """The URL to save (``url_normalize``d), checked: its form always, its addresses in strict mode."""
    target = url_target(url)
    if strict():
        resolve(target, deadline=time.monotonic() + float(settings.WEBHOOK_RESOLVE_TIMEOUT))
    return url_normalize(url)


class _DeadlineReader(io.RawIOBase):
    """The answer's bytes, read with the time left before the attempt's deadline as the socket
    timeout of every read: a receiver that trickles a byte now and then can not hold the worker
    past ``WEBHOOK_TIMEOUT`` in total."""

    def __init__(self, sock: socket.socket, deadline: float):
        self._sock = sock
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("deadline passed")
        self._sock.settimeout(remaining)
        return self._sock.recv_into(buffer)


class _DeadlineSocket:
    """What ``http.client.HTTPResponse`` reads from: only ``makefile`` is used."""

    def __init__(self, sock: socket.socket, deadline: float):
        self._sock = sock
        self._deadline = deadline

    def makefile(self, mode: str = "rb", *args, **kwargs):
        return io.BufferedReader(_DeadlineReader(self._sock, self._deadline))


class _Deadline:
    """The attempt's deadline for a connection: connect and TLS get the time left, so does the
    request's sending, and every read of the answer (``_DeadlineReader``)."""

    def _deadline_init(self, deadline: float) -> None:
        self._deadline = deadline
        self.response_class = self._response

    def _response(self, sock, *args, **kwargs) -> http.client.HTTPResponse:
        return http.client.HTTPResponse(_DeadlineSocket(sock, self._deadline), *args, **kwargs)

    def _remaining(self) -> float:
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("deadline passed")
        return remaining

    def send(self, data) -> None:
        if self.sock is not None:
            self.sock.settimeout(self._remaining())
        super().send(data)


class _PinnedHTTPConnection(_Deadline, http.client.HTTPConnection):
    """Connects to the checked address; the Host header still names the URL's host."""

    def __init__(self, host: str, port: int, *, address: str, deadline: float):
        super().__init__(host, port)
        self._address = address
        self._deadline_init(deadline)

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self._remaining())


class _PinnedHTTPSConnection(_Deadline, http.client.HTTPSConnection):
    """TLS to the checked address, verifying the certificate against the URL's host name."""

    def __init__(self, host: str, port: int, *, address: str, deadline: float):
        super().__init__(host, port, context=ssl.create_default_context())
        self._address = address
        self._deadline_init(deadline)

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self._remaining())
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _short(text: str) -> str:
    return text.replace("\x00", "")[:MAX_ERROR_LENGTH]


def post(url: str, body: bytes, headers: dict[str, str]) -> Outcome:
    """POST ``body`` once, all of it (connecting, sending, reading the answer) within
    ``WEBHOOK_TIMEOUT`` seconds: the status code, or why there is none. Never raises."""
    timeout = float(settings.WEBHOOK_TIMEOUT)
    try:
        return _post(url, body, headers, timeout=timeout)
    except Exception as exc:  # anything unforeseen still ends the attempt, recorded as failed
        logger.exception("Webhook POST failed unexpectedly")
        return Outcome(None, _short(f"Request failed: {exc.__class__.__name__}"))


def _post(url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> Outcome:
    # Monotonic: the deadline holds whatever the wall clock does. It starts before the lookup,
    # which counts against the attempt's time like connecting and reading.
    deadline = time.monotonic() + timeout
    try:
        target = url_target(url)
        address = resolve(target, deadline=deadline)
    except ResolveTimeout:
        return Outcome(None, _short(f"Timed out after {timeout:g} s"))
    except URLRefused as exc:
        return Outcome(None, _short(str(exc)))
    connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(target.host, target.port, address=address, deadline=deadline)
    try:
        connection.request("POST", target.path, body=body, headers={"user-agent": USER_AGENT, **headers})
        response = connection.getresponse()
        # The answer's body is not used; a little is read so the connection closes cleanly.
        response.read(1024)
        status = response.status
    except TimeoutError:
        return Outcome(None, _short(f"Timed out after {timeout:g} s"))
    except ssl.SSLError as exc:
        return Outcome(None, _short(f"TLS error: {exc.reason or exc.__class__.__name__}"))
    except ConnectionRefusedError:
        return Outcome(None, "Connection refused")
    except (OSError, http.client.HTTPException) as exc:
        return Outcome(None, _short(f"{exc.__class__.__name__}: {exc}"))
    finally:
        connection.close()
    return Outcome(status, "" if 200 <= status < 300 else f"HTTP {status}")
