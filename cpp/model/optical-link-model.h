#ifndef NETSIM_OPTICAL_LINK_MODEL_H
#define NETSIM_OPTICAL_LINK_MODEL_H

#include "ns3/object.h"

#include <cstdint>

namespace ns3
{

/**
 * @brief Link budget and bit-error model of one channel of a laser terminal: a
 * 10 Gbps intensity-modulated, direct-detection (on-off keying) or coherent (BPSK,
 * QPSK) channel in vacuum, or through the atmosphere on a ground link.
 *
 * One object describes a terminal type and is shared by all terminals of that type.
 *   P_r = (P_t / n) eta_t G_t L_pt (lambda / 4 pi d)^2 G_r L_pr eta_r T_atm I
 *                                                                  (Friis, per channel)
 *   G_r = (pi D_r / lambda)^2,  G_t = 8 / theta^2 or (pi D_t / lambda)^2
 *   L_pt = exp(-2 theta_t^2 / theta^2)                             (Gaussian beam)
 *   L_pr = exp(-G_r theta_r^2)                                     (angle of arrival)
 *   T_atm = T_zenith^airmass(elevation), I log-normal scintillation (ground links)
 *   BER = 1/2 erfc(Q / sqrt 2),  Q = (I1 - I0) / (sigma1 + sigma0)  (Agrawal, ch. 4.5)
 *   coherent: BER = 1/2 erfc(sqrt(k eta N_p)), N_p photons per bit, k = 2 homodyne BPSK,
 *   k = 1 intradyne QPSK
 *   PER = 1 - (1 - BER)^(8 * bytes)
 * n channels of a lane share the transmit power. There is no chromatic-dispersion
 * penalty: vacuum is not dispersive. Receivers: PIN (thermal + shot noise), APD (gain M,
 * excess noise F = k M + (1 - k)(2 - 1/M)), an optically pre-amplified PIN (signal-ASE
 * and ASE-ASE beat noise) and shot-noise-limited coherent receivers.
 * The Python mirror netsim.links.link_budget implements the same formulas.
 */
class OpticalLinkModel : public Object
{
  public:
    static TypeId GetTypeId();

    enum Receiver
    {
        PIN = 0,
        APD = 1,
        PREAMP = 2,
        COHERENT_BPSK = 3, //!< homodyne BPSK, LO shot-noise limited
        COHERENT_QPSK = 4, //!< intradyne (phase-diversity) QPSK, LO shot-noise limited
    };

    /** Transmit divergence used for gain and pointing loss, rad (1/e^2 half-angle). */
    double GetDivergenceRad() const;
    /**
     * @return received power of one channel, W, at distance d (m) with transmit pointing
     * error theta_e (rad) and the static receive pointing bias, in vacuum
     */
    double GetReceivedPowerW(double distanceM, double pointingErrorRad) const;
    /** @return received power of one channel, W, with both pointing errors (rad) */
    double GetReceivedPowerW(double distanceM, double txErrorRad, double rxErrorRad) const;
    /** @return the Q factor for an average received power, W */
    double GetQ(double receivedPowerW) const;
    /** @return bit error rate for an average received power, W */
    double GetBer(double receivedPowerW) const;
    /** @return probability that a packet of `bytes` has at least one bit error */
    static double GetPacketErrorRate(double ber, uint32_t bytes);
    /** @return average received power needed for the target BER, W */
    double GetSensitivityW() const;
    /** @return margin in dB over the sensitivity, at distance d with the static pointing bias */
    double GetMarginDb(double distanceM) const;
    /** @return true while the margin (static bias only) meets the required margin */
    bool IsUsable(double distanceM) const;
    /** Same, through an atmosphere of transmittance t (clear-sky extinction, 1 in vacuum). */
    bool IsUsable(double distanceM, double transmittance) const;
    double GetRequiredMarginDb() const;
    double GetPointingBiasRad() const;
    double GetPointingJitterRad() const;
    double GetRxPointingBiasRad() const;
    double GetRxPointingJitterRad() const;
    /** Correlation time of the pointing jitter, s: 1 / (2 pi bandwidth); 0 = white. */
    double GetJitterCorrelationS() const;
    uint32_t GetChannels() const;
    /** True when the model has an atmosphere (a ground link's terminal). */
    bool HasAtmosphere() const;
    /**
     * Clear-sky transmittance at an elevation (sine given): T_zenith^airmass, airmass of
     * Kasten & Young (1989).
     */
    double GetAtmosphericTransmittance(double sinElevation) const;
    /**
     * Standard deviation of ln I of the scintillation at an elevation: ln(1 + sigma_R^2),
     * sigma_R^2 = 2.25 k^(7/6) mu sec(zenith)^(11/6) (plane wave, weak turbulence).
     */
    double GetLogIrradianceSigma(double sinElevation) const;
    /** @return received photons per bit at a received power, W */
    double GetPhotonsPerBit(double receivedPowerW) const;

