"""What one `commitments serve` needs to know: the pack, the facts folder, the audit store, and who may use it.

Built once by the command (or a test) and handed to `create_app`; the app reads no environment of its own.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

USERS_FILE = "users.json"


def default_users_file() -> Path:
    """Accounts live per user, as the audit store does, not per folder: $XDG_CONFIG_HOME (else ~/.config),
    then commitments/users.json."""
    base = os.environ.get("XDG_CONFIG_HOME", "").strip()
    return (Path(base) if base else Path.home() / ".config") / "commitments" / USERS_FILE


def is_loopback(host: str) -> bool:
    """Whether `host` is reachable from this machine only (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class WebSettings:
    """`login_required` is set whenever the page is reachable from other machines: then every page asks who
    you are, and the audit trail records that name rather than the server's operating-system user."""

    rules: Path
    facts: Path
    audit_db: Path | str | None = None  # a SQLite file, or a team store's postgresql:// URL
    record: bool = True
    login_required: bool = False
    users: Path = field(default_factory=default_users_file)
    # the key that signs session cookies: new at every start, so a restart signs everybody out
    secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    # a cookie sent over plain HTTP on loopback; behind TLS a deployment would set this
    https_only: bool = False
    # the names a request may address the server by: on loopback only loopback's, so that a web site whose
    # name is made to resolve to 127.0.0.1 (DNS rebinding) is not served as if it were this page
    allowed_hosts: tuple[str, ...] = ("127.0.0.1", "localhost", "::1")
