// The compressed images the LPM lookup walks (tables/lpm.ts keeps the expanded trie they are built from).
// An expanded node is 2 KiB and mostly repeats one value, so 100k scattered prefixes would spread lookups over
// ~100 MB; an image keeps only where the value changes (the idea of the Lulea trie, Degermark et al. 1997),
// so a typical node is one cache line and the whole table stays in cache.
//
//   0                32       36                       40
//   +----------------+--------+------------------------+-------------------------------+
//   | bitmap[256 b]  | counts | pad                    | values: u64 per run           |
//   +----------------+--------+------------------------+-------------------------------+
//
// Bit b of the bitmap is set where slot b starts a run of equal values (bit 0 always); counts[w] is the number
// of bits set in words before w, so the run of slot b is counts[b >> 6] + popcnt(word & bits up to b) - 1.
// A value is route (low 32 bits: plen + 1 << 24 | route id, as in the expanded slot) and child image offset
// (high 32 bits, 0 = none). Images live in one arena, addressed by offset (the arena may move when it grows),
// in blocks of whole cache lines recycled through one free list per size.
// A node with many runs (near the root of a big table) is stored dense instead: an all-zero bitmap, then the
// 256 values, so a lookup touches one line of it rather than the bitmap's and the value's.

const LINE: u32 = 64
const HEADER: u32 = 40
const MAX_UNITS: u32 = (HEADER + 256 * 8 + LINE - 1) / LINE
/** Above this many runs a node is stored dense (the compressed form would save little and cost a line). */
const DENSE_RUNS: u32 = 64
const freeHeads: usize = memory.data(<i32>(MAX_UNITS + 1) * 4)

let arenaBlock: usize = 0
let arena: usize = 0
let arenaSize: u32 = 0
let arenaTop: u32 = LINE // offset 0 means "no child"

@inline export function imageBase(): usize {
  return arena
}

/** Cache lines an image of `runs` runs takes. */
@inline export function unitsFor(runs: u32): u32 {
  return runs > DENSE_RUNS ? MAX_UNITS : (HEADER + runs * 8 + LINE - 1) / LINE
}

export function allocImage(units: u32): u32 {
  const head = freeHeads + (<usize>units << 2)
  const free = load<u32>(head)
  if (free != 0) {
    store<u32>(head, load<u32>(arena + <usize>free))
    return free
  }
  const bytes = units * LINE
  if (arenaTop + bytes > arenaSize) {
    let size: u32 = arenaSize == 0 ? 256 * 1024 : arenaSize << 1
    while (arenaTop + bytes > size) size <<= 1
    const block = heap.alloc(<usize>size + <usize>LINE)
    const base = (block + <usize>LINE - 1) & ~(<usize>LINE - 1) // cache-line aligned
    if (arenaBlock != 0) {
      memory.copy(base, arena, <usize>arenaTop)
      heap.free(arenaBlock)
    }
    arenaBlock = block
    arena = base
    arenaSize = size
  }
  const offset = arenaTop
  arenaTop += bytes
  return offset
}

export function freeImage(offset: u32, units: u32): void {
  if (offset == 0) return
  const head = freeHeads + (<usize>units << 2)
  store<u32>(arena + <usize>offset, load<u32>(head))
  store<u32>(head, offset)
}

/** Runs in `values` (256 u64 slot values): how many times the value changes, plus one. */
export function countRuns(values: usize): u32 {
  let runs: u32 = 1
  let prev = load<u64>(values)
  for (let s: usize = 1; s < 256; s++) {
    const v = load<u64>(values + (s << 3))
    if (v != prev) runs++
    prev = v
  }
  return runs
}

/** Writes the image of the 256 slot values at `values` into the block at `offset`. */
export function writeImage(offset: u32, values: usize): void {
  const img = arena + <usize>offset
  memory.fill(img, 0, <usize>HEADER)
  if (countRuns(values) > DENSE_RUNS) {
    memory.copy(img + <usize>HEADER, values, 256 * 8)
    return
  }
  let run: usize = 0
  let prev = load<u64>(values)
  store<u64>(img + <usize>HEADER, prev)
  store<u64>(img, 1)
  for (let s: usize = 1; s < 256; s++) {
    const v = load<u64>(values + (s << 3))
    if (v == prev) continue
    prev = v
    run++
    const word = img + ((s >> 6) << 3)
    store<u64>(word, load<u64>(word) | (<u64>1 << <u64>(s & 63)))
    store<u64>(img + <usize>HEADER + (run << 3), v)
  }
  let count: u32 = 0
  for (let w: usize = 0; w < 4; w++) {
    store<u8>(img + 32 + w, <u8>count)
    count += <u32>popcnt<u64>(load<u64>(img + (w << 3)))
  }
}

/** The value of slot `b` in the image at `img` (an address, not an offset). */
@inline export function imageValue(img: usize, b: u32): u64 {
  const first = load<u64>(img)
  if (first == 0) return load<u64>(img + <usize>HEADER + (<usize>b << 3)) // dense
  const w = <usize>(b >> 6)
  const bits = (w == 0 ? first : load<u64>(img + (w << 3))) & ((<u64>2 << <u64>(b & 63)) - 1)
  const run = <usize>load<u8>(img + 32 + w) + <usize>popcnt<u64>(bits) - 1
  return load<u64>(img + <usize>HEADER + (run << 3))
}

export function clearImages(): void {
  memory.fill(freeHeads, 0, <usize>(MAX_UNITS + 1) * 4)
  arenaTop = LINE
}
