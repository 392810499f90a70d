"""Names from a netsim run folder: which station owns an address, which flow a port is,
and which node a pcap file was captured on (so a row can say tx / rx / transit)."""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

# Same conventions as netsim.run.runner (not imported: it loads ns-3).
GROUND_ADDRESS_BASE = int(ipaddress.IPv4Address("10.128.0.0"))
FLOW_PORT_BASE = 9000
_CAPTURE_NAME = re.compile(r"^(?P<node>.+)-port(?P<port>\d+)\.pcap$")


@dataclass
class RunContext:
    station_address: dict[str, int] = field(default_factory=dict)   # name -> IPv4 as int
    flows: dict[tuple[int, int, int], str] = field(default_factory=dict)  # (src, dst, dport) -> name

    @classmethod
    def from_run_dir(cls, run_dir: Path) -> "RunContext":
        """Read manifest.json; an empty context when there is none or it is unreadable."""
        try:
            scenario = json.loads((Path(run_dir) / "manifest.json").read_text())["scenario"]
        except (OSError, ValueError, KeyError, TypeError):
            return cls()
        stations = {g["name"]: GROUND_ADDRESS_BASE + i + 1 for i, g in enumerate(scenario.get("ground_stations", []))}
        flows = {}
        for i, flow in enumerate(scenario.get("traffic", [])):
            if flow.get("src") in stations and flow.get("dst") in stations:
                flows[(stations[flow["src"]], stations[flow["dst"]], FLOW_PORT_BASE + i)] = flow["name"]
        return cls(stations, flows)

    def flow_name(self, src: int, dst: int, dport: int) -> str:
        return self.flows.get((int(src), int(dst), int(dport)), "")

    def direction(self, capture: str, src: int, dst: int) -> str:
        """tx / rx at a ground station's port, transit elsewhere, '' when unknown."""
        match = _CAPTURE_NAME.match(capture)
        if not match or not self.station_address:
            return ""
        address = self.station_address.get(match["node"])
        if address is None:
            return "transit"
        if int(src) == address:
            return "tx"
        if int(dst) == address:
            return "rx"
        return "transit"
