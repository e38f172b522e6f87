"""Core backends: ``python`` (numpy, numcodecs and ``zstandard``, every case) and ``zarrs`` (zarrista, v3 on local files).

Each backend is a module satisfying :class:`~zarrkit.core.backends.base.Backend`: a
``name``, declared :class:`~zarrkit.core.backends.base.Capabilities`, ``store_refusal`` and
the chunk functions (``read_chunk``, ``write_chunk``, ``read_plan``, ``write_plan``,
``read_points``, ``write_points``) over a :class:`~zarrkit.core.backends.base.Node`;
:func:`zarrkit.core.backends.choice.choose_backend` picks one per call from the capabilities.
"""
