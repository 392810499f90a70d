#ifndef NETSIM_EPHEMERIS_MOBILITY_MODEL_H
#define NETSIM_EPHEMERIS_MOBILITY_MODEL_H

#include "ephemeris-store.h"

#include "ns3/mobility-model.h"

namespace ns3
{

/**
 * @brief A node's position read from its row of a shared EphemerisStore.
 *
 * Lets any ns-3 code that asks a node for its MobilityModel (the laser channel,
 * propagation models, NetAnim) see orbital positions, in m, inertial frame.
 */
class EphemerisMobilityModel : public MobilityModel
{
  public:
    static TypeId GetTypeId();

    void SetStore(Ptr<EphemerisStore> store, uint32_t index);
    uint32_t GetIndex() const;
    /** The store positions come from. */
    Ptr<EphemerisStore> GetStore() const;

  private:
    Vector DoGetPosition() const override;
    void DoSetPosition(const Vector& position) override;
    Vector DoGetVelocity() const override;

    Ptr<EphemerisStore> m_store;
    uint32_t m_index{0};
};

} // namespace ns3

#endif
