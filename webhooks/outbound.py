"""The one way out to a webhook receiver: URL rules against server-side request forgery, and the
POST itself.

A URL is ``http`` or ``https`` with a host and no user information (credentials in a URL would
show wherever the URL does). In production mode (``CONSOLE_ENV=production``) every address the
host resolves to must be public: loopback, private, link-local, multicast, reserved and
unspecified addresses are refused, unless ``WEBHOOK_ALLOW_PRIVATE_ADDRESSES=1``. The host is
resolved when the URL is saved and again at every delivery, and the request connects to the
address that was checked (never resolving a second time), so a DNS answer that changes between
the check and the connection cannot point the request inside. Redirects are never followed.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

MAX_URL_LENGTH = 2048
MAX_ERROR_LENGTH = 255
USER_AGENT = "oidc-admin-console-webhooks"


class URLRefused(ValueError):
    """A webhook URL this server will not call; ``str()`` is the reason, for a form or a 400."""


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


def url_target(url: str) -> Target:
    """The parts of an acceptable URL; ``URLRefused`` otherwise. No DNS lookup."""
    if not isinstance(url, str) or not url:
        raise URLRefused("Enter a URL")
    if len(url) > MAX_URL_LENGTH:
        raise URLRefused(f"The URL is longer than {MAX_URL_LENGTH} characters")
    if any(ord(ch) <= 0x20 or ord(ch) == 0x7F for ch in url):
        raise URLRefused("The URL contains spaces or control characters")
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


def _refused_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    mapped = getattr(ip, "ipv4_mapped", None)
    if mapped is not None:
        ip = mapped
    return (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def resolve(target: Target) -> str:
    """The address to connect to. In strict mode every address of the host must be public, or
    ``URLRefused``; the first one is used."""
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise URLRefused(f"The host {target.host} could not be resolved") from None
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise URLRefused(f"The host {target.host} could not be resolved")
    if strict() and any(_refused_address(address) for address in addresses):
        raise URLRefused(
            "The URL points to a loopback, private, link-local, multicast or reserved address, which is not allowed"
        )
    return addresses[0]


def url_check(url: str) -> str:
    """The URL, checked for saving: its form always, its addresses in strict mode."""
    target = url_target(url)
    if strict():
        resolve(target)
    return url


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the checked address; the Host header still names the URL's host."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to the checked address, verifying the certificate against the URL's host name."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _short(text: str) -> str:
    return text.replace("\x00", "")[:MAX_ERROR_LENGTH]


def post(url: str, body: bytes, headers: dict[str, str]) -> Outcome:
    """POST ``body`` once: the status code, or why there is none. Never raises for the network."""
    timeout = float(settings.WEBHOOK_TIMEOUT)
    try:
        target = url_target(url)
        address = resolve(target)
    except URLRefused as exc:
        return Outcome(None, _short(str(exc)))
    connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(target.host, target.port, address=address, timeout=timeout)
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
