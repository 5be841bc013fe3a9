"""Managing handlers as audited actions: who may, what is recorded, what reaches authorized_keys."""

from __future__ import annotations

import base64
from datetime import datetime

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from deskapp.actions import users
from deskapp.actions.identity import Actor
from deskapp.core.roles import NotAllowed
from deskapp.core.sshkeys import parse_public_key
from deskapp.errors import DeskError
from deskapp.store.handlers import add_handler, get_handler
from deskapp.store.models import AuditEvent, Change, Handler, HandlerKey
from deskapp.supervision.verify import verify

NOW = datetime(2026, 3, 10, 11, 0)


def who(name: str, via: str | None = None) -> Actor:
    return Actor(username=name, via=via)


def key(n: int):
    raw = bytes([n]) * 32
    blob = b"".join(len(f).to_bytes(4, "big") + f for f in (b"ssh-ed25519", raw))
    return parse_public_key(f"ssh-ed25519 {base64.b64encode(blob).decode()} key{n}@laptop")


def audit(engine) -> list[tuple]:
    with Session(engine) as session:
        return [(e.actor, e.via, e.action, e.detail) for e in
                session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars()]


def count(engine, table) -> int:
    with Session(engine) as session:
        return session.execute(select(func.count()).select_from(table)).scalar_one()


def test_anyone_may_set_up_a_new_desk_then_only_an_admin(engine):
    assert users.add(engine, who("whoever"), "sam", at=NOW).role == "handler"  # setting up: no admin yet
    assert users.add(engine, who("sam"), "kim", role="admin", at=NOW).role == "admin"
    with pytest.raises(NotAllowed, match=r"^only an admin can add handlers and sam is a handler: ask an admin "
                                         r"\(kim\) to run it, as themselves$"):
        users.add(engine, who("sam"), "jo", role="admin", at=NOW)
    with pytest.raises(NotAllowed, match="whoever is not a deskapp handler"):
        users.add(engine, who("whoever"), "jo", at=NOW)
    assert get_handler(engine, "jo") is None
    assert users.add(engine, who("kim"), "jo", role="supervisor", at=NOW).role == "supervisor"
    with pytest.raises(DeskError, match="already exists"):
        users.add(engine, who("kim"), "jo", at=NOW)
    assert audit(engine) == [
        ("whoever", None, "users.add", {"username": "sam", "role": "handler", "display_name": "sam"}),
        ("sam", None, "users.add", {"username": "kim", "role": "admin", "display_name": "kim"}),
        ("sam", None, "users.refused", {"command": "add handlers", "target": "jo"}),
        ("whoever", None, "users.refused", {"command": "add handlers", "target": "jo"}),
        ("kim", None, "users.add", {"username": "jo", "role": "supervisor", "display_name": "jo"}),
    ]
    assert count(engine, Change) == 3, "each change (not a refusal) reaches the change feed"
    assert verify(engine).ok


def test_the_role_is_read_again_inside_the_transaction(engine):
    add_handler(engine, "kim", "admin")
    add_handler(engine, "ann", "admin")
    kim = who("kim")
    users.set_role(engine, who("ann"), "kim", "handler", at=NOW)  # kim's desk still says admin
    with pytest.raises(NotAllowed, match="kim is a handler"):
        users.add(engine, kim, "jo", at=NOW)
    users.set_role(engine, who("ann"), "kim", "admin", at=NOW)
    users.set_active(engine, kim, "ann", False, at=NOW)
    with pytest.raises(NotAllowed, match="ann's account is inactive"):
        users.add(engine, who("ann"), "jo", at=NOW)


def test_role_changes_and_the_last_admin(engine):
    add_handler(engine, "kim", "admin")
    add_handler(engine, "sam", "handler")
    kim = who("kim", via="root")
    assert users.set_role(engine, kim, "sam", "supervisor", at=NOW).role == "supervisor"
    with pytest.raises(DeskError, match="kim is the desk's last active admin: make someone else an admin first"):
        users.set_role(engine, kim, "kim", "handler", at=NOW)
    with pytest.raises(DeskError, match="last active admin"):
        users.set_active(engine, kim, "kim", False, at=NOW)
    with pytest.raises(DeskError, match="role 'boss' is not one of: handler, supervisor, admin"):
        users.set_role(engine, kim, "sam", "boss", at=NOW)
    with pytest.raises(DeskError, match="'nobody' is not a deskapp handler"):
        users.set_role(engine, kim, "nobody", "admin", at=NOW)
    with pytest.raises(DeskError, match="sam is already a supervisor"):
        users.set_role(engine, kim, "sam", "supervisor", at=NOW)
    assert audit(engine) == [("kim", "root", "users.role", {"username": "sam", "role": "supervisor",
                                                             "was": "handler"})]


