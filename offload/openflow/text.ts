// Renders flows as `ovs-ofctl -O OpenFlow13 add-flows` lines: for humans, golden tests and installing into a
// real OVS in tests. One flow per line; fields by their ovs-fields(7) names.
import {
  ETH_TYPE_ARP,
  ETH_TYPE_IPV4,
  ETH_TYPE_IPV6,
  IP_PROTO_ICMP,
  IP_PROTO_ICMPV6,
  IP_PROTO_SCTP,
  IP_PROTO_TCP,
  IP_PROTO_UDP,
  OF_FIELDS,
  type OfFieldName,
} from './fields.js'
import { type Action, type FieldSlice, type Flow, type MatchEntry, OFPP_CONTROLLER, OFPP_IN_PORT } from './flow.js'
import { Ipv4Address, Ipv6Address, MacAddress } from '../../datapath/host/addresses.js'
import { CT_STATE_BITS } from './values.js'

const HEX_FIELDS = new Set<OfFieldName>(['vlan_vid', 'eth_type', 'tun_id', 'reg4', 'reg5', 'xxreg2', 'ct_mark', 'ct_zone'])

/** ct_state as ovs-ofctl prints it: each masked flag +set or -clear, in bit order (lib/meta-flow.c). */
function ctStateText(value: bigint, mask: bigint): string {
  return Object.entries(CT_STATE_BITS)
    .filter(([, bit]) => (mask & BigInt(bit)) !== 0n)
    .map(([name, bit]) => `${(value & BigInt(bit)) !== 0n ? '+' : '-'}${name}`)
    .join('')
}

function renderValue(field: OfFieldName, v: bigint): string {
  const kind = OF_FIELDS[field].kind
  if (kind === 'mac') return MacAddress.of(v).toString()
  if (kind === 'ipv4') return ipv4(v)
  if (kind === 'ipv6') return Ipv6Address.of(v).toString()
  return HEX_FIELDS.has(field) ? `0x${v.toString(16)}` : v.toString()
}

function ipv4(v: bigint): string {
  return Ipv4Address.of(v).toString()
}

/** The prefix length of a contiguous mask of `bits` bits (rendered /len, as ovs-ofctl prints it), else undefined. */
function prefixLength(mask: bigint, bits: number): number | undefined {
  const all = (1n << BigInt(bits)) - 1n
  for (let len = 0; len <= bits; len++) {
    if (mask === (all ^ ((1n << BigInt(bits - len)) - 1n))) return len
  }
  return undefined
}

/** ovs-fields(7) nw_frag keywords for the value/mask pairs the emitters use. */
const NW_FRAG_WORDS: Record<string, string> = { '3/3': 'later', '1/1': 'yes', '0/1': 'no', '1/3': 'first', '0/2': 'not_later' }

function renderMatch(m: MatchEntry): string {
  if (m.field === 'nw_frag') {
    const word = NW_FRAG_WORDS[`${m.value}/${m.mask ?? 0xffn}`]
    if (word === undefined) throw new Error(`nw_frag ${m.value}/${m.mask} has no ovs-ofctl keyword`)
    return `nw_frag=${word}`
  }
  if (m.field === 'ct_state') return `ct_state=${ctStateText(m.value, m.mask ?? 0xffffffffn)}`
  const v = renderValue(m.field, m.value)
  if (m.mask === undefined) return `${m.field}=${v}`
  const kind = OF_FIELDS[m.field].kind
  if (kind === 'ipv4' || kind === 'ipv6') {
    const len = prefixLength(m.mask, OF_FIELDS[m.field].bits)
    if (len !== undefined) return `${m.field}=${v}/${len}`
    return `${m.field}=${v}/${renderValue(m.field, m.mask)}`
  }
  if (OF_FIELDS[m.field].kind === 'mac') return `${m.field}=${v}/${MacAddress.of(m.mask).toString()}`
  return `${m.field}=0x${m.value.toString(16)}/0x${m.mask.toString(16)}`
}

const L4_TOKENS: Record<string, string> = {
  [`${ETH_TYPE_IPV4}/${IP_PROTO_UDP}`]: 'udp',
  [`${ETH_TYPE_IPV4}/${IP_PROTO_TCP}`]: 'tcp',
  [`${ETH_TYPE_IPV4}/${IP_PROTO_SCTP}`]: 'sctp',
  [`${ETH_TYPE_IPV4}/${IP_PROTO_ICMP}`]: 'icmp',
  [`${ETH_TYPE_IPV6}/${IP_PROTO_ICMPV6}`]: 'icmp6',
  [`${ETH_TYPE_IPV6}/${IP_PROTO_UDP}`]: 'udp6',
  [`${ETH_TYPE_IPV6}/${IP_PROTO_TCP}`]: 'tcp6',
  [`${ETH_TYPE_IPV6}/${IP_PROTO_SCTP}`]: 'sctp6',
}

