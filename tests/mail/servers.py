"""Real mail servers for tests: Dovecot (IMAP) and aiosmtpd (SMTP) on 127.0.0.1, no protocol mocks.

Tests send through SMTP and read the result back over IMAP, the way a desk meets
its organisation's relay and mailbox. Everything lives under one private folder
(the test's tmp_path) and runs as the current user: Dovecot with its own config
file, base_dir and logs; aiosmtpd in a thread of the test process.

Fixture API (tests/mail/conftest.py; tests/mail is a package, so elsewhere import it as
`from mail.servers import start_mail_servers` - tests/ is on sys.path):

    mail_servers            a MailServers, started for one test, stopped after it
                            (skips with ONE line when Dovecot cannot start)
    mail_servers.host       "127.0.0.1"
    .imap_port              IMAP with STARTTLS (Dovecot counts 127.0.0.1 as secured, so
                            it does not refuse a plaintext login there; clients should STARTTLS)
    .imaps_port             IMAPS (implicit TLS)
    .smtp_port              SMTP with STARTTLS; AUTH PLAIN/LOGIN only after STARTTLS
    .smtps_port             SMTP over implicit TLS (port-465 style), AUTH allowed
    .user                   "desk@example.test" (IMAP login and SMTP AUTH name)
    .password               its password (same for IMAP and SMTP)
    .maildir                Path of that user's Maildir (cur/ new/ tmp/); every message the
                            SMTP server accepts is written here, for any recipient. As root
                            it is outside tmp_path and owned by the `dovecot` account.
    .deliver(raw)           write a message into the Maildir directly (right owner), e.g.
                            malformed MIME that no SMTP client would send; returns its Path
    .ca_file                PEM file of the CA that signed both servers' certificate
                            (hostname "localhost" and IP 127.0.0.1): pass it to
                            ssl.create_default_context(cafile=...)
    .ssl_context()          such a verifying client context
    .accepted               list of (mail_from, rcpt_tos, raw bytes) in arrival order
    .on_delivery            None, or a callable(raw: bytes) run after a message is written
                            to the Maildir and BEFORE "250" goes back to the client
                            (e.g. SIGKILL the sender there to test a crash mid-delivery)
    .refuse_next(code, text) answer the next DATA with that code (e.g. 451) instead
    .imap()                 an imaplib.IMAP4 logged in over STARTTLS, INBOX selected
    .message_ids()          Message-ID headers now in INBOX, read over IMAP
    .stop_smtp() / .start_smtp()  take the relay down and up again (same ports)
    .dovecot_log            Path of Dovecot's log (read it when a test fails)

`start_mail_servers(folder)` is the same thing as a context manager, for bench/
scripts. `DovecotUnavailable` carries the one-line reason a test skips with.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import grp
import imaplib
import ipaddress
import mailbox
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes
from pathlib import Path
from typing import Callable, Iterator

USER = "desk@example.test"
PASSWORD = "correct horse 19"
HOST = "127.0.0.1"
DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)


class DovecotUnavailable(Exception):
    """Why Dovecot cannot run here (tests that need it skip with this one line)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _wait_port(port: int, proc: subprocess.Popen | None, log: Path, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            tail = log.read_text(errors="replace").strip().splitlines()[-1:] if log.exists() else []
            raise DovecotUnavailable(f"dovecot exited ({proc.returncode}): {' '.join(tail) or 'no log'}")
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=0.5):
            return
        time.sleep(0.05)
    raise DovecotUnavailable(f"dovecot did not answer on {HOST}:{port} within {timeout:.0f}s (see {log})")


def make_certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate for localhost/127.0.0.1 signed by it: (ca, cert, key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "deskapp test mail CA")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_file, cert_file, key_file = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_file.chmod(0o600)
    return ca_file, cert_file, key_file


_DOVECOT_CONF = """\
# Private Dovecot for one test: own base_dir, runs as {user}, listens on 127.0.0.1 only.
base_dir = {base_dir}
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
protocols = imap
listen = {host}
ssl = required
ssl_cert = <{cert}
ssl_key = <{key}
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain login
auth_failure_delay = 0
default_login_user = {login_user}
default_internal_user = {internal_user}
default_internal_group = {internal_group}
first_valid_uid = {uid}
last_valid_uid = {uid}
first_valid_gid = {gid}
mail_location = maildir:{home}/Maildir
mail_privileged_group =
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={home}
}}
service imap-login {{
  chroot =
  user = {login_user}
  inet_listener imap {{
    address = {host}
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = {host}
    port = {imaps_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
  user = {internal_user}
}}
service auth {{
  user = {user}
}}
service auth-worker {{
  user = {user}
}}
service stats {{
  user = {internal_user}
}}
service imap-hibernate {{
  user = {internal_user}
}}
service imap-urlauth-login {{
  chroot =
}}
service pop3-login {{
  chroot =
}}
service submission-login {{
  chroot =
}}
service managesieve-login {{
  chroot =
}}
service lmtp {{
  user = {internal_user}
}}
"""


