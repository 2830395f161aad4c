// Batch mode (BEHAVIOUR.md "Two modes"): many frames, one verdict each, punts left unresolved.
//
// Input, little-endian:   count u32, then count descriptors of BATCH_DESC_BYTES:
//                          frame offset u32 (from the batch start), frame len u32, in_port u32, tunnel key u32,
//                          then the frames.
// Output:                 count u32, count verdict records (verdict-record.ts), then the frames as they leave.
// Each frame is copied to its place in the output and processed there, so the input stays intact and the
// same batch can be run again (benches do).
import { copyBytes } from '../codec/bytes'
import { ctSweep } from '../tables/conntrack'
import { snatSweep } from '../tables/snat-connections'
import { outputArea, returnList } from './io'
import { pkt, resetPacket } from './packet'
import { runPipeline } from './pipeline'
import { READ_AHEAD_RUN, noteFrame, readAheadWanted, readNoted } from './read-ahead'
import { startTrace } from './trace'
import { VERDICT_RECORD_BYTES, writeVerdictRecord } from './verdict-record'

export const BATCH_DESC_BYTES: i32 = 16
/** Room after each frame for replies built in place that are longer than the request (a NA with its option). */
export const FRAME_TAILROOM: i32 = 64
/** Room before each frame for an 802.1Q tag pushed on the way out of a VLAN uplink (vlan.ts). */
export const FRAME_HEADROOM: i32 = 8

@inline function frameSlot(len: u32): usize {
  return (<usize>FRAME_HEADROOM + <usize>len + <usize>FRAME_TAILROOM + 7) & ~7
}

/** The frame length of descriptor `d` when it lies inside the batch, else 0 (dropped as truncated). */
@inline function frameLen(batch: usize, batchLen: usize, d: usize): u32 {
  const off = <u64>load<u32>(d)
  const len = <u64>load<u32>(d, 4)
  return off + len <= <u64>batchLen ? <u32>len : 0
}

/** The connection slots of frames [from, to) read before they are processed (read-ahead.ts). */
function readAhead(batch: usize, batchLen: usize, descs: usize, from: usize, to: usize): void {
  for (let i = from; i < to; i++) {
    const d = descs + i * <usize>BATCH_DESC_BYTES
    noteFrame(batch + <usize>load<u32>(d), <i32>frameLen(batch, batchLen, d), load<u32>(d, 8), load<u32>(d, 12))
  }
  readNoted()
}

/** `nowMs`: the host's clock for the whole batch (connection expiry). */
export function processBatch(batch: usize, batchLen: usize, nowMs: f64): usize {
  startTrace(false)
  ctSweep(nowMs)
  snatSweep(nowMs)
  let count: usize = batchLen >= 4 ? <usize>load<u32>(batch) : 0
  const fit = batchLen >= 4 ? (batchLen - 4) / <usize>BATCH_DESC_BYTES : 0
  if (count > fit) count = fit
  const descs = batch + 4
  let total: usize = 4 + count * <usize>VERDICT_RECORD_BYTES
  for (let i: usize = 0; i < count; i++) total += frameSlot(frameLen(batch, batchLen, descs + i * <usize>BATCH_DESC_BYTES))
  const out = outputArea(total)
  store<u32>(out, <u32>count)
  let frame = out + 4 + count * <usize>VERDICT_RECORD_BYTES
  const ahead = readAheadWanted()
  for (let i: usize = 0; i < count; i++) {
    if (ahead && (i & <usize>(READ_AHEAD_RUN - 1)) == 0) readAhead(batch, batchLen, descs, i, min(i + <usize>READ_AHEAD_RUN, count))
    const d = descs + i * <usize>BATCH_DESC_BYTES
    const len = frameLen(batch, batchLen, d)
    copyBytes(frame + <usize>FRAME_HEADROOM, batch + <usize>load<u32>(d), <usize>len)
    resetPacket(frame + <usize>FRAME_HEADROOM, <i32>len, load<u32>(d, 8), load<u32>(d, 12))
    pkt.slowPath = false
    pkt.nowMs = nowMs
    runPipeline()
    writeVerdictRecord(out + 4 + i * <usize>VERDICT_RECORD_BYTES, out)
    frame += frameSlot(len)
  }
  return returnList(out, total)
}
