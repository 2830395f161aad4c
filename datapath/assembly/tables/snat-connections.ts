// The SNAT connection table (BEHAVIOUR.md "Ways in and out", SNAT for ports without a floating IP): its own,
// not the security groups' (those see the fixed IPs). Memory is taken once at start: SNAT_CAPACITY records
// and two open-addressing indexes of twice as many slots (linear probing, backward-shift deletion), so the
// packet path never allocates.
//
//   record (REC_BYTES)
//   0      2      3      4          8          12         16          20         24          32        40
//   +------+------+------+----------+----------+----------+-----------+----------+-----------+---------+
//   | zone |proto |flags | inside ip|inside prt| remote ip|remote port| gw ip    | xlat port | expires | -
//   +------+------+------+----------+----------+----------+-----------+----------+-----------+---------+
//   addresses IPv4 in network order as in the packet; ports host order u32 (ICMP echo: the identifier as the
//   inside / translated port, remote port 0).
//
//   index slot (8 bytes): tag u32 (key hash | 1, 0 = empty) | record number + 1 u32
//   forward index: (zone, proto, inside ip, inside port, remote ip, remote port), the packet from inside
//   reply index:   (zone, proto, remote ip, remote port, gateway ip, translated port), the packet from outside
//
// Records are kept dense (a deletion moves the last record into the hole and renumbers its index slots), so
// the bounded sweep (snatSweep, called where ctSweep is) goes over connections only. Expiry: lazily when a
// lookup finds an expired connection, plus that sweep. A record number is valid until the next deletion.
import { IPPROTO_TCP } from '../codec/ipv4'
import { ctLimit } from './conntrack'

export const SNAT_CAPACITY: u32 = 65536
const INDEX_SLOTS: u32 = SNAT_CAPACITY * 2
const INDEX_MASK: u32 = INDEX_SLOTS - 1
/** Records looked at per call of snatSweep. */
const SWEEP_STEP: u32 = 256

const R_ZONE: usize = 0
const R_PROTO: usize = 2
const R_FLAGS: usize = 3
export const SNAT_INSIDE_IP: usize = 4
export const SNAT_INSIDE_PORT: usize = 8
const R_REMOTE_IP: usize = 12
const R_REMOTE_PORT: usize = 16
export const SNAT_GATEWAY_IP: usize = 20
export const SNAT_TRANSLATED_PORT: usize = 24
const R_EXPIRES: usize = 32
const REC_BYTES: usize = 40

// TCP teardown seen (flags byte)
const FLAG_FIN_INSIDE: u8 = 1
const FLAG_FIN_OUTSIDE: u8 = 2
const FLAG_RST: u8 = 4
const TCP_FLAG_FIN: u32 = 0x01
const TCP_FLAG_RST: u32 = 0x04

// Idle timeouts (BEHAVIOUR.md): OVS's defaults for "other" and established TCP, 30 s once torn down.
const OTHER_IDLE_MS: f64 = 60_000
const TCP_IDLE_MS: f64 = 86_400_000
const TCP_CLOSED_MS: f64 = 30_000

/** First port tried when the original one is taken (below it: well-known and registered system ports). */
const FIRST_FREE_PORT: u32 = 1024
const LAST_PORT: u32 = 65535

const records: usize = heap.alloc(<usize>SNAT_CAPACITY * REC_BYTES)
const forward: usize = heap.alloc(<usize>INDEX_SLOTS * 8)
const reply: usize = heap.alloc(<usize>INDEX_SLOTS * 8)
/** records [0, count) are in use: a deletion moves the last one into the hole, so the sweep sees only those */
let count: u32 = 0
let sweepCursor: u32 = 0
resetTable()

function resetTable(): void {
  memory.fill(forward, 0, <usize>INDEX_SLOTS * 8)
  memory.fill(reply, 0, <usize>INDEX_SLOTS * 8)
  count = 0
  sweepCursor = 0
}

@inline function recAt(r: u32): usize {
  return records + <usize>r * REC_BYTES
}

@inline function hashTuple(zone: u32, proto: u32, a: u32, ap: u32, b: u32, bp: u32): u32 {
  // Multiply-xorshift (SplitMix64's constants), as exact-table.ts.
  let h = (<u64>zone | (<u64>proto << 16) | (<u64>ap << 32)) * 0x9e3779b97f4a7c15
  h ^= <u64>a | (<u64>b << 32)
  h = (h ^ (h >> 29)) * 0xbf58476d1ce4e5b9
  h ^= <u64>bp
  h = (h ^ (h >> 31)) * 0x94d049bb133111eb
  return (<u32>(h >> 32) ^ <u32>h) | 1
}

@inline function home(tag: u32): u32 {
  return (tag >> 1) & INDEX_MASK
}

