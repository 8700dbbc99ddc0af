"""``python -m causeway``: the ``hub`` command line."""

from causeway.cli import main

raise SystemExit(main())
