// OXM TLVs (7.2.3.2) and struct ofp_match (7.2.3.1), with the OpenFlow-basic fields and the Nicira NXM_1
// fields OVS accepts on 1.3 (registers, tunnel endpoints).
//
//   OXM header (32 bits):  | oxm_class (16) | oxm_field (7) | HM (1) | oxm_length (8) |
//   payload: value, then mask of the same size when HM is set
import { AddressError, Ipv4Address, Ipv6Address, MacAddress } from '../../datapath/host/addresses.js'
import { Reader, Writer } from './bytes.js'
import { OfError } from './errors.js'

export const OFPXMC_NXM_0 = 0x0000
export const OFPXMC_NXM_1 = 0x0001
export const OFPXMC_OPENFLOW_BASIC = 0x8000
export const OFPXMC_EXPERIMENTER = 0xffff
export const OFPMT_OXM = 1
export const OFP_MATCH_HEADER_LEN = 4 // type, length (then fields, then pad to 8)

/** How a field's bytes read as a value. */
export type OxmKind = 'u8' | 'u16' | 'u24' | 'u32' | 'u64' | 'mac' | 'ipv4' | 'ipv6'
const KIND_LEN: Record<OxmKind, number> = { u8: 1, u16: 2, u24: 3, u32: 4, u64: 8, mac: 6, ipv4: 4, ipv6: 16 }

export interface OxmFieldDecl {
  name: string
  cls: number
  field: number
  kind: OxmKind
  maskable: boolean
}

// 7.2.3.7 enum oxm_ofb_match_fields, named as openflow.h names their OXM_OF_* macros
const OFB: Array<[string, OxmKind, boolean]> = [
  ['OXM_OF_IN_PORT', 'u32', false],
  ['OXM_OF_IN_PHY_PORT', 'u32', false],
  ['OXM_OF_METADATA', 'u64', true],
  ['OXM_OF_ETH_DST', 'mac', true],
  ['OXM_OF_ETH_SRC', 'mac', true],
  ['OXM_OF_ETH_TYPE', 'u16', false],
  ['OXM_OF_VLAN_VID', 'u16', true],
  ['OXM_OF_VLAN_PCP', 'u8', false],
  ['OXM_OF_IP_DSCP', 'u8', false],
  ['OXM_OF_IP_ECN', 'u8', false],
  ['OXM_OF_IP_PROTO', 'u8', false],
  ['OXM_OF_IPV4_SRC', 'ipv4', true],
  ['OXM_OF_IPV4_DST', 'ipv4', true],
  ['OXM_OF_TCP_SRC', 'u16', false],
  ['OXM_OF_TCP_DST', 'u16', false],
  ['OXM_OF_UDP_SRC', 'u16', false],
  ['OXM_OF_UDP_DST', 'u16', false],
  ['OXM_OF_SCTP_SRC', 'u16', false],
  ['OXM_OF_SCTP_DST', 'u16', false],
  ['OXM_OF_ICMPV4_TYPE', 'u8', false],
  ['OXM_OF_ICMPV4_CODE', 'u8', false],
  ['OXM_OF_ARP_OP', 'u16', false],
  ['OXM_OF_ARP_SPA', 'ipv4', true],
  ['OXM_OF_ARP_TPA', 'ipv4', true],
  ['OXM_OF_ARP_SHA', 'mac', true],
  ['OXM_OF_ARP_THA', 'mac', true],
  ['OXM_OF_IPV6_SRC', 'ipv6', true],
  ['OXM_OF_IPV6_DST', 'ipv6', true],
  ['OXM_OF_IPV6_FLABEL', 'u32', true],
  ['OXM_OF_ICMPV6_TYPE', 'u8', false],
  ['OXM_OF_ICMPV6_CODE', 'u8', false],
  ['OXM_OF_IPV6_ND_TARGET', 'ipv6', false],
  ['OXM_OF_IPV6_ND_SLL', 'mac', false],
  ['OXM_OF_IPV6_ND_TLL', 'mac', false],
  ['OXM_OF_MPLS_LABEL', 'u32', false],
  ['OXM_OF_MPLS_TC', 'u8', false],
  ['OXM_OF_MPLS_BOS', 'u8', false],
  ['OXM_OF_PBB_ISID', 'u24', true],
  ['OXM_OF_TUNNEL_ID', 'u64', true],
  ['OXM_OF_IPV6_EXTHDR', 'u16', true],
]