/** The record matching a forward (`fwd`) or reply tuple, or -1. */
function findIn(fwd: bool, zone: u32, proto: u32, a: u32, ap: u32, b: u32, bp: u32): i32 {
  const index = fwd ? forward : reply
  const tag = hashTuple(zone, proto, a, ap, b, bp)
  let s = home(tag)
  for (let n: u32 = 0; n < INDEX_SLOTS; n++) {
    const p = index + <usize>s * 8
    const t = load<u32>(p)
    if (t == 0) return -1
    if (t == tag) {
      const r = load<u32>(p, 4) - 1
      const rec = recAt(r)
      if (<u32>load<u16>(rec + R_ZONE) == zone && <u32>load<u8>(rec + R_PROTO) == proto && (fwd
        ? load<u32>(rec + SNAT_INSIDE_IP) == a && load<u32>(rec + SNAT_INSIDE_PORT) == ap &&
          load<u32>(rec + R_REMOTE_IP) == b && load<u32>(rec + R_REMOTE_PORT) == bp
        : load<u32>(rec + R_REMOTE_IP) == a && load<u32>(rec + R_REMOTE_PORT) == ap &&
          load<u32>(rec + SNAT_GATEWAY_IP) == b && load<u32>(rec + SNAT_TRANSLATED_PORT) == bp)) return <i32>r
    }
    s = (s + 1) & INDEX_MASK
  }
  return -1
}

function indexInsert(index: usize, tag: u32, r: u32): void {
  let s = home(tag)
  while (load<u32>(index + <usize>s * 8) != 0) s = (s + 1) & INDEX_MASK
  store<u32>(index + <usize>s * 8, tag)
  store<u32>(index + <usize>s * 8, r + 1, 4)
}

/** Removes record `r` from `index` (whose tag for it is `tag`), shifting later slots of the run back. */
function indexRemove(index: usize, tag: u32, r: u32): void {
  let i = home(tag)
  while (true) {
    const p = index + <usize>i * 8
    const t = load<u32>(p)
    if (t == 0) return // not there (cannot happen)
    if (t == tag && load<u32>(p, 4) == r + 1) break
    i = (i + 1) & INDEX_MASK
  }
  let j = i
  while (true) {
    j = (j + 1) & INDEX_MASK
    const pj = index + <usize>j * 8
    const t = load<u32>(pj)
    if (t == 0) break
    const k = home(t)
    // the entry at j may move to the hole at i when its home is not cyclically in (i, j]
    const stays = i <= j ? (k > i && k <= j) : (k > i || k <= j)
    if (stays) continue
    store<u64>(index + <usize>i * 8, load<u64>(pj))
    i = j
  }
  store<u64>(index + <usize>i * 8, 0)
}

function forwardTag(rec: usize): u32 {
  return hashTuple(<u32>load<u16>(rec + R_ZONE), <u32>load<u8>(rec + R_PROTO), load<u32>(rec + SNAT_INSIDE_IP),
    load<u32>(rec + SNAT_INSIDE_PORT), load<u32>(rec + R_REMOTE_IP), load<u32>(rec + R_REMOTE_PORT))
}

function replyTag(rec: usize): u32 {
  return hashTuple(<u32>load<u16>(rec + R_ZONE), <u32>load<u8>(rec + R_PROTO), load<u32>(rec + R_REMOTE_IP),
    load<u32>(rec + R_REMOTE_PORT), load<u32>(rec + SNAT_GATEWAY_IP), load<u32>(rec + SNAT_TRANSLATED_PORT))
}

/** In `index`, the slot holding record `from` (tag `tag`) now names record `to`. */
function indexRenumber(index: usize, tag: u32, from: u32, to: u32): void {
  let i = home(tag)
  for (let n: u32 = 0; n < INDEX_SLOTS; n++) {
    const p = index + <usize>i * 8
    const t = load<u32>(p)
    if (t == 0) return
    if (t == tag && load<u32>(p, 4) == from + 1) {
      store<u32>(p, to + 1, 4)
      return
    }
    i = (i + 1) & INDEX_MASK
  }
}

function deleteRecord(r: u32): void {
  const rec = recAt(r)
  indexRemove(forward, forwardTag(rec), r)
  indexRemove(reply, replyTag(rec), r)
  const last = count - 1
  if (r != last) {
    const moved = recAt(last)
    indexRenumber(forward, forwardTag(moved), last, r)
    indexRenumber(reply, replyTag(moved), last, r)
    memory.copy(rec, moved, REC_BYTES)
  }
  count--
}

/** `r` found by a lookup, or -1 when it expired (then it is deleted). */
function liveOrGone(r: i32, nowMs: f64): i32 {
  if (r < 0) return -1
  if (load<f64>(recAt(<u32>r) + R_EXPIRES) <= nowMs) {
    deleteRecord(<u32>r)
    return -1
  }
  return r
}

