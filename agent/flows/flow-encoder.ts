// Emitter flows (offload/openflow/flow.ts, target-neutral) -> the codec's OFPT_FLOW_MOD parts (agent/openflow).
// The emitter uses no groups, so there are no GROUP_MODs to encode.
import {
  NX_CT_F_COMMIT,
  NX_CT_RECIRC_NONE,
  NX_NAT_F_SRC,
  NX_NAT_RANGE_IPV4_MIN,
  type Action as OfAction,
  type Instruction,
  type Oxm,
} from '../openflow/index.js'
import { OF_FIELDS, type OfFieldName } from '../../offload/openflow/fields.js'
import type { Action, CtNat, FieldSlice, Flow, MatchEntry } from '../../offload/openflow/flow.js'
import { NXM_OF, OXM_OF, XXREG2_WORDS, nxmHeader, type WireField } from './field-ids.js'

/** OVS nicira-ext.h: the Nicira vendor id and NXAST_REG_MOVE's subtype; nx_action_reg_move is 24 bytes. */
const NX_VENDOR_ID = 0x00002320
const NXAST_REG_MOVE = 6
const OFPAT_EXPERIMENTER = 0xffff
const NX_ACTION_REG_MOVE_LEN = 24

export class FlowEncodeError extends Error {
  readonly code = 'FLOW_ENCODE'
  constructor(message: string) {
    super(message)
    this.name = 'FlowEncodeError'
  }
}

/** `v` as `n` big-endian bytes (n <= 16): whole 64-bit words where possible, not a bigint shift per byte. */
function bytesOf(v: bigint, n: number): Buffer {
  const b = Buffer.alloc(n)
  if (n <= 6) {
    b.writeUIntBE(Number(v), 0, n)
  } else if (n === 8) {
    b.writeBigUInt64BE(v, 0)
  } else if (n === 16) {
    b.writeBigUInt64BE(v >> 64n, 0)
    b.writeBigUInt64BE(v & 0xffffffffffffffffn, 8)
  } else {
    for (let i = 0; i < n; i++) b[n - 1 - i] = Number((v >> BigInt(8 * i)) & 0xffn)
  }
  return b
}

function tlv(f: WireField, name: string, value: bigint, mask?: bigint): Oxm {
  const full = f.valid ?? (1n << BigInt(f.bytes * 8)) - 1n
  // OVS stores value&mask and drops a mask covering every bit of the field; encode the same so that a dump
  // reads back identically
  const m = mask === undefined || (mask & full) === full ? undefined : mask
  const o: Oxm = { name, cls: f.cls, field: f.field, value: bytesOf(m === undefined ? value : value & m, f.bytes) }
  if (m !== undefined) o.mask = bytesOf(m, f.bytes)
  return o
}

/** One emitter field value as OXM TLVs (xxreg2 becomes up to four register TLVs). */
export function fieldTlvs(field: OfFieldName, value: bigint, mask?: bigint): Oxm[] {
  if (field === 'xxreg2') {
    const out: Oxm[] = []
    XXREG2_WORDS.forEach((w, i) => {
      const shift = BigInt(96 - 32 * i)
      const wm = mask === undefined ? 0xffffffffn : (mask >> shift) & 0xffffffffn
      if (wm !== 0n) out.push(tlv(w, `reg${8 + i}`, (value >> shift) & 0xffffffffn, wm))
    })
    return out
  }
  return [tlv(OXM_OF[field], OF_FIELDS[field].oxm, value, mask)]
}

export function encodeMatch(match: readonly MatchEntry[]): Oxm[] {
  return match.flatMap(m => fieldTlvs(m.field, m.value, m.mask))
}

