"""Stage 4, the C++ core inside Python: loading ns-3 and the netsim models through
cppyy (ns3_loader) and driving a LaserFabricHelper with numpy arrays (fabric)."""
