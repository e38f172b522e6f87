"""Running the ``zarrkit`` command in a subprocess with a chosen environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

AWS_CREDENTIAL_VARS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                       "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE")


def run_cli(*args: str, env: dict[str, str] | None = None, drop: tuple[str, ...] = (), cwd=None):
    """``python -m zarrkit.cli.main *args`` with os.environ, less ``drop``, plus ``env``."""
    full = {k: v for k, v in os.environ.items() if k not in drop}
    full.update(env or {})
    return subprocess.run([sys.executable, "-m", "zarrkit.cli.main", *args], capture_output=True, text=True,
                          env=full, cwd=cwd, timeout=120)


def no_credentials_env(empty_home: Path) -> dict:
    """Keyword arguments for run_cli: no AWS credentials anywhere, instance metadata disabled."""
    return {"drop": AWS_CREDENTIAL_VARS,
            "env": {"HOME": str(empty_home), "AWS_EC2_METADATA_DISABLED": "true"}}


def tree_snapshot(root: Path) -> dict[str, bytes | None]:
    """Every path under ``root`` with its bytes (``None`` for folders): equal snapshots, nothing changed."""
    return {str(p.relative_to(root)): (None if p.is_dir() else p.read_bytes()) for p in sorted(root.rglob("*"))}


def sample_fits() -> str:
    from astropy.utils.data import get_pkg_data_filename

    return get_pkg_data_filename("data/test0.fits", package="astropy.io.fits.tests")
