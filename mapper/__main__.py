"""``python -m mapper``: the same as the ``mapper`` command."""

from __future__ import annotations

import sys

from mapper.cli import main

sys.exit(main())
