"""``python -m hub``: the same command line as the ``hub`` console script."""

from hub.cli import main

raise SystemExit(main())
