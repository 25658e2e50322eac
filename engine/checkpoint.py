"""Signed checkpoints of the audit trail: the store's head — how many records, the last one's hash — signed
with an Ed25519 key kept outside the store, and the proof that a store still extends a checkpoint.

The hash chain shows a record edited in place, but whoever can write the file can also delete the last
records and rewind the head, delete everything, or re-seal the whole chain after an edit: the chain is
intact again. A checkpoint kept elsewhere (a memo footer, an email) pins the head as it was: a store that
still extends it has record #count with the checkpoint's hash, and a forger cannot sign a new checkpoint
without the key.

Takes a private key file and the store's `Verification`; gives a `Checkpoint` (plain JSON, signed over its
canonical body) and a `CheckpointCheck`. Nothing here touches SQLite: the store says what hash record #n has.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import Field, ValidationError

from engine.errors import InputError, Location
from engine.loader import read_text
from engine.model import Frozen
from engine.record import GENESIS, Verification, canonical

MAX_BYTES = 64_000  # a checkpoint or a key is a few hundred bytes


class Checkpoint(Frozen):
    """A store's head as it was when signed, who signed it, and with which key."""

    format: Literal["commitments-audit-checkpoint/1"] = "commitments-audit-checkpoint/1"
    records: int = Field(ge=0)
    head: str = Field(pattern=r"^[0-9a-f]{64}$")
    # One printable line each: these are shown to whoever verifies, from a file anyone could have written.
    signed_at: str = Field(pattern=r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$")
    signer: str = Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f-\x9f]+$")
    public_key: str = Field(max_length=100)
    signature: str = Field(default="", max_length=200)

    def body(self) -> bytes:
        """What is signed: every field but the signature, as canonical JSON."""
        return canonical(self.model_dump(mode="json", exclude={"signature"})).encode("utf-8")


class CheckpointCheck(Frozen):
    """Whether a store still extends a checkpoint, and if not, why; `trusted`: checked against a key you gave."""

    checkpoint: Checkpoint
    ok: bool
    trusted: bool
    problem: str = ""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def public_text(key: Ed25519PublicKey) -> str:
    return _b64(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


def keygen(path: Path) -> str:
    """Write a new private key to `path` (readable by its owner only; never overwritten); gives its public key."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    write_new(path, pem, "key", "a key is made once (keep the one you have, or choose another path)", mode=0o600)
    return public_text(key.public_key())


def write_new(path: Path, data: bytes, what: str, why: str, mode: int = 0o666) -> None:
    """A new file, never over an old one: a key is made once, and an old checkpoint is evidence."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        raise InputError.one(f"{what}-exists", f"a file is already here; {why}", Location(str(path))) from None
    except OSError as error:
        raise InputError.one(f"{what}-unwritable", error.strerror or str(error), Location(str(path))) from None
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)


def load_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(read_text(path, MAX_BYTES).encode("utf-8"), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        key = None
    if not isinstance(key, Ed25519PrivateKey):
        raise InputError.one("bad-key", "not an unencrypted Ed25519 private key (make one with `commitments "
                             "audit keygen --out KEY`)", Location(str(path)))
    return key


def sign(key: Ed25519PrivateKey, head: Verification, signer: str, now: dt.datetime | None = None) -> Checkpoint:
    """A checkpoint of a verified store's head."""
    when = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).isoformat(timespec="seconds")
    try:
        unsigned = Checkpoint(records=head.records, head=head.head, signed_at=when, signer=signer,
                              public_key=public_text(key.public_key()))
    except ValidationError:
        raise InputError.one("bad-signer", "a signer is one line of at most 200 printable characters; found "
                             f"{signer[:40]!r}", Location("--signer")) from None
    return unsigned.model_copy(update={"signature": _b64(key.sign(unsigned.body()))})


def render(checkpoint: Checkpoint) -> str:
    return json.dumps(checkpoint.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"


def read(path: Path) -> Checkpoint:
    """A checkpoint file; what is not one is bad input, located."""
    text = read_text(path, MAX_BYTES)
    try:
        return Checkpoint.model_validate(json.loads(text))
    except json.JSONDecodeError as error:
        raise InputError.one("bad-checkpoint", f"not JSON: {error.msg}",
                             Location(str(path), error.lineno, error.colno)) from None
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the document"
        raise InputError.one("bad-checkpoint", f"not a checkpoint: {where}: {first['msg']}",
                             Location(str(path))) from None


def trusted_key(given: str) -> str:
    """The public key you trust, given as printed by `keygen` or as a file holding it."""
    text = given.strip()
    if Path(text).is_file():
        text = read_text(Path(text), MAX_BYTES).strip()
    if _public_key(text) is None:
        raise InputError.one("bad-public-key", "expected an Ed25519 public key as `commitments audit keygen` "
                             "prints it (44 characters of base64), or a file holding one", Location("--public-key"))
    return text


def _public_key(text: str) -> Ed25519PublicKey | None:
    try:
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))
    except (ValueError, binascii.Error):
        return None


def _genuine(checkpoint: Checkpoint) -> bool:
    """Whether the signature is the checkpoint's own key's, over its content as it is now."""
    key = _public_key(checkpoint.public_key)
    try:
        signature = base64.b64decode(checkpoint.signature, validate=True)
        if key is not None:
            key.verify(signature, checkpoint.body())
            return True
    except (InvalidSignature, ValueError, binascii.Error):
        pass
    return False


def check(checkpoint: Checkpoint, store: Verification, hash_at: Callable[[int], str | None],
          trusted: str | None = None) -> CheckpointCheck:
    """Whether the checkpoint is genuine and the store (its chain verified) still extends it."""
    problem = _problem(checkpoint, store, hash_at, trusted)
    return CheckpointCheck(checkpoint=checkpoint, ok=not problem, trusted=trusted is not None, problem=problem)


def _problem(checkpoint: Checkpoint, store: Verification, hash_at: Callable[[int], str | None],
             trusted: str | None) -> str:
    if trusted is not None and trusted != checkpoint.public_key:
        return f"it was signed with the key {checkpoint.public_key}, not with the key you trust"
    if not _genuine(checkpoint):
        return "its signature does not match its content (the checkpoint was edited, or signed with another key)"
    if not store.ok:
        return "the store's chain is broken (above), so it cannot be shown to extend the checkpoint"
    if store.records < checkpoint.records:
        return (f"the store holds {store.records} records, the checkpoint {checkpoint.records}: records were deleted "
                "at the end, or the store was replaced")
    sealed = hash_at(checkpoint.records) if checkpoint.records else GENESIS
    if sealed != checkpoint.head:
        return (f"record #{checkpoint.records}'s hash is not the checkpoint's head: the chain was re-sealed or "
                "replaced since")
    return ""
