"""Bulk read benchmark (a-read, b-read) next to the machine's floors; the code lives in
zarrkit.bench.core_read.

Ratios are peer time / zarrkit time (> 1: zarrkit is faster).

    python benchmarks/core_read.py --size 4096 --reps 7 --rounds 3
"""

import sys

from zarrkit.bench.core_read import main

if __name__ == "__main__":
    sys.exit(main())
