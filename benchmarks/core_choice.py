"""Which backend `auto` should use per operation; the code lives in zarrkit.bench.core_choice.

Ratios are zarrs time / python time (> 1: python is faster).

    python benchmarks/core_choice.py --size 4096 --reps 5 --rounds 3
"""

import sys

from zarrkit.bench.core_choice import main

if __name__ == "__main__":
    sys.exit(main())
