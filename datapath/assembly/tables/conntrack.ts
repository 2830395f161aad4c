// The connection table (BEHAVIOUR.md "Security groups", "Conntrack"): connections keyed by zone and 5-tuple,
// found from either direction, in memory taken once at start (CT_CAPACITY records and their index), so the
// packet path never allocates; a commit into a full table fails (ct_full). Semantics follow OVS's userspace
// conntrack (lib/conntrack.c, conntrack-other.c, conntrack-icmp.c); TCP is conntrack-tcp.ts.
//
// A key is stored once, canonical: of its two endpoints (address, port) the smaller comes first, and the record
// says whether the original direction's sender is the second (`swapped`). A packet's key is canonicalized the
// same way, so both directions find the one record: reply = the packet's swap differs from the record's.
// ICMP echo, timestamp and information messages (RFC 792) have no ports: the endpoint's "port" is
// type << 16 | identifier, with the request type on the requester's side and the reply type on the other
// (OVS's key: src.icmp_type, dst.icmp_type = reverse type, both icmp_id), so a reply finds its request.
//
//   record (RECORD_BYTES)
//   0                 4        8        12    16               32               48        56     60   61    64
//   +-----------------+--------+--------+-----+----------------+----------------+---------+------+----+----+-----------+
//   | zone|family|proto| port A | port B | 0   | address A (16) | address B (16) | expires | mark |flag|st  | TCP state |
//   +-----------------+--------+--------+-----+----------------+----------------+---------+------+----+----+-----------+
//   zone u16 @0, family u8 @2, proto u8 @3; expires f64 ms @48; flags: used, swapped; st: other/ICMP state
//
// Index: open addressing over 2 x CT_CAPACITY words (hash u32 << 32 | record + 1; 0 = empty), linear probing,
// backward-shift deletion. Expiry: lazily when a lookup finds an expired connection, plus a bounded sweep of
// CT_SWEEP_STEP records per call (ctSweep), so that expired connections give their records back.
import { IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP } from '../codec/ipv4'
import { TCP_RESTART, TCP_STATE_BYTES, TCP_VALID, tcpExpiresAt, tcpStart, tcpUpdate } from './conntrack-tcp'

/** Connections the table holds (OVS's default limit is 3 000 000; ours is memory taken once, 24 MiB). */
export const CT_CAPACITY: u32 = 262144
const INDEX_SLOTS: u32 = CT_CAPACITY * 2
const INDEX_MASK: u32 = INDEX_SLOTS - 1
/** Records looked at per call of ctSweep: at most a few microseconds. */
export const CT_SWEEP_STEP: u32 = 1024

const KEY_BYTES: usize = 48
const R_EXPIRES: usize = 48
const R_MARK: usize = 56
const R_FLAGS: usize = 60
const R_STATE: usize = 61
const R_TCP: usize = 64
const RECORD_BYTES: usize = (R_TCP + <usize>TCP_STATE_BYTES + 15) & ~15
const FLAG_USED: u8 = 1
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

const records: usize = heap.alloc(<usize>CT_CAPACITY * RECORD_BYTES)
const index: usize = heap.alloc(<usize>INDEX_SLOTS * 8)
memory.fill(index, 0, <usize>INDEX_SLOTS * 8)

/** The packet's key, canonical (ctSetKey), and its hash. */
export const ctKey: usize = memory.data(<i32>KEY_BYTES, 8)
let keyHash: u32 = 0
let keySwapped = false
/** TCP state of a would-be connection, made by the lookup (ctCheckNew) and copied in at commit. */
const tcpScratch: usize = memory.data(TCP_STATE_BYTES, 8)

let count: u32 = 0
let limit: u32 = CT_CAPACITY
/** Records ever used: [0, highWater); beyond it memory was never touched. */
let highWater: u32 = 0
let freeHead: u32 = 0 // record + 1, threaded through R_MARK of free records
let sweepCursor: u32 = 0
let commits: u64 = 0
let expired: u64 = 0

@inline function recordAt(r: u32): usize {
  return records + <usize>r * RECORD_BYTES
}

// ---- keys ----------------------------------------------------------------------------------------------------

/** (addr A, port A) < (addr B, port B) in a fixed total order (not numeric: any order works if it is fixed). */
@inline function endpointLess(a: usize, portA: u32, b: usize, portB: u32): bool {
  const a0 = load<u64>(a)
  const b0 = load<u64>(b)
  if (a0 != b0) return a0 < b0
  const a1 = load<u64>(a, 8)
  const b1 = load<u64>(b, 8)
  if (a1 != b1) return a1 < b1
  return portA < portB
}

@inline function storeAddr(dst: usize, family: u32, src: usize): void {
  if (family == 4) {
    store<u64>(dst, <u64>load<u32>(src))
    store<u64>(dst, 0, 8)
  } else {
    store<u64>(dst, load<u64>(src))
    store<u64>(dst, load<u64>(src, 8), 8)
  }
}

