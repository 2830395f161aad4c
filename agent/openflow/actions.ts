// Actions (7.2.5) and the Nicira resubmit actions OVS offers on 1.3. Every action is a multiple of 8 bytes.
import { Reader, Writer } from './bytes.js'
import { OfError } from './errors.js'
import { NX_VENDOR_ID, OFPCML_NO_BUFFER } from './constants.js'
import { decodeOxm, encodeOxm, type Oxm } from './oxm.js'

export const OFPAT_OUTPUT = 0
export const OFPAT_PUSH_VLAN = 17
export const OFPAT_POP_VLAN = 18
export const OFPAT_GROUP = 22
export const OFPAT_DEC_NW_TTL = 24
export const OFPAT_SET_FIELD = 25
export const OFPAT_EXPERIMENTER = 0xffff
export const NXAST_RESUBMIT = 1
export const NXAST_RESUBMIT_TABLE = 14
/** OVS lib/ofp-actions.c enum ofp_raw_action_type: NX1.0+(34) conjunction, (35) ct, (43) ct_clear */
export const NXAST_CONJUNCTION = 34
export const NXAST_CT = 35
/** (36) nat, nested in ct's actions */
export const NXAST_NAT = 36
export const NXAST_CT_CLEAR = 43
/** nx_action_nat.flags and .range_present (nicira-ext.h) */
export const NX_NAT_F_SRC = 1 << 0
export const NX_NAT_F_DST = 1 << 1
export const NX_NAT_RANGE_IPV4_MIN = 1 << 0
/** nx_action_conntrack.flags (nicira-ext.h) */
export const NX_CT_F_COMMIT = 1 << 0
export const NX_CT_F_FORCE = 1 << 1
/** nx_action_conntrack.recirc_table: no recirculation */
export const NX_CT_RECIRC_NONE = 0xff

export const OFP_ACTION_OUTPUT_LEN = 16
export const OFP_ACTION_GENERIC_LEN = 8
export const OFP_ACTION_PUSH_LEN = 8
export const OFP_ACTION_GROUP_LEN = 8
export const NX_ACTION_RESUBMIT_LEN = 16
export const NX_ACTION_CONJUNCTION_LEN = 16
/** struct nx_action_conntrack before its nested actions */
export const NX_ACTION_CONNTRACK_LEN = 24
/** struct nx_action_nat before its range parameters */
export const NX_ACTION_NAT_LEN = 16
/** struct nx_action_header (ct_clear has no body) */
export const NX_ACTION_HEADER_LEN = 16
/** OpenFlow 1.0 16-bit OFPP_IN_PORT, which nx_action_resubmit's in_port uses (OVS nicira-ext.h) */
export const OFPP10_IN_PORT = 0xfff8

export type Action =
  | { type: 'OFPAT_OUTPUT'; port: number; maxLen?: number }
  | { type: 'OFPAT_SET_FIELD'; field: Oxm }
  | { type: 'OFPAT_PUSH_VLAN'; ethertype: number }
  | { type: 'OFPAT_POP_VLAN' }
  | { type: 'OFPAT_DEC_NW_TTL' }
  | { type: 'OFPAT_GROUP'; groupId: number }
  /** resubmit(in_port) */
  | { type: 'NXAST_RESUBMIT'; inPort: number }
  /** resubmit(in_port, table): inPort defaults to OFPP10_IN_PORT */
  | { type: 'NXAST_RESUBMIT_TABLE'; table: number; inPort?: number }
  /** conjunction(id, clause+1/nClauses): `clause` is 0-based on the wire, as nx_action_conjunction has it */
  | { type: 'NXAST_CONJUNCTION'; id: number; clause: number; nClauses: number }
  /**
   * ct(...): zoneSrc is an NXM header (0 = zoneImm is the zone), zoneOfsNbits nxm_encode_ofs_nbits (ofs << 6 |
   * n_bits - 1), recircTable NX_CT_RECIRC_NONE for none, alg 0 for none, then the nested actions (exec)
   */
  | { type: 'NXAST_CT'; flags: number; zoneSrc: number; zoneOfsNbits: number; recircTable: number; alg: number; actions: Action[] }
  /**
   * nat inside ct: flags NX_NAT_F_*, rangePresent NX_NAT_RANGE_* bits, then the present range parameters in
   * their order (IPv4 min/max 4 bytes each, IPv6 min/max 16, L4 port min/max 2), kept as bytes
   */
  | { type: 'NXAST_NAT'; flags: number; rangePresent: number; params: Buffer }
  | { type: 'NXAST_CT_CLEAR' }
  /** any other action, kept as bytes so that decode + encode is the identity */
  | { type: 'unknown'; actionType: number; body: Buffer }

