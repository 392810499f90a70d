"""netsim: packet-level simulation of optical inter-satellite-link networks on ns-3."""

__version__ = "0.1.0"