def _system_users() -> tuple[str, str, str]:
    """Debian's unprivileged Dovecot accounts (login user, internal user, its group), for runs as root."""
    try:
        pwd.getpwnam("dovenull")
        internal = pwd.getpwnam("dovecot")
    except KeyError as e:
        raise DovecotUnavailable(f"running as root needs the dovenull and dovecot accounts: {e}") from e
    return "dovenull", "dovecot", grp.getgrgid(internal.pw_gid).gr_name


class Dovecot:
    """One private Dovecot process (IMAP on two ports) and the user's Maildir.

    As an ordinary user everything (config, sockets, Maildir) lives under `root` and every
    Dovecot process runs as that user. As root (CI), Dovecot refuses root for its login
    processes and for mail access, so those run as Debian's dovenull/dovecot accounts; they
    cannot enter pytest's 0700 tmp folders, so the sockets and the Maildir then live in a
    0755 folder of their own under /tmp (removed by stop()), the Maildir owned by `dovecot`.
    """

    def __init__(self, root: Path, cert: Path, key: Path) -> None:
        if DOVECOT is None:
            raise DovecotUnavailable("dovecot is not installed (Debian package dovecot-imapd; .ci/run installs it)")
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.imap_port, self.imaps_port = free_port(), free_port()
        self.log = root / "dovecot.log"
        uid, gid = os.getuid(), os.getgid()
        user = pwd.getpwuid(uid).pw_name
        self.as_root = uid == 0
        if self.as_root:
            login_user, internal_user, internal_group = _system_users()
            mail = pwd.getpwnam(internal_user)
            self.mail_uid, self.mail_gid = mail.pw_uid, mail.pw_gid
            self.shared = Path(tempfile.mkdtemp(prefix="deskapp-dovecot-"))
            self.shared.chmod(0o755)
        else:
            login_user = internal_user = user
            internal_group = grp.getgrgid(gid).gr_name
            self.mail_uid, self.mail_gid = uid, gid
            self.shared = root
        self.base_dir = self.shared / "run"
        self.base_dir.mkdir(mode=0o755)
        self.home = self.shared / "mail" / USER.split("@")[0]
        self.maildir = self.home / "Maildir"
        for sub in ("cur", "new", "tmp"):
            (self.maildir / sub).mkdir(parents=True, exist_ok=True)
        if self.as_root:
            for path in (self.shared / "mail", self.home, self.maildir, *(self.maildir / d for d in ("cur", "new", "tmp"))):
                os.chown(path, self.mail_uid, self.mail_gid)
        (root / "state").mkdir(mode=0o700)
        (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
        (root / "passwd").chmod(0o600)
        self.conf = root / "dovecot.conf"
        self.conf.write_text(_DOVECOT_CONF.format(
            root=root, base_dir=self.base_dir, home=self.home, host=HOST, cert=cert, key=key,
            imap_port=self.imap_port, imaps_port=self.imaps_port, user=user, login_user=login_user,
            internal_user=internal_user, internal_group=internal_group, uid=self.mail_uid, gid=self.mail_gid))
        self.proc: subprocess.Popen | None = None

    def deliver(self, raw: bytes) -> Path:
        """Write one message into the Maildir (tmp -> new), owned by the mail user; its path."""
        box = mailbox.Maildir(str(self.maildir), factory=None, create=False)
        key = box.add(raw)
        path = self.maildir / "new" / key
        if self.as_root:
            os.chown(path, self.mail_uid, self.mail_gid)
        return path

    def start(self) -> None:
        try:
            self.proc = subprocess.Popen([DOVECOT, "-F", "-c", str(self.conf)], stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=open(self.log, "ab"))
        except OSError as e:
            raise DovecotUnavailable(f"dovecot could not start: {e}") from e
        try:
            _wait_port(self.imap_port, self.proc, self.log)
            _wait_port(self.imaps_port, self.proc, self.log)
        except DovecotUnavailable:
            self.stop()
            raise

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self.as_root:
            shutil.rmtree(self.shared, ignore_errors=True)


class _MaildirHandler:
    """aiosmtpd handler: every accepted message goes into the Dovecot user's Maildir (tmp -> new)."""

    def __init__(self, servers: MailServers) -> None:
        self.servers = servers

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's hook name)
        s = self.servers
        with s._lock:
            refusal, s._refusal = s._refusal, None
        if refusal is not None:
            return refusal
        raw = envelope.original_content or envelope.content
        s.deliver(raw)
        with s._lock:
            s.accepted.append((envelope.mail_from, list(envelope.rcpt_tos), bytes(raw)))
        if s.on_delivery is not None:
            s.on_delivery(bytes(raw))
        return "250 2.0.0 Ok: queued as deskapp-test"


def _authenticator(server, session, envelope, mechanism, auth_data):
    from aiosmtpd.smtp import AuthResult, LoginPassword

    ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == USER
          and auth_data.password.decode() == PASSWORD)
    return AuthResult(success=ok, handled=False)


