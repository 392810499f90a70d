"""Names from a netsim run folder: which endpoint owns an address, which scenario flow a
5-tuple belongs to, which node and port a capture file was taken on (so a row can say
tx / rx / transit), the time origin of the captures, and whether the run finished.

Addresses: destination column c has 10.128.0.0 + c + 1, ground stations first, then the
satellites that are endpoints of some flow (manifest `endpoints`; older manifests: the
ground stations only). Flow i of the scenario's traffic list uses port 9000 + i: UDP
kinds as the destination port, tcp_bulk as the server port (its ACKs flow back from that
port: "NAME (acks)"), ping is ICMP between the two ends ("NAME", replies "NAME (replies)").
"""

from __future__ import annotations

import csv
import ipaddress
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

# Same conventions as netsim.run.runner / netsim.run.traffic (not imported: they load ns-3).
GROUND_ADDRESS_BASE = int(ipaddress.IPv4Address("10.128.0.0"))
FLOW_PORT_BASE = 9000
PROTO_ICMP, PROTO_TCP, PROTO_UDP = 1, 6, 17
UDP_KINDS = ("udp_cbr", "udp_onoff", "udp_burst")
# Capture names without pcap/index.csv: INDEX-NAME-portN.pcapng, or NAME-portN.pcap (older runs)
_CAPTURE_NAME = re.compile(r"^(?:(?P<index>\d+)-)?(?P<node>.+)-port(?P<port>\d+)\.pcap(?:ng)?$")


@dataclass
class RunContext:
    address_of: dict[str, int] = field(default_factory=dict)   # endpoint name -> IPv4 as int
    flows: dict[tuple, str] = field(default_factory=dict)       # (src, dst, proto, "d"/"s", port) -> name
    captures: dict[str, dict] = field(default_factory=dict)     # capture file name -> pcap/index.csv row
    node_names: dict[int, str] = field(default_factory=dict)    # node index -> name (endpoints)
    time_origin_ns: int | None = None   # captures count from the scenario epoch
    run_dir: Path | None = None
    manifest: dict | None = None

    @classmethod
    def from_run_dir(cls, run_dir: Path) -> "RunContext":
        """Read manifest.json and pcap/index.csv; an empty context when there is no manifest
        or it is unreadable."""
        run_dir = Path(run_dir)
        try:
            manifest = json.loads((run_dir / "manifest.json").read_text())
            scenario = manifest["scenario"]
            stations = [g["name"] for g in scenario.get("ground_stations", [])]
        except (OSError, ValueError, KeyError, TypeError):
            return cls(run_dir=run_dir)
        address_of, node_names = {}, {}
        endpoints = manifest.get("endpoints")
        if isinstance(endpoints, list):
            for e in endpoints:
                try:
                    address_of[e["name"]] = int(ipaddress.IPv4Address(e["address"]))
                    node_names[int(e["node_index"])] = e["name"]
                except (KeyError, TypeError, ValueError):
                    continue
        else:
            address_of = {name: GROUND_ADDRESS_BASE + i + 1 for i, name in enumerate(stations)}
        flows: dict[tuple, str] = {}
        for i, flow in enumerate(scenario.get("traffic") or []):
            if not isinstance(flow, dict):
                continue
            src, dst = address_of.get(flow.get("src")), address_of.get(flow.get("dst"))
            name, kind, port = flow.get("name"), flow.get("kind", "udp_cbr"), FLOW_PORT_BASE + i
            if src is None or dst is None or not isinstance(name, str):
                continue
            if kind in UDP_KINDS:
                flows[(src, dst, PROTO_UDP, "d", port)] = name
            elif kind == "tcp_bulk":
                flows[(src, dst, PROTO_TCP, "d", port)] = name
                flows[(dst, src, PROTO_TCP, "s", port)] = f"{name} (acks)"
            elif kind == "ping":
                for key, label in (((src, dst, PROTO_ICMP, "", 0), name),
                                   ((dst, src, PROTO_ICMP, "", 0), f"{name} (replies)")):
                    flows[key] = f"{flows[key]} + {label}" if key in flows else label
        captures = {}
        try:
            with (run_dir / "pcap" / "index.csv").open(newline="") as f:
                captures = {row["file"]: row for row in csv.DictReader(f)}
        except (OSError, KeyError, csv.Error):
            pass
        origin = None
        if captures and isinstance(scenario.get("epoch"), str):
            from netsim.run.captures import epoch_ns

            try:
                origin = epoch_ns(scenario["epoch"])
            except ValueError:
                origin = None
        return cls(address_of, flows, captures, node_names, origin, run_dir, manifest)

    def flow_name(self, src: int, dst: int, proto: int, sport: int, dport: int) -> str:
        src, dst, proto = int(src), int(dst), int(proto)
        if proto == PROTO_ICMP:
            return self.flows.get((src, dst, proto, "", 0), "")
        return self.flows.get((src, dst, proto, "d", int(dport))) or self.flows.get((src, dst, proto, "s", int(sport)), "")

    def capture_node(self, capture: str) -> str | None:
        """Name of the node a capture file was taken on, when known."""
        row = self.captures.get(capture)
        if row is not None:
            return row.get("node")
        match = _CAPTURE_NAME.match(capture)
        if not match:
            return None
        if match["index"] is not None and int(match["index"]) in self.node_names:
            return self.node_names[int(match["index"])]
        return match["node"]

    def direction(self, capture: str, src: int, dst: int) -> str:
        """tx / rx at an endpoint's port, transit elsewhere, '' when unknown."""
        if not self.address_of:
            return ""
        node = self.capture_node(capture)
        if node is None:
            return ""
        address = self.address_of.get(node)
        if address is None:
            return "transit"
        if int(src) == address:
            return "tx"
        if int(dst) == address:
            return "rx"
        return "transit"

    def incomplete(self) -> str | None:
        """None for a finished run (or no manifest); else why the run is incomplete."""
        from netsim.run.folder import incomplete

        return incomplete(self.manifest)
