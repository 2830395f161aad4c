// Host side of the byte layouts the datapath reads and writes (datapath/assembly/pipeline/batch.ts,
// packet-in.ts, verdict-record.ts, tables/counters.ts). Results may be views of the module's memory,
// overwritten by the next call, so each is copied out once; the frames of its verdicts and replies are views
// of that copy.
import { REASON_NAMES, VERDICT_FLOOD, VERDICT_IN_PORT, VERDICT_NAMES, VERDICT_OUTPUT, VERDICT_TUNNEL } from '../spec/verdicts.js'
import { TRACE_STEP_BYTES } from '../spec/trace.js'
import type { Counters, PacketInput, Verdict, VerdictName } from './api.js'
import { formatIp } from './entry-addresses.js'

const BATCH_DESC_BYTES = 16
const VERDICT_RECORD_BYTES = 32
const PACKET_IN_HEADER = 8
const OUT_REPLY_COUNT = 32
const OUT_REPLY = 36
const OUT_STEP_COUNT = 48
const OUT_STEPS = 52

export function encodeBatch(packets: readonly PacketInput[]): Uint8Array {
  let size = 4 + packets.length * BATCH_DESC_BYTES
  for (const p of packets) size += p.data.length
  const out = new Uint8Array(size)
  const view = new DataView(out.buffer)
  view.setUint32(0, packets.length, true)
  let at = 4 + packets.length * BATCH_DESC_BYTES
  packets.forEach((p, i) => {
    const d = 4 + i * BATCH_DESC_BYTES
    view.setUint32(d, at, true)
    view.setUint32(d + 4, p.data.length, true)
    view.setUint32(d + 8, p.in_port >>> 0, true)
    view.setUint32(d + 12, (p.tunnel_key ?? 0) >>> 0, true)
    out.set(p.data, at)
    at += p.data.length
  })
  return out
}

export function encodePacketIn(p: PacketInput): Uint8Array {
  const out = new Uint8Array(PACKET_IN_HEADER + p.data.length)
  const view = new DataView(out.buffer)
  view.setUint32(0, p.in_port >>> 0, true)
  view.setUint32(4, (p.tunnel_key ?? 0) >>> 0, true)
  out.set(p.data, PACKET_IN_HEADER)
  return out
}

/** The verdict record at `at` of `result` (a private copy: frames are views of it, not copies). */
function decodeVerdict(result: Uint8Array, view: DataView, at: number): Verdict {
  const action = view.getUint8(at)
  const frameAt = view.getUint32(at + 20, true)
  const verdict: Verdict = {
    action: (VERDICT_NAMES[action] ?? 'drop') as VerdictName,
    reason: REASON_NAMES[view.getUint8(at + 1)] ?? 'none',
    packet: result.subarray(frameAt, frameAt + view.getUint32(at + 24, true)),
  }
  if (action === VERDICT_OUTPUT || action === VERDICT_IN_PORT) verdict.ofport = view.getUint32(at + 4, true)
  if (action === VERDICT_FLOOD || action === VERDICT_TUNNEL) verdict.network = view.getUint32(at + 8, true)
  if (action === VERDICT_TUNNEL) {
    verdict.port = view.getUint32(at + 12, true)
    verdict.remote = formatIp(4, result.subarray(at + 16, at + 20))
  }
  return verdict
}

/** Copies the result out of the module's memory once (the next call overwrites it), then decodes the copy. */
function ownCopy(result: Uint8Array): { bytes: Uint8Array; view: DataView } {
  // new + set rather than slice(): V8's slice of a view of WebAssembly memory is several times slower
  const bytes = new Uint8Array(result.length)
  bytes.set(result)
  return { bytes, view: new DataView(bytes.buffer) }
}

export function decodeBatch(result: Uint8Array): Verdict[] {
  const { bytes, view } = ownCopy(result)
  const count = view.getUint32(0, true)
  return Array.from({ length: count }, (_, i) => decodeVerdict(bytes, view, 4 + i * VERDICT_RECORD_BYTES))
}

export interface RawPacketIn {
  verdict: Verdict
  replies: { ofport: number; packet: Uint8Array }[]
  /** Raw trace steps, TRACE_STEP_BYTES each (datapath/spec/trace.ts). */
  steps: Uint8Array[]
}

export function decodePacketIn(result: Uint8Array): RawPacketIn {
  const { bytes, view } = ownCopy(result)
  const replies = Array.from({ length: view.getUint32(OUT_REPLY_COUNT, true) }, (_, i) => {
    const r = OUT_REPLY + i * 12
    const at = view.getUint32(r + 4, true)
    return { ofport: view.getUint32(r, true), packet: bytes.subarray(at, at + view.getUint32(r + 8, true)) }
  })
  const steps = Array.from({ length: view.getUint32(OUT_STEP_COUNT, true) }, (_, i) =>
    bytes.subarray(OUT_STEPS + i * TRACE_STEP_BYTES, OUT_STEPS + (i + 1) * TRACE_STEP_BYTES),
  )
  return { verdict: decodeVerdict(bytes, view, 0), replies, steps }
}

/** Reasons other than 'none', each with its count. */
function reasonCounts(view: DataView, at: number, reasons: number): Record<string, number> {
  const out: Record<string, number> = {}
  for (let r = 1; r < reasons; r++) {
    const name = REASON_NAMES[r]
    if (name !== undefined) out[name] = Number(view.getBigUint64(at + r * 8, true))
  }
  return out
}

export function decodeCounters(result: Uint8Array): Counters {
  const { view } = ownCopy(result)
  const reasons = view.getUint32(8, true)
  const ports = view.getUint32(12, true)
  const perPort: Record<number, Record<string, number>> = {}
  const rowBytes = 8 + reasons * 8
  for (let i = 0; i < ports; i++) {
    const row = 16 + reasons * 8 + i * rowBytes
    const counts = reasonCounts(view, row + 8, reasons)
    // rows exist for every classified port (made with its entry); report the ports that counted something
    if (Object.values(counts).some(n => n > 0)) perPort[view.getUint32(row, true)] = counts
  }
  const ct = 16 + reasons * 8 + ports * rowBytes
  const conntrack = {
    connections: view.getUint32(ct, true),
    limit: view.getUint32(ct + 4, true),
    commits: Number(view.getBigUint64(ct + 8, true)),
    expired: Number(view.getBigUint64(ct + 16, true)),
  }
  return { packets: Number(view.getBigUint64(0, true)), reasons: reasonCounts(view, 16, reasons), perPort, conntrack }
}