function regMove(src: FieldSlice, dst: FieldSlice): OfAction[] {
  const s = NXM_OF[src.field]
  if (src.field === 'xxreg2') throw new FlowEncodeError('NXAST_REG_MOVE from xxreg2 is not used by the emitter')
  const srcBits = OF_FIELDS[src.field].bits
  const nBits = src.nBits ?? dst.nBits ?? srcBits
  const srcOfs = src.ofs ?? 0
  if (s === undefined) throw new FlowEncodeError(`no NXM header for ${src.field}`)
  // xxreg2 as a destination: one move per 32-bit word, most significant first
  const parts: { dst: WireField; srcOfs: number; dstOfs: number; n: number }[] = []
  if (dst.field === 'xxreg2') {
    const dstOfs = dst.ofs ?? 0
    for (let i = 0; i < 4; i++) {
      const wordLow = 96 - 32 * i
      const lo = Math.max(wordLow, dstOfs)
      const hi = Math.min(wordLow + 32, dstOfs + nBits)
      if (hi > lo) parts.push({ dst: XXREG2_WORDS[i] as WireField, srcOfs: srcOfs + (lo - dstOfs), dstOfs: lo - wordLow, n: hi - lo })
    }
  } else {
    const d = NXM_OF[dst.field]
    if (d === undefined) throw new FlowEncodeError(`no NXM header for ${dst.field}`)
    parts.push({ dst: d, srcOfs, dstOfs: dst.ofs ?? 0, n: nBits })
  }
  return parts.map(p => {
    // struct nx_action_reg_move after type/len: vendor, subtype, n_bits, src_ofs, dst_ofs, src, dst
    const body = Buffer.alloc(NX_ACTION_REG_MOVE_LEN - 4)
    body.writeUInt32BE(NX_VENDOR_ID, 0)
    body.writeUInt16BE(NXAST_REG_MOVE, 4)
    body.writeUInt16BE(p.n, 6)
    body.writeUInt16BE(p.srcOfs, 8)
    body.writeUInt16BE(p.dstOfs, 10)
    body.writeUInt32BE(nxmHeader(s), 12)
    body.writeUInt32BE(nxmHeader(p.dst), 16)
    return { type: 'unknown', actionType: OFPAT_EXPERIMENTER, body }
  })
}

function ctAction(a: Extract<Action, { type: 'NXAST_CT' }>): OfAction {
  const zone = NXM_OF[a.zone.field]
  if (zone === undefined) throw new FlowEncodeError(`no NXM header for the ct zone source ${a.zone.field}`)
  const ofs = a.zone.ofs ?? 0
  const nBits = a.zone.nBits ?? OF_FIELDS[a.zone.field].bits
  return {
    type: 'NXAST_CT',
    flags: a.commit ? NX_CT_F_COMMIT : 0,
    zoneSrc: nxmHeader(zone),
    zoneOfsNbits: (ofs << 6) | (nBits - 1),
    recircTable: a.table ?? NX_CT_RECIRC_NONE,
    alg: 0,
    actions: [...(a.nat !== undefined ? [natAction(a.nat)] : []), ...encodeActions(a.exec)],
  }
}

/** ct's nat: plain (the connection's own translation), or nat(src=IPv4) for a commit (ovs-actions(7) "ct"). */
function natAction(nat: CtNat): OfAction {
  if (nat.srcIpv4 === undefined) return { type: 'NXAST_NAT', flags: 0, rangePresent: 0, params: Buffer.alloc(0) }
  const ip = Buffer.alloc(4)
  ip.writeUInt32BE(Number(nat.srcIpv4))
  return { type: 'NXAST_NAT', flags: NX_NAT_F_SRC, rangePresent: NX_NAT_RANGE_IPV4_MIN, params: ip }
}

export function encodeActions(actions: readonly Action[]): OfAction[] {
  return actions.flatMap((a): OfAction[] => {
    switch (a.type) {
      case 'OFPAT_OUTPUT':
        return [a.maxLen === undefined ? { type: 'OFPAT_OUTPUT', port: a.port } : { type: 'OFPAT_OUTPUT', port: a.port, maxLen: a.maxLen }]
      case 'OFPAT_SET_FIELD':
        return fieldTlvs(a.field, a.value).map(field => ({ type: 'OFPAT_SET_FIELD', field }))
      case 'OFPAT_DEC_NW_TTL':
        return [{ type: 'OFPAT_DEC_NW_TTL' }]
      case 'OFPAT_POP_VLAN':
        return [{ type: 'OFPAT_POP_VLAN' }]
      case 'OFPAT_PUSH_VLAN':
        return [{ type: 'OFPAT_PUSH_VLAN', ethertype: a.ethertype }]
      case 'NXAST_REG_MOVE':
        return regMove(a.src, a.dst)
      case 'NXAST_RESUBMIT_TABLE':
        return [{ type: 'NXAST_RESUBMIT_TABLE', table: a.table }]
      case 'NXAST_CONJUNCTION':
        return [{ type: 'NXAST_CONJUNCTION', id: a.id, clause: a.clause - 1, nClauses: a.nClauses }]
      case 'NXAST_CT':
        return [ctAction(a)]
    }
  })
}

export function encodeInstructions(flow: Flow): Instruction[] {
  const out: Instruction[] = []
  if (flow.actions.length > 0) out.push({ type: 'OFPIT_APPLY_ACTIONS', actions: encodeActions(flow.actions) })
  if (flow.gotoTable !== undefined) out.push({ type: 'OFPIT_GOTO_TABLE', table: flow.gotoTable })
  return out
}
