// Drop and punt counters, per reason and per (in_port, reason), as Cilium counts its drops.
import { REASON_COUNT } from '../../spec/verdicts'
import { ExactTable, clearKey, key } from './exact-table'
import { ctCommits, ctCount, ctExpired, ctLimit } from './conntrack'

const PER_PORT_BYTES: i32 = REASON_COUNT * 8

export const reasonTotals: usize = heap.alloc(<usize>PER_PORT_BYTES)
memory.fill(reasonTotals, 0, <usize>PER_PORT_BYTES)
/** in_port -> u64 per reason. Rows for classified ports are made when their entry is added (reservePort);
 * a drop on a port never seen takes a free row if there is one without growing the table, else it is
 * counted under OTHER_PORTS: the packet path never allocates. */
export const perPort = new ExactTable(PER_PORT_BYTES, 1024)
/** The in_port the drops of ports without a row are counted under. */
export const OTHER_PORTS: u32 = 0xffffffff
reserveOtherPorts()

function reserveOtherPorts(): void {
  clearKey()
  store<u32>(key, OTHER_PORTS)
  perPort.upsert()
}

let packets: u64 = 0

@inline export function countPacket(): void {
  packets++
}

export function countReason(inPort: u32, reason: i32): void {
  if (reason <= 0 || reason >= REASON_COUNT) return
  const total = reasonTotals + (<usize>reason << 3)
  store<u64>(total, load<u64>(total) + 1)
  clearKey()
  store<u32>(key, inPort)
  let row = perPort.upsertInPlace()
  if (row == 0) {
    store<u32>(key, OTHER_PORTS)
    row = perPort.find() // made at start and by clearCounters: always there
  }
  const slot = row + (<usize>reason << 3)
  store<u64>(slot, load<u64>(slot) + 1)
}

/** Makes the counter row of `inPort` (control path: may grow the table). */
export function reservePort(inPort: u32): void {
  clearKey()
  store<u32>(key, inPort)
  perPort.upsert()
}

export function packetCount(): u64 {
  return packets
}

/** Conntrack's block at the end: connections u32, limit u32, commits u64, expired u64. */
const CT_BLOCK_BYTES: i32 = 24

/** Bytes `writeCounters` needs. */
export function countersBytes(): i32 {
  return 16 + PER_PORT_BYTES + <i32>perPort.count * (8 + PER_PORT_BYTES) + CT_BLOCK_BYTES
}

/**
 * Writes the counters at `out`, little-endian:
 * packets u64, reasons u32, ports u32, totals u64[reasons], then per port: ofport u32, pad u32, u64[reasons],
 * then conntrack: connections u32, limit u32, commits u64, expired u64 (ct_full drops are a reason).
 */
export function writeCounters(out: usize): void {
  store<u64>(out, packets)
  store<u32>(out, REASON_COUNT, 8)
  store<u32>(out, perPort.count, 12)
  memory.copy(out + 16, reasonTotals, <usize>PER_PORT_BYTES)
  let p = out + 16 + <usize>PER_PORT_BYTES
  for (let i: u32 = 0; i < perPort.capacity; i++) {
    if (!perPort.used(i)) continue
    store<u32>(p, load<u32>(perPort.keyAt(i)))
    store<u32>(p, 0, 4)
    memory.copy(p + 8, perPort.valueAt(i), <usize>PER_PORT_BYTES)
    p += 8 + <usize>PER_PORT_BYTES
  }
  store<u32>(p, ctCount())
  store<u32>(p, ctLimit(), 4)
  store<u64>(p, ctCommits(), 8)
  store<u64>(p, ctExpired(), 16)
}

export function clearCounters(): void {
  memory.fill(reasonTotals, 0, <usize>PER_PORT_BYTES)
  perPort.clear()
  reserveOtherPorts()
  packets = 0
}
