// The netsim packet-level core: everything a script or cppyy needs, in one include.
#ifndef NETSIM_MODULE_H
#define NETSIM_MODULE_H

#include "drop-classifier.h"
#include "ephemeris-mobility-model.h"
#include "ephemeris-store.h"
#include "fabric-hop-tag.h"
#include "forwarding-table.h"
#include "four-ary-heap-scheduler.h"
#include "time-window-scheduler.h"
#include "laser-channel.h"
#include "laser-fabric-helper.h"
#include "laser-helper.h"
#include "laser-net-device.h"
#include "next-hop-solver.h"
#include "optical-link-model.h"
#include "pcapng-writer.h"
#include "satellite-forwarder.h"
#include "seqts-udp-source.h"
#include "tcp-bulk-source.h"
#include "traffic-helper.h"
#include "traffic-recorder.h"
#include "collective-job.h"
#include "compute-server.h"
#include "inference-client.h"
#include "tcp-message-stream.h"
#include "workload-header.h"
#include "workload-helper.h"
#include "workload-recorder.h"

#endif
