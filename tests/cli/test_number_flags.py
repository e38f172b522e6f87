"""Comma-separated number flags of every format's commands: a bad one is one line naming the flag."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("args, flag", [
    (["geo", "read", "ROOT", "--time", "2024", "--bbox", "3.0,south,3.1,0.1", "--out", "r.npy"], "--bbox"),
    (["geo", "preview", "ROOT", "--bands", "0,one,2"], "--bands"),
    (["vectors", "query", "s.zv", "--lo", "0,0", "--hi", "9,x"], "--hi"),
])
def test_a_malformed_number_list_is_one_line_naming_the_flag(tmp_path, args, flag):
    out = subprocess.run([sys.executable, "-m", "zarrkit.cli.main", *args], capture_output=True, text=True,
                         cwd=tmp_path, timeout=120)
    lines = out.stderr.strip().splitlines()
    assert out.returncode != 0 and len(lines) == 1, out.stderr
    assert "InvalidOptionError" in lines[0] and flag in lines[0] and "separated by commas" in lines[0]
    assert list(tmp_path.iterdir()) == []  # nothing created
