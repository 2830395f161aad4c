// The connection table (BEHAVIOUR.md "Security groups", "Conntrack"): connections keyed by zone and 5-tuple,
// found from either direction, in memory taken once at start (CT_SLOTS slots and their TCP states), so the
// packet path never allocates; a commit into a full table fails (ct_full). Semantics follow OVS's userspace
// conntrack (lib/conntrack.c, conntrack-other.c, conntrack-icmp.c); TCP is conntrack-tcp.ts.
//
// A key is stored once, canonical: of its two endpoints (address, port) the smaller comes first, and the slot
// says whether the original direction's sender is the second (`swapped`). A packet's key is canonicalized the
// same way, so both directions find the one slot: reply = the packet's swap differs from the slot's.
// ICMP echo, timestamp and information messages (RFC 792) have no ports: the endpoint's "port" is
// type << 16 | identifier, with the request type on the requester's side and the reply type on the other
// (OVS's key: src.icmp_type, dst.icmp_type = reverse type, both icmp_id), so a reply finds its request.
//
// The slots are the hash table itself (open addressing, linear probing, backward-shift deletion): a lookup
// reads one 64-byte line, which holds the key, its hash, the expiry and the state a packet updates. (An index
// of hashes pointing at records cost two dependent cache misses per packet: with 100k connections both were
// misses, and they were most of the time of established forwarding.)
//
//   slot (SLOT_BYTES, one cache line: the table is 64-byte aligned)
//   0                 4        8        12     16               32               48        56     60   61  62  64
//   +-----------------+--------+--------+------+----------------+----------------+---------+------+----+---+---+
//   | zone|family|proto| port A | port B | tag  | address A (16) | address B (16) | expires | mark |flag|st | - |
//   +-----------------+--------+--------+------+----------------+----------------+---------+------+----+---+---+
//   zone u16 @0, family u8 @2, proto u8 @3; tag = key hash | 1 (0 = empty slot), compared with the key (the
//   packet's key carries its tag too), so a different key usually fails at the first word compared;
//   expires f64 ms @48; flags: swapped; st: other/ICMP state. TCP state: TCP_STATE_BYTES per slot in a
//   parallel array (moved with its slot), touched only by TCP connections.
//
// An occupancy bitmap (one bit per slot) and its summary (one bit per bitmap word) let the sweep and the
// flushes visit only the slots in use. Expiry: lazily when a lookup finds an expired connection, plus a
// bounded sweep of CT_SWEEP_STEP connections per call (ctSweep), so that expired connections give their slots
// back. A slot number identifies a connection only until the next deletion (which may shift it): the
// pipeline keeps it for one packet, during which nothing is deleted between its ct and acl stages.
import { IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP } from '../codec/ipv4'
import { TCP_RESTART, TCP_STATE_BYTES, TCP_VALID, tcpExpiresAt, tcpStart, tcpUpdate } from './conntrack-tcp'

/** Connections the table holds (OVS's default limit is 3 000 000; ours is memory taken once, 48 MiB). */
export const CT_CAPACITY: u32 = 262144
/** Twice the capacity: linear probing stays short (at most half full). */
const CT_SLOTS: u32 = CT_CAPACITY * 2
const SLOT_MASK: u32 = CT_SLOTS - 1
/** Connections looked at per call of ctSweep: at most a few microseconds. */
export const CT_SWEEP_STEP: u32 = 1024

const KEY_BYTES: usize = 48
const S_TAG: usize = 12
const S_EXPIRES: usize = 48
const S_MARK: usize = 56
const S_FLAGS: usize = 60
const S_STATE: usize = 61
const SLOT_BYTES: usize = 64
const CACHE_LINE: usize = 64
const FLAG_SWAPPED: u8 = 2

// OVS's default timeouts for the netdev datapath (lib/conntrack-tp.c ct_dpif_netdev_tp_def), in ms.
// "other" (UDP and every protocol but TCP and ICMP): first packet, more packets one way, both ways seen.
const OTHER_FIRST_MS: f64 = 60_000
const OTHER_MULTIPLE_MS: f64 = 60_000
const OTHER_BIDIR_MS: f64 = 30_000
const ICMP_FIRST_MS: f64 = 60_000
const ICMP_REPLY_MS: f64 = 30_000
// States of other and ICMP connections (conntrack-other.c, conntrack-icmp.c).
const OTHERS_FIRST: u8 = 0
const OTHERS_MULTIPLE: u8 = 1
const OTHERS_BIDIR: u8 = 2
const ICMPS_FIRST: u8 = 0
const ICMPS_REPLY: u8 = 1

