// The netsim packet-level core: everything a script or cppyy needs, in one include.
#ifndef NETSIM_MODULE_H
#define NETSIM_MODULE_H

#include "cbr-flow-helper.h"
#include "ephemeris-mobility-model.h"
#include "ephemeris-store.h"
#include "flow-recorder.h"
#include "forwarding-table.h"
#include "laser-channel.h"
#include "laser-fabric-helper.h"
#include "laser-net-device.h"
#include "next-hop-solver.h"
#include "optical-link-model.h"
#include "satellite-forwarder.h"

#endif
