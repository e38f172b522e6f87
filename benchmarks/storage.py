"""Storage throughput benchmark; the code lives in zarrkit.bench.storage.

Ratios are anchor time / zarrkit time (> 1: zarrkit is faster); the anchor is zarr-python's store.

    python benchmarks/storage.py [--objects 256] [--size 65536] [--runs 5]
"""

import sys

from zarrkit.bench.storage import main

if __name__ == "__main__":
    sys.exit(main())