@dataclass
class MailServers:
    """Dovecot + aiosmtpd for one test; see the module docstring for the API."""

    root: Path
    host: str = HOST
    user: str = USER
    password: str = PASSWORD
    accepted: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    on_delivery: Callable[[bytes], None] | None = None
    _refusal: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _controllers: list = field(default_factory=list)

    def __post_init__(self) -> None:
        certs = self.root / "tls"
        certs.mkdir(parents=True, exist_ok=True)
        self.ca_file, self._cert, self._key = make_certificates(certs)
        self.dovecot = Dovecot(self.root / "dovecot", self._cert, self._key)
        self.smtp_port, self.smtps_port = free_port(), free_port()

    @property
    def imap_port(self) -> int:
        return self.dovecot.imap_port

    @property
    def imaps_port(self) -> int:
        return self.dovecot.imaps_port

    @property
    def maildir(self) -> Path:
        return self.dovecot.maildir

    @property
    def dovecot_log(self) -> Path:
        return self.dovecot.log

    def deliver(self, raw: bytes) -> Path:
        """Put a message straight into the Maildir (as the SMTP server does); its file path."""
        return self.dovecot.deliver(raw)

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_file))

    def _server_context(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(self._cert), str(self._key))
        return ctx

    def start_smtp(self) -> None:
        import logging

        from aiosmtpd.controller import Controller

        # aiosmtpd warns about its own deprecated login_data on every AUTH: noise, not news.
        logging.getLogger("mail.log").setLevel(logging.ERROR)

        handler = _MaildirHandler(self)
        tls = self._server_context()
        starttls = Controller(handler, hostname=self.host, port=self.smtp_port, server_hostname="localhost",
                              tls_context=tls, require_starttls=True, auth_require_tls=True,
                              authenticator=_authenticator)
        implicit = Controller(handler, hostname=self.host, port=self.smtps_port, server_hostname="localhost",
                              ssl_context=tls, auth_require_tls=False, authenticator=_authenticator)
        for c in (starttls, implicit):
            c.start()
            self._controllers.append(c)

    def stop_smtp(self) -> None:
        while self._controllers:
            self._controllers.pop().stop()

    def refuse_next(self, code: int = 451, text: str = "4.3.0 Try again later") -> None:
        with self._lock:
            self._refusal = f"{code} {text}"

    def start(self) -> None:
        self.dovecot.start()
        try:
            self.start_smtp()
        except Exception:
            self.dovecot.stop()
            raise

    def stop(self) -> None:
        self.stop_smtp()
        self.dovecot.stop()

    def imap(self) -> imaplib.IMAP4:
        conn = imaplib.IMAP4(self.host, self.imap_port, timeout=10)
        conn.starttls(ssl_context=self.ssl_context())
        conn.login(self.user, self.password)
        conn.select("INBOX")
        return conn

    def message_ids(self) -> list[str]:
        """Message-ID of every message in INBOX, read back over IMAP (arrival order)."""
        conn = self.imap()
        try:
            _, data = conn.search(None, "ALL")
            ids: list[str] = []
            for num in data[0].split():
                _, parts = conn.fetch(num, "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
                msg = message_from_bytes(parts[0][1])
                ids.append((msg["Message-ID"] or "").strip())
            return ids
        finally:
            with contextlib.suppress(Exception):
                conn.logout()


@contextlib.contextmanager
def start_mail_servers(folder: Path) -> Iterator[MailServers]:
    """Start Dovecot and aiosmtpd under `folder`; raises DovecotUnavailable with a one-line reason."""
    servers = MailServers(Path(folder))
    servers.start()
    try:
        yield servers
    finally:
        servers.stop()
