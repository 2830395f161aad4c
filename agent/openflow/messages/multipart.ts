// OFPT_MULTIPART_REQUEST / REPLY (A.3.5): 16-byte header (type, flags, 4 pad) then a type-specific body.
// Decoded here: OFPMP_DESC, OFPMP_FLOW (flow stats) and OFPMP_PORT_DESC; other types are kept as bytes.
// A reply with OFPMPF_REPLY_MORE set continues in the next message with the same xid (the connection joins them).
import { Reader, Writer } from '../bytes.js'
import { OFP_TYPES, OFPMP_DESC, OFPMP_FLOW, OFPMP_PORT_DESC } from '../constants.js'
import { OfError } from '../errors.js'
import { decodeInstructions, encodeInstructions } from '../instructions.js'
import type { FlowStats, FlowStatsRequest, MultipartReplyBody, MultipartRequestBody, SwitchDesc } from '../messages.js'
import { decodeMatch, encodeMatch } from '../oxm.js'
import { decodePort, encodePort, OFP_PORT_LEN, type OfpPort } from '../port.js'
import { registerMessage } from '../registry.js'

export const OFP_MULTIPART_HEADER_LEN = 16
export const OFP_FLOW_STATS_REQUEST_LEN = 40 // with an empty match
export const OFP_FLOW_STATS_LEN = 56 // with an empty match
export const OFP_DESC_LEN = 1056
const DESC_STR_LEN = 256
const SERIAL_NUM_LEN = 32

function mpCode(mpType: string, code?: number): number {
  switch (mpType) {
    case 'OFPMP_DESC':
      return OFPMP_DESC
    case 'OFPMP_FLOW':
      return OFPMP_FLOW
    case 'OFPMP_PORT_DESC':
      return OFPMP_PORT_DESC
    default:
      return code ?? 0
  }
}

function encodeFlowStatsRequest(w: Writer, b: FlowStatsRequest): void {
  w.u8(b.tableId).zeros(3).u32(b.outPort).u32(b.outGroup).zeros(4).u64(b.cookie).u64(b.cookieMask)
  encodeMatch(w, b.match)
}

function decodeFlowStatsRequest(r: Reader): FlowStatsRequest {
  const tableId = r.u8('table_id')
  r.skip(3)
  const outPort = r.u32()
  const outGroup = r.u32()
  r.skip(4)
  const cookie = r.u64()
  const cookieMask = r.u64()
  return { tableId, outPort, outGroup, cookie, cookieMask, match: decodeMatch(r) }
}

function encodeFlowStats(w: Writer, f: FlowStats): void {
  const start = w.length
  w.u16(0)
    .u8(f.tableId)
    .zeros(1)
    .u32(f.durationSec)
    .u32(f.durationNsec)
    .u16(f.priority)
    .u16(f.idleTimeout)
    .u16(f.hardTimeout)
    .u16(f.flags)
    .zeros(4)
    .u64(f.cookie)
    .u64(f.packetCount)
    .u64(f.byteCount)
  encodeMatch(w, f.match)
  encodeInstructions(w, f.instructions)
  w.setU16(start, w.length - start)
}

function decodeFlowStats(r: Reader): FlowStats {
  const length = r.u16('flow_stats.length')
  if (length < OFP_FLOW_STATS_LEN) throw new OfError('OF_BAD_LENGTH', `flow_stats length ${length}`)
  const b = r.sub(length - 2, 'flow_stats')
  const tableId = b.u8()
  b.skip(1)
  const durationSec = b.u32()
  const durationNsec = b.u32()
  const priority = b.u16()
  const idleTimeout = b.u16()
  const hardTimeout = b.u16()
  const flags = b.u16()
  b.skip(4)
  const cookie = b.u64()
  const packetCount = b.u64()
  const byteCount = b.u64()
  const match = decodeMatch(b)
  return {
    tableId,
    durationSec,
    durationNsec,
    priority,
    idleTimeout,
    hardTimeout,
    flags,
    cookie,
    packetCount,
    byteCount,
    match,
    instructions: decodeInstructions(b),
  }
}