export function encodeAction(w: Writer, a: Action): void {
  const start = w.length
  switch (a.type) {
    case 'OFPAT_OUTPUT':
      w.u16(OFPAT_OUTPUT)
        .u16(OFP_ACTION_OUTPUT_LEN)
        .u32(a.port)
        .u16(a.maxLen ?? OFPCML_NO_BUFFER)
        .zeros(6)
      return
    case 'OFPAT_SET_FIELD':
      w.u16(OFPAT_SET_FIELD).u16(0)
      encodeOxm(w, a.field)
      w.align(8, start)
      w.setU16(start + 2, w.length - start)
      return
    case 'OFPAT_PUSH_VLAN':
      w.u16(OFPAT_PUSH_VLAN).u16(OFP_ACTION_PUSH_LEN).u16(a.ethertype).zeros(2)
      return
    case 'OFPAT_POP_VLAN':
      w.u16(OFPAT_POP_VLAN).u16(OFP_ACTION_GENERIC_LEN).zeros(4)
      return
    case 'OFPAT_DEC_NW_TTL':
      w.u16(OFPAT_DEC_NW_TTL).u16(OFP_ACTION_GENERIC_LEN).zeros(4)
      return
    case 'OFPAT_GROUP':
      w.u16(OFPAT_GROUP).u16(OFP_ACTION_GROUP_LEN).u32(a.groupId)
      return
    case 'NXAST_RESUBMIT':
    case 'NXAST_RESUBMIT_TABLE': {
      const table = a.type === 'NXAST_RESUBMIT' ? 0xff : a.table
      const subtype = a.type === 'NXAST_RESUBMIT' ? NXAST_RESUBMIT : NXAST_RESUBMIT_TABLE
      w.u16(OFPAT_EXPERIMENTER)
        .u16(NX_ACTION_RESUBMIT_LEN)
        .u32(NX_VENDOR_ID)
        .u16(subtype)
        .u16(a.inPort ?? OFPP10_IN_PORT)
        .u8(table)
        .zeros(3)
      return
    }
    case 'NXAST_CONJUNCTION':
      w.u16(OFPAT_EXPERIMENTER)
        .u16(NX_ACTION_CONJUNCTION_LEN)
        .u32(NX_VENDOR_ID)
        .u16(NXAST_CONJUNCTION)
        .u8(a.clause)
        .u8(a.nClauses)
        .u32(a.id)
      return
    case 'NXAST_CT':
      w.u16(OFPAT_EXPERIMENTER)
        .u16(0)
        .u32(NX_VENDOR_ID)
        .u16(NXAST_CT)
        .u16(a.flags)
        .u32(a.zoneSrc)
        .u16(a.zoneOfsNbits)
        .u8(a.recircTable)
        .zeros(3)
        .u16(a.alg)
      encodeActions(w, a.actions)
      w.setU16(start + 2, w.length - start)
      return
    case 'NXAST_NAT':
      w.u16(OFPAT_EXPERIMENTER).u16(0).u32(NX_VENDOR_ID).u16(NXAST_NAT).zeros(2).u16(a.flags).u16(a.rangePresent).bytes(a.params)
      w.align(8, start)
      w.setU16(start + 2, w.length - start)
      return
    case 'NXAST_CT_CLEAR':
      w.u16(OFPAT_EXPERIMENTER).u16(NX_ACTION_HEADER_LEN).u32(NX_VENDOR_ID).u16(NXAST_CT_CLEAR).zeros(6)
      return
    case 'unknown':
      w.u16(a.actionType)
        .u16(4 + a.body.length)
        .bytes(a.body)
  }
}

export function encodeActions(w: Writer, actions: readonly Action[]): void {
  for (const a of actions) encodeAction(w, a)
}

