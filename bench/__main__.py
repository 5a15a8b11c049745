"""Entry point for `make bench`: `python -m bench [--quick]`."""

import sys

from bench.runner import main

if __name__ == "__main__":
    sys.exit(main())