  private:
    double ComputeReceivedPowerW(double distanceM, double pointingErrorRad, double rxErrorRad) const;

    double m_wavelengthM;
    double m_txPowerW;
    double m_txApertureM;
    double m_rxApertureM;
    double m_txDivergenceRad;
    double m_txEfficiency;
    double m_rxEfficiency;
    double m_pointingBiasRad;
    double m_pointingJitterRad;
    double m_rxPointingBiasRad;
    double m_rxPointingJitterRad;
    double m_jitterBandwidthHz;
    uint32_t m_channels;
    double m_zenithTransmittance;
    double m_turbulenceMoment;
    Receiver m_receiver;
    double m_bitRateBps;
    double m_responsivityAW;
    double m_thermalNoiseAHz;
    double m_apdGain;
    double m_apdIonisationRatio;
    double m_noiseFigureDb;
    double m_amplifierGainDb;
    double m_opticalBandwidthHz;
    double m_targetBer;
    double m_requiredMarginDb;
    /** Constants of the per-packet path, derived from the attributes on first use
     * (attributes are set before a run starts). */
    struct Derived
    {
        bool ready{false};
        double powerAtOneMetreW;  //!< P_r * d^2 on axis, W m^2
        double pointingExponent;  //!< 2 / theta^2, 1/rad^2
        double rxPointingExponent; //!< G_r = (pi D_r / lambda)^2, 1/rad^2
        double maxUsableDistance2; //!< square of the longest distance with the margin, m^2
        // Q = signal * P1 / (sqrt(noise0 + noisePerW * P1) + sigmaZero) for every receiver.
        double signalAPerW;
        double noise0A2;
        double noisePerWA2;
        double sigmaZeroA;
    };
    const Derived& GetDerived() const;
    /** Noise coefficients of the selected receiver (see Derived). */
    void ComputeReceiverCoefficients(Derived& k) const;
    mutable Derived m_derived;
    mutable double m_sensitivityW{-1};

  public:
    /**
     * The per-packet draw: is a packet of `bytes` sent over distanceM with pointing
     * error pointingErrorRad lost to bit errors, given a uniform draw u in [0, 1)?
     */
    bool IsCorrupted(double distanceM, double pointingErrorRad, uint32_t bytes, double u) const;
    /**
     * The per-packet draw at a received power (W): pointing errors at both ends, the
     * atmosphere and the scintillation already applied.
     */
    bool IsCorruptedAtPower(double receivedPowerW, uint32_t bytes, double u) const;
    /**
     * @return true when no packet received at this power or more can have a bit error
     * (Q above the bound IsCorruptedAtPower treats as error-free, with room for rounding):
     * a lower bound of the power then settles the draw without the exact power.
     */
    bool IsErrorFree(double receivedPowerW) const;

  private:
    /** Q above this: BER < 1e-300, no draw can lose a packet. */
    static constexpr double ERROR_FREE_Q = 40;
};

} // namespace ns3

#endif
