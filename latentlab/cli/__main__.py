"""``python -m latentlab.cli``: the ``latentlab`` command."""

import sys

from latentlab.cli import main

sys.exit(main())
