"""The satellites of a scenario by name, in node order: per tier its Walker shells
(SHELL-PLANE-INDEX) then its TLE sets (SET-CATALOG). Walker names are answered from the
shell sizes, so a million-satellite fabric is checked without listing it."""

from __future__ import annotations

from netsim.scenario.model import Scenario, is_walker_satellite_name


class SatelliteNames:
    """tle_names: the names of each TLE set's satellites (read by netsim.scenario.load)."""

    def __init__(self, scenario: Scenario, tle_names: dict[str, tuple[str, ...]] | None = None):
        self.scenario = scenario
        self.tle_names = tle_names or {}
        self._tle = {name for names in self.tle_names.values() for name in names}
        self._all: list[str] | None = None

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and (name in self._tle or is_walker_satellite_name(name, self.scenario))

    def all(self) -> list[str]:
        if self._all is None:
            self._all = self.in_blocks({block.name for _, block in self.scenario.blocks})
        return self._all

    def in_blocks(self, blocks: set[str]) -> list[str]:
        """Names of the satellites of the given shells / TLE sets, in node order."""
        out: list[str] = []
        for _, block in self.scenario.blocks:
            if block.name not in blocks:
                continue
            if block.name in self.tle_names:
                out += self.tle_names[block.name]
            else:
                out += [f"{block.name}-{p}-{k}" for p in range(block.planes) for k in range(block.sats_per_plane)]
        return out

    def why_unknown(self, name: str) -> str:
        """What is wrong with a name that is no satellite, for error messages."""
        shells = {shell.name: shell for _, shell in self.scenario.shells}
        head, _, index = name.rpartition("-")
        shell_name, _, plane = head.rpartition("-")
        if shell_name in shells and plane.isdigit() and index.isdigit():
            shell = shells[shell_name]
            if int(plane) >= shell.planes:
                return f"shell {shell_name!r} has planes 0..{shell.planes - 1} (got plane {plane})"
            return f"shell {shell_name!r} has slots 0..{shell.sats_per_plane - 1} per plane (got {index})"
        if head in self.tle_names:
            return f"TLE set {head!r} has no satellite {name!r} (names are SET-CATALOG)"
        blocks = [b.name for _, b in self.scenario.blocks]
        return (f"no node named {name!r}; satellites are SHELL-PLANE-INDEX or SET-CATALOG with SHELL/SET in "
                f"{', '.join(blocks) or 'none'}")
