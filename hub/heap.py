"""The long-running commands' heap: start-up objects kept out of the garbage collector's full passes."""

from __future__ import annotations

import gc


def freeze_startup_objects() -> None:
    """Collect once, then move every object alive now (modules, the app, routes, settings) to the
    permanent generation. A full collection then walks only what was allocated since: in ``hub serve``
    they took 35–40 ms each, a stall every request in flight waited through (bench/RESULTS.md, inbox).
    Frozen objects are still freed by reference counting; only cycles among them stay.
    """
    gc.collect()
    gc.freeze()
