"""Entry point for `make bench`."""

import asyncio

from bench.core_rates import main

if __name__ == "__main__":
    asyncio.run(main())