/**
 * Sets the packet's key: zone, family, protocol, the sender's address and port (`src`, `sport`) and the
 * receiver's. Addresses are 4 or 16 bytes in network order; ports are u32 (ICMP: type << 16 | id).
 */
export function ctSetKey(zone: u32, family: u32, proto: u32, src: usize, sport: u32, dst: usize, dport: u32): void {
  const k = ctKey
  // addresses first, in packet order, then swapped in place if needed
  storeAddr(k + 16, family, src)
  storeAddr(k + 32, family, dst)
  keySwapped = !endpointLess(k + 16, sport, k + 32, dport) && !sameEndpoint(k + 16, sport, k + 32, dport)
  if (keySwapped) {
    const a0 = load<u64>(k, 16)
    const a1 = load<u64>(k, 24)
    store<u64>(k, load<u64>(k, 32), 16)
    store<u64>(k, load<u64>(k, 40), 24)
    store<u64>(k, a0, 32)
    store<u64>(k, a1, 40)
  }
  store<u32>(k, (zone & 0xffff) | (family << 16) | (proto << 24))
  store<u32>(k, keySwapped ? dport : sport, 4)
  store<u32>(k, keySwapped ? sport : dport, 8)
  store<u32>(k, 0, 12)
  keyHash = hashKey(k)
}

@inline function sameEndpoint(a: usize, portA: u32, b: usize, portB: u32): bool {
  return portA == portB && load<u64>(a) == load<u64>(b) && load<u64>(a, 8) == load<u64>(b, 8)
}

@inline function hashKey(k: usize): u32 {
  // Multiply-xorshift over the six words (SplitMix64's constants), as exact-table.ts.
  let h = load<u64>(k) * 0x9e3779b97f4a7c15
  h ^= rotl<u64>(load<u64>(k, 8), 17) ^ rotl<u64>(load<u64>(k, 16), 31) ^ rotl<u64>(load<u64>(k, 24), 47)
  h = (h ^ (h >> 29)) * 0xbf58476d1ce4e5b9
  h ^= load<u64>(k, 32) ^ rotl<u64>(load<u64>(k, 40), 23)
  h = (h ^ (h >> 31)) * 0x94d049bb133111eb
  return <u32>(h >> 32) ^ <u32>h
}

@inline function keyEquals(r: usize, k: usize): bool {
  return load<u64>(r) == load<u64>(k) && load<u64>(r, 8) == load<u64>(k, 8) &&
    load<u64>(r, 16) == load<u64>(k, 16) && load<u64>(r, 24) == load<u64>(k, 24) &&
    load<u64>(r, 32) == load<u64>(k, 32) && load<u64>(r, 40) == load<u64>(k, 40)
}

// ---- index ---------------------------------------------------------------------------------------------------

/** The index position holding record `r` (whose key hashes to `hash`). */
function positionOf(r: u32, hash: u32): u32 {
  let i = hash & INDEX_MASK
  while (true) {
    const e = load<u64>(index + (<usize>i << 3))
    if (e == 0) return 0xffffffff
    if (<u32>e == r + 1) return i
    i = (i + 1) & INDEX_MASK
  }
}

function indexRemove(i: u32): void {
  let hole = i
  let j = (i + 1) & INDEX_MASK
  while (true) {
    const e = load<u64>(index + (<usize>j << 3))
    if (e == 0) break
    const home = <u32>(e >> 32) & INDEX_MASK
    const between = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j)
    if (!between) {
      store<u64>(index + (<usize>hole << 3), e)
      hole = j
    }
    j = (j + 1) & INDEX_MASK
  }
  store<u64>(index + (<usize>hole << 3), 0)
}

function deleteRecord(r: u32): void {
  const p = recordAt(r)
  const i = positionOf(r, hashKey(p))
  if (i != 0xffffffff) indexRemove(i)
  store<u8>(p + R_FLAGS, 0)
  store<u32>(p + R_MARK, freeHead)
  freeHead = r + 1
  count--
}

// ---- lookups -------------------------------------------------------------------------------------------------

/** Whether the last ctFind's connection was found in its reply direction. */
export let ctFoundReply = false

/** The connection of the key set by ctSetKey, or -1; an expired one is deleted and not found. */
export function ctFind(nowMs: f64): i32 {
  let i = keyHash & INDEX_MASK
  while (true) {
    const e = load<u64>(index + (<usize>i << 3))
    if (e == 0) return -1
    if (<u32>(e >> 32) == keyHash) {
      const r = <u32>e - 1
      const p = recordAt(r)
      if (keyEquals(p, ctKey)) {
        if (load<f64>(p + R_EXPIRES) <= nowMs) {
          expired++
          deleteRecord(r)
          return -1
        }
        ctFoundReply = keySwapped != ((load<u8>(p + R_FLAGS) & FLAG_SWAPPED) != 0)
        return <i32>r
      }
    }
    i = (i + 1) & INDEX_MASK
  }
}

