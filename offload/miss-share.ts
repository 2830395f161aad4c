// Expected share of lookups that miss an exact-match cache of `capacity` entries in front of `keys` distinct
// keys, in steady state, under the independent reference model.
//
// uniform: every key equally likely; any replacement policy then hits capacity/keys of the time.
// zipf(s): key of rank k has weight 1/k^s. We give the hit ratio of a cache holding the `capacity` most popular
//   keys, H(capacity, s) / H(keys, s) (generalised harmonic numbers): an upper bound that LFU reaches and LRU
//   approaches for large caches. It is a planning figure, not a measurement.

export type TrafficModel = { distribution: 'uniform' } | { distribution: 'zipf'; s: number }

function harmonic(n: number, s: number): number {
  let h = 0
  for (let k = 1; k <= n; k++) h += 1 / Math.pow(k, s)
  return h
}

export function cacheMissShare(capacity: number, keys: number, traffic: TrafficModel): number {
  if (keys <= 0 || capacity >= keys) return 0
  if (capacity <= 0) return 1
  const hit = traffic.distribution === 'uniform' ? capacity / keys : harmonic(capacity, traffic.s) / harmonic(keys, traffic.s)
  return 1 - hit
}