/** eth_type / ip_proto as the ovs-ofctl shorthands (ip, arp, ipv6, udp, tcp6, ...). */
function protocol(match: MatchEntry[]): { token?: string; rest: MatchEntry[] } {
  const et = match.find(m => m.field === 'eth_type')?.value
  const proto = match.find(m => m.field === 'ip_proto')?.value
  let token: string | undefined
  let consumed: OfFieldName[] = []
  const l4 = proto === undefined ? undefined : L4_TOKENS[`${et}/${proto}`]
  if (l4 !== undefined) {
    token = l4
    consumed = ['eth_type', 'ip_proto']
  } else if (et === BigInt(ETH_TYPE_IPV4)) {
    token = 'ip'
    consumed = ['eth_type']
  } else if (et === BigInt(ETH_TYPE_ARP)) {
    token = 'arp'
    consumed = ['eth_type']
  } else if (et === BigInt(ETH_TYPE_IPV6)) {
    token = 'ipv6'
    consumed = ['eth_type']
  }
  const rest = match.filter(m => !consumed.includes(m.field))
  return token === undefined ? { rest } : { token, rest }
}

function slice(s: FieldSlice): string {
  if (s.ofs === undefined) return s.field
  return `${s.field}[${s.ofs}..${s.ofs + (s.nBits ?? OF_FIELDS[s.field].bits - s.ofs) - 1}]`
}

function renderAction(a: Action): string {
  switch (a.type) {
    case 'OFPAT_OUTPUT':
      if (a.port === OFPP_IN_PORT) return 'IN_PORT'
      if (a.port === OFPP_CONTROLLER) return `CONTROLLER:${a.maxLen ?? 0}`
      return `output:${a.port}`
    case 'OFPAT_SET_FIELD':
      return `set_field:${renderValue(a.field, a.value)}->${a.field}`
    case 'OFPAT_DEC_NW_TTL':
      return 'dec_ttl'
    case 'OFPAT_POP_VLAN':
      return 'pop_vlan'
    case 'OFPAT_PUSH_VLAN':
      return `push_vlan:0x${a.ethertype.toString(16)}`
    case 'NXAST_REG_MOVE':
      return `move:${slice(a.src)}->${slice(a.dst)}`
    case 'NXAST_RESUBMIT_TABLE':
      return `resubmit(,${a.table})`
    // ovs-actions(7) order: commit, table, zone, exec
    case 'NXAST_CT': {
      const zone = `zone=NXM_NX_${a.zone.field.toUpperCase()}[${a.zone.ofs ?? 0}..${(a.zone.ofs ?? 0) + (a.zone.nBits ?? OF_FIELDS[a.zone.field].bits) - 1}]`
      const parts = [
        ...(a.commit ? ['commit'] : []),
        ...(a.table !== undefined ? [`table=${a.table}`] : []),
        zone,
        ...(a.exec.length > 0 ? [`exec(${a.exec.map(renderAction).join(',')})`] : []),
        ...(a.nat === undefined ? [] : [a.nat.srcIpv4 === undefined ? 'nat' : `nat(src=${renderValue('nw_src', a.nat.srcIpv4)})`]),
      ]
      return `ct(${parts.join(',')})`
    }
    case 'NXAST_CONJUNCTION':
      return `conjunction(${a.id},${a.clause}/${a.nClauses})`
  }
}

export function renderFlow(f: Flow): string {
  const { token, rest } = protocol(f.match)
  const head = [`table=${f.table}`, `priority=${f.priority}`, `cookie=0x${f.cookie.toString(16)}`]
  if (f.idleTimeout !== undefined) head.push(`idle_timeout=${f.idleTimeout}`)
  if (token !== undefined) head.push(token)
  head.push(...rest.map(renderMatch))
  const acts = f.actions.map(renderAction)
  if (f.gotoTable !== undefined) acts.push(`goto_table:${f.gotoTable}`)
  return `${head.join(',')} actions=${acts.length > 0 ? acts.join(',') : 'drop'}`
}

/** Flows sorted by table, then priority (high first), as one add-flows file. */
export function renderFlows(flows: Flow[]): string {
  const sorted = [...flows].sort((a, b) => a.table - b.table || b.priority - a.priority)
  return sorted.map(renderFlow).join('\n') + '\n'
}
