#ifndef NETSIM_LASER_MPI_H
#define NETSIM_LASER_MPI_H

#include "ns3/nstime.h"

#include <cstdint>

namespace ns3
{

class LaserFabricHelper;
class LaserNetDevice;

/**
 * @brief netsim on ns-3's distributed engine (MPI, DistributedSimulatorImpl): the glue
 * between the laser fabric and ns-3's MPI module, built only with the optional MPI build
 * (docs/distributed.md).
 *
 * Every rank builds every node, and the laser terminals of its own nodes and the far ends
 * of links reaching them; a node belongs to one rank (its system id) and only that rank
 * runs its applications and the packets at it. A laser
 * channel whose receiving terminal belongs to another rank hands the packet to
 * MpiInterface::SendPacket at its arrival time; the receiving rank's terminal gets it
 * through an MpiReceiver.
 */
class LaserMpi
{
  public:
    /**
     * Start MPI through ns-3 with the granted-time-window engine, before any node exists.
     * lookahead: a lower bound on the light time of every link that can join two
     * ranks during the run (the engine's synchronisation window).
     */
    static void Enable(Time lookahead);
    /**
     * Lower the engine's lookahead to at most `lookahead` before the next Run: a lower
     * bound on the light time of every link up until then (the engine keeps the least).
     */
    static void BoundLookAhead(Time lookahead);
    /** @return this process's rank */
    static uint32_t GetSystemId();
    /** @return the number of ranks */
    static uint32_t GetSize();
    /**
     * Give every laser terminal of this rank's nodes an MpiReceiver, those the fabric has
     * and those it creates later (as links first use them); call before the first Run.
     */
    static void AttachReceivers(LaserFabricHelper& fabric);
    /** Finish MPI (after Simulator::Destroy). */
    static void Disable();
};

} // namespace ns3

#endif
