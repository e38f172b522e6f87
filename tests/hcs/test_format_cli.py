"""The hcs plug-in on the formats platform: registry, claims, info summary, CLI sub-app, demo."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from typer.testing import CliRunner

from zarrkit.formats import registry


def test_registered_and_claims():
    fmt = registry.get("hcs")
    assert fmt.name == "hcs" and fmt.extra == "hcs"
    assert fmt.claims({"zarrkit": {"format": "hcs", "version": "1.0"}})
    assert fmt.claims({"plate": {"rows": []}})  # a 0.4 / anchor plate
    assert not fmt.claims({"ome": {"version": "0.5", "multiscales": []}})
    assert [f.name for f in registry.claiming({"zarrkit": {"format": "hcs", "version": "1.0"}})] == ["hcs"]


def test_importing_the_plugin_is_cheap():
    code = ("import sys; import zarrkit.formats.plugin; before = set(sys.modules); import zarrkit.hcs.format; "
            "print(sorted(m for m in set(sys.modules) - before if m != 'zarrkit.hcs' and m != 'zarrkit.hcs.format'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_info_summary(small_plate):
    url, _ = small_plate
    from zarrkit.storage import open_store

    fmt = registry.get("hcs")
    with open_store(url) as store:
        summary = fmt.summary(store, {})
    assert summary["name"] == "screen-01" and summary["wells"] == 3 and summary["geometry"] == "8x12"
    assert summary["image"] == {"axes": "czyx", "shape": [2, 3, 32, 32], "dtype": "uint16",
                                "channels": ["DAPI", "GFP"], "scale": [1.0, 2.0, 0.65, 0.65]}
    json.dumps(summary)
    assert fmt.summary_lines(summary)[0] == "plate screen-01: 8x12, 3 wells listed"


def cli(*args):
    from zarrkit.cli.main import app

    return CliRunner().invoke(app, list(args))


def test_cli_info_check_finalize_repair(small_plate):
    url, _ = small_plate
    out = cli("hcs", "info", url)
    assert out.exit_code == 0 and "3 wells listed" in out.output
    out = cli("info", url)
    assert out.exit_code == 0 and "plate screen-01" in out.output
    os.makedirs(url + ".staging/A-2-crashed")
    out = cli("hcs", "check", url)
    assert out.exit_code == 1 and "staging-leftover" in out.output
    out = cli("hcs", "repair", url)
    assert out.exit_code == 0 and "removed 1 leftovers" in out.output
    assert not os.path.exists(url + ".staging")
    out = cli("hcs", "finalize", url)
    assert out.exit_code == 0 and "listed 3 wells" in out.output


def test_cli_demo(tmp_path):
    out = cli("hcs", "demo", str(tmp_path))
    assert out.exit_code == 0, out.output
    assert "6 wells listed" in out.output and "valid" in out.output
    from tests.hcs import readers

    url = str(tmp_path / "plate.ome.zarr")
    from zarrkit.hcs import PlateReader

    r = PlateReader(url)
    wells = {w.path: {f: r.image(w, f).numpy() for f in r.fields(w)} for w in r.wells()}
    readers.ome_zarr_models_accepts(url, wells)
    assert r.image("A/1").shape == (2, 3, 256, 256)
    assert cli("hcs", "demo", str(tmp_path)).exit_code != 0  # exists: refuses without --overwrite
    assert cli("hcs", "demo", str(tmp_path), "--overwrite").exit_code == 0


def test_demo_is_deterministic(tmp_path):
    from zarrkit.hcs.demo import demo_plate

    a, b = demo_plate(str(tmp_path / "a")), demo_plate(str(tmp_path / "b"))
    for root, _dirs, files in os.walk(a):
        for name in files:
            rel = os.path.relpath(os.path.join(root, name), a)
            assert open(os.path.join(a, rel), "rb").read() == open(os.path.join(b, rel), "rb").read(), rel


def test_platform_demo_hook(tmp_path):
    from rich.console import Console

    result = registry.get("hcs").demo(str(tmp_path / "hcs"), overwrite=False, console=Console(quiet=True))
    assert result.ok and result.written == [str(tmp_path / "hcs" / "plate.ome.zarr")]
