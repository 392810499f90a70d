#include "ephemeris-mobility-model.h"

#include "ns3/abort.h"
#include "ns3/pointer.h"
#include "ns3/simulator.h"
#include "ns3/uinteger.h"

namespace ns3
{

NS_OBJECT_ENSURE_REGISTERED(EphemerisMobilityModel);

TypeId
EphemerisMobilityModel::GetTypeId()
{
    static TypeId tid =
        TypeId("ns3::EphemerisMobilityModel")
            .SetParent<MobilityModel>()
            .SetGroupName("Netsim")
            .AddConstructor<EphemerisMobilityModel>()
            .AddAttribute("Index",
                          "Row of this node in the ephemeris store.",
                          UintegerValue(0),
                          MakeUintegerAccessor(&EphemerisMobilityModel::m_index),
                          MakeUintegerChecker<uint32_t>())
            .AddAttribute("Store",
                          "The ephemeris store the positions come from.",
                          PointerValue(),
                          MakePointerAccessor(&EphemerisMobilityModel::m_store),
                          MakePointerChecker<EphemerisStore>());
    return tid;
}

void
EphemerisMobilityModel::SetStore(Ptr<EphemerisStore> store, uint32_t index)
{
    m_store = store;
    m_index = index;
}

uint32_t
EphemerisMobilityModel::GetIndex() const
{
    return m_index;
}

Ptr<EphemerisStore>
EphemerisMobilityModel::GetStore() const
{
    return m_store;
}

Vector
EphemerisMobilityModel::DoGetPosition() const
{
    return m_store->GetPosition(m_index, Simulator::Now());
}

void
EphemerisMobilityModel::DoSetPosition(const Vector&)
{
    NS_ABORT_MSG("positions of an EphemerisMobilityModel come from its ephemeris store");
}

Vector
EphemerisMobilityModel::DoGetVelocity() const
{
    return m_store->GetVelocity(m_index, Simulator::Now());
}

} // namespace ns3
