// An exact-match hash table in linear memory: open addressing, linear probing, backward-shift deletion
// (no tombstones, so lookups stay short however many removes happen).
//
// Keys are always KEY_BYTES (zero-padded by the caller through `key`), values are `valueBytes` of raw memory
// the caller reads and writes through the returned pointer. A slot:
//
//   0        4        8                 32
//   +--------+--------+-----------------+---------------------+
//   |  tag   |  pad   | key[24]         | value[valueBytes]   |
//   +--------+--------+-----------------+---------------------+
//
// tag 0 = empty, otherwise the key's hash with the low bit set (compared before the key).
// Growth (at 70% load) happens only when an entry is added, never on the packet path.

export const KEY_BYTES: i32 = 24
const SLOT_HEADER: usize = 8
const MIN_CAPACITY: u32 = 16

/** The scratch key every caller fills before find/upsert/remove (one packet at a time, so one buffer). */
export const key: usize = memory.data(KEY_BYTES)

// The words of the common key shapes, as the little-endian reads of what clearKey and the stores build:
// (u32 id, MAC at 4) and (u32 id, family u8 at 4, IP at 8: 4 or 16 bytes).
@inline export function macWord0(id: u32, mac: usize): u64 {
  return <u64>id | (<u64>load<u32>(mac) << 32)
}

@inline export function macWord1(mac: usize): u64 {
  return <u64>load<u16>(mac, 4)
}

@inline export function ipWord0(id: u32, family: u32): u64 {
  return <u64>id | (<u64>family << 32)
}

@inline export function ipWord1(family: u32, ip: usize): u64 {
  return family == 4 ? <u64>load<u32>(ip) : load<u64>(ip)
}

@inline export function ipWord2(family: u32, ip: usize): u64 {
  return family == 4 ? 0 : load<u64>(ip, 8)
}

@inline export function clearKey(): void {
  store<u64>(key, 0)
  store<u64>(key, 0, 8)
  store<u64>(key, 0, 16)
}

@inline function hashWords(w0: u64, w1: u64, w2: u64): u32 {
  // Multiply-xorshift over the three words (constants from SplitMix64): cheap, and every key bit reaches the
  // high half that the tag is taken from.
  let h = (w0 ^ rotl<u64>(w1, 23) ^ rotl<u64>(w2, 47)) * 0xbf58476d1ce4e5b9
  h = (h ^ (h >> 31)) * 0x94d049bb133111eb
  return <u32>(h >> 32) | 1
}

@inline function hashKey(k: usize): u32 {
  return hashWords(load<u64>(k), load<u64>(k, 8), load<u64>(k, 16))
}

@final export class ExactTable {
  base: usize = 0
  capacity: u32 = 0
  count: u32 = 0
  slotBytes: usize

  constructor(public valueBytes: i32, capacity: u32) {
    this.slotBytes = (SLOT_HEADER + <usize>KEY_BYTES + <usize>valueBytes + 7) & ~7
    this.allocate(max(capacity, MIN_CAPACITY))
  }

  private allocate(capacity: u32): void {
    let cap: u32 = MIN_CAPACITY
    while (cap < capacity) cap <<= 1
    this.capacity = cap
    this.base = heap.alloc(<usize>cap * this.slotBytes)
    memory.fill(this.base, 0, <usize>cap * this.slotBytes)
  }

  @inline slot(i: u32): usize {
    return this.base + <usize>i * this.slotBytes
  }

  @inline keyAt(i: u32): usize {
    return this.slot(i) + SLOT_HEADER
  }

  @inline valueAt(i: u32): usize {
    return this.slot(i) + SLOT_HEADER + <usize>KEY_BYTES
  }

  @inline used(i: u32): bool {
    return load<u32>(this.slot(i)) != 0
  }

  /** The value of the entry whose key is in `key`, or 0. */
  @inline find(k: usize = key): usize {
    return this.findWords(load<u64>(k), load<u64>(k, 8), load<u64>(k, 16))
  }

