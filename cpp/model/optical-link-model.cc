#include "optical-link-model.h"

#include "ns3/double.h"
#include "ns3/enum.h"
#include "ns3/uinteger.h"

#include <algorithm>
#include <cmath>

namespace ns3
{

NS_OBJECT_ENSURE_REGISTERED(OpticalLinkModel);

namespace
{
constexpr double PLANCK_JS = 6.62607015e-34;
constexpr double LIGHT_MPS = 299792458.0;
constexpr double ELECTRON_C = 1.602176634e-19;
} // namespace

TypeId
OpticalLinkModel::GetTypeId()
{
    static TypeId tid =
        TypeId("ns3::OpticalLinkModel")
            .SetParent<Object>()
            .SetGroupName("Netsim")
            .AddConstructor<OpticalLinkModel>()
            .AddAttribute("Wavelength", "Laser wavelength, m (C band).",
                          DoubleValue(1550e-9),
                          MakeDoubleAccessor(&OpticalLinkModel::m_wavelengthM),
                          MakeDoubleChecker<double>(1e-7, 1e-5))
            .AddAttribute("TxPower", "Average transmitted optical power, W.",
                          DoubleValue(1.0),
                          MakeDoubleAccessor(&OpticalLinkModel::m_txPowerW),
                          MakeDoubleChecker<double>(1e-9))
            .AddAttribute("TxAperture", "Transmit aperture diameter, m.",
                          DoubleValue(0.08),
                          MakeDoubleAccessor(&OpticalLinkModel::m_txApertureM),
                          MakeDoubleChecker<double>(1e-4))
            .AddAttribute("RxAperture", "Receive aperture diameter, m.",
                          DoubleValue(0.08),
                          MakeDoubleAccessor(&OpticalLinkModel::m_rxApertureM),
                          MakeDoubleChecker<double>(1e-4))
            .AddAttribute("TxDivergence",
                          "Beam divergence, rad (1/e^2 half-angle); 0 = diffraction "
                          "limit of the transmit aperture, sqrt(8) lambda / (pi D).",
                          DoubleValue(0.0),
                          MakeDoubleAccessor(&OpticalLinkModel::m_txDivergenceRad),
                          MakeDoubleChecker<double>(0.0))
            .AddAttribute("TxEfficiency", "Transmit optics efficiency (0..1].",
                          DoubleValue(0.8),
                          MakeDoubleAccessor(&OpticalLinkModel::m_txEfficiency),
                          MakeDoubleChecker<double>(1e-6, 1.0))
            .AddAttribute("RxEfficiency", "Receive optics efficiency (0..1].",
                          DoubleValue(0.8),
                          MakeDoubleAccessor(&OpticalLinkModel::m_rxEfficiency),
                          MakeDoubleChecker<double>(1e-6, 1.0))
            .AddAttribute("PointingBias", "Static pointing error, rad.",
                          DoubleValue(1e-6),
                          MakeDoubleAccessor(&OpticalLinkModel::m_pointingBiasRad),
                          MakeDoubleChecker<double>(0.0))
            .AddAttribute("PointingJitter", "Random pointing jitter, rad rms per axis.",
                          DoubleValue(1e-6),
                          MakeDoubleAccessor(&OpticalLinkModel::m_pointingJitterRad),
                          MakeDoubleChecker<double>(0.0))
            .AddAttribute("RxPointingBias",
                          "Static angle-of-arrival error of the receiving terminal, rad.",
                          DoubleValue(1e-6),
                          MakeDoubleAccessor(&OpticalLinkModel::m_rxPointingBiasRad),
                          MakeDoubleChecker<double>(0.0))
            .AddAttribute("RxPointingJitter",
                          "Random angle-of-arrival jitter of the receiving terminal, rad rms per axis.",
                          DoubleValue(1e-6),
                          MakeDoubleAccessor(&OpticalLinkModel::m_rxPointingJitterRad),
                          MakeDoubleChecker<double>(0.0))
            .AddAttribute("JitterBandwidth",
                          "Bandwidth of the pointing jitter, Hz: an Ornstein-Uhlenbeck process per "
                          "terminal with correlation time 1 / (2 pi B); 0 = white (an independent "
                          "draw per packet).",
                          DoubleValue(0.0),
                          MakeDoubleAccessor(&OpticalLinkModel::m_jitterBandwidthHz),
                          MakeDoubleChecker<double>(0.0))
            .AddAttribute("Channels",
                          "Channels of the terminal's lane; they share TxPower equally.",
                          UintegerValue(1),
                          MakeUintegerAccessor(&OpticalLinkModel::m_channels),
                          MakeUintegerChecker<uint32_t>(1, 4096))
            .AddAttribute("ZenithTransmittance",
                          "Clear-sky atmospheric transmittance toward the zenith (ground links); "
                          "1 = vacuum.",
                          DoubleValue(1.0),
                          MakeDoubleAccessor(&OpticalLinkModel::m_zenithTransmittance),
                          MakeDoubleChecker<double>(1e-6, 1.0))
            .AddAttribute("TurbulenceMoment",
                          "Integral of Cn^2(h) h^(5/6) dh over the path's altitudes, m^(1/3) "
                          "(ground links); 0 = no scintillation.",
                          DoubleValue(0.0),
                          MakeDoubleAccessor(&OpticalLinkModel::m_turbulenceMoment),
                          MakeDoubleChecker<double>(0.0))
            .AddAttribute("Receiver",
                          "Detector: PIN, APD, optically pre-amplified PIN, or coherent "
                          "(homodyne BPSK, intradyne QPSK).",
                          EnumValue(PREAMP),
                          MakeEnumAccessor<Receiver>(&OpticalLinkModel::m_receiver),
                          MakeEnumChecker(PIN, "PIN", APD, "APD", PREAMP, "PREAMP",
                                          COHERENT_BPSK, "COHERENT_BPSK",
                                          COHERENT_QPSK, "COHERENT_QPSK"))
            .AddAttribute("BitRate", "Line rate, bit/s (OOK: one bit per symbol).",
                          DoubleValue(10e9),
                          MakeDoubleAccessor(&OpticalLinkModel::m_bitRateBps),
                          MakeDoubleChecker<double>(1.0))
            .AddAttribute("Responsivity", "Photodiode responsivity, A/W.",
                          DoubleValue(0.9),
                          MakeDoubleAccessor(&OpticalLinkModel::m_responsivityAW),
                          MakeDoubleChecker<double>(1e-3))
            .AddAttribute("ThermalNoise",
                          "Receiver input-referred thermal noise current density, A/sqrt(Hz).",
                          DoubleValue(20e-12),
                          MakeDoubleAccessor(&OpticalLinkModel::m_thermalNoiseAHz),
                          MakeDoubleChecker<double>(0.0))
            .AddAttribute("ApdGain", "APD multiplication gain M.",
                          DoubleValue(10.0),
                          MakeDoubleAccessor(&OpticalLinkModel::m_apdGain),
                          MakeDoubleChecker<double>(1.0))
            .AddAttribute("ApdIonisationRatio", "APD ionisation-coefficient ratio k_A.",
                          DoubleValue(0.7),
                          MakeDoubleAccessor(&OpticalLinkModel::m_apdIonisationRatio),
                          MakeDoubleChecker<double>(0.0, 1.0))
            .AddAttribute("NoiseFigure", "Optical pre-amplifier noise figure, dB.",
                          DoubleValue(4.5),
                          MakeDoubleAccessor(&OpticalLinkModel::m_noiseFigureDb),
                          MakeDoubleChecker<double>(3.0))
            .AddAttribute("AmplifierGain", "Optical pre-amplifier gain, dB.",
                          DoubleValue(30.0),
                          MakeDoubleAccessor(&OpticalLinkModel::m_amplifierGainDb),
                          MakeDoubleChecker<double>(0.0))
            .AddAttribute("OpticalBandwidth", "Optical filter bandwidth after the amplifier, Hz.",
                          DoubleValue(20e9),
                          MakeDoubleAccessor(&OpticalLinkModel::m_opticalBandwidthHz),
                          MakeDoubleChecker<double>(1.0))
            .AddAttribute("TargetBer", "Bit error rate that defines the receiver sensitivity.",
                          DoubleValue(1e-12),
                          MakeDoubleAccessor(&OpticalLinkModel::m_targetBer),
                          MakeDoubleChecker<double>(1e-300, 0.5))
            .AddAttribute("RequiredMargin", "Margin over the sensitivity for the link to be usable, dB.",
                          DoubleValue(3.0),
                          MakeDoubleAccessor(&OpticalLinkModel::m_requiredMarginDb),
                          MakeDoubleChecker<double>());
    return tid;
}

double
OpticalLinkModel::GetDivergenceRad() const
{
    if (m_txDivergenceRad > 0)
    {
        return m_txDivergenceRad;
    }
    // Gaussian beam filling the aperture: on-axis gain 8 / theta^2 = (pi D / lambda)^2.
    return std::sqrt(8.0) * m_wavelengthM / (M_PI * m_txApertureM);
}

const OpticalLinkModel::Derived&
OpticalLinkModel::GetDerived() const
{
    if (!m_derived.ready)
    {
        const double theta = GetDivergenceRad();
        m_derived.pointingExponent = 2 / (theta * theta);
        m_derived.rxPointingExponent = std::pow(M_PI * m_rxApertureM / m_wavelengthM, 2);
        m_derived.powerAtOneMetreW = ComputeReceivedPowerW(1.0, 0.0, 0.0);
        ComputeReceiverCoefficients(m_derived);
        m_derived.ready = true; // GetSensitivityW below needs the receiver coefficients
        // P_r falls as 1/d^2: the margin rule is a maximum distance.
        const double threshold = GetSensitivityW() * std::pow(10, m_requiredMarginDb / 10);
        m_derived.maxUsableDistance2 =
            ComputeReceivedPowerW(1.0, m_pointingBiasRad, m_rxPointingBiasRad) / threshold;
    }
    return m_derived;
}

double
OpticalLinkModel::GetReceivedPowerW(double distanceM, double txErrorRad, double rxErrorRad) const
{
    const Derived& k = GetDerived();
    return k.powerAtOneMetreW / (distanceM * distanceM) *
           std::exp(-k.pointingExponent * txErrorRad * txErrorRad -
                    k.rxPointingExponent * rxErrorRad * rxErrorRad);
}

bool
OpticalLinkModel::IsCorruptedAtPower(double receivedPowerW, uint32_t bytes, double u) const
{
    const double q = GetQ(receivedPowerW);
    if (q > ERROR_FREE_Q)
    {
        return false; // BER < 1e-300: no draw can lose the packet
    }
    return u < GetPacketErrorRate(0.5 * std::erfc(q / std::sqrt(2.0)), bytes);
}

bool
OpticalLinkModel::IsErrorFree(double receivedPowerW) const
{
    // Q grows with the power (dQ/dP > 0 for every receiver), so Q of a lower bound above
    // the limit by more than rounding puts the exact power's Q above it too.
    return GetQ(receivedPowerW) > ERROR_FREE_Q + 1e-6;
}

bool
OpticalLinkModel::IsCorrupted(double distanceM, double pointingErrorRad, uint32_t bytes, double u) const
{
    return IsCorruptedAtPower(GetReceivedPowerW(distanceM, pointingErrorRad, m_rxPointingBiasRad), bytes, u);
}

double
OpticalLinkModel::GetReceivedPowerW(double distanceM, double pointingErrorRad) const
{
    return ComputeReceivedPowerW(distanceM, pointingErrorRad, m_rxPointingBiasRad);
}

double
OpticalLinkModel::ComputeReceivedPowerW(double distanceM, double pointingErrorRad, double rxErrorRad) const
{
    const double theta = GetDivergenceRad();
    const double txGain = 8.0 / (theta * theta);
    const double rxGain = std::pow(M_PI * m_rxApertureM / m_wavelengthM, 2);
    const double freeSpace = std::pow(m_wavelengthM / (4 * M_PI * distanceM), 2);
    const double pointing = std::exp(-2 * pointingErrorRad * pointingErrorRad / (theta * theta));
    // Angle-of-arrival loss of the receiver (Polishuk & Arnon, JOSA A 21(7), 2004).
    const double rxPointing = std::exp(-rxGain * rxErrorRad * rxErrorRad);
    // The lane's channels share the transmit power.
    return m_txPowerW / m_channels * m_txEfficiency * txGain * pointing * freeSpace * rxGain * rxPointing *
           m_rxEfficiency;
}

void
OpticalLinkModel::ComputeReceiverCoefficients(Derived& k) const
{
    const double bandwidth = m_bitRateBps / 2; // electrical noise bandwidth
    const double thermal2 = m_thermalNoiseAHz * m_thermalNoiseAHz * bandwidth;
    const double r = m_responsivityAW;
    double var0 = thermal2;
    switch (m_receiver)
    {
    case PIN:
        k.signalAPerW = r;
        k.noisePerWA2 = 2 * ELECTRON_C * r * bandwidth; // shot noise of the "1"
        break;
    case APD: {
        const double m = m_apdGain;
        const double ka = m_apdIonisationRatio;
        const double excess = ka * m + (1 - ka) * (2 - 1 / m); // McIntyre
        k.signalAPerW = m * r;
        k.noisePerWA2 = 2 * ELECTRON_C * m * m * excess * r * bandwidth;
        break;
    }
    case COHERENT_BPSK:
    case COHERENT_QPSK: {
        // Shot-noise-limited coherent detection (strong local oscillator): BER =
        // 1/2 erfc(sqrt(kc eta N_p)) with N_p = P / (h nu B) photons per bit, kc = 2 for
        // homodyne BPSK and 1 for intradyne QPSK (Agrawal, 3rd ed., Table 10.1; Kikuchi,
        // J. Lightwave Technol. 34(1), 2016). In this class's form Q = sqrt(2 kc eta N_p):
        // signal 1, no noise of a "0", variance (h nu B / (kc eta)) per watt of P1 = 2 P.
        const double photon = PLANCK_JS * LIGHT_MPS / m_wavelengthM;
        const double eta = std::min(1.0, r * photon / ELECTRON_C); // quantum efficiency
        const double kc = m_receiver == COHERENT_BPSK ? 2.0 : 1.0;
        k.signalAPerW = 1.0;
        k.noisePerWA2 = photon * m_bitRateBps / (kc * eta);
        var0 = 0.0;
        break;
    }
    case PREAMP: {
        // Signal-ASE and ASE-ASE beat noise (Olsson 1989; Agrawal ch. 7.5), both
        // polarisations of ASE reach the detector.
        const double g = std::pow(10, m_amplifierGainDb / 10);
        const double nsp = std::pow(10, m_noiseFigureDb / 10) / 2;
        const double photon = PLANCK_JS * LIGHT_MPS / m_wavelengthM;
        const double ase = nsp * photon * (g - 1); // ASE density per polarisation, W/Hz
        var0 += 2 * r * r * ase * ase * bandwidth * (2 * m_opticalBandwidthHz - bandwidth);
        k.signalAPerW = r * g;
        k.noisePerWA2 = 4 * r * r * g * ase * bandwidth;
        break;
    }
    }
    k.noise0A2 = var0;
    k.sigmaZeroA = std::sqrt(var0);
}

double
OpticalLinkModel::GetQ(double receivedPowerW) const
{
    // OOK with ideal extinction: "1" carries twice the average power, "0" none.
    const Derived& k = GetDerived();
    const double p1 = 2 * receivedPowerW;
    return k.signalAPerW * p1 / (std::sqrt(k.noise0A2 + k.noisePerWA2 * p1) + k.sigmaZeroA);
}

double
OpticalLinkModel::GetBer(double receivedPowerW) const
{
    return 0.5 * std::erfc(GetQ(receivedPowerW) / std::sqrt(2.0));
}

double
OpticalLinkModel::GetPacketErrorRate(double ber, uint32_t bytes)
{
    // 1 - (1 - BER)^n without cancellation for tiny BER.
    return -std::expm1(8.0 * bytes * std::log1p(-ber));
}

double
OpticalLinkModel::GetSensitivityW() const
{
    if (m_sensitivityW > 0)
    {
        return m_sensitivityW;
    }
    // BER falls monotonically with power: bisect in log space.
    double lo = 1e-18;
    double hi = 1.0;
    for (int i = 0; i < 200 && hi / lo > 1 + 1e-12; ++i)
    {
        const double mid = std::sqrt(lo * hi);
        (GetBer(mid) > m_targetBer ? lo : hi) = mid;
    }
    m_sensitivityW = hi;
    return hi;
}

double
OpticalLinkModel::GetMarginDb(double distanceM) const
{
    return 10 * std::log10(GetReceivedPowerW(distanceM, m_pointingBiasRad) / GetSensitivityW());
}

bool
OpticalLinkModel::IsUsable(double distanceM) const
{
    return distanceM * distanceM <= GetDerived().maxUsableDistance2;
}

bool
OpticalLinkModel::IsUsable(double distanceM, double transmittance) const
{
    return distanceM * distanceM <= GetDerived().maxUsableDistance2 * transmittance;
}

double
OpticalLinkModel::GetRxPointingBiasRad() const
{
    return m_rxPointingBiasRad;
}

double
OpticalLinkModel::GetRxPointingJitterRad() const
{
    return m_rxPointingJitterRad;
}

double
OpticalLinkModel::GetJitterCorrelationS() const
{
    return m_jitterBandwidthHz > 0 ? 1.0 / (2 * M_PI * m_jitterBandwidthHz) : 0.0;
}

uint32_t
OpticalLinkModel::GetChannels() const
{
    return m_channels;
}

bool
OpticalLinkModel::HasAtmosphere() const
{
    return m_zenithTransmittance < 1.0 || m_turbulenceMoment > 0;
}

namespace
{
/** Relative air mass at an elevation (Kasten & Young, Appl. Opt. 28(22), 1989). */
double
AirMass(double sinElevation)
{
    const double s = std::clamp(sinElevation, 0.0, 1.0);
    const double degrees = std::asin(s) * 180 / M_PI;
    return 1.0 / (s + 0.50572 * std::pow(degrees + 6.07995, -1.6364));
}
} // namespace

double
OpticalLinkModel::GetAtmosphericTransmittance(double sinElevation) const
{
    if (m_zenithTransmittance >= 1.0)
    {
        return 1.0;
    }
    return std::pow(m_zenithTransmittance, AirMass(sinElevation));
}

double
OpticalLinkModel::GetLogIrradianceSigma(double sinElevation) const
{
    if (m_turbulenceMoment <= 0)
    {
        return 0.0;
    }
    // Plane-wave Rytov variance along a slant path (Andrews & Phillips, Laser Beam
    // Propagation through Random Media, 2nd ed., 2005, ch. 12), weak fluctuations:
    // sigma_I^2 = sigma_R^2, ln I normal with variance ln(1 + sigma_I^2).
    const double s = std::max(sinElevation, 1e-3);
    const double k = 2 * M_PI / m_wavelengthM;
    const double rytov = 2.25 * std::pow(k, 7.0 / 6) * m_turbulenceMoment * std::pow(1.0 / s, 11.0 / 6);
    return std::sqrt(std::log1p(rytov));
}

double
OpticalLinkModel::GetPhotonsPerBit(double receivedPowerW) const
{
    return receivedPowerW / (PLANCK_JS * LIGHT_MPS / m_wavelengthM * m_bitRateBps);
}

double
OpticalLinkModel::GetRequiredMarginDb() const
{
    return m_requiredMarginDb;
}

double
OpticalLinkModel::GetPointingBiasRad() const
{
    return m_pointingBiasRad;
}

double
OpticalLinkModel::GetPointingJitterRad() const
{
    return m_pointingJitterRad;
}

} // namespace ns3
