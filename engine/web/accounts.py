"""Who may sign in to a `commitments serve` that other machines can reach: names and argon2 hashes of their
passwords, in one JSON file readable by its owner only. No password is ever stored or logged as typed."""

from __future__ import annotations

import json
import os
import re
import secrets
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from engine.errors import InputError, Location, shown

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
MIN_PASSWORD = 8
_HASHER = PasswordHasher()
# checked against when the name is unknown, so a wrong name takes as long as a wrong password
_DUMMY = _HASHER.hash(secrets.token_urlsafe(16))


def read_users(path: Path) -> dict[str, str]:
    """name → argon2 hash; none when the file does not exist yet."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise InputError.one("users-file", f"cannot read the accounts file: {error.strerror}",
                             Location(str(path))) from None
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise InputError.one("users-file", "expected a JSON object of user name → password hash (as `commitments "
                             "serve --add-user NAME` writes it); found something else", Location(str(path))) from None
    return data


def add_user(path: Path, name: str, password: str) -> bool:
    """Store `name` with the hash of `password` (replacing its old one); True when the name is new."""
    if not NAME.fullmatch(name):
        raise InputError.one("bad-user", f"a user name is letters, digits and . _ @ - (at most 64); found "
                             f"{shown(name)}", Location("--add-user"))
    if len(password) < MIN_PASSWORD:
        raise InputError.one("weak-password", f"a password has at least {MIN_PASSWORD} characters; nothing written",
                             Location("--add-user"))
    users = read_users(path)
    new = name not in users
    users[name] = _HASHER.hash(password)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        json.dump(users, out, indent=2, sort_keys=True)
        out.write("\n")
    os.replace(temporary, path)
    return new


def check_password(users: dict[str, str], name: str, password: str) -> bool:
    """Whether `password` is `name`'s. An unknown name costs one hash check too."""
    stored = users.get(name)
    try:
        return _HASHER.verify(stored or _DUMMY, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
