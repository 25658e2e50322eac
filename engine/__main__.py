"""`python -m engine` is the `commitments` command."""

from __future__ import annotations

from engine.cli import main

raise SystemExit(main())