/**
 * Whether a packet may start a connection (OVS's valid_new()): TCP through tcpStart (whose state is kept for
 * ctCommit), ICMP only an echo, timestamp or information request (decided by the caller: `icmpRequest`).
 * `tcp`/`tcpLen`/`payloadLen` as conntrack-tcp.ts takes them.
 */
export function ctCheckNewTcp(tcp: usize, tcpLen: i32, payloadLen: i32, nowMs: f64): bool {
  return tcpStart(tcpScratch, tcp, tcpLen, payloadLen, nowMs)
}

/** Creates the connection of the current key in its packet's direction; -1 when the table is at its limit. */
export function ctCommit(proto: u32, nowMs: f64): i32 {
  if (count >= limit) {
    ctSweep(nowMs) // expired connections may be waiting for the sweep
    if (count >= limit) return -1
  }
  let r: u32
  if (freeHead != 0) {
    r = freeHead - 1
    freeHead = load<u32>(recordAt(r) + R_MARK)
  } else {
    r = highWater++
  }
  const p = recordAt(r)
  memory.copy(p, ctKey, KEY_BYTES)
  store<u32>(p + R_MARK, 0)
  store<u8>(p + R_FLAGS, FLAG_USED | (keySwapped ? FLAG_SWAPPED : 0))
  store<u8>(p + R_STATE, 0) // OTHERS_FIRST, ICMPS_FIRST
  let expires: f64
  if (proto == IPPROTO_TCP) {
    memory.copy(p + R_TCP, tcpScratch, <usize>TCP_STATE_BYTES)
    expires = tcpExpiresAt(p + R_TCP)
  } else {
    expires = nowMs + (isIcmp(p) ? ICMP_FIRST_MS : OTHER_FIRST_MS)
  }
  store<f64>(p + R_EXPIRES, expires)
  let i = keyHash & INDEX_MASK
  while (load<u64>(index + (<usize>i << 3)) != 0) i = (i + 1) & INDEX_MASK
  store<u64>(index + (<usize>i << 3), (<u64>keyHash << 32) | <u64>(r + 1))
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
  const p = recordAt(<u32>r)
  const proto = <u32>load<u8>(p, 3)
  if (proto == IPPROTO_TCP) {
    const res = tcpUpdate(p + R_TCP, reply, tcp, tcpLen, payloadLen, nowMs)
    if (res == TCP_RESTART) {
      deleteRecord(<u32>r)
      return CT_UPDATE_NEW
    }
    store<f64>(p + R_EXPIRES, tcpExpiresAt(p + R_TCP))
    return res == TCP_VALID ? CT_UPDATE_VALID : CT_UPDATE_INVALID
  }
  let state = load<u8>(p + R_STATE)
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
  store<u8>(p + R_STATE, state)
  store<f64>(p + R_EXPIRES, nowMs + timeout)
  return result
}

@inline export function ctMark(r: i32): u32 {
  return load<u32>(recordAt(<u32>r) + R_MARK)
}

@inline export function ctSetMark(r: i32, mark: u32): void {
  store<u32>(recordAt(<u32>r) + R_MARK, mark)
}

// ---- expiry, flush, limits -----------------------------------------------------------------------------------

/** Looks at the next CT_SWEEP_STEP records and deletes the expired ones (called once per batch / packet-in). */
export function ctSweep(nowMs: f64): void {
  if (highWater == 0) return
  let n = min<u32>(CT_SWEEP_STEP, highWater)
  while (n-- > 0) {
    if (sweepCursor >= highWater) sweepCursor = 0
    const r = sweepCursor++
    const p = recordAt(r)
    if ((load<u8>(p + R_FLAGS) & FLAG_USED) != 0 && load<f64>(p + R_EXPIRES) <= nowMs) {
      expired++
      deleteRecord(r)
    }
  }
}

/** Removes every connection (zone < 0) or those of one zone; returns how many. */
export function ctFlush(zone: i32): u32 {
  if (zone < 0) {
    const n = count
    // untouched since the last flush: leave the 4 MiB index unwritten, so its pages are never resident
    if (highWater == 0) return 0
    memory.fill(index, 0, <usize>INDEX_SLOTS * 8)
    count = 0
    highWater = 0
    freeHead = 0
    sweepCursor = 0
    return n
  }
  let n: u32 = 0
  for (let r: u32 = 0; r < highWater; r++) {
    const p = recordAt(r)
    if ((load<u8>(p + R_FLAGS) & FLAG_USED) != 0 && <i32>load<u16>(p) == (zone & 0xffff)) {
      deleteRecord(r)
      n++
    }
  }
  return n
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
