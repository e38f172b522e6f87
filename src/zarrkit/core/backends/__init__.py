"""Core backends: ``python`` (numpy + numcodecs, every case) and ``zarrs`` (zarrista, v3 on local files).

Each backend module offers the same functions (``read_chunk``, ``write_chunk``,
``read_plan``, ``write_plan``, ``read_points``, ``write_points``) over a
:class:`~zarrkit.core.backends.python.Node`; :func:`zarrkit.core.api.choose_backend` picks one
per call.
"""
