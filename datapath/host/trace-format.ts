// Trace steps (datapath/spec/trace.ts) in words: the stage name from STAGES, the outcome, and a detail line
// built from the step's kind.
import { STAGE_SNAT, STAGES } from '../spec/stages.js'
import { ACL_DIR_EGRESS } from '../spec/entry-kinds.js'
import {
  CT_MARK_BLOCKED,
  CT_STATE_NAMES,
  TRACE_KIND_ACL,
  TRACE_KIND_ARP_ND,
  TRACE_KIND_CLASSIFY,
  TRACE_KIND_CT,
  TRACE_KIND_DECAP,
  TRACE_KIND_DHCP,
  TRACE_KIND_EGRESS,
  TRACE_KIND_ICMP_ERROR,
  TRACE_KIND_L2,
  TRACE_KIND_NAT,
  TRACE_KIND_NEXTHOP,
  TRACE_KIND_PARSE,
  TRACE_KIND_PORT_SEC,
  TRACE_KIND_ROUTE,
  TRACE_KIND_ROUTER,
  TRACE_OUTCOME_NAMES,
  TRACE_SKIP,
  TRACE_STAGE_DECAP,
  TRACE_STAGE_PARSE,
  TRACE_KIND_SNAT,
  SNAT_TRACE_NEW,
  SNAT_TRACE_QUOTED,
  SNAT_TRACE_REDIRECT,
  SNAT_TRACE_REPLY,
  SNAT_TRACE_UNTRANSLATED,
} from '../spec/trace.js'
import { REASON_NAMES } from '../spec/verdicts.js'
import type { TraceStep } from './api.js'
import { formatIp, formatMac } from './entry-addresses.js'

const DHCP_TYPES = ['none', 'DISCOVER', 'OFFER', 'REQUEST', 'DECLINE', 'ACK', 'NAK', 'RELEASE', 'INFORM']
/** RFC 8415 7.3; dhcp6-server.ts marks DHCPv6 types in trace arguments with 0x100 */
const DHCP6_TYPES = [
  'none',
  'Solicit',
  'Advertise',
  'Request',
  'Confirm',
  'Renew',
  'Rebind',
  'Reply',
  'Release',
  'Decline',
  'Reconfigure',
  'Information-request',
  'Relay-forw',
  'Relay-repl',
]
const dhcpType = (v: number): string => ((v & 0x100) !== 0 ? (DHCP6_TYPES[v & 0xff] ?? `DHCPv6 ${v & 0xff}`) : (DHCP_TYPES[v] ?? String(v)))
const NO_PROTO = 0xffff

/** ct_state bits as ovs-ofctl prints them: "+trk+est+rpl"; "untracked" when none. */
export function formatCtState(bits: number): string {
  const set = CT_STATE_NAMES.filter((_, i) => (bits & (1 << i)) !== 0)
  // trk first, as ovs-ofctl writes matches
  set.sort((x, y) => (x === 'trk' ? -1 : y === 'trk' ? 1 : 0))
  return set.length === 0 ? 'untracked' : set.map(n => `+${n}`).join('')
}

