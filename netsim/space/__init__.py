"""Stage 2, space: where things are. Walker shells and TLE satellites propagated as
arrays (orbits, walker, tle), ground sites on the rotating Earth (sites), line of sight
and elevation (geometry), satellite body frames (attitude), neighbour search
(neighbours)."""
