/*
 * ns-3 test suites of the netsim models, run by netsim-test-suite (ns-3's TestRunner:
 * `netsim-test-suite --verbose`, `--suite=netsim-laser-channel`, `--list`). Each
 * expected value is worked out here from its definition, not from the model.
 */

#include "laser-channel.h"
#include "laser-helper.h"
#include "next-hop-solver.h"
#include "optical-link-model.h"

#include "ns3/core-module.h"
#include "ns3/mobility-module.h"
#include "ns3/network-module.h"

#include <cmath>
#include <vector>

using namespace ns3;

namespace
{

constexpr double C_MPS = 299792458.0;

/** Light time to a receding peer: tau solves |r_peer(t + tau) - r_src(t)| = c tau. */
class LaserChannelLightTimeTestCase : public TestCase
{
  public:
    LaserChannelLightTimeTestCase()
        : TestCase("light time to a peer receding at v is d over (c - v)")
    {
    }

  private:
    void DoRun() override
    {
        NodeContainer nodes;
        nodes.Create(2);
        const double d = 3.0e6;
        const double v = 7.5e3;
        for (uint32_t i = 0; i < 2; ++i)
        {
            Ptr<ConstantVelocityMobilityModel> m = CreateObject<ConstantVelocityMobilityModel>();
            m->SetPosition(Vector(7.0e6, i * d, 0));
            m->SetVelocity(Vector(0, i * v, 0)); // node 1 moves away along the line
            nodes.Get(i)->AggregateObject(m);
        }
        LaserHelper laser;
        NetDeviceContainer devices = laser.Install(nodes);
        Ptr<LaserNetDevice> a = DynamicCast<LaserNetDevice>(devices.Get(0));
        Ptr<LaserChannel> channel = DynamicCast<LaserChannel>(a->GetChannel());
        NS_TEST_ASSERT_MSG_EQ_TOL(channel->GetDistance(), d, 1e-6, "distance between the ends");
        NS_TEST_ASSERT_MSG_EQ_TOL(channel->GetLightTime(a).GetSeconds(), d / (C_MPS - v), 2e-9,
                                  "light time to a receding peer");
        Simulator::Destroy();
    }
};

/** Free-space budget in linear units (DESIGN's link equation), from the attributes. */
class OpticalLinkBudgetTestCase : public TestCase
{
  public:
    OpticalLinkBudgetTestCase()
        : TestCase("received power equals P_t eta_t G_t L_pt (lambda over 4 pi d)^2 G_r L_pr eta_r")
    {
    }

  private:
    void DoRun() override
    {
        Ptr<OpticalLinkModel> model = CreateObject<OpticalLinkModel>();
        const double lambda = 1550e-9, pt = 1.0, dt = 0.08, dr = 0.08, eta = 0.8, bias = 1e-6, d = 5.0e6;
        model->SetAttribute("Wavelength", DoubleValue(lambda));
        model->SetAttribute("TxPower", DoubleValue(pt));
        model->SetAttribute("TxAperture", DoubleValue(dt));
        model->SetAttribute("RxAperture", DoubleValue(dr));
        model->SetAttribute("TxEfficiency", DoubleValue(eta));
        model->SetAttribute("RxEfficiency", DoubleValue(eta));
        model->SetAttribute("TxDivergence", DoubleValue(0.0)); // diffraction limit
        model->SetAttribute("RxPointingBias", DoubleValue(bias)); // the receiver looks 1 urad off too
        const double gain = [&](double aperture) { return std::pow(M_PI * aperture / lambda, 2); }(dt);
        const double gainR = std::pow(M_PI * dr / lambda, 2);
        // Diffraction-limited 1/e^2 half-angle of a uniformly lit aperture: sqrt(8) lambda / (pi D).
        const double theta = std::sqrt(8.0) * lambda / (M_PI * dt);
        const double pointing = std::exp(-2 * bias * bias / (theta * theta));
        // Angle-of-arrival coupling loss exp(-G_r theta_r^2) (Polishuk & Arnon, JOSA A 21(7), 2004).
        const double rxPointing = std::exp(-gainR * bias * bias);
        const double expected =
            pt * eta * gain * pointing * std::pow(lambda / (4 * M_PI * d), 2) * gainR * rxPointing * eta;
        NS_TEST_ASSERT_MSG_EQ_TOL(model->GetReceivedPowerW(d, bias) / expected, 1.0, 1e-12,
                                  "received power at 5,000 km with 1 urad of pointing error at each end");
    }
};

/** One destination on a small graph: ports of the shortest paths; ends never relay. */
class NextHopSolverTestCase : public TestCase
{
  public:
    NextHopSolverTestCase()
        : TestCase("next hops follow shortest paths and never pass through an end node")
    {
    }