/** Results of ctUpdate, as OVS's ct_update_res: established, still new (one way only), invalid, start over. */
export const CT_UPDATE_VALID: i32 = 0
export const CT_UPDATE_VALID_NEW: i32 = 1
export const CT_UPDATE_INVALID: i32 = 2
export const CT_UPDATE_NEW: i32 = 3

// Neither array is written here: the stub runtime hands out fresh (zeroed) memory at start, and leaving it
// untouched keeps its pages from being resident until connections use them.
const slots: usize = (heap.alloc(<usize>CT_SLOTS * SLOT_BYTES + CACHE_LINE) + CACHE_LINE - 1) & ~(CACHE_LINE - 1)
const tcpStates: usize = heap.alloc(<usize>CT_SLOTS * <usize>TCP_STATE_BYTES)
const OCCUPIED_WORDS: u32 = CT_SLOTS >> 6
const WORD_MASK: u32 = OCCUPIED_WORDS - 1
/** bit s: slot s holds a connection */
const occupied: usize = heap.alloc(<usize>OCCUPIED_WORDS * 8)
/** bit w: word w of `occupied` is not zero */
const summary: usize = heap.alloc(<usize>(OCCUPIED_WORDS >> 6) * 8)
memory.fill(occupied, 0, <usize>OCCUPIED_WORDS * 8)
memory.fill(summary, 0, <usize>(OCCUPIED_WORDS >> 6) * 8)

/** The packet's key, canonical (ctSetKey), with its tag at S_TAG. */
export const ctKey: usize = memory.data(<i32>KEY_BYTES, 8)
let keySwapped = false
/** TCP state of a would-be connection, made by the lookup (ctCheckNew) and copied in at commit. */
const tcpScratch: usize = memory.data(TCP_STATE_BYTES, 8)

let count: u32 = 0
let limit: u32 = CT_CAPACITY
let sweepCursor: u32 = 0
// The sweep is skipped while no connection can have expired: `expiryFloor` is at most every connection's
// expiry. Each expiry set lowers it; a full turn of the sweep raises it to the least expiry seen on the turn
// (connections it looked at and kept, those moved behind its cursor by a deletion, expiries set meanwhile).
let expiryFloor: f64 = Infinity
let turnLeast: f64 = Infinity
/** slots the sweep's cursor has gone over in this turn */
let turnDistance: u32 = 0
let commits: u64 = 0
let expired: u64 = 0

@inline function slotAt(s: u32): usize {
  return slots + <usize>s * SLOT_BYTES
}

@inline function tcpAt(s: u32): usize {
  return tcpStates + <usize>s * <usize>TCP_STATE_BYTES
}

@inline function home(tag: u32): u32 {
  return (tag >> 1) & SLOT_MASK
}

// ---- keys ----------------------------------------------------------------------------------------------------

/**
 * Sets the packet's key: zone, family, protocol, the sender's address and port (`src`, `sport`) and the
 * receiver's. Addresses are 4 or 16 bytes in network order; ports are u32 (ICMP: type << 16 | id).
 * The words are made in registers and stored whole (reading back words made of narrower stores would stall
 * on store forwarding).
 */
export function ctSetKey(zone: u32, family: u32, proto: u32, src: usize, sport: u32, dst: usize, dport: u32): void {
  let s0: u64, s1: u64, d0: u64, d1: u64
  if (family == 4) {
    s0 = <u64>load<u32>(src)
    d0 = <u64>load<u32>(dst)
    s1 = 0
    d1 = 0
  } else {
    s0 = load<u64>(src)
    s1 = load<u64>(src, 8)
    d0 = load<u64>(dst)
    d1 = load<u64>(dst, 8)
  }
  // (address, port) of the sender after the receiver's, in a fixed total order (any order works if it is
  // fixed): then the key holds the receiver first
  const swapped = s0 != d0 ? s0 > d0 : s1 != d1 ? s1 > d1 : sport > dport
  keySwapped = swapped
  const a0 = swapped ? d0 : s0
  const a1 = swapped ? d1 : s1
  const b0 = swapped ? s0 : d0
  const b1 = swapped ? s1 : d1
  const w0 = <u64>((zone & 0xffff) | (family << 16) | (proto << 24)) | (<u64>(swapped ? dport : sport) << 32)
  const w1 = <u64>(swapped ? sport : dport)
  const tag = hashWords(w0, w1, a0, a1, b0, b1) | 1
  const k = ctKey
  store<u64>(k, w0)
  store<u64>(k, w1 | (<u64>tag << 32), 8)
  store<u64>(k, a0, 16)
  store<u64>(k, a1, 24)
  store<u64>(k, b0, 32)
  store<u64>(k, b1, 40)
}

