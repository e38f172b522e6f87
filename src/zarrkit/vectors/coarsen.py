"""The arithmetic of levels of detail (spec §3.4), pure numpy: seeded priorities, per-bin
selection of real points, Douglas–Peucker simplification, graph contraction and mesh
vertex clustering.  :mod:`zarrkit.vectors.pyramid` reads, calls these and writes.

Example:
    >>> xyz = np.array([[0.1, 0.1], [0.2, 0.3], [1.5, 0.5], [1.7, 0.2]])
    >>> keep = keep_per_bin(xyz, [1.0, 1.0], priorities(xyz, seed=0), keep=1)
    >>> int(keep.sum()), bool(keep[:2].sum() == 1)
    (2, True)
"""

from __future__ import annotations

import numpy as np

__all__ = ["bin_keys", "cluster_faces", "contract", "douglas_peucker", "keep_per_bin", "keep_random",
           "priorities", "splitmix64"]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def splitmix64(x) -> np.ndarray:
    """The splitmix64 finaliser on uint64 values (wrapping arithmetic).

    Example:
        >>> hex(int(splitmix64(np.uint64(0))))
        '0xe220a8397b1dcdaf'
    """
    with np.errstate(over="ignore"):
        z = np.asarray(x, np.uint64) + _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _MIX1
        z = (z ^ (z >> np.uint64(27))) * _MIX2
        return z ^ (z >> np.uint64(31))


def priorities(xyz: np.ndarray, *, seed: int) -> np.ndarray:
    """A uint64 priority per position, from the seed and the float64 bits of each coordinate.

    Depends only on where a point is, so appends and reruns give the same levels.

    Example:
        >>> p = priorities(np.array([[1.0, 2.0], [1.0, 2.0], [2.0, 1.0]]), seed=7)
        >>> bool(p[0] == p[1]), bool(p[0] == p[2])
        (True, False)
    """
    bits = np.ascontiguousarray(np.asarray(xyz, np.float64)).view(np.uint64).reshape(len(xyz), -1)
    h = np.full(len(xyz), splitmix64(np.uint64(seed % 2**64)), np.uint64)
    for d in range(bits.shape[1]):
        h = splitmix64(h ^ bits[:, d])
    return h


def bin_keys(xyz: np.ndarray, bin_shape, objects: np.ndarray | None = None) -> np.ndarray:
    """One int64 key per vertex naming its (object, bin) group; equal keys = same group.

    Example:
        >>> bin_keys(np.array([[0.5, 0.5], [0.7, 0.2], [1.2, 0.1]]), [1, 1]).tolist()
        [0, 0, 1]
    """
    b = np.floor(np.asarray(xyz, np.float64) / np.asarray(bin_shape, np.float64)).astype(np.int64)
    if len(b) == 0:
        return np.zeros(0, np.int64)
    b -= b.min(axis=0)
    extent = b.max(axis=0) + 1
    n_obj = 1
    if objects is not None:
        _, objects = np.unique(objects, return_inverse=True)
        n_obj = int(objects.max()) + 1
    if float(np.prod(extent.astype(np.float64))) * n_obj < 2.0**62:
        strides = np.array([int(np.prod(extent[i + 1:])) for i in range(len(extent))], np.int64)
        key = b @ strides
        return key + objects.reshape(-1) * int(np.prod(extent)) if objects is not None else key
    # huge sparse grids: name the groups by sorting the coordinate rows instead
    rows = b if objects is None else np.c_[objects, b]
    return np.unique(rows, axis=0, return_inverse=True)[1].reshape(-1).astype(np.int64)


