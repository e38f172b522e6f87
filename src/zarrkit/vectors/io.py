"""Files in and out (spec §3.5): CSV and Parquet point tables through pyarrow, PLY meshes and
point clouds through plyfile.  Both come with ``pip install 'zarrkit[vectors]'`` and are
imported only when one of these functions runs.

Tables stream: record batches collect in an append buffer (``buffer_bytes``, 1 GiB by
default) and each full buffer is one ``write_points`` call, so a table larger than memory
imports in bounded space.  The format comes from the suffix (``.csv``, ``.csv.gz``,
``.parquet``, ``.pq``).

Example:
    >>> import os, tempfile, numpy as np, zarrkit.vectors as vx
    >>> d = tempfile.mkdtemp()
    >>> with open(os.path.join(d, "p.csv"), "w") as f:
    ...     _ = f.write("x,y,z,kind\\n1,2,3,a\\n7,8,9,b\\n")
    >>> s = vx.create(os.path.join(d, "p.zv"), "points", bounds=([0] * 3, [10] * 3), chunk_shape=(5, 5, 5))
    >>> points_from_table(s, os.path.join(d, "p.csv")).vertices
    2
    >>> points_to_table(s, os.path.join(d, "out.parquet"), box=((0, 0, 0), (5, 5, 5)))
    1
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from zarrkit.errors import VectorInputError, ZarrkitWarning

__all__ = ["ImportReport", "mesh_from_ply", "mesh_to_ply", "points_from_ply", "points_from_table",
           "points_to_table"]

GIB = 1 << 30


@dataclass
class ImportReport:
    """What an import stored: vertices, objects (faces for meshes) and the number of write calls."""

    vertices: int
    records: int
    writes: int


def _need(module: str):
    try:
        return __import__(module, fromlist=["_"])
    except ImportError:
        raise VectorInputError(f"{module.split('.')[0]} is needed here: pip install 'zarrkit[vectors]'") from None


def _table_kind(path: str) -> str:
    low = str(path).lower()
    if low.endswith((".parquet", ".pq")):
        return "parquet"
    if low.endswith((".csv", ".csv.gz", ".tsv")):
        return "csv"
    raise VectorInputError(f"{path}: unknown table format (use .csv, .csv.gz or .parquet)")


def _batches(path: str, buffer_bytes: int):
    """``(record batches, number of batches or None)`` of a table file, streamed; a malformed
    file raises :class:`VectorInputError` naming it."""
    pa = _need("pyarrow")
    if _table_kind(path) == "parquet":
        pq = _need("pyarrow.parquet")
        f = pq.ParquetFile(path)
        rows = int(min(65_536, max(1024, buffer_bytes // 64)))  # a few batches per buffer
        return _guarded(lambda: f.iter_batches(batch_size=rows), path, pa), -(-f.metadata.num_rows // rows)
    csv = _need("pyarrow.csv")
    block = int(min(16 << 20, max(1 << 16, buffer_bytes // 2)))  # a few batches per buffer
    opts = csv.ParseOptions(delimiter="\t") if str(path).lower().endswith(".tsv") else csv.ParseOptions()
    return _guarded(lambda: csv.open_csv(path, parse_options=opts, read_options=csv.ReadOptions(block_size=block)),
                    path, pa), None


def _guarded(open_batches, path: str, pa):
    rows = 0
    try:
        for batch in open_batches():
            yield batch
            rows += batch.num_rows
    except (pa.ArrowInvalid, pa.ArrowTypeError) as err:  # a malformed row: say where, in one line
        raise VectorInputError(f"{path}: {str(err).splitlines()[0]} (after {rows} good rows)") from None


def _column(batch, name: str, path: str) -> np.ndarray:
    if name not in batch.schema.names:
        raise VectorInputError(f"{path}: no column {name!r} (columns: {', '.join(batch.schema.names)})")
    col = batch.column(name)
    if col.null_count:
        raise VectorInputError(f"{path}: column {name!r} has {col.null_count} empty values")
    return col.to_numpy(zero_copy_only=False)


def points_from_table(vs, path: str, *, x: str = "x", y: str = "y", z: str | None = "z", id: str | None = None,
                      attributes=None, buffer_bytes: int = GIB, on_out_of_bounds: str = "raise",
                      on_pyramid: str = "raise") -> ImportReport:
    """Append the rows of a CSV or Parquet table as points.

    ``x, y, z`` name the coordinate columns (``z=None`` in 2-D); ``id`` an object-id column;
    ``attributes`` the columns to keep (``None``: every other column).  Example in the
    module doc.
    """
    from zarrkit.progress import track

    axes = [c for c in (x, y, z) if c is not None][:vs.ndim]
    batches, total = _batches(path, buffer_bytes)
    buffer: list = []
    size = vertices = writes = 0
    names = None

    def flush():
        nonlocal vertices, writes, buffer, size
        if not buffer:
            return
        pa = _need("pyarrow")
        table = pa.Table.from_batches(buffer).combine_chunks()
        batch = table.to_batches()[0] if table.num_rows else None
        buffer, size = [], 0
        if batch is None:
            return
        xyz = np.stack([_column(batch, a, path).astype(np.float64) for a in axes], axis=1)
        ids = _column(batch, id, path).astype(np.int64) if id else None
        attrs = {n: _column(batch, n, path) for n in names}
        vs.write_points(xyz, ids=ids, attributes=attrs or None, on_out_of_bounds=on_out_of_bounds,
                        on_pyramid=on_pyramid)
        vertices += len(xyz)
        writes += 1

    for batch in track(batches, f"Importing {path}", total=total):
        if names is None:
            taken = set(axes) | ({id} if id else set())
            names = [n for n in batch.schema.names if n not in taken] if attributes is None else list(attributes)
        buffer.append(batch)
        size += batch.nbytes
        if size >= buffer_bytes:
            flush()
    flush()
    return ImportReport(vertices, 0, writes)


def points_to_table(vs, path: str, *, box=None, ids=None, level: int = 0) -> int:
    """Write points (by box and/or ids) to a CSV or Parquet table; returns the row count.

    Columns: the axis names, ``id`` when the store has object ids, then each attribute
    (a multi-channel one as ``<name>_<channel>``).
    """
    pa = _need("pyarrow")
    got = vs.read_points(box=box, ids=ids, level=level)
    cols = {a["name"]: got.xyz[:, i] for i, a in enumerate(vs.root.axes)}
    if got.ids is not None:
        cols["id"] = got.ids
    for name, values in got.attributes.items():
        values = np.asarray(values)
        if values.ndim == 1:
            cols[name] = values.astype(str) if values.dtype == object else values
        else:
            for c in range(values.shape[1]):
                cols[f"{name}_{c}"] = values[:, c]
    table = pa.table(cols)
    if _table_kind(path) == "parquet":
        _need("pyarrow.parquet").write_table(table, path)
    else:
        _need("pyarrow.csv").write_csv(table, path)
    return table.num_rows


# ---------------------------------------------------------------------------- PLY
_XYZ = ("x", "y", "z")


def _ply_vertices(ply, vs, path):
    if "vertex" not in ply:
        raise VectorInputError(f"{path}: no 'vertex' element")
    v = ply["vertex"].data
    axes = _XYZ[:vs.ndim]
    missing = [a for a in axes if a not in v.dtype.names]
    if missing:
        raise VectorInputError(f"{path}: vertex properties {missing} are missing")
    xyz = np.stack([np.asarray(v[a], np.float64) for a in axes], axis=1)
    extra = {n: np.asarray(v[n]) for n in v.dtype.names if n not in axes and v.dtype[n].kind in "biuf"}
    return xyz, extra


def points_from_ply(vs, path: str, *, on_out_of_bounds: str = "raise") -> ImportReport:
    """Append a PLY file's vertices as points; extra vertex properties become attributes.

    Example:
        >>> import os, tempfile, numpy as np, zarrkit.vectors as vx
        >>> d = tempfile.mkdtemp(); p = os.path.join(d, "m.zv")
        >>> m = vx.create(p, "mesh", bounds=([0] * 3, [1] * 3), chunk_shape=(1, 1, 1))
        >>> _ = m.write_mesh(np.eye(3), [[0, 1, 2]])
        >>> mesh_to_ply(m, os.path.join(d, "t.ply"))
        1
        >>> s = vx.create(os.path.join(d, "p.zv"), "points", bounds=([0] * 3, [1] * 3), chunk_shape=(1, 1, 1))
        >>> points_from_ply(s, os.path.join(d, "t.ply")).vertices
        3
    """
    ply = _need("plyfile").PlyData.read(path)
    xyz, extra = _ply_vertices(ply, vs, path)
    vs.write_points(xyz, attributes=extra or None, on_out_of_bounds=on_out_of_bounds)
    return ImportReport(len(xyz), 0, 1)


def _faces(ply, path) -> np.ndarray:
    if "face" not in ply:
        raise VectorInputError(f"{path}: no 'face' element")
    data = ply["face"].data
    name = "vertex_indices" if "vertex_indices" in data.dtype.names else "vertex_index"
    lists = data[name]
    widths = np.fromiter((len(f) for f in lists), np.int64, len(lists))
    if len(lists) == 0:
        return np.zeros((0, 3), np.int64)
    if np.all(widths == widths[0]) and widths[0] in (3, 4):
        return np.stack(lists).astype(np.int64)
    if widths.min() < 3:
        raise VectorInputError(f"{path}: a face has fewer than 3 vertices")
    warnings.warn(f"{path}: faces of {sorted(set(widths.tolist()))} vertices fan-triangulated", ZarrkitWarning,
                  stacklevel=3)
    return np.concatenate([np.asarray(f, np.int64)[np.c_[np.zeros(len(f) - 2, int), np.arange(1, len(f) - 1),
                                                        np.arange(2, len(f))]] for f in lists])


def mesh_from_ply(vs, path: str, *, ids=None, on_out_of_bounds: str = "raise",
                  on_pyramid: str = "raise") -> ImportReport:
    """Append a PLY mesh as one mesh object (extra vertex properties become attributes).

    Faces of mixed width are fan-triangulated with a warning.  Example: :func:`mesh_to_ply`.
    """
    ply = _need("plyfile").PlyData.read(path)
    xyz, extra = _ply_vertices(ply, vs, path)
    faces = _faces(ply, path)
    vs.write_mesh(xyz, faces, attributes=extra or None, ids=ids, on_out_of_bounds=on_out_of_bounds,
                  on_pyramid=on_pyramid)
    return ImportReport(len(xyz), len(faces), 1)


def mesh_to_ply(vs, path: str, *, ids=None, box=None, clip: str = "inside", level: int = 0) -> int:
    """Write a mesh (by ids and/or box) as binary little-endian PLY; returns the face count.

    Example:
        >>> import os, tempfile, numpy as np, zarrkit.vectors as vx
        >>> d = tempfile.mkdtemp()
        >>> m = vx.create(os.path.join(d, "m.zv"), "mesh", bounds=([0] * 3, [1] * 3), chunk_shape=(1, 1, 1))
        >>> _ = m.write_mesh(np.eye(3), [[0, 1, 2]], attributes={"q": np.array([1.0, 2.0, 3.0], "f4")})
        >>> mesh_to_ply(m, os.path.join(d, "t.ply"))
        1
        >>> back = vx.create(os.path.join(d, "b.zv"), "mesh", bounds=([0] * 3, [1] * 3), chunk_shape=(1, 1, 1))
        >>> r = mesh_from_ply(back, os.path.join(d, "t.ply")); (r.vertices, r.records)
        (3, 1)
    """
    plyfile = _need("plyfile")
    mesh = vs.read_mesh(ids=ids, box=box, clip=clip, level=level)
    axes = _XYZ[:vs.ndim]
    fields = [(a, "<f4" if mesh.vertices.dtype == np.float32 else "<f8") for a in axes]
    numeric = {n: np.asarray(v) for n, v in mesh.attributes.items()
               if np.asarray(v).dtype.kind in "biuf" and np.asarray(v).ndim == 1}
    fields += [(n, np.asarray(v).dtype.newbyteorder("<").str) for n, v in numeric.items()]
    vert = np.empty(len(mesh.vertices), dtype=fields)
    for i, a in enumerate(axes):
        vert[a] = mesh.vertices[:, i]
    for n, v in numeric.items():
        vert[n] = v
    width = mesh.faces.shape[1] if mesh.faces.ndim == 2 else 3
    face = np.empty(len(mesh.faces), dtype=[("vertex_indices", "<i4", (width,))])
    face["vertex_indices"] = mesh.faces
    elements = [plyfile.PlyElement.describe(vert, "vertex"),
                plyfile.PlyElement.describe(face, "face", len_types={"vertex_indices": "u1"},
                                            val_types={"vertex_indices": "i4"})]
    plyfile.PlyData(elements, text=False, byte_order="<").write(path)
    return len(mesh.faces)
