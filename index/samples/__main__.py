"""``python -m index.samples``: the same as ``dei samples``."""

import sys

from index.samples import main

sys.exit(main())
