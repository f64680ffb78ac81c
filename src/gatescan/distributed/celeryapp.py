"""The broker description both sides share, and the Celery app built from it.

JSON is the only serialisation a gatescan app accepts or sends (never pickle: a message is
untrusted input, and pickle runs code). The password never sits in a URL a person typed (so
never on a command line or in `ps`): it comes from a file and is joined into the connection
URL here, which Celery masks wherever it prints one.
"""

from __future__ import annotations

import re
import ssl
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urlsplit

SCHEMES = ("redis", "rediss")
QUEUE_PREFIX = "gatescan."  # a vantage's queue is this prefix and its name
TASK_SCAN = "gatescan.scan_shard"
# Celery's default is one hour; a message whose worker died comes back after this
# (README, Distributed scans): the dispatcher and the workers must agree on it.
DEFAULT_VISIBILITY_S = 3600.0
RESULT_EXPIRES_S = 86_400  # shard reports stay in the result backend a day (long enough for --resume)
MAX_PASSWORD_BYTES = 4096
_VANTAGE = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")


class BrokerError(ValueError):
    """A broker option that cannot be used (the CLI exits 2, naming it)."""


def check_vantage(name: str) -> str:
    """A vantage name is a DNS label (lowercase letters, digits, inner dashes; 63 at most)."""
    if not isinstance(name, str) or not _VANTAGE.fullmatch(name):
        raise BrokerError(f"bad vantage name {name!r}: use a DNS label (a-z, 0-9 and inner '-', at most 63)")
    return name


def queue_for(vantage: str) -> str:
    return QUEUE_PREFIX + vantage


@dataclass(frozen=True)
class Broker:
    """Where the broker is (`url`, with no secret in it), how to authenticate and verify it."""

    url: str
    password: str | None = field(default=None, repr=False)
    ca: str | None = None

    def connection_url(self) -> str:
        if self.password is None:
            return self.url
        parts = urlsplit(self.url)
        user = quote(unquote(parts.username or ""), safe="")
        netloc = f"{user}:{quote(self.password, safe='')}@{parts.netloc.rpartition('@')[2]}"
        return parts._replace(netloc=netloc).geturl()

    def ssl_options(self) -> dict | None:
        if not self.url.startswith("rediss:"):
            return None
        options: dict = {"ssl_cert_reqs": ssl.CERT_REQUIRED}
        if self.ca:
            options["ssl_ca_certs"] = self.ca
        return options


def parse_broker(url: str, password_file: str | None = None, ca: str | None = None) -> Broker:
    """Check a broker URL and read its password file; BrokerError naming what is wrong."""
    from ..userio import UserFileError, read_user_text

    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise BrokerError(f"--broker {url!r} does not parse: {exc}") from None
    if parts.scheme not in SCHEMES:
        raise BrokerError(f"--broker {url!r}: the scheme must be redis:// or rediss:// (TLS), not {parts.scheme or 'none'!r}")
    if not parts.hostname:
        raise BrokerError(f"--broker {url!r}: no host (e.g. redis://10.0.0.5:6379/0)")
    if parts.password is not None:
        raise BrokerError("--broker: the URL holds a password, which `ps` would show; put it in a file and "
                          "pass --password-file FILE")
    if parts.path not in ("", "/") and not re.fullmatch(r"/[0-9]{1,2}", parts.path):
        raise BrokerError(f"--broker {url!r}: the path must be a database number (/0 .. /15)")
    if parts.query or parts.fragment:
        raise BrokerError(f"--broker {url!r}: no query or fragment (TLS is rediss:// with --ca FILE)")
    del port
    if ca is not None and parts.scheme != "rediss":
        raise BrokerError("--ca verifies a TLS broker: use a rediss:// URL")
    password = None
    if password_file is not None:
        try:
            password = read_user_text(password_file, MAX_PASSWORD_BYTES).rstrip("\r\n")
        except UserFileError as exc:
            raise BrokerError(f"--password-file: {exc}") from None
        if not password:
            raise BrokerError(f"--password-file {password_file}: the file is empty")
    if ca is not None:
        try:
            ssl.create_default_context(cafile=ca)
        except (OSError, ssl.SSLError) as exc:
            raise BrokerError(f"--ca {ca}: not a readable CA bundle ({exc})") from None
    return Broker(url=url, password=password, ca=ca)


@dataclass(frozen=True)
class Signing:
    """Celery's `auth` serializer: task messages signed with `key`/`cert`, verified against the
    certificates in `store` (a directory); JSON under the signature, still never pickle."""

    key: str
    cert: str
    store: str


def make_app(broker: Broker, *, visibility_timeout: float = DEFAULT_VISIBILITY_S, signing: Signing | None = None,
             worker_config: dict | None = None):
    """The Celery app: JSON only, results in the same Redis with an expiry, and the fault settings
    a lost worker needs (acks late, requeue on a lost worker, one message prefetched)."""
    from celery import Celery

    from . import tasks

    url = broker.connection_url()
    app = Celery("gatescan", broker=url, backend=url, set_as_current=False)
    restore_every = max(1, min(10, int(visibility_timeout / 10)))
    transport = {
        "visibility_timeout": visibility_timeout,
        # restore lost messages soon after their timeout, not up to 100 s later (kombu's default cadence)
        "unacked_restore_interval": restore_every,
        "unacked_restore_throttle": 1,
    }
    ssl_options = broker.ssl_options()
    serializer = "auth" if signing else "json"
    app.conf.update(
        task_serializer=serializer,
        result_serializer="json",
        accept_content=[serializer],
        result_accept_content=["json"],
        event_serializer="json",
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_track_started=True,
        worker_prefetch_multiplier=1,
        result_expires=RESULT_EXPIRES_S,
        result_extended=False,
        broker_transport_options=transport,
        result_backend_transport_options=transport,
        broker_connection_retry_on_startup=False,
        broker_connection_max_retries=3,
        task_default_queue=QUEUE_PREFIX + "default",
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        broker_use_ssl=ssl_options,
        redis_backend_use_ssl=ssl_options,
        worker_direct=True,  # each worker also has its own queue: fleet local audits reach every machine
        gatescan_worker=worker_config or {},
    )
    if signing:
        app.conf.update(security_key=signing.key, security_certificate=signing.cert,
                        security_cert_store=signing.store + "/*", security_digest="sha256")
        try:
            app.setup_security(allowed_serializers=["json"], serializer="json")
        except Exception as exc:  # celery.exceptions.SecurityError, a missing or non-PEM file
            raise BrokerError(f"--sign-key/--sign-cert/--cert-store: {exc}") from None
    tasks.register(app)
    return app
