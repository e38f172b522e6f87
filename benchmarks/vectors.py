"""Vector benchmark; the code lives in zarrkit.bench.vectors so `zarrkit bench vectors` runs it too.

zarrkit.vectors against zarr_vectors 0.9.2 in one process (spec vectors.md §6).
Ratios are anchor time / zarrkit time (> 1: zarrkit is faster).

    python benchmarks/vectors.py --points 1000000 --reps 5
"""

import sys

from zarrkit.bench.vectors import main

if __name__ == "__main__":
    sys.exit(main())
