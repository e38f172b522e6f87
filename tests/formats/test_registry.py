"""The format registry: plug-ins found by name, loaded lazily, looped over by generic code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from zarrkit import core
from zarrkit.errors import UnknownFormatError
from zarrkit.formats import registry
from zarrkit.formats.plugin import DemoResult, Format
from zarrkit.storage import open_store


def test_generic_modules_load_no_domain_at_import():
    code = ("import sys, zarrkit.validate, zarrkit.formats, zarrkit.cli.info, zarrkit.cli.demo;"
            "from zarrkit.formats.registry import names as registry_names;"
            "print([m for m in sys.modules if m.split('.')[:2] in (['zarrkit', d] for d in registry_names())])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_names_do_not_import_and_get_does():
    code = ("import sys; from zarrkit.formats import registry; n = registry.names();"
            "a = 'zarrkit.image' in sys.modules; registry.get('image');"
            "print(n, a, 'zarrkit.image.format' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == f"{sorted(registry.BUILTIN)} False True"


def test_unknown_and_misregistered_formats_raise():
    with pytest.raises(UnknownFormatError, match="no format named 'nope'"):
        registry.get("nope")

    class Named(Format):
        name = "other"

    registry.register("wrong", Named)
    try:
        with pytest.raises(UnknownFormatError, match="not a Format named 'wrong'"):
            registry.get("wrong")
    finally:
        registry.unregister("wrong")


class Toy(Format):
    """A format written for this test: claims by marker, one check, a summary."""

    name = "toy"
    description = "toy format"

    def checks(self, context):
        from zarrkit.validate.report import Check

        n = sum(doc.get("node_type") == "array" for doc in context.documents.values())
        yield Check("toy nodes", "ok" if n == 1 else "fail", f"{n} arrays", node="")

    def summary(self, store, attributes):
        return {"nodes": len(attributes["zarrkit"])}


@pytest.fixture
def toy():
    registry.register("toy", Toy)
    yield registry.get("toy")
    registry.unregister("toy")


def _toy_store(marker):
    store = open_store("memory://", mode="w")
    core.create_group(store, "", attributes={"zarrkit": marker})
    meta = core.create_array(store, "a", core.array_metadata((2,), "uint8", (2,), dimension_names=["i"]))
    core.write_region(store, "a", ..., np.arange(2, dtype="u1"), metadata=meta)
    core.consolidate(store)
    return store


def test_claiming_uses_the_marker_and_validate_runs_the_claimed_checks(toy):
    assert registry.claiming({"zarrkit": {"format": "toy", "version": "1.0"}}) == [toy]
    assert registry.claiming({"zarrkit": {"format": "image", "version": "1.0"}}) == [registry.get("image")]
    assert registry.claiming({"title": "plain"}) == []
    from zarrkit.validate import validate

    report = validate(_toy_store({"format": "toy", "version": "1.0"}))
    (check,) = [c for c in report.checks if c.name == "toy nodes"]
    assert check.status == "ok" and check.detail == "1 arrays"


def test_a_format_can_replace_generic_checks_that_do_not_apply_to_its_stores(toy, monkeypatch):
    from zarrkit.validate import validate

    store = _toy_store({"format": "toy", "version": "1.0"})
    before = {c.name: c.status for c in validate(store).checks}
    assert before["dimension names"] == "ok" and before["xarray"] == "ok"
    monkeypatch.setattr(Toy, "replaces_checks", {"dimension names": "toy arrays name no dimensions"})
    after = validate(store).checks
    (dims,) = [c for c in after if c.name == "dimension names"]
    assert dims.status == "skip" and dims.detail == "toy arrays name no dimensions (the toy format's checks apply)"
    assert {c.name: c.status for c in after}["xarray"] == "ok"  # only what the format names


def test_info_shows_the_claiming_formats_summary(toy):
    from zarrkit.cli.info import format_summaries

    assert format_summaries(_toy_store({"format": "toy", "version": "1.0"})) == {"toy": {"nodes": 2}}
    assert format_summaries(_toy_store({"format": "unregistered", "version": "1.0"})) == {}


def test_a_format_in_another_package_plugs_in_through_its_entry_point(tmp_path):
    """Adding a format touches only its own package plus one registration line."""
    (tmp_path / "toyfmt.py").write_text(textwrap.dedent('''
        import os
        import typer
        from zarrkit.formats.plugin import DemoResult, Format

        app = typer.Typer(help="toy commands")

        @app.command()
        def hello():
            print("hello from toy")

        class ToyFormat(Format):
            name = "toy"
            description = "A toy format from another package."

            def checks(self, context):
                from zarrkit.validate.report import Check
                yield Check("toy marker", "ok", "seen", node="")

            def cli(self):
                return app

            def demo(self, directory, *, overwrite, console):
                os.makedirs(directory, exist_ok=True)
                open(os.path.join(directory, "toy.txt"), "w").write("toy")
                return DemoResult([directory], ok=True)
    '''))
    dist = tmp_path / "toyfmt-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: toyfmt\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text('[zarrkit.formats]\ntoy = toyfmt:ToyFormat\n')
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), *sys.path]))
    cli = [sys.executable, "-c", "from zarrkit.cli.main import run; run()"]

    def zk(*args):
        return subprocess.run([*cli, *args], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)

    assert "hello from toy" in zk("toy", "hello").stdout
    store = tmp_path / "t.zarr"
    store.mkdir()
    (store / "zarr.json").write_text(json.dumps({"zarr_format": 3, "node_type": "group", "attributes": {
        "zarrkit": {"format": "toy", "version": "1.0", "writer": "test"}}}))
    report = json.loads(zk("validate", str(store), "--json").stdout)
    assert {"name": "toy marker", "status": "ok", "detail": "seen", "node": ""} in report["checks"]
    demo = zk("demo", str(tmp_path / "demo"), "--format", "toy")
    assert (tmp_path / "demo" / "toy" / "toy.txt").read_text() == "toy", demo.stdout + demo.stderr
    assert not (tmp_path / "demo" / "image").exists()  # --format runs that format's demo only
    unknown = zk("demo", str(tmp_path / "other"), "--format", "nope")
    assert unknown.returncode == 1 and "UnknownFormatError" in unknown.stderr and "toy" in unknown.stderr
    assert not (tmp_path / "other").exists()


def test_demo_result_defaults():
    assert DemoResult() == DemoResult([], True, "")
