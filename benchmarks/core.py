"""Core engine benchmark; the code lives in zarrkit.bench.core so `zarrkit bench core` runs it too.

Ratios are anchor time / zarrkit time (> 1: zarrkit is faster).

    python benchmarks/core.py --size 4096
"""

import sys

from zarrkit.bench.core import main

if __name__ == "__main__":
    sys.exit(main())
