// Bucket upper bounds (seconds) of the agent's delay histograms.
//
// 16 bounds from 25 µs to 2.5 s on the 1 – 2.5 – 5 series (each bound 2 or 2.5 times the one
// before): roughly logarithmic, so every range of network delay gets the same relative resolution —
// loopback and a LAN (25 – 250 µs), metro and regional paths (0.5 – 10 ms), continental and
// intercontinental paths (25 – 250 ms), geostationary satellite (≈ 500 – 700 ms) — and the top bound
// sits above the agent's default loss timeout (2 s), so every counted reply of a default target lands
// in a finite bucket. histogram_quantile interpolates linearly inside a bucket, so a quantile is
// known to within its bucket (a factor 2 – 2.5); the JSON Lines windows carry the exact percentiles.
// 16 buckets keep a series at 19 lines (+Inf, _sum, _count), which matters at 10 000 targets.
export const DELAY_BUCKETS_SECONDS: readonly number[] = Object.freeze([
  0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
]);
