// Port ranges as masked matches (offload/openflow/port-range.ts): every cover is exact (each value inside the
// range is matched by exactly one piece, nothing outside by any), and as small as a prefix cover can be
// (checked against a brute-force minimum over the binary trie for every range of 8-bit values).
import t from 'tap'
import { rangeCover } from '../../offload/openflow/port-range.js'

const covers = (pieces: { value: number; mask: number }[], v: number): number => pieces.filter(p => (v & p.mask) === p.value).length

/** The fewest prefix pieces covering exactly [lo, hi] within the aligned block [base, base + size). */
function minimum(lo: number, hi: number, base: number, size: number): number {
  const end = base + size - 1
  if (hi < base || lo > end) return 0
  if (lo <= base && end <= hi) return 1
  return minimum(lo, hi, base, size / 2) + minimum(lo, hi, base + size / 2, size / 2)
}

t.test('random 16-bit ranges: exact, disjoint pieces', async t => {
  let seed = 7
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31
    return seed % n
  }
  let bad = 0
  for (let i = 0; i < 300; i++) {
    const a = rnd(65536)
    const b = i % 3 === 0 ? Math.min(65535, a + rnd(40)) : rnd(65536)
    const [lo, hi] = a <= b ? [a, b] : [b, a]
    const pieces = rangeCover(lo, hi)
    // every value once inside, never outside: check the edges and a sample
    const probes = [0, lo - 1, lo, lo + 1, hi - 1, hi, hi + 1, 65535, ...Array.from({ length: 50 }, () => rnd(65536))].filter(
      v => v >= 0 && v <= 65535,
    )
    for (const v of probes) {
      const want = v >= lo && v <= hi ? 1 : 0
      if (covers(pieces, v) !== want) {
        bad++
        t.fail(`${lo}..${hi}: value ${v} matched by ${covers(pieces, v)} pieces, want ${want}`)
      }
    }
    if (pieces.length !== minimum(lo, hi, 0, 65536)) {
      bad++
      t.fail(`${lo}..${hi}: ${pieces.length} pieces, the minimum is ${minimum(lo, hi, 0, 65536)}`)
    }
  }
  t.equal(bad, 0, 'every random range is covered exactly by a minimal set')
})

t.test('every 8-bit range: exact and minimal (brute force over all 32 896 ranges)', async t => {
  let bad = 0
  for (let lo = 0; lo < 256; lo++) {
    for (let hi = lo; hi < 256; hi++) {
      const pieces = rangeCover(lo, hi, 8)
      for (let v = 0; v < 256; v++) if (covers(pieces, v) !== (v >= lo && v <= hi ? 1 : 0)) bad++
      if (pieces.length !== minimum(lo, hi, 0, 256)) bad++
    }
  }
  t.equal(bad, 0, 'no range mismatched or larger than the minimum')
})

t.test('known covers', async t => {
  t.same(
    rangeCover(0, 65535).map(p => [p.value, p.mask]),
    [[0, 0]],
    'the whole field is one wildcard piece',
  )
  t.same(
    rangeCover(22, 22).map(p => [p.value, p.mask]),
    [[22, 0xffff]],
    'one port is an exact match',
  )
  t.same(
    rangeCover(8000, 8080).map(p => [p.value, p.mask]),
    [
      [0x1f40, 0xffc0],
      [0x1f80, 0xfff0],
      [0x1f90, 0xffff],
    ],
    '8000-8080',
  )
  t.equal(rangeCover(1, 65534).length, 30, '1..65534 is the worst case: 2 * 16 - 2 pieces')
  t.throws(() => rangeCover(10, 9), /not inside/, 'an empty range is refused')
  t.throws(() => rangeCover(0, 65536), /not inside/, 'a port above 65535 is refused')
})