  /**
   * The value of the entry whose key is the three words (the key's bytes read as little-endian u64s), or 0.
   * The packet path calls this directly: the key never goes through memory.
   */
  findWords(w0: u64, w1: u64 = 0, w2: u64 = 0): usize {
    const tag = hashWords(w0, w1, w2)
    const mask = this.capacity - 1
    let i = (tag >> 1) & mask
    while (true) {
      const s = this.slot(i)
      const t = load<u32>(s)
      if (t == 0) return 0
      if (t == tag && load<u64>(s, SLOT_HEADER) == w0 && load<u64>(s, SLOT_HEADER + 8) == w1 &&
        load<u64>(s, SLOT_HEADER + 16) == w2) {
        return s + SLOT_HEADER + <usize>KEY_BYTES
      }
      i = (i + 1) & mask
    }
  }

  /** The value of the entry with `key`, created zeroed when absent. */
  upsert(k: usize = key): usize {
    const found = this.find(k)
    if (found != 0) return found
    if (this.full()) this.grow()
    return this.insertNew(k)
  }

  /** Like upsert, but 0 instead of growing: for the packet path, which must not allocate. */
  upsertInPlace(k: usize = key): usize {
    const found = this.find(k)
    if (found != 0) return found
    return this.full() ? 0 : this.insertNew(k)
  }

  /** One more entry would pass the 70% load factor. */
  @inline private full(): bool {
    return (this.count + 1) * 10 > this.capacity * 7
  }

  private insertNew(k: usize): usize {
    const tag = hashKey(k)
    const mask = this.capacity - 1
    let i = (tag >> 1) & mask
    while (load<u32>(this.slot(i)) != 0) i = (i + 1) & mask
    const s = this.slot(i)
    store<u32>(s, tag)
    memory.copy(s + SLOT_HEADER, k, <usize>KEY_BYTES)
    memory.fill(s + SLOT_HEADER + <usize>KEY_BYTES, 0, <usize>this.valueBytes)
    this.count++
    return s + SLOT_HEADER + <usize>KEY_BYTES
  }

  /** Removes the entry with `key`; false when absent. */
  remove(k: usize = key): bool {
    const tag = hashKey(k)
    const mask = this.capacity - 1
    let i = (tag >> 1) & mask
    while (true) {
      const s = this.slot(i)
      const t = load<u32>(s)
      if (t == 0) return false
      if (t == tag && sameKey(s + SLOT_HEADER, k)) break
      i = (i + 1) & mask
    }
    // Backward shift: pull later members of the probe run into the hole when their home allows it.
    let hole = i
    let j = (i + 1) & mask
    while (true) {
      const s = this.slot(j)
      const t = load<u32>(s)
      if (t == 0) break
      const home = (t >> 1) & mask
      // j may move to `hole` when home is not cyclically in (hole, j]
      const between = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j)
      if (!between) {
        memory.copy(this.slot(hole), s, this.slotBytes)
        hole = j
      }
      j = (j + 1) & mask
    }
    store<u32>(this.slot(hole), 0)
    this.count--
    return true
  }

  clear(): void {
    memory.fill(this.base, 0, <usize>this.capacity * this.slotBytes)
    this.count = 0
  }

  private grow(): void {
    const oldBase = this.base
    const oldCap = this.capacity
    this.allocate(oldCap << 1)
    const mask = this.capacity - 1
    for (let i: u32 = 0; i < oldCap; i++) {
      const s = oldBase + <usize>i * this.slotBytes
      const t = load<u32>(s)
      if (t == 0) continue
      let j = (t >> 1) & mask
      while (load<u32>(this.slot(j)) != 0) j = (j + 1) & mask
      memory.copy(this.slot(j), s, this.slotBytes)
    }
    // The stub runtime only reclaims the last block; growth doubles, so the waste stays below the live size.
    heap.free(oldBase)
  }
}

@inline function sameKey(a: usize, b: usize): bool {
  return load<u64>(a) == load<u64>(b) && load<u64>(a, 8) == load<u64>(b, 8) && load<u64>(a, 16) == load<u64>(b, 16)
}
