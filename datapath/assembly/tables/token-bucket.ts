// A token bucket (RFC 2697's committed bucket, without colours) kept in 16 bytes of a table value.
// It stores the deficit (tokens spent and not yet refilled) so that a zeroed value is a full bucket:
// deficit (f64) at 0, time of the last refill in ms (f64) at 8. Time is passed in, never read.

export const BUCKET_BYTES: i32 = 16

/** Takes one token from the bucket at `p` (rate tokens/s, burst = rate); false when empty. */
export function takeToken(p: usize, rate: f64, nowMs: f64): bool {
  return takeTokenOfBurst(p, rate, rate, nowMs)
}

/** Takes one token from the bucket at `p` that holds up to `burst` tokens and refills `rate` tokens/s. */
export function takeTokenOfBurst(p: usize, rate: f64, burst: f64, nowMs: f64): bool {
  let deficit = load<f64>(p)
  const last = load<f64>(p, 8)
  if (nowMs > last) {
    deficit = max(0.0, deficit - (nowMs - last) * rate / 1000)
    store<f64>(p, nowMs, 8)
  }
  if (deficit + 1 > burst) {
    store<f64>(p, deficit)
    return false
  }
  store<f64>(p, deficit + 1)
  return true
}
