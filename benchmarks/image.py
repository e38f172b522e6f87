"""Image archive benchmark; the code lives in zarrkit.bench.image so `zarrkit bench image` runs it too.

Ratios are anchor time / zarrkit time (> 1: zarrkit is faster).

    python benchmarks/image.py --size 4096 --reps 5
"""

import sys

from zarrkit.bench.image import main

if __name__ == "__main__":
    sys.exit(main())
