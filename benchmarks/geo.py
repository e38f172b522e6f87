"""Geo benchmark; the code lives in zarrkit.bench.geo so `zarrkit bench geo` runs it too.

Ratios are anchor time / zarrkit time (> 1: zarrkit is faster).

    python benchmarks/geo.py --tiles 8 --tile 256 --bands 64 --reps 3
"""

import sys

from zarrkit.bench.geo import main

if __name__ == "__main__":
    sys.exit(main())
