"""HCS plate benchmark; the code lives in zarrkit.bench.hcs so `zarrkit bench hcs` runs it too.

Ratios are anchor time / zarrkit time (> 1: zarrkit is faster).

    python benchmarks/hcs.py --wells 96 --reps 3
"""

import sys

from zarrkit.bench.hcs import main

if __name__ == "__main__":
    sys.exit(main())
