"""The workloads of :mod:`zarrkit.bench.core`: the source data, and one library running one
workload in its own process (the child side).  The runner, its options and the report live in
:mod:`zarrkit.bench.core` and :mod:`zarrkit.bench.core_report`.

Example:
    >>> geo_side(4096)
    512
"""

from __future__ import annotations

import os
import time

import numpy as np

__all__ = ["ZSTD3", "check_size", "child", "geo_side", "microscopy", "prepare"]

ZSTD3 = [{"name": "zstd", "configuration": {"level": 3, "checksum": False}}]


def geo_side(n: int) -> int:
    """Side of workload c's (side, side, 128) int8 array: N / 8, so it holds as many bytes
    as the N x N uint16 image (the spec's 2048 at N = 16384), and never more than 2048.

    Example:
        >>> geo_side(16384), geo_side(4096), geo_side(512)
        (2048, 512, 64)
    """
    return max(4, min(2048, n // 8))


def check_size(n: int) -> None:
    """Refuse a ``--size`` the workloads cannot use: the image is cut into 512² chunks.

    Example:
        >>> check_size(1000)
        Traceback (most recent call last):
        ...
        ValueError: --size must be a positive multiple of 512, got 1000
    """
    if n < 512 or n % 512:
        raise ValueError(f"--size must be a positive multiple of 512, got {n}")


# ---------------------------------------------------------------------------- data
def microscopy(n: int, seed: int = 0) -> np.ndarray:
    """Dark background, ~20% bright blobs, a gradient and shot noise, as uint16."""
    rng = np.random.default_rng(seed)
    coarse = rng.random((n // 64 + 1, n // 64 + 1))
    blobs = np.kron(coarse > 0.8, np.ones((64, 64)))[:n, :n]
    ramp = np.linspace(0, 200, n)[None, :]
    mean = 100 + ramp + blobs * 2000
    out = np.empty((n, n), dtype=np.uint16)
    step = 1024
    for i in range(0, n, step):  # Poisson per band keeps memory bounded
        out[i : i + step] = rng.poisson(mean[i : i + step]).clip(0, 65535)
    return out


def prepare(root: str, n: int, workloads: list[str] | None = None) -> dict:
    """Write the source arrays once with zarrkit; read workloads all use these bytes.

    Workload c's array (512 MiB at the spec's size) is written only when c-point runs.
    """
    from zarrkit import core
    from zarrkit.storage import open_store

    store = open_store(os.path.join(root, "data.zarr"), mode="w")
    core.create_group(store, "")
    if workloads is not None and all(w.startswith("c-point") for w in workloads):
        _prepare_geo(store, root, n)  # point workloads only: the two images are not needed
        return {}
    src = microscopy(n)
    np.save(os.path.join(root, "a.npy"), src)
    m_a = core.create_array(store, "a", core.array_metadata((n, n), "uint16", (512, 512), compressors=ZSTD3))
    core.write_region(store, "a", ..., src, metadata=m_a, backend="python")
    shard = min(4096, n)
    m_b = core.create_array(store, "b", core.array_metadata((n, n), "uint16", (256, 256), shards=(shard, shard),
                                                            compressors=ZSTD3))
    core.write_region(store, "b", ..., src, metadata=m_b, backend="python")
    if workloads is not None and not any(w.startswith("c-point") for w in workloads):
        return {"a": m_a.to_dict(), "b": m_b.to_dict()}
    _prepare_geo(store, root, n)
    return {"a": m_a.to_dict(), "b": m_b.to_dict()}


def _prepare_geo(store, root: str, n: int) -> None:
    from zarrkit import core

    side = geo_side(n)
    geo = np.random.default_rng(1).integers(-40, 40, (side, side, 128), dtype=np.int8)
    shard = min(256, side)
    m_c = core.create_array(store, "c", core.array_metadata(geo.shape, "int8", (4, 4, 128), shards=(shard, shard, 128),
                                                            compressors=ZSTD3))
    core.write_region(store, "c", ..., geo, metadata=m_c, backend="python")
    np.save(os.path.join(root, "c.npy"), geo)


# ---------------------------------------------------------------------------- child side
def _open(lib: str, path: str, *, point_cache: bool = False):
    if lib.startswith("zarr-python"):
        import zarr

        if lib == "zarr-python+zarrs":
            import zarrs  # noqa: F401 - registers the pipeline

            zarr.config.set({"codec_pipeline.path": "zarrs.ZarrsCodecPipeline", "codec_pipeline.strict": True})
        return zarr.open_array(path, mode="r+")
    if lib == "tensorstore":
        import tensorstore as ts

        spec = {"driver": "zarr3", "kvstore": {"driver": "file", "path": path, "file_io_sync": False}}
        if point_cache:
            spec["context"] = {"cache_pool": {"total_bytes_limit": 64 * 2**20}}
        return ts.open(spec, open=True).result()
    from zarrkit import core

    return core.open_array(path, mode="r+", backend=lib.split("-")[1])


def _run_once(lib: str, workload: str, root: str, handle, src, state) -> float:
    t0 = time.perf_counter()
    if workload in ("a-read", "b-read"):
        if lib == "tensorstore":
            state["out"] = handle.read().result()
        else:
            state["out"] = handle[...]
    elif workload in ("a-write", "b-write"):
        if lib == "tensorstore":
            handle.write(src).result()
        else:
            handle[...] = src
    elif workload == "c-point":
        for i, j in state["int_points"]:
            if lib == "tensorstore":
                handle[i, j, :].read().result()
            else:
                handle[i, j, :]
    elif workload == "c-point-np":
        for i, j in state["points"]:  # numpy int64 scalars
            if lib == "tensorstore":
                handle[i, j, :].read().result()
            else:
                handle[i, j, :]
    else:
        chunk = 512 if workload == "d-chunks" else 256
        inner = workload == "d-inner"
        for i, j in state["blocks"]:
            if lib.startswith("zarr-python") and not inner:
                handle.blocks[int(i), int(j)]
            elif lib.startswith("zarr-python"):  # blocks[] walks shards; an inner chunk is a region read
                handle[i * chunk : (i + 1) * chunk, j * chunk : (j + 1) * chunk]
            elif lib == "tensorstore":
                handle[i * chunk : (i + 1) * chunk, j * chunk : (j + 1) * chunk].read().result()
            else:
                handle.read_chunk((int(i), int(j)), inner=inner)
    return time.perf_counter() - t0


def _busy_cpu() -> float:
    with open("/proc/stat") as f:
        fields = [float(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields) - idle) / os.sysconf("SC_CLK_TCK")


def child(lib: str, workload: str, root: str, reps: int, n: int) -> dict:
    from zarrkit import core
    from zarrkit.storage import open_store

    letter = workload[0] if workload[0] in "abc" else ("a" if workload == "d-chunks" else "b")
    path = os.path.join(root, "data.zarr", letter)
    src = None
    state: dict = {}
    if workload.endswith("write"):
        src = np.load(os.path.join(root, "a.npy"))
        path = os.path.join(root, f"out-{lib}-{workload}.zarr")
        meta = core.read_metadata(open_store(os.path.join(root, "data.zarr"), mode="r"), letter)
        core.create_array(open_store(path, mode="w", overwrite=True), "", meta.with_attributes({}), overwrite=True)
    rng = np.random.default_rng(7)
    state["points"] = rng.integers(0, geo_side(n), (2000, 2))
    state["int_points"] = state["points"].tolist()
    grid = n // (512 if workload == "d-chunks" else 256)
    state["blocks"] = rng.integers(0, grid, (min(1024, grid * grid), 2))
    handle = _open(lib, path, point_cache=workload.startswith("c-point"))
    _run_once(lib, workload, root, handle, src, state)  # warm-up
    out = []
    for _ in range(reps):
        c0, b0 = time.process_time(), _busy_cpu()
        wall = _run_once(lib, workload, root, handle, src, state)
        own, busy = time.process_time() - c0, _busy_cpu() - b0
        out.append({"wall": wall, "own_cpu": own, "other": max(0.0, busy - own) / (os.cpu_count() * wall)})
    check = None
    if workload.endswith("read"):
        check = bool(np.array_equal(np.asarray(state["out"]), np.load(os.path.join(root, "a.npy"), mmap_mode="r")))
    elif workload.startswith("c-point"):
        geo = np.load(os.path.join(root, "c.npy"), mmap_mode="r")
        got = [handle[i, j, :].read().result() if lib == "tensorstore" else handle[i, j, :] for i, j in state["points"][:50]]
        check = all(np.array_equal(np.asarray(g), geo[i, j]) for g, (i, j) in zip(got, state["points"][:50]))
    return {"reps": out, "verified": check, "path": path}