export function formatStep(raw: Uint8Array): TraceStep {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength)
  const stageId = view.getUint8(0)
  const kind = view.getUint8(2)
  const reason = view.getUint8(3)
  const a = view.getUint32(4, true)
  const b = view.getUint32(8, true)
  const c = view.getUint32(12, true)
  const family = view.getUint8(32)
  const plen = view.getUint8(33)
  const ip = family === 4 || family === 6 ? formatIp(family, raw.subarray(16, 32)) : ''
  const mac = formatMac(raw.subarray(34, 40))
  const stage =
    stageId === TRACE_STAGE_PARSE ? 'parse' : stageId === TRACE_STAGE_DECAP ? 'decap' : (STAGES[stageId]?.name ?? `stage ${stageId}`)
  const parts: string[] = []
  switch (kind) {
    case TRACE_KIND_PARSE:
      parts.push(`ethertype 0x${a.toString(16).padStart(4, '0')}`)
      if (b !== 0) parts.push(`vlan ${b}`)
      if (c !== NO_PROTO) parts.push(`ip proto ${c}`)
      break
    case TRACE_KIND_DECAP:
      parts.push(`UDP ${b}, VNI ${a}`)
      break
    case TRACE_KIND_CLASSIFY:
      parts.push(`network ${a}, port ${b} (vlan or tunnel key ${c})`)
      break
    case TRACE_KIND_PORT_SEC:
      parts.push(`port ${a}`)
      if (mac !== '00:00:00:00:00:00') parts.push(`mac ${mac}`)
      if (ip) parts.push(`ip ${ip}`)
      break
    case TRACE_KIND_ARP_ND:
      parts.push(`network ${a}`)
      if (ip) parts.push(`target ${ip}`)
      if (mac !== '00:00:00:00:00:00') parts.push(`answer ${mac}${b ? ' (router)' : ''}`)
      break
    case TRACE_KIND_DHCP:
      parts.push(`port ${a}`)
      if (b) parts.push(`got ${dhcpType(b)}`)
      if (c) parts.push(`sent ${dhcpType(c)}`)
      break
    case TRACE_KIND_ROUTER:
      parts.push(`router ${a} via port ${b}`)
      if (ip) parts.push(`to ${ip}`)
      break
    case TRACE_KIND_ROUTE:
      parts.push(`router ${a}`)
      if (ip) parts.push(`matched ${ip}/${plen}, out port ${b}`)
      break
    case TRACE_KIND_NEXTHOP:
      parts.push(`network ${a}, next hop ${ip}`)
      if (mac !== '00:00:00:00:00:00') parts.push(`is ${mac}`)
      break
    case TRACE_KIND_L2:
      parts.push(`network ${a}, ${mac}${b ? ` -> port ${b}` : ''}`)
      break
    case TRACE_KIND_EGRESS:
      parts.push(`port ${a}`)
      parts.push(b ? `ofport ${b}` : c ? `tunnel to ${formatIp(4, raw.subarray(12, 16))}` : '')
      break
    case TRACE_KIND_ICMP_ERROR:
      parts.push(`ICMP type ${a} code ${b}`)
      if (ip) parts.push(`to ${ip}`)
      break
    case TRACE_KIND_CT:
      parts.push(`zone ${a}`)
      if (view.getUint8(1) !== TRACE_SKIP) parts.push(`state ${formatCtState(b)}`)
      if (c !== 0) parts.push(`mark 0x${c.toString(16)}${(c & CT_MARK_BLOCKED) !== 0 ? ' (blocked)' : ''}`)
      break
    case TRACE_KIND_ACL:
      parts.push(`port ${a} ${c === ACL_DIR_EGRESS ? 'egress' : 'ingress'} rules`)
      if (ip) parts.push(`${c === ACL_DIR_EGRESS ? 'to' : 'from'} ${ip}`)
      if (b !== 0) parts.push(`allowed by rule ${b}`)
      break
    case TRACE_KIND_NAT: {
      parts.push(`router ${a}`)
      const what = [(b & 1) !== 0 ? 'destination' : '', (b & 2) !== 0 ? 'source' : ''].filter(w => w !== '')
      if (what.length > 0)
        parts.push(`${what.join(' and ')} rewritten${ip ? `, ${stageId === STAGE_SNAT ? 'source' : 'destination'} now ${ip}` : ''}`)
      else if (ip) parts.push(`${ip} not translated`)
      if (c !== 0) parts.push('ICMP error quote rewritten')
      if (mac !== '00:00:00:00:00:00') parts.push(`mac ${mac}`)
      break
    }
    case TRACE_KIND_SNAT:
      parts.push(`router ${a}`, formatSnat(b, c, ip))
      break
  }
  if (reason !== 0) parts.push(REASON_NAMES[reason] ?? `reason ${reason}`)
  return {
    stage,
    outcome: TRACE_OUTCOME_NAMES[view.getUint8(1)] ?? 'unknown',
    detail: parts.filter(p => p !== '').join(', '),
  }
}

/** A port-translation step (TRACE_KIND_SNAT) in words. */
function formatSnat(port: number, bits: number, ip: string): string {
  if ((bits & SNAT_TRACE_REDIRECT) !== 0)
    return `from router port ${port}, redirected to the gateway chassis${ip ? ` ${ip}` : ' (none known)'}`
  if ((bits & SNAT_TRACE_UNTRANSLATED) !== 0) return `${ip} left untranslated (IPv6)`
  if ((bits & SNAT_TRACE_REPLY) !== 0) {
    return `reply translated back to ${ip} port ${port}${(bits & SNAT_TRACE_QUOTED) !== 0 ? ', ICMP error quote translated back' : ''}`
  }
  if (ip === '') return 'not translated'
  return `source translated to ${ip} port ${port}${(bits & SNAT_TRACE_NEW) !== 0 ? ', new connection' : ''}`
}
