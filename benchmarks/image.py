"""Image archive benchmark: zarrkit against astropy FITS and xarray.Dataset.to_zarr.

A 4096² float32 image + float32 variance + 20-plane uint32 mask, no pyramid, warm page
cache.  Every operation is timed over --reps runs; the table gives medians and the ratio
zarrkit time / other time (lower is better for zarrkit), as in the spec's table.

    python benchmarks/image.py --size 4096 --reps 5
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
import warnings

import numpy as np


def _time(fn, reps: int) -> float:
    fn()
    samples = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=4096)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()

    import xarray as xr
    import zarr
    from astropy.io import fits

    from zarrkit import image
    from zarrkit.image.read import StoredArchive

    n = args.size
    rng = np.random.default_rng(0)
    img = rng.normal(1000, 30, (n, n)).astype("f4")
    var = np.full((n, n), 900, "f4")
    mask = image.Mask.from_planes({f"P{i}": rng.random((n, n)) > 0.995 for i in range(20)})
    arch = image.ImageArchive(img, variance=var, mask=mask)
    root = tempfile.mkdtemp(prefix="zarrkit-image-bench-")
    zk = os.path.join(root, "zk.zarr")
    fz = os.path.join(root, "a.fits")
    xz = os.path.join(root, "xr.zarr")

    def write_zk():
        image.write(arch, zk, overwrite=True, pyramid=False)

    def write_fits():
        fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(img, name="IMAGE"), fits.ImageHDU(mask.array.astype("i4"), name="MASK"),
                      fits.ImageHDU(var, name="VARIANCE")]).writeto(fz, overwrite=True)

    # xarray with the same codecs, chunks and shards as the archive's image
    enc = {"compressors": [zarr.codecs.BloscCodec(cname="zstd", clevel=5, shuffle="shuffle")],
           "chunks": (256, 256), "shards": (2048, 2048)}
    ds = xr.Dataset({"image": (("y", "x"), img), "variance": (("y", "x"), var), "mask": (("y", "x"), mask.array)})

    def write_xr():
        shutil.rmtree(xz, ignore_errors=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds.to_zarr(xz, zarr_format=3, consolidated=True, encoding={k: dict(enc) for k in ds.data_vars})

    rows = []
    t_zk_w = _time(write_zk, args.reps)
    rows.append(("write, no pyramid", "astropy writeto", t_zk_w, _time(write_fits, args.reps)))
    rows.append(("write, no pyramid", "xarray to_zarr", t_zk_w, _time(write_xr, args.reps)))
    t_pyr = _time(lambda: image.write(arch, zk, overwrite=True), args.reps)
    rows.append(("write with pyramid", "zarrkit, no pyramid", t_pyr, t_zk_w))  # spec: <= 1.35
    write_zk()  # reads and stored bytes below compare like with like: no pyramid

    def read_zk():
        a = image.read(zk)
        a.image[...], a.variance[...], a.mask

    def read_fits():
        with fits.open(fz, memmap=False) as h:
            [np.array(x.data) for x in h[1:]]

    t_zk_r = _time(read_zk, args.reps)
    rows.append(("full read", "astropy memmap=False", t_zk_r, _time(read_fits, args.reps)))
    rows.append(("full read", "xr.open_zarr().load()", t_zk_r, _time(lambda: xr.open_zarr(xz).load(), args.reps)))

    warm = StoredArchive(image.read(zk).store)
    z = zarr.open_array(zk, path="image", mode="r")
    t_cut = _time(lambda: warm.image[100:104, 200:204], args.reps * 50)
    rows.append(("4x4 cutout, open archive", "zarr-python same store", t_cut, _time(lambda: z[100:104, 200:204], args.reps * 50)))
    t_cold = _time(lambda: image.read(zk).image[100:104, 200:204], args.reps * 20)
    t_zcold = _time(lambda: zarr.open_array(zk, path="image", mode="r")[100:104, 200:204], args.reps * 20)
    rows.append(("4x4 cutout, new open", "zarr-python open + read", t_cold, t_zcold))

    print(f"{n}x{n} float32 image + variance + 20-plane mask; medians of {args.reps} runs; ratio = zarrkit / other")
    print(f"{'operation':28} {'other':24} {'zarrkit':>10} {'other':>10} {'ratio':>7}")
    for op, other, a, b in rows:
        print(f"{op:28} {other:24} {a * 1e3:8.1f}ms {b * 1e3:8.1f}ms {a / b:7.2f}")
    sizes = {p: sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(p) for f in fs) for p in (zk, xz)}
    print(f"stored bytes: zarrkit {sizes[zk] / 2**20:.1f} MiB, FITS {os.path.getsize(fz) / 2**20:.1f} MiB, "
          f"xarray {sizes[xz] / 2**20:.1f} MiB")
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