function str(r: Reader, n: number): string {
  const raw = r.bytes(n, 'desc string')
  const nul = raw.indexOf(0)
  return raw.subarray(0, nul < 0 ? n : nul).toString('utf8')
}

function putStr(w: Writer, s: string, n: number): void {
  const b = Buffer.alloc(n)
  b.write(s.slice(0, n - 1), 'utf8')
  w.bytes(b)
}

registerMessage<'OFPT_MULTIPART_REQUEST'>({
  name: 'OFPT_MULTIPART_REQUEST',
  ofpType: OFP_TYPES.OFPT_MULTIPART_REQUEST,
  encode(w, m) {
    const b = m.body
    w.u16(mpCode(b.mpType, b.mpType === 'unknown' ? b.code : undefined))
      .u16(m.flags)
      .zeros(4)
    if (b.mpType === 'OFPMP_FLOW') encodeFlowStatsRequest(w, b)
    else if (b.mpType === 'unknown') w.bytes(b.body)
  },
  decode(r) {
    const code = r.u16('multipart type')
    const flags = r.u16('flags')
    r.skip(4)
    let body: MultipartRequestBody
    if (code === OFPMP_DESC) body = { mpType: 'OFPMP_DESC' }
    else if (code === OFPMP_PORT_DESC) body = { mpType: 'OFPMP_PORT_DESC' }
    else if (code === OFPMP_FLOW) body = { mpType: 'OFPMP_FLOW', ...decodeFlowStatsRequest(r) }
    else body = { mpType: 'unknown', code, body: Buffer.from(r.rest()) }
    return { type: 'OFPT_MULTIPART_REQUEST', flags, body }
  },
})

registerMessage<'OFPT_MULTIPART_REPLY'>({
  name: 'OFPT_MULTIPART_REPLY',
  ofpType: OFP_TYPES.OFPT_MULTIPART_REPLY,
  encode(w, m) {
    const b = m.body
    w.u16(mpCode(b.mpType, b.mpType === 'unknown' ? b.code : undefined))
      .u16(m.flags)
      .zeros(4)
    switch (b.mpType) {
      case 'OFPMP_DESC':
        putStr(w, b.mfrDesc, DESC_STR_LEN)
        putStr(w, b.hwDesc, DESC_STR_LEN)
        putStr(w, b.swDesc, DESC_STR_LEN)
        putStr(w, b.serialNum, SERIAL_NUM_LEN)
        putStr(w, b.dpDesc, DESC_STR_LEN)
        break
      case 'OFPMP_FLOW':
        for (const f of b.flows) encodeFlowStats(w, f)
        break
      case 'OFPMP_PORT_DESC':
        for (const p of b.ports) encodePort(w, p)
        break
      case 'unknown':
        w.bytes(b.body)
    }
  },
  decode(r) {
    const code = r.u16('multipart type')
    const flags = r.u16('flags')
    r.skip(4)
    let body: MultipartReplyBody
    if (code === OFPMP_DESC) {
      const d: SwitchDesc = {
        mfrDesc: str(r, DESC_STR_LEN),
        hwDesc: str(r, DESC_STR_LEN),
        swDesc: str(r, DESC_STR_LEN),
        serialNum: str(r, SERIAL_NUM_LEN),
        dpDesc: str(r, DESC_STR_LEN),
      }
      body = { mpType: 'OFPMP_DESC', ...d }
    } else if (code === OFPMP_FLOW) {
      const flows: FlowStats[] = []
      while (r.remaining > 0) flows.push(decodeFlowStats(r))
      body = { mpType: 'OFPMP_FLOW', flows }
    } else if (code === OFPMP_PORT_DESC) {
      if (r.remaining % OFP_PORT_LEN !== 0) throw new OfError('OF_BAD_LENGTH', `port desc body ${r.remaining} bytes`)
      const ports: OfpPort[] = []
      while (r.remaining > 0) ports.push(decodePort(r))
      body = { mpType: 'OFPMP_PORT_DESC', ports }
    } else {
      body = { mpType: 'unknown', code, body: Buffer.from(r.rest()) }
    }
    return { type: 'OFPT_MULTIPART_REPLY', flags, body }
  },
})
