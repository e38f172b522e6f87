"""Blosc compression that gives the same bytes on every call and every thread.

numcodecs' ``Blosc`` compresses with c-blosc's global thread pool when it is called from the
main thread and with the one-thread context API (``blosc_compress_ctx``) elsewhere.  With
zstd the pooled path varies from call to call for buffers over ~256 KiB (numcodecs 0.16:
27 distinct encodings of one 4 MiB buffer in 30 calls), so a write from the main thread
was not reproducible and differed from the same write on a worker.  Here every call goes
through ``blosc_compress_ctx`` with one internal thread, exactly the call numcodecs makes on
a worker thread, bound with ctypes from numcodecs' own extension module (the same c-blosc,
already loaded; ctypes releases the GIL around the call).  No global state is touched, so
concurrent callers cannot race.  Where the symbol is not exported (a build that hides it),
main-thread calls are handed to one worker thread, where numcodecs takes the context path.

Example:
    >>> import numpy as np
    >>> data = np.arange(1 << 20, dtype="f4")
    >>> a = compress(data, "zstd", 5, 1, 4, 0)
    >>> a == compress(data, "zstd", 5, 1, 4, 0)
    True
"""

from __future__ import annotations

import ctypes
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numcodecs import blosc as _nb
from numcodecs.compat import ensure_contiguous_ndarray

__all__ = ["compress"]

_MAX_OVERHEAD = 16  # BLOSC_MAX_OVERHEAD: the header a frame may add to incompressible data


def _bind():
    try:
        fn = ctypes.CDLL(_nb.__file__).blosc_compress_ctx
    except (OSError, AttributeError):  # pragma: no cover - depends on how numcodecs was built
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_size_t, ctypes.c_size_t, ctypes.c_void_p,
                   ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int]
    fn.restype = ctypes.c_int
    return fn


_compress_ctx = _bind()
_fallback: dict = {}
_fallback_lock = threading.Lock()


def compress(buf, cname: str, clevel: int, shuffle: int, typesize: int | None, blocksize: int) -> bytes:
    """Blosc-compress ``buf`` (any contiguous buffer) with one internal thread: the bytes of
    numcodecs' ``Blosc(cname, clevel, shuffle, blocksize, typesize).encode`` on a worker thread.

    Example:
        >>> len(compress(b"x" * 4096, "lz4", 5, 1, 1, 0)) < 100
        True
    """
    arr = ensure_contiguous_ndarray(buf, _nb.MAX_BUFFERSIZE)
    typesize = typesize or arr.itemsize  # numcodecs' default: the buffer's own item size
    src = arr.reshape(-1).view(np.uint8)
    if _compress_ctx is None:  # a numcodecs build that does not export the symbol
        return _compress_on_worker(src, cname, clevel, shuffle, typesize, blocksize)
    nbytes = src.nbytes
    dest = np.empty(nbytes + _MAX_OVERHEAD, np.uint8)
    cbytes = _compress_ctx(clevel, shuffle, typesize, nbytes, src.ctypes.data, dest.ctypes.data,
                           dest.nbytes, cname.encode("ascii"), blocksize, 1)
    if cbytes <= 0:
        raise RuntimeError(f"error during blosc compression: {cbytes}")
    return dest[:cbytes].tobytes()


def _compress_on_worker(src, cname, clevel, shuffle, typesize, blocksize):
    codec = _nb.Blosc(cname, clevel, shuffle, blocksize, typesize)
    if threading.current_thread() is not threading.main_thread():
        return codec.encode(src)
    with _fallback_lock:
        pool = _fallback.get("pool")
        if pool is None:
            pool = _fallback["pool"] = ThreadPoolExecutor(1, thread_name_prefix="zarrkit-blosc")
    return pool.submit(codec.encode, src).result()