/** The connection of a packet from inside (inside ip/port -> remote ip/port), or -1. */
export function snatFindForward(zone: u32, proto: u32, insideIp: u32, insidePort: u32, remoteIp: u32, remotePort: u32, nowMs: f64): i32 {
  return liveOrGone(findIn(true, zone, proto, insideIp, insidePort, remoteIp, remotePort), nowMs)
}

/** The connection of a packet from outside (remote ip/port -> gateway ip/translated port), or -1. */
export function snatFindReply(zone: u32, proto: u32, remoteIp: u32, remotePort: u32, gatewayIp: u32, port: u32, nowMs: f64): i32 {
  return liveOrGone(findIn(false, zone, proto, remoteIp, remotePort, gatewayIp, port), nowMs)
}

/**
 * Records a new connection, translating to `gatewayIp` and the inside port when (zone, proto, gateway ip,
 * port, remote ip, remote port) is free, else the next free port after it (1024..65535, wrapping). Returns the record, -1 when
 * the table is full (or the limit of conntrackSetLimit is reached), -2 when no port is free.
 */
export function snatCommit(zone: u32, proto: u32, insideIp: u32, insidePort: u32, remoteIp: u32, remotePort: u32,
  gatewayIp: u32, nowMs: f64): i32 {
  if (count >= min<u32>(ctLimit(), SNAT_CAPACITY)) return -1
  // the inside port if free, else the next free one after it, wrapping from 65535 to 1024 (as OVS's userspace
  // conntrack walks the ephemeral range from the original port, so both targets agree on a collision)
  let port = insidePort
  let tries: u32 = LAST_PORT - FIRST_FREE_PORT + 1
  while (snatFindReply(zone, proto, remoteIp, remotePort, gatewayIp, port, nowMs) >= 0) {
    if (--tries == 0) return -2
    port = port >= LAST_PORT || port < FIRST_FREE_PORT ? FIRST_FREE_PORT : port + 1
  }
  const r = count
  const rec = recAt(r)
  store<u16>(rec + R_ZONE, <u16>zone)
  store<u8>(rec + R_PROTO, <u8>proto)
  store<u8>(rec + R_FLAGS, 0)
  store<u32>(rec + SNAT_INSIDE_IP, insideIp)
  store<u32>(rec + SNAT_INSIDE_PORT, insidePort)
  store<u32>(rec + R_REMOTE_IP, remoteIp)
  store<u32>(rec + R_REMOTE_PORT, remotePort)
  store<u32>(rec + SNAT_GATEWAY_IP, gatewayIp)
  store<u32>(rec + SNAT_TRANSLATED_PORT, port)
  indexInsert(forward, forwardTag(rec), r)
  indexInsert(reply, replyTag(rec), r)
  count++
  return <i32>r
}

/**
 * A packet of connection `r` was seen (from inside when `fromInside`): its idle expiry starts again; for TCP
 * `tcpFlags` (the packet's flags byte) may tear it down (RST, or FIN from both sides: 30 s).
 */
export function snatTouch(r: i32, fromInside: bool, tcpFlags: u32, nowMs: f64): void {
  const rec = recAt(<u32>r)
  let idle = OTHER_IDLE_MS
  if (<u32>load<u8>(rec + R_PROTO) == IPPROTO_TCP) {
    let flags = load<u8>(rec + R_FLAGS)
    if ((tcpFlags & TCP_FLAG_RST) != 0) flags |= FLAG_RST
    if ((tcpFlags & TCP_FLAG_FIN) != 0) flags |= fromInside ? FLAG_FIN_INSIDE : FLAG_FIN_OUTSIDE
    store<u8>(rec + R_FLAGS, flags)
    const closed = (flags & FLAG_RST) != 0 || (flags & (FLAG_FIN_INSIDE | FLAG_FIN_OUTSIDE)) == (FLAG_FIN_INSIDE | FLAG_FIN_OUTSIDE)
    idle = closed ? TCP_CLOSED_MS : TCP_IDLE_MS
  }
  store<f64>(rec + R_EXPIRES, nowMs + idle)
}

/** The address of record `r` (SNAT_* offsets). */
@inline export function snatRecord(r: i32): usize {
  return recAt(<u32>r)
}

/** Looks at the next SWEEP_STEP connections and deletes the expired ones (called once per batch / packet-in). */
export function snatSweep(nowMs: f64): void {
  for (let n: u32 = 0; n < SWEEP_STEP && count > 0; n++) {
    if (sweepCursor >= count) sweepCursor = 0
    if (load<f64>(recAt(sweepCursor) + R_EXPIRES) <= nowMs) deleteRecord(sweepCursor) // the last moved in: look again
    else sweepCursor++
  }
}

export function snatCount(): u32 {
  return count
}

/** Every connection gone (clear()). */
export function snatReset(): void {
  if (count != 0) resetTable()
}
