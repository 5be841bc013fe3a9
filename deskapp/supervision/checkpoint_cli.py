"""`deskapp audit keygen` and `deskapp audit checkpoint`: the commands around signed checkpoints.

Run as the service account (or a separate signer account): the key and the
witness are wherever its checkpoints.toml says (deskapp.core.witness).
"""

from __future__ import annotations

import argparse


def register(audit_sub, common: argparse.ArgumentParser) -> None:
    keygen = audit_sub.add_parser(
        "keygen", parents=[common], help="make the key that signs checkpoints (service account, once)",
        description="Make an Ed25519 key pair for signing checkpoints: the private key 0600 in a 0700 folder of "
                    "this account's config folder, the public key beside the witness, and checkpoints.toml if "
                    "there is none. Never touches the database. Refuses to replace an existing key.")
    keygen.set_defaults(func=run_keygen)
    checkpoint = audit_sub.add_parser(
        "checkpoint", parents=[common], help="sign the audit log's head and append it to the witness",
        description="Sign the audit log's head (event id, hash, number of events, time, key id), append it as one "
                    "line to the witness file (and syslog if configured) and record it as an audit.checkpoint "
                    "event. `audit verify` then checks the log against every checkpoint. Exit 2: key missing or "
                    "unreadable, witness cannot be appended to (nothing written).")
    checkpoint.add_argument("--if-due", action="store_true",
                            help="only if every_events / every_minutes of checkpoints.toml say one is due "
                                 "(for a systemd timer running every minute)")
    checkpoint.set_defaults(func=run_checkpoint)


def run_keygen(args: argparse.Namespace) -> int:
    from deskapp.actions.checkpoints import keygen

    chosen, ident, written = keygen()
    print(f"checkpoint key {ident} made; wrote {', '.join(written)}")
    print(f"witness: {chosen.witness} (recommended: `chattr +a` it once it exists; see docs/deploying.md)")
    return 0


def run_checkpoint(args: argparse.Namespace) -> int:
    from deskapp.actions import open_desk
    from deskapp.actions.checkpoints import settings, take, take_if_due
    from deskapp.supervision.dbarg import existing_db

    chosen = settings()
    desk = open_desk(existing_db(getattr(args, "db", None)), None, None, as_name=getattr(args, "as_name", None))
    try:
        taken = take_if_due(desk, chosen) if args.if_due else take(desk, chosen)
    finally:
        desk.close()
    print(taken.summary() if taken is not None else "no checkpoint due")
    return 0
