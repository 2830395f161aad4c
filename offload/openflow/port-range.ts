// A range of L4 ports as the fewest value/mask pieces that cover exactly that range: OpenFlow matches a port
// under a bit mask, not a range. The pieces are the aligned power-of-two blocks of the range (a prefix cover),
// as OVS's own ovs-ofctl and Neutron's OVS firewall (port_rule_masking) do; the cover is minimal among prefix
// covers (test/offload/openflow-acl-range.test.ts checks it against a brute-force minimum).
import { Bits } from './values.js'

/** [lo, hi] within `bits` bits (16 for ports) -> pieces; a whole-field range is one piece with mask 0. */
export function rangeCover(lo: number, hi: number, bits = 16): Bits[] {
  const top = 2 ** bits - 1
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 0 || hi > top || lo > hi) {
    throw new Error(`port range ${lo}..${hi} is not inside 0..${top}`)
  }
  const out: Bits[] = []
  let at = lo
  while (at <= hi) {
    // the largest block starting at `at` that is aligned to its size and ends within the range
    let size = 1
    while (size <= top && at % (size * 2) === 0 && at + size * 2 - 1 <= hi) size *= 2
    out.push(new Bits(at, top - (size - 1)))
    at += size
  }
  return out
}
