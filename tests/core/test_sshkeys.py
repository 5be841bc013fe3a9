"""SSH public keys: what ssh-keygen makes is read and fingerprinted as it says; anything else is one line."""

from __future__ import annotations

import base64
import shutil
import subprocess

import pytest
from hypothesis import given, settings, strategies as st

from deskapp.core.sshkeys import KeyFileError, fingerprint, load_public_key, parse_public_key

KEYGEN = shutil.which("ssh-keygen")
needs_keygen = pytest.mark.skipif(KEYGEN is None, reason="ssh-keygen (OpenSSH) is not installed")


def _keygen(folder, kind: str, *bits: str):
    path = folder / f"id_{kind}{''.join(bits)}"
    subprocess.run([KEYGEN, "-q", "-t", kind, *(("-b", bits[0]) if bits else ()), "-N", "", "-C", "sam@laptop",
                    "-f", str(path)], check=True, capture_output=True)
    return path


@needs_keygen
@pytest.mark.parametrize("kind, bits", [("ed25519", ()), ("ecdsa", ("256",)), ("ecdsa", ("384",)),
                                        ("ecdsa", ("521",)), ("rsa", ("2048",))])
def test_keys_ssh_keygen_makes_are_read_and_fingerprinted_as_it_does(tmp_path, kind, bits):
    private = _keygen(tmp_path, kind, *bits)
    key = load_public_key(f"{private}.pub")
    said = subprocess.run([KEYGEN, "-l", "-E", "sha256", "-f", f"{private}.pub"], check=True, capture_output=True,
                          text=True).stdout.split()
    assert key.fingerprint == said[1] and key.fingerprint.startswith("SHA256:")
    assert key.comment == "sam@laptop"
    assert key.key_type == (f"ecdsa-sha2-nistp{bits[0]}" if kind == "ecdsa" else f"ssh-{kind}")


@needs_keygen
def test_a_private_key_is_refused_naming_its_line(tmp_path):
    private = _keygen(tmp_path, "ed25519")
    with pytest.raises(KeyFileError, match=rf"^{private}:1: this is a private key: give the public one"):
        load_public_key(private)


def _blob(*fields: bytes) -> str:
    return base64.b64encode(b"".join(len(f).to_bytes(4, "big") + f for f in fields)).decode()


ED = _blob(b"ssh-ed25519", bytes(range(32)))
P256 = _blob(b"ecdsa-sha2-nistp256", b"nistp256", b"\x04" + bytes(64))
SMALL_RSA = _blob(b"ssh-rsa", bytes([1, 0, 1]), bytes([0]) + bytes([0xff]) * 64)  # a 512-bit modulus
SK_ED = _blob(b"sk-ssh-ed25519@openssh.com", bytes(32), b"ssh:")


def test_well_formed_blobs_of_each_kind():
    assert parse_public_key(f"ssh-ed25519 {ED}\n").comment is None
    assert parse_public_key(f"# my laptop\n\necdsa-sha2-nistp256 {P256} a  b\n").comment == "a b"
    assert parse_public_key(f"sk-ssh-ed25519@openssh.com {SK_ED} yubikey").key_type == "sk-ssh-ed25519@openssh.com"
    assert fingerprint(ED) == "SHA256:" + base64.b64encode(
        __import__("hashlib").sha256(base64.b64decode(ED)).digest()).decode().rstrip("=")


@pytest.mark.parametrize("text, line, needle", [
    ("", 1, "no SSH public key"),
    ("\n\n# only a comment\n", 1, "no SSH public key"),
    (f"ssh-ed25519 {ED} one\nssh-ed25519 {ED} two\n", 2, "a second key"),
    (f'restrict,command="sh" ssh-ed25519 {ED}', 1, "not an SSH public key type"),
    (f"ssh-dss {ED}", 1, "not an SSH public key type"),
    ("ssh-ed25519", 1, "no key data"),
    ("ssh-ed25519 not*base64", 1, "not base64"),
    ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA", 1, "not base64"),
    (f"ssh-rsa {ED}", 1, "the data inside says 'ssh-ed25519'"),
    (f"ssh-ed25519 {_blob(b'ssh-ed25519', bytes(31))}", 1, "32 bytes"),
    (f"ssh-ed25519 {_blob(b'ssh-ed25519', bytes(32), b'x')}", 1, "extra bytes"),
    (f"ecdsa-sha2-nistp384 {_blob(b'ecdsa-sha2-nistp384', b'nistp256', bytes(97))}", 1, "curve is not nistp384"),
    ("ssh-rsa " + SMALL_RSA, 1, "at least 1024 bits"),
    (f"\n\nssh-ed25519 {ED[:-8]}", 3, "ends early"),
    ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n", 1, "private key"),
])
def test_not_one_public_key_is_one_line_naming_file_and_line(text, line, needle):
    with pytest.raises(KeyFileError) as caught:
        parse_public_key(text, "sam.pub")
    message = str(caught.value)
    assert message.startswith(f"sam.pub:{line}: ") and "\n" not in message
    assert needle in message, message


def test_files_that_are_not_text_or_not_files(tmp_path):
    binary = tmp_path / "photo.pub"
    binary.write_bytes(b"ssh-ed25519 AAAA\n\xff\xd8\xff")
    with pytest.raises(KeyFileError, match=rf"^{binary}:2: not an SSH public key \(bytes"):
        load_public_key(binary)
    with pytest.raises(KeyFileError, match="is a folder"):
        load_public_key(tmp_path)
    with pytest.raises(KeyFileError, match="cannot read it"):
        load_public_key(tmp_path / "missing.pub")
    huge = tmp_path / "huge.pub"
    huge.write_bytes(b"#" * 20000)
    with pytest.raises(KeyFileError, match=r":1: larger than"):
        load_public_key(huge)


@settings(max_examples=400, deadline=None)
@given(st.one_of(
    st.text(max_size=300),
    st.builds(lambda kind, data, rest: f"{kind} {data}{rest}",
              st.sampled_from(["ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "sk-ssh-ed25519@openssh.com"]),
              st.binary(max_size=120).map(lambda b: base64.b64encode(b).decode()),
              st.text(max_size=20)),
    st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
))
def test_garbage_is_refused_in_one_line_never_a_crash(text):
    try:
        key = parse_public_key(text, "k.pub")
    except KeyFileError as exc:
        message = str(exc)
        assert message.startswith("k.pub:") and "\n" not in message
        return
    # Whatever passes is a key whose blob names its own type, fingerprinted without error.
    blob = base64.b64decode(key.key_data)
    assert blob[4:4 + int.from_bytes(blob[:4], "big")] == key.key_type.encode()
    assert key.fingerprint.startswith("SHA256:")


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=32, max_size=32), st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126),
                                                     max_size=30))
def test_any_ed25519_key_round_trips(raw, comment):
    data = _blob(b"ssh-ed25519", raw)
    key = parse_public_key(f"ssh-ed25519 {data} {comment}".rstrip())
    assert key.key_data == data and (key.comment or "") == comment
