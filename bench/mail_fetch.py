"""Fetch and thread N messages from a real Dovecot over IMAPS: wall time and peak memory (goal: 10,000 in < 60 s, < 200 MB).

Starts a private Dovecot (tests/mail/servers.py), delivers N messages into its
Maildir: a quarter from new senders (each opens a case), the rest replies by
In-Reply-To, by a case reference in the subject, or by a known sender, some
with a small attachment (a few the same file: stored once), 2% auto-replies.
Then runs the real `deskapp mail fetch --imap` in a subprocess and reports its
wall time and peak RSS (getrusage of the child), and how the lines came out.
A second fetch shows what an idle run costs.

    python bench/mail_fetch.py                      # 10,000 messages, SQLite in a temp folder
    python bench/mail_fetch.py --messages 500       # a quick look
    python bench/mail_fetch.py --db postgresql://postgres@127.0.0.1:5432/bench   # an empty database
"""

from __future__ import annotations

import argparse
import base64
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def messages(count: int, seed: int = 19) -> list[bytes]:
    rng = random.Random(seed)
    out: list[bytes] = []
    senders: list[str] = []
    sent_ids: list[str] = []
    receipt = base64.encodebytes(b"%PDF-1.4 the usual receipt " * 40)
    for i in range(count):
        mid = f"bench{i}@mail.example.net"
        extra = ""
        if not senders or rng.random() < 0.25:
            sender = f"person{len(senders)}@example.net"
            senders.append(sender)
            subject = f"Complaint number {i} about the bins"
        else:
            sender = rng.choice(senders)
            subject = f"Re: my complaint ({i})"
            roll = rng.random()
            if roll < 0.4 and sent_ids:
                extra = f"In-Reply-To: <{rng.choice(sent_ids)}>\r\n"
            elif roll < 0.6:
                subject = f"Re: [C-{1001 + rng.randrange(max(1, len(senders)))}] still waiting"
        if rng.random() < 0.02:
            extra += "Auto-Submitted: auto-replied\r\n"
        head = (f"From: Person {i} <{sender}>\r\nTo: complaints@desk.example.test\r\nSubject: {subject}\r\n"
                f"Message-ID: <{mid}>\r\nDate: Mon, 7 Dec 2026 09:00:00 +0000\r\n{extra}MIME-Version: 1.0\r\n")
        text = ("Dear desk,\r\n\r\nThe bin was not collected again this week. " * 5).encode()
        if rng.random() < 0.1:
            name = "receipt.pdf" if rng.random() < 0.5 else f"photo{i}.pdf"
            data = receipt if name == "receipt.pdf" else base64.encodebytes(f"%PDF-1.4 photo {i}".encode() * 40)
            raw = (head.encode() + b"Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\n"
                   b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + text + b"\r\n--B\r\n"
                   b"Content-Type: application/pdf\r\nContent-Disposition: attachment; filename=" + name.encode()
                   + b"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + data + b"--B--\r\n")
        else:
            raw = head.encode() + b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + text + b"\r\n"
        sent_ids.append(mid)
        out.append(raw)
    return out


def run_child(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str, str]:
    """(seconds, peak RSS in MB, stdout, stderr) of one child process; prints its CPU time too.

    CPU time is the steadier figure on a shared machine: wall time there includes waiting for a core.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    out, err = proc.communicate()
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(f"  (child CPU {cpu:,.1f} s user+system; load average {os.getloadavg()[0]:.1f})")
    peak = after.ru_maxrss / 1024  # the largest child so far
    if proc.returncode != 0:
        sys.exit(f"fetch failed ({proc.returncode}): {err.strip()[-500:]}")
    return seconds, peak, out, err


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--db", help="an empty database URL (default: SQLite in a temp folder)")
    args = parser.parse_args()

    from mail.servers import DovecotUnavailable, start_mail_servers

    with tempfile.TemporaryDirectory(prefix="deskapp-mailbench-") as tmp:
        folder = Path(tmp)
        db = args.db or f"sqlite:///{folder / 'desk.db'}"
        env = {**os.environ, "PYTHONPATH": str(ROOT), "DESKAPP_DATA_DIR": str(folder / "data"),
               "DESKAPP_CONFIG_DIR": str(folder / "config"), "DESKAPP_CACHE_DIR": str(folder / "cache")}
        subprocess.run([sys.executable, "-m", "deskapp", "--db", db, "init"], env=env, check=True,
                       capture_output=True)
        import getpass

        subprocess.run([sys.executable, "-m", "deskapp", "--db", db, "users", "add", getpass.getuser(), "--role",
                        "admin", "--name", "Mail bench"], env=env, check=True, capture_output=True)
        try:
            with start_mail_servers(folder / "servers") as servers:
                started = time.perf_counter()
                for raw in messages(args.messages):
                    servers.deliver(raw)
                print(f"delivered {args.messages:,} messages into Dovecot's Maildir in "
                      f"{time.perf_counter() - started:,.1f} s")
                secret = folder / "imap.password"
                secret.write_text(servers.password + "\n")
                secret.chmod(0o600)
                cmd = [sys.executable, "-m", "deskapp", "--db", db, "mail", "fetch", "--imap",
                       f"{servers.host}:{servers.imaps_port}", "--user", servers.user, "--password-file", str(secret),
                       "--cafile", str(servers.ca_file)]
                seconds, peak, out, err = run_child(cmd, env)
                kinds = Counter(line.split(" ", 2)[1] for line in out.splitlines() if " " in line)
                print(f"fetch {args.messages:,} over IMAPS: {seconds:,.1f} s "
                      f"({args.messages / seconds:,.0f} messages/s), peak RSS {peak:,.0f} MB "
                      f"(goal: under 60 s, under 200 MB)")
                print(f"  lines: {dict(kinds)}")
                print(f"  {err.strip()}")
                seconds, _peak, out, err = run_child(cmd, env)
                print(f"fetch again (nothing new): {seconds:,.2f} s; {err.strip()}")
        except DovecotUnavailable as exc:
            print(f"skipped: {exc}")
            return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
