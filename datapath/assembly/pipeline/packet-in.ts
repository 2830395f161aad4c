// Packet-in mode: one frame, punts answered by the slow path (DHCP, ICMP errors), optionally traced.
//
// Input:  in_port u32, tunnel key u32, then the frame.
// Output: verdict record @0 (verdict-record.ts), reply count u32 @32, one reply (ofport u32, offset u32,
//         len u32) @36, trace step count u32 @48, steps @52 (datapath/spec/trace.ts), then the frame and the
//         reply; offsets are from the start of the output.
import { TRACE_MAX_STEPS, TRACE_STEP_BYTES } from '../../spec/trace'
import { VLAN_TAG_BYTES } from '../codec/ethernet'
import { ctSweep } from '../tables/conntrack'
import { snatSweep } from '../tables/snat-connections'
import { FRAME_HEADROOM, FRAME_TAILROOM } from './batch'
import { outputArea, returnList } from './io'
import { pkt, resetPacket } from './packet'
import { runPipeline } from './pipeline'
import { REPLY_CAPACITY, replyBuffer } from './reply'
import { startTrace, traceCount, traceSteps } from './trace'
import { writeVerdictRecord } from './verdict-record'
import { copyReply } from './vlan'

const OUT_REPLY_COUNT: usize = 32
const OUT_REPLY: usize = 36
const OUT_STEP_COUNT: usize = 48
const OUT_STEPS: usize = 52
const OUT_FRAME: usize = (OUT_STEPS + <usize>(TRACE_MAX_STEPS * TRACE_STEP_BYTES) + 7) & ~7
const INPUT_HEADER: usize = 8

export function packetIn(input: usize, inputLen: usize, nowMs: f64, trace: bool): usize {
  const len: usize = inputLen >= INPUT_HEADER ? inputLen - INPUT_HEADER : 0
  const frameRoom = (<usize>FRAME_HEADROOM + len + <usize>FRAME_TAILROOM + 7) & ~7
  const total = OUT_FRAME + frameRoom + <usize>REPLY_CAPACITY + <usize>VLAN_TAG_BYTES
  const out = outputArea(total)
  const frame = out + OUT_FRAME + <usize>FRAME_HEADROOM
  memory.copy(frame, input + INPUT_HEADER, len)
  resetPacket(frame, <i32>len, inputLen >= INPUT_HEADER ? load<u32>(input) : 0,
    inputLen >= INPUT_HEADER ? load<u32>(input, 4) : 0)
  pkt.slowPath = true
  pkt.nowMs = nowMs
  ctSweep(nowMs)
  snatSweep(nowMs)
  startTrace(trace)
  runPipeline()
  writeVerdictRecord(out, out)
  let end = OUT_FRAME + frameRoom
  if (pkt.replyLen > 0) {
    const replyLen = copyReply(out + end, replyBuffer(), pkt.replyLen)
    store<u32>(out + OUT_REPLY_COUNT, 1)
    store<u32>(out + OUT_REPLY, pkt.replyPort)
    store<u32>(out + OUT_REPLY, <u32>end, 4)
    store<u32>(out + OUT_REPLY, <u32>replyLen, 8)
    end += <usize>replyLen
  } else {
    store<u32>(out + OUT_REPLY_COUNT, 0)
  }
  const steps = traceCount()
  store<u32>(out + OUT_STEP_COUNT, <u32>steps)
  memory.copy(out + OUT_STEPS, traceSteps(), <usize>(steps * TRACE_STEP_BYTES))
  startTrace(false)
  return returnList(out, end)
}
