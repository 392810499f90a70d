"""What each frame choice changes, in metres (docs/orbits.md, "Frames"):

    .venv/bin/python scripts/frame_choices.py
"""

import datetime as dt
import math
from types import SimpleNamespace

import numpy as np

from netsim.space.sites import EARTH_ROTATION_RAD_S, WGS84_A_M, earth_rotation_angle, ground_sites
from netsim.space.tle import gmst82_rad, julian_date

epoch = dt.datetime(2026, 1, 1)
jd, fr = julian_date(epoch)
diff = (gmst82_rad(jd + fr) - earth_rotation_angle(epoch) + math.pi) % (2 * math.pi) - math.pi
print(f"gmst82-minus-era: {math.degrees(diff):.3f} deg on {epoch:%Y-%m-%d} = {diff * WGS84_A_M / 1e3:.1f} km on the "
      f"ground, {diff * (WGS84_A_M + 550e3) / 1e3:.1f} km at 550 km")
for lat in (0, 30, 45, 51.5, 60, 90):
    station = SimpleNamespace(name="x", lat_deg=lat, lon_deg=0.0, alt_km=0.0)
    ecef = ground_sites([station], epoch).ecef_m[0]
    sphere = 6_371_008.8 * np.array([math.cos(math.radians(lat)), 0.0, math.sin(math.radians(lat))])
    print(f"wgs84-vs-sphere-at-{lat}-deg: {np.linalg.norm(ecef - sphere) / 1e3:.1f} km")
print(f"ut1-utc-0.9s-at-equator: {0.9 * EARTH_ROTATION_RAD_S * WGS84_A_M:.0f} m")
print(f"polar-motion-0.5arcsec: {0.5 / 206265 * WGS84_A_M:.0f} m")
print(f"equation-of-equinoxes-1.2arcsec-at-550km: {1.2 / 206265 * (WGS84_A_M + 550e3):.0f} m")