  private:
    void DoRun() override
    {
        // Satellites 0-1-2 in a line (1 s each) and 0-2 direct (3 s); station 3 linked to
        // 0 and 2 (0.5 s each), station 4 linked to 2 only. Toward station 4:
        //   2 goes straight to 4; 1 via 2; 0 via 1 (2 s + 0.5) — not via station 3
        //   (0 -> 3 -> 2 would be 1.0 s but a station never relays).
        struct Edge
        {
            uint32_t u, v;
            double w;
            uint8_t portU, portV;
        };
        const std::vector<Edge> edges = {{0, 1, 1.0, 0, 0}, {1, 2, 1.0, 1, 0}, {0, 2, 3.0, 1, 1},
                                         {0, 3, 0.5, 2, 0}, {2, 3, 0.5, 2, 1}, {2, 4, 0.5, 3, 0}};
        const uint32_t n = 5;
        std::vector<std::vector<std::tuple<uint32_t, double, uint8_t>>> adj(n);
        for (const auto& e : edges)
        {
            adj[e.u].emplace_back(e.v, e.w, e.portV); // entry u->v carries the port on v toward u
            adj[e.v].emplace_back(e.u, e.w, e.portU);
        }
        std::vector<int64_t> rowStart(n + 1, 0);
        std::vector<uint32_t> col;
        std::vector<double> weight;
        std::vector<uint8_t> back;
        for (uint32_t u = 0; u < n; ++u)
        {
            for (const auto& [v, w, p] : adj[u])
            {
                col.push_back(v);
                weight.push_back(w);
                back.push_back(p);
            }
            rowStart[u + 1] = col.size();
        }
        const uint32_t destination = 4;
        std::vector<uint8_t> ports(n);
        std::vector<double> dist(n);
        NextHopSolver::Solve(n, 3, rowStart.data(), col.data(), weight.data(), back.data(), &destination, 1, n,
                             ports.data(), dist.data(), 1);
        NS_TEST_ASSERT_MSG_EQ(unsigned(ports[2]), 3u, "satellite 2 sends on its port 3, to station 4");
        NS_TEST_ASSERT_MSG_EQ(unsigned(ports[1]), 1u, "satellite 1 sends toward satellite 2");
        NS_TEST_ASSERT_MSG_EQ(unsigned(ports[0]), 0u, "satellite 0 goes via satellite 1, not via station 3");
        NS_TEST_ASSERT_MSG_EQ_TOL(dist[0], 2.5, 1e-12, "distance from satellite 0");
        NS_TEST_ASSERT_MSG_EQ(unsigned(ports[3]), 1u, "station 3 takes its uplink to satellite 2");
        NS_TEST_ASSERT_MSG_EQ_TOL(dist[3], 1.0, 1e-12, "distance from station 3");
    }
};

class NetsimTestSuite : public TestSuite
{
  public:
    NetsimTestSuite()
        : TestSuite("netsim-models", Type::UNIT)
    {
        AddTestCase(new LaserChannelLightTimeTestCase, Duration::QUICK);
        AddTestCase(new OpticalLinkBudgetTestCase, Duration::QUICK);
        AddTestCase(new NextHopSolverTestCase, Duration::QUICK);
    }
};

NetsimTestSuite g_netsimTestSuite;

} // namespace

int
main(int argc, char* argv[])
{
    return TestRunner::Run(argc, argv);
}