/** The hash of a key's six words (the second without its tag). */
@inline function hashWords(w0: u64, w1: u64, a0: u64, a1: u64, b0: u64, b1: u64): u32 {
  // Multiply-xorshift over the six words (SplitMix64's constants), as exact-table.ts.
  let h = w0 * 0x9e3779b97f4a7c15
  h ^= rotl<u64>(w1, 17) ^ rotl<u64>(a0, 31) ^ rotl<u64>(a1, 47)
  h = (h ^ (h >> 29)) * 0xbf58476d1ce4e5b9
  h ^= b0 ^ rotl<u64>(b1, 23)
  h = (h ^ (h >> 31)) * 0x94d049bb133111eb
  return <u32>(h >> 32) ^ <u32>h
}

/** Slot `s` holds key `k` (tag included: the word holding it is compared first). */
@inline function keyEquals(s: usize, k: usize): bool {
  return load<u64>(s, 8) == load<u64>(k, 8) && load<u64>(s) == load<u64>(k) &&
    load<u64>(s, 16) == load<u64>(k, 16) && load<u64>(s, 24) == load<u64>(k, 24) &&
    load<u64>(s, 32) == load<u64>(k, 32) && load<u64>(s, 40) == load<u64>(k, 40)
}

/**
 * Copies `bytes` (a multiple of 16, a constant at every call) 16 at a time: V8 compiles memory.copy to a call
 * into the runtime, which costs more than these few vector moves.
 */
@inline function copyBlocks(dst: usize, src: usize, bytes: usize): void {
  for (let i: usize = 0; i < bytes; i += 16) v128.store(dst + i, v128.load(src + i))
}

@inline function setExpiry(p: usize, expires: f64): void {
  store<f64>(p, expires, S_EXPIRES)
  if (expires < expiryFloor) expiryFloor = expires
  if (expires < turnLeast) turnLeast = expires
}

// ---- slots ---------------------------------------------------------------------------------------------------

@inline function setOccupied(s: u32): void {
  const w = occupied + (<usize>(s >> 6) << 3)
  store<u64>(w, load<u64>(w) | (<u64>1 << <u64>(s & 63)))
  const sw = summary + (<usize>(s >> 12) << 3)
  store<u64>(sw, load<u64>(sw) | (<u64>1 << <u64>((s >> 6) & 63)))
}

@inline function clearOccupied(s: u32): void {
  const w = occupied + (<usize>(s >> 6) << 3)
  const bits = load<u64>(w) & ~(<u64>1 << <u64>(s & 63))
  store<u64>(w, bits)
  if (bits == 0) {
    const sw = summary + (<usize>(s >> 12) << 3)
    store<u64>(sw, load<u64>(sw) & ~(<u64>1 << <u64>((s >> 6) & 63)))
  }
}

/** The first slot in use at or after `s`, cyclically (count > 0: there is one). */
function nextOccupied(s: u32): u32 {
  let w = s >> 6
  const bits = load<u64>(occupied + (<usize>w << 3)) & (<u64>0xffffffffffffffff << <u64>(s & 63))
  if (bits != 0) return (w << 6) + <u32>ctz<u64>(bits)
  // the next word that is not zero, through the summary, back round to this word at worst
  w = (w + 1) & WORD_MASK
  while (true) {
    const sw = w >> 6
    const sbits = load<u64>(summary + (<usize>sw << 3)) & (<u64>0xffffffffffffffff << <u64>(w & 63))
    if (sbits != 0) {
      w = (sw << 6) + <u32>ctz<u64>(sbits)
      return (w << 6) + <u32>ctz<u64>(load<u64>(occupied + (<usize>w << 3)))
    }
    w = ((sw + 1) << 6) & WORD_MASK
  }
}

/** Empties slot `s`: later members of its probe run move back into the hole when their home allows it. */
function deleteAt(s: u32): void {
  let hole = s
  let j = (s + 1) & SLOT_MASK
  while (true) {
    const p = slotAt(j)
    const tag = load<u32>(p, S_TAG)
    if (tag == 0) break
    const h = home(tag)
    // j may move to `hole` when its home is not cyclically in (hole, j]
    const between = hole <= j ? (h > hole && h <= j) : (h > hole || h <= j)
    if (!between) {
      // moved from the sweep's cursor or after it to before it: the sweep will not see it in this turn
      const toCursor = (sweepCursor - hole) & SLOT_MASK
      if (toCursor != 0 && toCursor <= ((j - hole) & SLOT_MASK)) turnLeast = min(turnLeast, load<f64>(p, S_EXPIRES))
      copyBlocks(slotAt(hole), p, SLOT_BYTES)
      if (<u32>load<u8>(p, 3) == IPPROTO_TCP) copyBlocks(tcpAt(hole), tcpAt(j), <usize>TCP_STATE_BYTES)
      hole = j
    }
    j = (j + 1) & SLOT_MASK
  }
  store<u32>(slotAt(hole), 0, S_TAG)
  clearOccupied(hole)
  count--
}

