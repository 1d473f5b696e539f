"""``python -m index.bench``: `make bench`'s engine case, and the worker subprocess each variant runs in."""

import sys

from index.bench import main

sys.exit(main())
