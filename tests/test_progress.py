"""Progress bars and readable output: a bar on a terminal, none when piped, none with
--no-progress, none in library use unless asked for; `zarrkit info` piped keeps whole
lines; `info --json` failures are JSON; `zarrkit bench` shows its options and leaves no
scratch data behind."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from rich.console import Console

from zarrkit import progress

BAR = "━"  # rich's bar character: present only when a bar was drawn


def terminal() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=True, width=100), out


def run_cli(*args, cwd=None, tty=False):
    env = dict(os.environ)
    env.pop("FORCE_COLOR", None)
    env["TTY_COMPATIBLE"] = "1" if tty else "0"  # rich: draw as on a terminal, or as when piped
    return subprocess.run([sys.executable, "-m", "zarrkit.cli.main", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=120)


@pytest.fixture
def small_fits(tmp_path):
    fits = pytest.importorskip("astropy.io.fits")
    path = tmp_path / "small.fits"
    fits.PrimaryHDU(np.arange(600 * 600, dtype="f4").reshape(600, 600)).writeto(path)
    return path


# ---------------------------------------------------------------------------- the helper
def test_a_terminal_shows_the_bar_with_its_description():
    console, out = terminal()
    with progress.enabled(), progress.task("Writing shards", total=4, console=console) as advance:
        for _ in range(4):
            advance()
    text = out.getvalue()
    assert "Writing shards" in text and BAR in text
    assert "eta" in text


def test_off_by_default_and_off_when_not_a_terminal():
    console, out = terminal()
    assert not progress.is_enabled()
    with progress.task("Writing shards", total=2, console=console) as advance:
        advance(2)
    assert out.getvalue() == ""  # library use: silent unless switched on
    piped = io.StringIO()
    with progress.enabled(), progress.task("Writing shards", total=2, console=Console(file=piped)) as advance:
        advance(2)
    assert piped.getvalue() == ""


def test_nested_steps_share_one_display_and_it_is_released():
    console, out = terminal()
    with progress.enabled():
        with progress.task("outer", total=2, console=console) as outer:
            for item in progress.track([1, 2, 3], "inner"):  # rich allows one live display: this must not raise
                assert item
            outer(2)
        assert progress._display["progress"] is None
        with progress.task("again", total=1, console=console) as advance:  # a new display starts cleanly
            advance()
    text = out.getvalue()
    assert "outer" in text and "inner" in text and "again" in text


def test_an_error_inside_a_step_releases_the_display():
    console, _ = terminal()
    with pytest.raises(RuntimeError), progress.enabled(), progress.task("failing", total=1, console=console):
        raise RuntimeError("boom")
    assert progress._display["progress"] is None and progress._display["depth"] == 0


def test_track_counts_an_executor_task_loop():
    from zarrkit.parallel import get_executor

    console, out = terminal()
    with progress.enabled(), get_executor("threads", workers=2) as ex:
        results = list(progress.track(ex.map(abs, [-1, -2, -3]), "Tasks", total=3, console=console))
    assert results == [1, 2, 3]
    assert "Tasks" in out.getvalue()


def test_image_write_draws_bars_only_when_asked(monkeypatch, capsys):
    from zarrkit import image

    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # the default console, on captured stdout, acts as a terminal
    arch = image.ImageArchive(np.ones((600, 600), "f4"))
    image.write(arch, "memory://progress-off")
    assert BAR not in capsys.readouterr().out
    image.write(arch, "memory://progress-on", progress=True)
    text = capsys.readouterr().out
    assert "Writing arrays" in text and "Building pyramid levels" in text and BAR in text
    assert not progress.is_enabled()  # progress=True lasts for the call only


# ---------------------------------------------------------------------------- the CLI
def test_cli_convert_draws_bars_on_a_terminal_only(tmp_path, small_fits):
    on_tty = run_cli("image", "convert", str(small_fits), str(tmp_path / "a.zarr"), tty=True)
    assert on_tty.returncode == 0, on_tty.stderr
    assert "Reading small.fits" in on_tty.stdout and "Writing arrays" in on_tty.stdout and BAR in on_tty.stdout
    assert "Building pyramid levels" in on_tty.stdout

    piped = run_cli("image", "convert", str(small_fits), str(tmp_path / "b.zarr"))
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout.strip() == f"wrote {tmp_path / 'b.zarr'} (image, 600x600)"

    quiet = run_cli("--no-progress", "image", "convert", str(small_fits), str(tmp_path / "c.zarr"), tty=True)
    assert quiet.returncode == 0, quiet.stderr
    assert BAR not in quiet.stdout and "Writing arrays" not in quiet.stdout
    assert "wrote" in quiet.stdout


def test_info_piped_keeps_each_node_on_one_line(tmp_path, small_fits):
    run_cli("image", "convert", str(small_fits), str(tmp_path / "a.zarr"))
    out = run_cli("info", str(tmp_path / "a.zarr"))
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    image_line = next(line for line in lines if "image array" in line)
    # the whole node on its line: name, shape, codecs, size and attributes (rich wraps at 80 otherwise)
    assert "(600, 600) float32" in image_line and "codecs [" in image_line and image_line.endswith("attrs: long_name")
    assert len(image_line) > 80
    assert "unit: none" in out.stdout
    assert "\x1b[" not in out.stdout


def test_info_json_failure_is_a_json_document(tmp_path):
    out = run_cli("info", str(tmp_path / "missing.zarr"), "--json")
    assert out.returncode == 1
    doc = json.loads(out.stdout)
    assert doc["error"]["type"] == "StoreNotFoundError"
    assert "missing.zarr" in doc["error"]["message"]
    text = run_cli("info", str(tmp_path / "missing.zarr"))
    assert text.returncode == 1 and text.stdout == "" and "StoreNotFoundError" in text.stderr


# ---------------------------------------------------------------------------- zarrkit bench
@pytest.mark.parametrize("command, options, hint", [
    ("core", ["--size", "--reps", "--workloads", "--libs", "--dir"], "pip install 'zarrkit[zarrs,bench]'"),
    ("image", ["--size", "--reps", "--dir"], "pip install 'zarrkit[image]'"),
    ("storage", ["--objects", "--size", "--runs"], "pip install 'zarrkit[remote,test]'"),
    ("geo", ["--region-side", "--rss-width", "--s3-side", "--quick", "--dir"], "pip install 'zarrkit[geo]'"),
])
def test_bench_help_lists_options_and_the_install_hint(command, options, hint):
    out = run_cli("bench", command, "--help")
    assert out.returncode == 0, out.stderr
    for option in options:
        assert option in out.stdout
    assert hint in out.stdout


def test_bench_core_refuses_a_size_it_cannot_cut():
    out = run_cli("bench", "core", "--size", "1000")
    assert out.returncode == 2
    assert "multiple of 512" in out.stderr


def test_bench_core_run_removes_its_scratch_data(tmp_path):
    pytest.importorskip("zarr")
    scratch = tmp_path / "scratch"
    out = run_cli("bench", "core", "--size", "512", "--reps", "1", "--workloads", "a-read,c-point",
                  "--libs", "zarrkit-python", "--dir", str(scratch))
    assert out.returncode == 0, out.stderr
    assert "c-point    zarrkit-python" in out.stdout
    assert list(scratch.iterdir()) == []


def test_bench_image_removes_its_scratch_data_when_it_fails(tmp_path, monkeypatch):
    pytest.importorskip("xarray")
    from zarrkit.bench import image as bench_image

    calls = []

    def failing_after_writes(fn, reps, **kwargs):
        fn()  # the store lands in the scratch folder first
        calls.append(fn)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return 1.0

    monkeypatch.setattr(bench_image, "median_seconds", failing_after_writes)
    with pytest.raises(KeyboardInterrupt):
        bench_image.run_image_benchmark(size=64, reps=1, workdir=str(tmp_path))
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------- icechunk's notice
def test_cli_quiets_icechunks_local_storage_warning_unless_icechunk_log_is_set(tmp_path):
    pytest.importorskip("icechunk")
    from zarrkit import image

    url = image.write(image.ImageArchive(np.ones((8, 8), "f4")), "icechunk+" + (tmp_path / "repo").as_uri())
    env = {k: v for k, v in os.environ.items() if k != "ICECHUNK_LOG"}
    cmd = [sys.executable, "-m", "zarrkit.cli.main", "info", url]
    quiet = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    assert quiet.returncode == 0, quiet.stderr
    # icechunk logs to stdout, where it would also break `info --json`
    assert "LocalFileSystem" not in quiet.stdout + quiet.stderr and "image array" in quiet.stdout
    chosen = subprocess.run(cmd, capture_output=True, text=True, env={**env, "ICECHUNK_LOG": "icechunk=warn"}, timeout=120)
    assert "LocalFileSystem" in chosen.stdout + chosen.stderr  # the user's own setting wins
