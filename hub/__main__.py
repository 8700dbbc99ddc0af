"""``python -m hub``: runs the installed ``hub`` console script (the application's command line, causeway.cli).

The domain package does not import the layers above it: it asks the installed package metadata for
the ``hub`` script and runs it.
"""

import sys
from importlib.metadata import entry_points

scripts = entry_points(group="console_scripts", name="hub")
if not scripts:
    print("hub: the causeway package is not installed (pip install -e .)", file=sys.stderr)
    raise SystemExit(2)
raise SystemExit(next(iter(scripts)).load()())
