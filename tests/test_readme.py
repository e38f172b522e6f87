"""Every ```python block of README.md runs as written.

Each block runs as its own script (``python block.py``), in README order, in one shared
folder that starts with the sample data the README names: ``exposure.fits``, an
IMAGE/MASK/VARIANCE exposure with a SAT mask plane.  Later blocks use what earlier ones
wrote (``data/run1.zarr``), as a reader following the README would; when the suite runs on
several workers, a worker first replays the earlier blocks it has not run itself.  A block preceded by
``<!-- readme-test: s3 -->`` gets the loopback S3 server: its endpoint replaces the
README's ``http://127.0.0.1:9000``, and the bucket it names exists.  No other marker is
recognised, so no block can opt out.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
README_ENDPOINT = "http://127.0.0.1:9000"
BLOCK = re.compile(r"(?:<!-- readme-test: (?P<marker>[a-z0-9-]+) -->\n)?```python\n(?P<code>.*?)```", re.S)


@dataclass(frozen=True)
class Block:
    number: int
    heading: str
    marker: str | None
    code: str


def readme_blocks() -> list[Block]:
    """The README's Python blocks with the heading above each and its test marker."""
    text = README.read_text()
    blocks = []
    for number, match in enumerate(BLOCK.finditer(text), start=1):
        headings = re.findall(r"^#+ (.+)$", text[: match.start()], flags=re.M)
        blocks.append(Block(number, headings[-1] if headings else "", match["marker"], match["code"]))
    return blocks


BLOCKS = readme_blocks()


def test_the_readme_has_python_blocks_and_only_known_markers():
    assert len(BLOCKS) >= 8
    assert {b.marker for b in BLOCKS} <= {None, "s3"}
    for block in BLOCKS:
        if block.marker == "s3":
            assert README_ENDPOINT in block.code  # else the substitution below would change nothing


def write_exposure(path: Path) -> None:
    """A 640² IMAGE/MASK/VARIANCE exposure with WCS, BUNIT and named mask planes
    (640 → 320 → 160: two pyramid levels)."""
    fits = pytest.importorskip("astropy.io.fits")
    rng = np.random.default_rng(3)
    side = 640
    image = rng.normal(1000, 30, (side, side)).astype("f4")
    mask = np.zeros((side, side), "i4")
    mask[100:120, 200:260] |= 1 << 1  # SAT
    mask[::50, :] |= 1 << 0  # BAD rows
    wcs = {"CTYPE1": "RA---TAN", "CTYPE2": "DEC--TAN", "CRPIX1": 320.0, "CRPIX2": 320.0,
           "CRVAL1": 150.1, "CRVAL2": 2.2, "CDELT1": -5.5e-5, "CDELT2": 5.5e-5, "CUNIT1": "deg", "CUNIT2": "deg"}
    image_hdu = fits.ImageHDU(image, name="IMAGE")
    image_hdu.header.update(wcs)
    image_hdu.header["BUNIT"] = "adu"
    mask_hdu = fits.ImageHDU(mask, name="MASK")
    mask_hdu.header["MP_BAD"] = (0, "bad column or row")
    mask_hdu.header["MP_SAT"] = (1, "saturated")
    var_hdu = fits.ImageHDU(np.full((side, side), 900, "f4"), name="VARIANCE")
    fits.HDUList([fits.PrimaryHDU(), image_hdu, mask_hdu, var_hdu]).writeto(path)


@pytest.fixture(scope="module")
def readme_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("readme")
    write_exposure(folder / "exposure.fits")
    return folder, set()


def run_block(block: Block, folder: Path, request) -> subprocess.CompletedProcess:
    """Run one block as a script in ``folder`` (the s3 marker points it at the loopback server)."""
    code = block.code
    if block.marker == "s3":
        from tests.conftest import s3_client

        endpoint = request.getfixturevalue("s3_endpoint")
        code = code.replace(README_ENDPOINT, endpoint)
        for bucket in sorted(set(re.findall(r"s3://([a-z0-9.-]+)/", code))):
            s3_client(endpoint).create_bucket(Bucket=bucket)
    script = folder / f"readme_block_{block.number}.py"
    script.write_text(code)
    return subprocess.run([sys.executable, script.name], cwd=folder, capture_output=True, text=True,
                          timeout=300, env=dict(os.environ))


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: f"{b.number}-{re.sub(r'[^a-z0-9]+', '-', b.heading.lower())}")
def test_readme_block_runs(block: Block, readme_dir, request):
    folder, ran = readme_dir
    # Under pytest-xdist the blocks are spread over workers, each with its own folder: replay
    # the earlier blocks this worker has not run, so every block sees what a reader would have.
    for earlier in BLOCKS[: block.number - 1]:
        if earlier.number not in ran:
            before = run_block(earlier, folder, request)
            assert before.returncode == 0, f"README block {earlier.number} ({earlier.heading}), run before " \
                                           f"block {block.number}, failed:\n{before.stderr[-3000:]}"
            ran.add(earlier.number)
    done = run_block(block, folder, request)
    ran.add(block.number)
    assert done.returncode == 0, \
        f"README block {block.number} ({block.heading}) failed:\n{block.code}\n{done.stderr[-3000:]}"