export function decodeAction(r: Reader): Action {
  const type = r.u16('action.type')
  const len = r.u16('action.len')
  if (len < 8 || len % 8 !== 0) throw new OfError('OF_BAD_LENGTH', `action type ${type} has len ${len}`)
  const bodyAt = r.off
  const b = r.sub(len - 4, 'action body')
  switch (type) {
    case OFPAT_OUTPUT: {
      const port = b.u32()
      const maxLen = b.u16()
      return { type: 'OFPAT_OUTPUT', port, maxLen }
    }
    case OFPAT_SET_FIELD:
      return { type: 'OFPAT_SET_FIELD', field: decodeOxm(b) }
    case OFPAT_PUSH_VLAN:
      return { type: 'OFPAT_PUSH_VLAN', ethertype: b.u16() }
    case OFPAT_POP_VLAN:
      return { type: 'OFPAT_POP_VLAN' }
    case OFPAT_DEC_NW_TTL:
      return { type: 'OFPAT_DEC_NW_TTL' }
    case OFPAT_GROUP:
      return { type: 'OFPAT_GROUP', groupId: b.u32() }
    case OFPAT_EXPERIMENTER: {
      const vendor = b.u32()
      const subtype = b.u16()
      if (vendor !== NX_VENDOR_ID) break
      if (len === NX_ACTION_RESUBMIT_LEN && (subtype === NXAST_RESUBMIT || subtype === NXAST_RESUBMIT_TABLE)) {
        const inPort = b.u16()
        const table = b.u8()
        if (subtype === NXAST_RESUBMIT) return { type: 'NXAST_RESUBMIT', inPort }
        return { type: 'NXAST_RESUBMIT_TABLE', inPort, table }
      }
      if (subtype === NXAST_CONJUNCTION && len === NX_ACTION_CONJUNCTION_LEN) {
        const clause = b.u8()
        const nClauses = b.u8()
        return { type: 'NXAST_CONJUNCTION', clause, nClauses, id: b.u32() }
      }
      if (subtype === NXAST_CT && len >= NX_ACTION_CONNTRACK_LEN) {
        const flags = b.u16()
        const zoneSrc = b.u32()
        const zoneOfsNbits = b.u16()
        const recircTable = b.u8()
        const pad = b.bytes(3, 'nx_action_conntrack.pad')
        const alg = b.u16()
        // non-zero padding would not survive a re-encode: keep such an action as bytes
        if (pad.some(x => x !== 0)) break
        return { type: 'NXAST_CT', flags, zoneSrc, zoneOfsNbits, recircTable, alg, actions: decodeActions(b) }
      }
      if (subtype === NXAST_NAT && len >= NX_ACTION_NAT_LEN) {
        const pad = b.bytes(2, 'nx_action_nat.pad')
        const flags = b.u16()
        const rangePresent = b.u16()
        const params = Buffer.from(b.bytes(natParamBytes(rangePresent), 'nx_action_nat range'))
        // a re-encode pads with zeros: anything else after the parameters stays bytes
        if (pad.every(x => x === 0) && b.bytes(b.remaining, 'nx_action_nat.pad').every(x => x === 0)) {
          return { type: 'NXAST_NAT', flags, rangePresent, params }
        }
        break
      }
      if (subtype === NXAST_CT_CLEAR && len === NX_ACTION_HEADER_LEN && b.bytes(6, 'nx_action_header.pad').every(x => x === 0)) {
        return { type: 'NXAST_CT_CLEAR' }
      }
      break
    }
  }
  return { type: 'unknown', actionType: type, body: Buffer.from(r.buf.subarray(bodyAt, bodyAt + len - 4)) }
}

/** Bytes of the range parameters nx_action_nat carries for `present` (NX_NAT_RANGE_* bits, in order). */
function natParamBytes(present: number): number {
  const sizes = [4, 4, 16, 16, 2, 2]
  return sizes.reduce((n, size, bit) => n + ((present & (1 << bit)) !== 0 ? size : 0), 0)
}

export function decodeActions(r: Reader): Action[] {
  const out: Action[] = []
  while (r.remaining > 0) out.push(decodeAction(r))
  return out
}
