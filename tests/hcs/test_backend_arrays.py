"""Array conversion (CuPy, torch, JAX, DLPack) and plane reads that touch one inner chunk."""

from __future__ import annotations

import subprocess
import sys
import types

import numpy as np
import pytest

from tests.hcs.conftest import field_data
from zarrkit.hcs.convert import to_numpy


def fake(module: str, name: str, **methods):
    """An object whose type lives in ``module`` (so dispatch picks that adapter)."""
    cls = type(name, (), methods)
    cls.__module__ = module
    return cls()


def test_cupy_torch_jax_adapters(monkeypatch):
    ref = np.arange(6, dtype="float32").reshape(2, 3)
    assert to_numpy(fake("cupy._core.core", "ndarray", get=lambda self: ref)) is ref

    calls = []

    class Tensor:
        dtype = "torch.float32"

        def detach(self):
            calls.append("detach")
            return self

        def cpu(self):
            calls.append("cpu")
            return self

        def numpy(self):
            assert calls == ["detach", "cpu"], "numpy() on a grad tensor must come after detach()"
            return ref

    Tensor.__module__ = "torch"
    np.testing.assert_array_equal(to_numpy(Tensor()), ref)
    bf16 = fake("torch", "Tensor", dtype="torch.bfloat16")
    with pytest.raises(TypeError, match="bfloat16"):
        to_numpy(bf16)

    jax = types.ModuleType("jax")
    jax.device_get = lambda x: ref + 1
    monkeypatch.setitem(sys.modules, "jax", jax)
    np.testing.assert_array_equal(to_numpy(fake("jaxlib.xla_extension", "ArrayImpl")), ref + 1)


def test_dlpack_then_array_then_typeerror():
    ref = np.arange(4, dtype="uint16")

    class DL:
        def __dlpack__(self, **kw):
            return ref.__dlpack__(**kw)

        def __dlpack_device__(self):
            return ref.__dlpack_device__()

    np.testing.assert_array_equal(to_numpy(DL()), ref)
    np.testing.assert_array_equal(to_numpy(fake("mylib", "Arr", __array__=lambda self, *a, **k: ref)), ref)
    for bad in (object(), np.array(["a", "b"]), np.array([object()]), np.float32(3)):
        with pytest.raises(TypeError):
            to_numpy(bad)


def test_real_torch_with_grad():
    torch = pytest.importorskip("torch")
    t = torch.ones((2, 2), requires_grad=True)
    np.testing.assert_array_equal(to_numpy(t * 2), np.full((2, 2), 2.0, "float32"))


def test_numpy_input_imports_no_framework(tmp_path):
    code = ("import sys, numpy as np; from zarrkit.hcs.backend import FileBackend; "
            f"fb = FileBackend(); fb.save(np.ones((4, 4), 'uint8'), {str(tmp_path / 's.zarr' / 'a.tif')!r}); "
            "fb.load(%r); print(sorted(m for m in ('cupy', 'torch', 'jax', 'jaxlib') if m in sys.modules))"
            % str(tmp_path / "s.zarr" / "a.tif"))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_load_batch_reads_one_inner_chunk(where, monkeypatch):
    """On every store kind, one plane of a 30-plane shard costs one inner chunk plus the index."""
    from zarrkit.hcs import ImageSpec, PlateSpec, PlateWriter
    from zarrkit.hcs.backend import FileBackend, FileConfig
    from zarrkit.storage.base import ByteStore, ReadOnlyView

    root = where.path("p.ome.zarr")
    w = PlateWriter.create(root, PlateSpec.preset(6), ImageSpec("czyx", channels=["a", "b", "c"]),
                           compression="none", storage_options=where.options)
    data = field_data(1, (3, 10, 64, 64))  # 30 planes of 8 KiB in one shard
    files = {f"A01_s1_w{c + 1}_z{z + 1:02d}.tif": ("0", None, c, z) for c in range(3) for z in range(10)}
    w.write_well("A1", {"0": data}, files=files)
    w.finalize()
    shard = dict(where.snapshot())
    shard = next(size for key, size in shard.items() if key.endswith("A/1/0/0/c/0/0/0/0"))
    reads: list[tuple[str, int]] = []
    real = {name: getattr(ByteStore, name) for name in ("get", "get_range", "get_many")}

    def counting(name):
        def method(self, *args, **kwargs):
            out = real[name](self, *args, **kwargs)
            if not isinstance(self, ReadOnlyView):  # a view forwards to its store, which counts
                keys, values = (args[0], out) if name == "get_many" else ([args[0]], [out])
                reads.extend((k, len(v or b"")) for k, v in zip(keys, values))
            return out
        return method

    for name in real:
        monkeypatch.setattr(ByteStore, name, counting(name))
    [plane] = FileBackend(FileConfig(storage_options=where.options)).load_batch([f"{root}/A01_s1_w2_z05.tif"])
    np.testing.assert_array_equal(plane, data[1, 4])
    chunk_bytes = sum(n for k, n in reads if "/c/" in k)
    assert 0 < chunk_bytes <= 64 * 64 * 2 + 30 * 16 + 4, (chunk_bytes, shard)  # one plane plus the shard index
    assert shard > 20 * chunk_bytes