def test_keys_reach_authorized_keys_and_leave_it_with_the_handler(engine, tmp_path):
    keys_file = tmp_path / "authorized_keys"
    keys_file.write_bytes(b"ssh-ed25519 AAAA the-operator\n")
    add_handler(engine, "kim", "admin")
    kim = who("kim")
    users.add(engine, kim, "sam", key=key(1), keys_file=keys_file, at=NOW)
    users.add_key(engine, kim, "sam", key(2), keys_file=keys_file, at=NOW)
    users.add(engine, kim, "jo", key=key(3), keys_file=keys_file, at=NOW)
    text = keys_file.read_text()
    assert text.startswith("ssh-ed25519 AAAA the-operator\n")
    assert [line.split()[-1] for line in text.splitlines()[1:]] == ["deskapp:jo", "deskapp:sam", "deskapp:sam"]
    assert all("desk --as-key " in line for line in text.splitlines()[1:])

    with pytest.raises(DeskError, match=rf"key {key(1).fingerprint} is already sam's"):
        users.add_key(engine, kim, "jo", key(1), keys_file=keys_file, at=NOW)
    users.set_active(engine, kim, "sam", False, keys_file=keys_file, at=NOW)
    assert "deskapp:sam" not in keys_file.read_text() and "deskapp:jo" in keys_file.read_text()
    assert count(engine, HandlerKey) == 3, "keys stay stored for when the handler comes back"
    users.set_active(engine, kim, "sam", True, keys_file=keys_file, at=NOW)
    assert keys_file.read_text().count("deskapp:sam") == 2

    users.remove_key(engine, kim, "sam", key(1).fingerprint, keys_file=keys_file, at=NOW)
    assert key(1).key_data not in keys_file.read_text() and key(2).key_data in keys_file.read_text()
    with pytest.raises(DeskError, match=rf"jo has no key {key(2).fingerprint}"):
        users.remove_key(engine, kim, "jo", key(2).fingerprint, keys_file=keys_file, at=NOW)
    assert [fp for fp, *_ in users.key_list(engine, "sam")] == [key(2).fingerprint]
    assert [(r.username, r.active, r.keys) for r in users.roster(engine)] == [
        ("jo", True, 1), ("kim", True, 0), ("sam", True, 1)]
    actions = [a for _actor, _via, a, _detail in audit(engine)]
    assert actions == ["users.add", "users.key.add", "users.add", "users.deactivate", "users.activate",
                       "users.key.remove"]
    assert verify(engine).ok


def test_a_refused_or_failed_key_change_writes_nothing(engine, tmp_path):
    keys_file = tmp_path / "authorized_keys"
    add_handler(engine, "kim", "admin")
    add_handler(engine, "sam", "handler")
    with pytest.raises(NotAllowed):
        users.add_key(engine, who("sam"), "sam", key(1), keys_file=keys_file, at=NOW)
    assert not keys_file.exists() and count(engine, HandlerKey) == 0
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the folder should be")
    with pytest.raises(DeskError, match="cannot (read|write) it"):
        users.add_key(engine, who("kim"), "sam", key(1), keys_file=blocked / "authorized_keys", at=NOW)
    assert count(engine, HandlerKey) == 0, "the file could not be written: the database is unchanged too"
    assert [a for _actor, _via, a, _detail in audit(engine)] == ["users.refused"]


def test_keys_need_a_file_the_service_account_owns(engine):
    from deskapp.store import settings

    add_handler(engine, "kim", "admin")
    with Session(engine) as session, session.begin():
        settings.put(session, settings.SERVICE_ACCOUNT, "deskapp-svc", NOW)
    assert users.keys_file_for(engine, None) is None
    with pytest.raises(DeskError, match=r"authorized_keys of the desk's service account \(deskapp-svc\): run this "
                                        r"as it \(sudo -u deskapp-svc deskapp \.\.\.\) or give --authorized-keys"):
        users.add(engine, who("kim"), "sam", key=key(1), at=NOW)
    assert get_handler(engine, "sam") is None
    with Session(engine) as session:
        assert session.execute(select(func.count()).select_from(Handler)).scalar_one() == 1
