"""scripts/build_places.py: TopoJSON arcs decoded, rings joined and projected as the map draws them."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "build_places.py"
spec = importlib.util.spec_from_file_location("build_places", SCRIPT)
build_places = importlib.util.module_from_spec(spec)
spec.loader.exec_module(build_places)


def test_arcs_are_delta_decoded_and_rings_join_reversed_arcs() -> None:
    """Two arcs of a square, the second used backwards, make one closed ring in degrees."""
    topology = {"transform": {"scale": [1.0, 1.0], "translate": [-10.0, -10.0]},
                "arcs": [[[0, 0], [20, 0], [0, 20]], [[0, 0], [0, 20], [20, 0]]]}
    arcs = build_places.decode_arcs(topology)
    assert arcs[0] == [(-10.0, -10.0), (10.0, -10.0), (10.0, 10.0)]
    ring = build_places.ring_points([0, ~1], arcs)
    assert ring == [(-10.0, -10.0), (10.0, -10.0), (10.0, 10.0), (-10.0, 10.0), (-10.0, -10.0)]


def test_projection_matches_the_maps_and_tiny_rings_are_dropped() -> None:
    """Longitude 0, latitude 0 is at the middle of the width; a ring of fewer than three points draws nothing."""
    x, y = build_places.project(0.0, 0.0)
    assert x == 500.0 and round(y, 1) == round(84 / 142 * build_places.HEIGHT, 1)
    assert build_places.ring_path([(0.0, 0.0), (0.0, 0.0)]) == ""
    assert build_places.ring_path([(0, 0), (10, 0), (10, 10)]).startswith("M500.0,")
