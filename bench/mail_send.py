"""How long does `deskapp mail send` take to deliver 1,000 queued emails through a local relay? (prints figures)

Starts the test relay (aiosmtpd delivering into a private Dovecot's Maildir,
tests/mail/servers.py), makes a SQLite desk with the shipped rules, queues
`--messages` email messages through the real action (submit: rules, contact,
audit event, outbox row, one transaction each) and then runs the real command,
`deskapp mail send`, in a subprocess: wall time, messages per second and the
child's peak RSS. Finally it reads the Maildir to check every Message-ID
arrived exactly once.

    python bench/mail_send.py                   # 1,000 messages
    python bench/mail_send.py --messages 100
"""

from __future__ import annotations

import argparse
import email
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH"))))


def queue(url: str, messages: int) -> float:
    from deskapp.actions import ActionRequest, new_case, open_desk, submit
    from deskapp.actions.outbox import set_mail_from
    from deskapp.actions.policies import publish_default
    from deskapp.store.engine import connect
    from deskapp.store.handlers import add_handler
    from deskapp.store.migrate import upgrade

    engine = connect(url)
    upgrade(engine)
    publish_default(engine, "bench")
    add_handler(engine, "ann", "admin", "Ann Admin")
    engine.dispose()
    desk = open_desk(url, None, "ann")
    set_mail_from(desk, "complaints@desk.example.test")
    started = time.perf_counter()
    case = None
    for n in range(messages):
        if n % 50 == 0:
            case = new_case(desk, kind="enquiry", category="general", title=f"Bench case {n // 50}",
                            received_at=datetime.now().replace(microsecond=0),
                            party={"role": "customer", "name": "Bench Customer", "email": "desk@example.test"})
        done = submit(desk, ActionRequest(kind="message", case_id=case.id, version=case.version, channel="email",
                                          party_id=case.parties[0].id, summary=f"Update {n}",
                                          body=f"Dear customer,\n\nThis is update {n} on your enquiry.\n"))
        case = done.case
    desk.close()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    args = parser.parse_args()
    from mail.servers import DovecotUnavailable, start_mail_servers

    with tempfile.TemporaryDirectory(prefix="deskapp-mail-bench-") as tmp:
        tmp_path = Path(tmp)
        os.environ["DESKAPP_CONFIG_DIR"] = str(tmp_path / "config")
        os.environ["DESKAPP_DATA_DIR"] = str(tmp_path / "data")
        url = f"sqlite:///{tmp_path / 'desk.db'}"
        try:
            servers_cm = start_mail_servers(tmp_path / "servers")
            servers = servers_cm.__enter__()
        except DovecotUnavailable as exc:
            print(f"mail bench skipped: {exc}")
            return 0
        try:
            queued = queue(url, args.messages)
            secret = tmp_path / "smtp.password"
            secret.write_text(servers.password)
            secret.chmod(0o600)
            conf = tmp_path / "config" / "mail.yaml"
            conf.parent.mkdir(parents=True, exist_ok=True)
            conf.write_text(f"host: 127.0.0.1\nport: {servers.smtp_port}\nsecurity: starttls\n"
                            f"username: {servers.user}\npassword_file: {secret}\nca_file: {servers.ca_file}\n"
                            f"batch: 200\n")
            conf.chmod(0o600)
            started = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "deskapp", "mail", "send", "--db", url],
                                  capture_output=True, text=True)
            wall = time.perf_counter() - started
            rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            ids = []
            for sub in ("new", "cur"):
                for path in (servers.maildir / sub).iterdir():
                    ids.append(email.message_from_bytes(path.read_bytes())["Message-ID"])
        finally:
            servers_cm.__exit__(None, None, None)
    sent = proc.stdout.count("\nsent ") + proc.stdout.startswith("sent ")
    print(f"queued {args.messages} messages through submit in {queued:.1f} s "
          f"({args.messages / queued:.0f}/s)")
    print(f"deskapp mail send: exit {proc.returncode}, {sent} sent in {wall:.1f} s "
          f"({sent / wall:.0f}/s), peak RSS {rss_mb:.0f} MB")
    print(f"in the Maildir: {len(ids)} messages, {len(set(ids))} distinct Message-IDs")
    if proc.returncode != 0:
        print(proc.stderr.strip())
    return 0 if proc.returncode == 0 and len(ids) == len(set(ids)) == args.messages else 1


if __name__ == "__main__":
    sys.exit(main())