export const OXM_FIELDS: readonly OxmFieldDecl[] = [
  ...OFB.map(([name, kind, maskable], field) => ({ name, cls: OFPXMC_OPENFLOW_BASIC, field, kind, maskable })),
  // Nicira extension fields OVS maps onto class NXM_1 (OVS meta-flow.xml): registers and tunnel endpoints
  ...Array.from({ length: 16 }, (_, i) => ({ name: `NXM_NX_REG${i}`, cls: OFPXMC_NXM_1, field: i, kind: 'u32' as const, maskable: true })),
  { name: 'NXM_NX_TUN_IPV4_SRC', cls: OFPXMC_NXM_1, field: 31, kind: 'ipv4', maskable: true },
  { name: 'NXM_NX_TUN_IPV4_DST', cls: OFPXMC_NXM_1, field: 32, kind: 'ipv4', maskable: true },
  // fragment bits and TTL (meta-flow.xml NXM_NX_IP_FRAG(26), NXM_NX_IP_TTL(29))
  { name: 'NXM_NX_IP_FRAG', cls: OFPXMC_NXM_1, field: 26, kind: 'u8', maskable: true },
  { name: 'NXM_NX_IP_TTL', cls: OFPXMC_NXM_1, field: 29, kind: 'u8', maskable: false },
  // conjunctive match and connection tracking (meta-flow.xml NXM_NX_CONJ_ID(37), NXM_NX_CT_STATE(105),
  // NXM_NX_CT_ZONE(106), NXM_NX_CT_MARK(107))
  { name: 'NXM_NX_CONJ_ID', cls: OFPXMC_NXM_1, field: 37, kind: 'u32', maskable: false },
  { name: 'NXM_NX_CT_STATE', cls: OFPXMC_NXM_1, field: 105, kind: 'u32', maskable: true },
  { name: 'NXM_NX_CT_ZONE', cls: OFPXMC_NXM_1, field: 106, kind: 'u16', maskable: false },
  { name: 'NXM_NX_CT_MARK', cls: OFPXMC_NXM_1, field: 107, kind: 'u32', maskable: true },
]

const byName = new Map(OXM_FIELDS.map(d => [d.name, d]))
const byCode = new Map(OXM_FIELDS.map(d => [(d.cls << 7) | d.field, d]))

export type OxmName = string
export type OxmValue = number | bigint | string | Uint8Array

/** One match field (or a set_field's field). `payload` keeps an unknown field's bytes for re-encoding. */
export interface Oxm {
  name: OxmName
  cls: number
  field: number
  value: Buffer
  mask?: Buffer
  /** unknown fields only: the raw payload and its HM bit */
  payload?: Buffer
  hasMask?: boolean
}

export function fieldDecl(name: OxmName): OxmFieldDecl {
  const d = byName.get(name)
  if (d === undefined) throw new OfError('OF_BAD_VALUE', `unknown OXM field ${name}`)
  return d
}

// Text values are parsed by the one address module; its refusal becomes this codec's typed error.
function addressBytes(s: string, parse: (text: string) => { bytes: Uint8Array }): Buffer {
  try {
    return Buffer.from(parse(s).bytes)
  } catch (err) {
    if (err instanceof AddressError) throw new OfError('OF_BAD_VALUE', err.message)
    throw err
  }
}

const parseMac = (s: string): Buffer => addressBytes(s, t => MacAddress.parse(t))
const parseIpv4 = (s: string): Buffer => addressBytes(s, t => Ipv4Address.parse(t))
const parseIpv6 = (s: string): Buffer => addressBytes(s, t => Ipv6Address.parse(t))

/** Encode a typed value into a field's bytes. */
export function valueBytes(d: OxmFieldDecl, v: OxmValue): Buffer {
  const len = KIND_LEN[d.kind]
  if (v instanceof Uint8Array) {
    if (v.length !== len) throw new OfError('OF_BAD_VALUE', `${d.name} needs ${len} bytes, got ${v.length}`)
    return Buffer.from(v)
  }
  if (typeof v === 'string') {
    if (d.kind === 'mac') return parseMac(v)
    if (d.kind === 'ipv4') return parseIpv4(v)
    if (d.kind === 'ipv6') return parseIpv6(v)
    v = BigInt(v)
  }
  const n = BigInt(v)
  if (n < 0n || n >= 1n << BigInt(len * 8)) throw new OfError('OF_BAD_VALUE', `${d.name}: ${n} does not fit ${len} bytes`)
  const b = Buffer.alloc(len)
  for (let i = 0; i < len; i++) b[len - 1 - i] = Number((n >> BigInt(8 * i)) & 0xffn)
  return b
}