def _first_per_group(keys: np.ndarray, *order_by: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows sorted by (key, *order_by) and each row's rank within its key group."""
    order = np.lexsort((*reversed(order_by), keys)) if order_by else np.argsort(keys, kind="stable")
    sk = keys[order]
    starts = np.flatnonzero(np.r_[True, sk[1:] != sk[:-1]]) if len(sk) else np.zeros(0, np.int64)
    group_start = np.repeat(starts, np.diff(np.r_[starts, len(sk)]))
    return order, np.arange(len(sk)) - group_start


def keep_per_bin(xyz: np.ndarray, bin_shape, prio: np.ndarray, *, keep: int = 1, objects=None) -> np.ndarray:
    """Mask of the ``keep`` lowest-priority points of every (object, bin); real points, input order.

    Bins of a coarser level are unions of finer ones, so selecting from the previous level
    gives the same points as selecting from level 0: levels nest.
    """
    keys = bin_keys(xyz, bin_shape, objects)
    order, rank = _first_per_group(keys, prio, np.arange(len(keys)))
    mask = np.zeros(len(keys), bool)
    mask[order[rank < keep]] = True
    return mask


def keep_random(prio: np.ndarray, fraction: float) -> np.ndarray:
    """Mask of the points whose priority, as a fraction of 2**64, is below ``fraction``.

    Example:
        >>> keep_random(np.array([0, 2**63, 2**64 - 1], np.uint64), 0.75).tolist()
        [True, True, False]
    """
    return (prio.astype(np.float64) / 2.0**64) < fraction


def douglas_peucker(line: np.ndarray, tolerance: float) -> np.ndarray:
    """Mask of the vertices Douglas–Peucker keeps at ``tolerance``; both ends always.

    Example:
        >>> douglas_peucker(np.array([[0, 0], [1, 0.01], [2, 0], [3, 5]], float), 0.1).tolist()
        [True, False, True, True]
    """
    x = np.asarray(line, np.float64)
    keep = np.zeros(len(x), bool)
    if len(x) == 0:
        return keep
    keep[[0, -1]] = True
    stack = [(0, len(x) - 1)]
    while stack:
        a, b = stack.pop()
        if b - a < 2:
            continue
        seg, pts = x[b] - x[a], x[a + 1:b] - x[a]
        length2 = float(seg @ seg)
        t = np.clip(pts @ seg / length2, 0.0, 1.0) if length2 > 0 else np.zeros(len(pts))
        dist = np.linalg.norm(pts - t[:, None] * seg, axis=1)
        i = int(np.argmax(dist))
        if dist[i] > tolerance:
            m = a + 1 + i
            keep[m] = True
            stack += [(a, m), (m, b)]
    return keep


def contract(xyz: np.ndarray, objects: np.ndarray, bin_shape) -> tuple[np.ndarray, np.ndarray]:
    """Vertex clustering: each (object, bin)'s vertices merge into the member nearest their centroid.

    Returns ``(kept, to)``: the mask of representatives (real vertices, input order) and,
    for every input vertex, the index of its representative among the kept ones.

    Example:
        >>> kept, to = contract(np.array([[0.1, 0.1], [0.5, 0.5], [0.9, 0.9], [3.0, 3.0]]), np.zeros(4, int), [1, 1])
        >>> kept.tolist(), to.tolist()
        ([False, True, False, True], [0, 0, 0, 1])
    """
    x = np.asarray(xyz, np.float64)
    keys = bin_keys(x, bin_shape, objects)
    uniq, group = np.unique(keys, return_inverse=True)
    group = group.reshape(-1)
    counts = np.bincount(group, minlength=len(uniq)).astype(np.float64)
    centroid = np.stack([np.bincount(group, x[:, d], len(uniq)) / counts for d in range(x.shape[1])], axis=1)
    dist2 = ((x - centroid[group]) ** 2).sum(axis=1)
    order, rank = _first_per_group(group, dist2, np.arange(len(group)))
    rep_of_group = np.empty(len(uniq), np.int64)
    rep_of_group[group[order[rank == 0]]] = order[rank == 0]
    kept = np.zeros(len(x), bool)
    kept[rep_of_group] = True
    new_index = np.cumsum(kept) - 1
    return kept, new_index[rep_of_group[group]]


def cluster_faces(faces: np.ndarray, to: np.ndarray, *, undirected: bool) -> tuple[np.ndarray, np.ndarray]:
    """Remap records (edges or faces) through ``to``; drop degenerate and duplicate ones.

    Edges (``undirected``) are duplicates in either direction; faces only under rotation, so
    winding is kept.  Returns the new records and the input index each came from (first kept).

    Example:
        >>> f, src = cluster_faces(np.array([[0, 1, 2], [1, 2, 0], [0, 0, 1]]), np.arange(3), undirected=False)
        >>> f.tolist(), src.tolist()
        ([[0, 1, 2]], [0])
    """
    mapped = np.asarray(to)[np.asarray(faces, np.int64)] if len(faces) else np.zeros((0, faces.shape[1]), np.int64)
    srt = np.sort(mapped, axis=1)
    ok = np.all(srt[:, 1:] != srt[:, :-1], axis=1)
    mapped, src = mapped[ok], np.flatnonzero(ok)
    if undirected:
        canon = np.sort(mapped, axis=1)
    else:
        shift = np.argmin(mapped, axis=1)
        cols = (shift[:, None] + np.arange(mapped.shape[1])) % mapped.shape[1]
        canon = np.take_along_axis(mapped, cols, axis=1)
    if len(canon) == 0:
        return mapped, src
    _, first = np.unique(canon, axis=0, return_index=True)
    first = np.sort(first)
    return mapped[first], src[first]