// ---- lookups -------------------------------------------------------------------------------------------------

/** Whether the last ctFind's connection was found in its reply direction. */
export let ctFoundReply = false

/** The connection of the key set by ctSetKey, or -1; an expired one is deleted and not found. */
export function ctFind(nowMs: f64): i32 {
  const k = ctKey
  let i = home(load<u32>(k, S_TAG))
  while (true) {
    const p = slotAt(i)
    if (load<u32>(p, S_TAG) == 0) return -1
    if (keyEquals(p, k)) {
      if (load<f64>(p, S_EXPIRES) <= nowMs) {
        expired++
        deleteAt(i)
        return -1
      }
      ctFoundReply = keySwapped != ((load<u8>(p, S_FLAGS) & FLAG_SWAPPED) != 0)
      return <i32>i
    }
    i = (i + 1) & SLOT_MASK
  }
}

/** Where the lookup of the current key starts: its home slot, and that slot's TCP state (read-ahead only). */
@inline export function ctHomeSlot(): usize {
  return slotAt(home(load<u32>(ctKey, S_TAG)))
}

@inline export function ctHomeTcpState(): usize {
  return tcpAt(home(load<u32>(ctKey, S_TAG)))
}

/**
 * Whether a packet may start a connection (OVS's valid_new()): TCP through tcpStart (whose state is kept for
 * ctCommit), ICMP only an echo, timestamp or information request (decided by the caller: `icmpRequest`).
 * `tcp`/`tcpLen`/`payloadLen` as conntrack-tcp.ts takes them.
 */
export function ctCheckNewTcp(tcp: usize, tcpLen: i32, payloadLen: i32, nowMs: f64): bool {
  return tcpStart(tcpScratch, tcp, tcpLen, payloadLen, nowMs)
}

/**
 * Creates the connection of the current key (which ctFind did not find) in its packet's direction; -1 when
 * the table is at its limit.
 */
export function ctCommit(proto: u32, nowMs: f64): i32 {
  if (count >= limit) {
    ctSweep(nowMs) // expired connections may be waiting for the sweep
    if (count >= limit) return -1
  }
  // the probe run ends at an empty slot (the table is at most half full)
  let r = home(load<u32>(ctKey, S_TAG))
  while (load<u32>(slotAt(r), S_TAG) != 0) r = (r + 1) & SLOT_MASK
  const p = slotAt(r)
  copyBlocks(p, ctKey, KEY_BYTES)
  store<u32>(p, 0, S_MARK)
  store<u8>(p, keySwapped ? FLAG_SWAPPED : 0, S_FLAGS)
  store<u8>(p, 0, S_STATE) // OTHERS_FIRST, ICMPS_FIRST
  let expires: f64
  if (proto == IPPROTO_TCP) {
    copyBlocks(tcpAt(r), tcpScratch, <usize>TCP_STATE_BYTES)
    expires = tcpExpiresAt(tcpScratch)
  } else {
    expires = nowMs + (isIcmp(p) ? ICMP_FIRST_MS : OTHER_FIRST_MS)
  }
  setExpiry(p, expires)
  setOccupied(r)
  count++
  commits++
  ctFoundReply = false
  return <i32>r
}

@inline function isIcmp(p: usize): bool {
  const proto = <u32>load<u8>(p, 3)
  return proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6
}

/**
 * A packet of connection `r` (`reply` = in its reply direction): advances its state and expiry as OVS's
 * conn_update() does; CT_UPDATE_* (NEW: the connection was deleted, the packet may start a new one).
 */