/** Build a field: oxm('OXM_OF_IN_PORT', 1), oxm('NXM_NX_REG0', 5, 0xff), oxm('OXM_OF_ETH_DST', '02:00:...'). */
export function oxm(name: OxmName, value: OxmValue, mask?: OxmValue): Oxm {
  const d = fieldDecl(name)
  const f: Oxm = { name, cls: d.cls, field: d.field, value: valueBytes(d, value) }
  if (mask !== undefined) {
    if (!d.maskable) throw new OfError('OF_BAD_VALUE', `${name} is not maskable`)
    f.mask = valueBytes(d, mask)
  }
  return f
}

/** A field's value read back as a number (<= 32 bits), bigint (64 bits) or text (addresses). */
export function oxmValue(f: Oxm): number | bigint | string {
  const d = byCode.get((f.cls << 7) | f.field)
  const v = f.value
  switch (d?.kind) {
    case 'mac':
      return [...v].map(x => x.toString(16).padStart(2, '0')).join(':')
    case 'ipv4':
      return [...v].join('.')
    case 'ipv6':
      return Array.from({ length: 8 }, (_, i) => v.readUInt16BE(i * 2).toString(16)).join(':')
    case 'u64':
      return v.readBigUInt64BE(0)
    default:
      return v.length <= 4 ? v.readUIntBE(0, Math.max(v.length, 1)) : BigInt(`0x${v.toString('hex')}`)
  }
}

export function encodeOxm(w: Writer, f: Oxm): void {
  const hasMask = f.payload !== undefined ? f.hasMask === true : f.mask !== undefined
  const payload = f.payload ?? (f.mask !== undefined ? Buffer.concat([f.value, f.mask]) : f.value)
  w.u16(f.cls)
    .u8((f.field << 1) | (hasMask ? 1 : 0))
    .u8(payload.length)
    .bytes(payload)
}

export function decodeOxm(r: Reader): Oxm {
  const cls = r.u16('oxm_class')
  const fh = r.u8('oxm_field')
  const len = r.u8('oxm_length')
  const field = fh >> 1
  const hasMask = (fh & 1) === 1
  const payload = Buffer.from(r.bytes(len, 'oxm payload'))
  const d = byCode.get((cls << 7) | field)
  if (d === undefined || cls === OFPXMC_EXPERIMENTER) {
    return { name: `OXM_${cls.toString(16)}_${field}`, cls, field, value: payload, payload, hasMask }
  }
  const want = KIND_LEN[d.kind] * (hasMask ? 2 : 1)
  if (len !== want) throw new OfError('OF_BAD_LENGTH', `${d.name}: oxm_length ${len}, expected ${want}`)
  const f: Oxm = { name: d.name, cls, field, value: payload.subarray(0, KIND_LEN[d.kind]) }
  if (hasMask) f.mask = payload.subarray(KIND_LEN[d.kind])
  return f
}

/** struct ofp_match: type OFPMT_OXM, length (header + fields, without padding), fields, pad to 8. */
export function encodeMatch(w: Writer, fields: readonly Oxm[]): void {
  const start = w.length
  w.u16(OFPMT_OXM).u16(0)
  for (const f of fields) encodeOxm(w, f)
  w.setU16(start + 2, w.length - start)
  w.align(8, start)
}

export function decodeMatch(r: Reader): Oxm[] {
  const type = r.u16('ofp_match.type')
  const length = r.u16('ofp_match.length')
  if (type !== OFPMT_OXM) throw new OfError('OF_BAD_VALUE', `ofp_match.type ${type} is not OFPMT_OXM`)
  if (length < OFP_MATCH_HEADER_LEN) throw new OfError('OF_BAD_LENGTH', `ofp_match.length ${length}`)
  const body = r.sub(length - OFP_MATCH_HEADER_LEN, 'ofp_match fields')
  const fields: Oxm[] = []
  while (body.remaining > 0) fields.push(decodeOxm(body))
  r.skip((8 - (length % 8)) % 8, 'ofp_match pad')
  return fields
}

/** The value of a field in a match, or undefined. */
export function matchGet(fields: readonly Oxm[], name: OxmName): number | bigint | string | undefined {
  const f = fields.find(x => x.name === name)
  return f === undefined ? undefined : oxmValue(f)
}