export function ctUpdate(r: i32, reply: bool, tcp: usize, tcpLen: i32, payloadLen: i32, nowMs: f64): i32 {
  const p = slotAt(<u32>r)
  const proto = <u32>load<u8>(p, 3)
  if (proto == IPPROTO_TCP) {
    const state = tcpAt(<u32>r)
    const res = tcpUpdate(state, reply, tcp, tcpLen, payloadLen, nowMs)
    if (res == TCP_RESTART) {
      deleteAt(<u32>r)
      return CT_UPDATE_NEW
    }
    setExpiry(p, tcpExpiresAt(state))
    return res == TCP_VALID ? CT_UPDATE_VALID : CT_UPDATE_INVALID
  }
  let state = load<u8>(p, S_STATE)
  let result = CT_UPDATE_VALID
  let timeout: f64
  if (isIcmp(p)) {
    // icmp_conn_update(): a reply moves FIRST to REPLY; more requests before one stay new
    if (reply && state == ICMPS_FIRST) state = ICMPS_REPLY
    else if (state == ICMPS_FIRST) result = CT_UPDATE_VALID_NEW
    timeout = state == ICMPS_REPLY ? ICMP_REPLY_MS : ICMP_FIRST_MS
  } else {
    // other_conn_update(): established only once both directions were seen
    if (reply && state != OTHERS_BIDIR) state = OTHERS_BIDIR
    else if (state == OTHERS_FIRST) state = OTHERS_MULTIPLE
    if (state != OTHERS_BIDIR) result = CT_UPDATE_VALID_NEW
    timeout = state == OTHERS_BIDIR ? OTHER_BIDIR_MS : state == OTHERS_MULTIPLE ? OTHER_MULTIPLE_MS : OTHER_FIRST_MS
  }
  store<u8>(p, state, S_STATE)
  setExpiry(p, nowMs + timeout)
  return result
}

@inline export function ctMark(r: i32): u32 {
  return load<u32>(slotAt(<u32>r), S_MARK)
}

@inline export function ctSetMark(r: i32, mark: u32): void {
  store<u32>(slotAt(<u32>r), mark, S_MARK)
}

// ---- expiry, flush, limits -----------------------------------------------------------------------------------

/**
 * Looks at the next CT_SWEEP_STEP connections (all of them when there are fewer) and deletes the expired ones
 * (called once per batch / packet-in); nothing while no connection can have expired.
 */
export function ctSweep(nowMs: f64): void {
  if (count == 0 || nowMs < expiryFloor) return
  let n = min<u32>(CT_SWEEP_STEP, count)
  let s = sweepCursor
  while (n-- > 0 && count > 0) {
    const next = nextOccupied(s)
    turnDistance += (next - s) & SLOT_MASK
    s = next
    sweepCursor = s
    const expires = load<f64>(slotAt(s), S_EXPIRES)
    if (expires <= nowMs) {
      expired++
      deleteAt(s) // a later connection may have moved into `s`: look at it next
    } else {
      if (expires < turnLeast) turnLeast = expires
      s = (s + 1) & SLOT_MASK
      turnDistance++
    }
    if (turnDistance >= CT_SLOTS) {
      expiryFloor = turnLeast
      turnLeast = Infinity
      turnDistance = 0
    }
  }
  sweepCursor = s
}

/** Removes every connection (zone < 0) or those of one zone; returns how many. */
export function ctFlush(zone: i32): u32 {
  const n = count
  if (n == 0) return 0
  if (zone < 0) {
    // only the slots in use are written: pages never used stay untouched
    let s: u32 = 0
    for (let left = n; left > 0; left--) {
      s = nextOccupied(s)
      store<u32>(slotAt(s), 0, S_TAG)
      s++
    }
    memory.fill(occupied, 0, <usize>OCCUPIED_WORDS * 8)
    memory.fill(summary, 0, <usize>(OCCUPIED_WORDS >> 6) * 8)
    count = 0
    sweepCursor = 0
    expiryFloor = Infinity
    turnLeast = Infinity
    turnDistance = 0
    return n
  }
  // In slot order, once round: a deletion only moves later connections back, to the slot being looked at or
  // after it (one that wraps round from the start was looked at already, and is looked at again: harmless).
  let s: u32 = 0
  while (count > 0) {
    const next = nextOccupied(s)
    if (next < s) break // wrapped round
    s = next
    if (<i32>load<u16>(slotAt(s)) == (zone & 0xffff)) deleteAt(s)
    else if (++s == CT_SLOTS) break
  }
  return n - count
}

/** Sets the most connections admitted (at most CT_CAPACITY; 0 = CT_CAPACITY); returns the limit in force. */
export function ctSetLimit(max: u32): u32 {
  limit = max == 0 || max > CT_CAPACITY ? CT_CAPACITY : max
  return limit
}

export function ctCount(): u32 {
  return count
}

export function ctLimit(): u32 {
  return limit
}

export function ctCommits(): u64 {
  return commits
}

export function ctExpired(): u64 {
  return expired
}

/** Every connection gone, counters and limit back to their start (clear()). */
export function ctReset(): void {
  ctFlush(-1)
  commits = 0
  expired = 0
  limit = CT_CAPACITY
}
