// A frame from a field list, as `dragonflow trace --fields` and conformance vectors write it:
//
//   in_port=1,eth_src=fa:16:3e:00:00:01,arp_op=1,arp_spa=10.0.0.5,arp_tpa=10.0.0.1
//   in_port=1,eth_src=..,eth_dst=..,ip_src=10.0.0.5,ip_dst=10.0.2.5,ttl=64,icmp_type=8
//   in_port=1,eth_src=..,udp_src=68,udp_dst=67,dhcp_type=discover
//
// The protocol stack follows from the fields present (arp_* -> ARP; ip_* -> IPv4 or IPv6 by the address;
// udp_*/tcp_*/icmp_*/nd_*/dhcp_* -> that L4), and what a field list leaves out gets the value a host would send
// (ARP request to broadcast, DHCP from 0.0.0.0 to 255.255.255.255, ND with hop limit 255). Every error names
// the field it is about.
import {
  AddressError,
  BROADCAST_MAC,
  IPV4_ANY,
  IPV4_BROADCAST,
  Ipv4Address,
  Ipv6Address,
  MacAddress,
  bytesOfHex,
  type IpAddress,
} from './addresses.js'
import {
  ARP_REQUEST,
  arp,
  buildFrame,
  dot1q,
  echo4,
  echo6,
  ethernet,
  icmp4,
  icmp6,
  ip4,
  ip6,
  ndNa,
  ndNs,
  raw,
  tcp,
  udp,
  dhcp,
  type Layer,
} from './packet-builder.js'
import { DHCP_MESSAGE_TYPES, type DhcpMessageType } from './packet-dhcp.js'

export class FieldError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(field === '' ? message : `field '${field}': ${message}`)
    this.name = 'FieldError'
  }
}

type Kind = 'int' | 'mac' | 'ipv4' | 'ip' | 'hex' | 'bool' | 'dhcp_type'
/** Every field the parser knows, with the kind of value it takes. */
const FIELDS: Record<string, Kind> = {
  in_port: 'int',
  tunnel_key: 'int',
  pad: 'int',
  eth_src: 'mac',
  eth_dst: 'mac',
  eth_type: 'int',
  vlan: 'int',
  vlan_pcp: 'int',
  arp_op: 'int',
  arp_sha: 'mac',
  arp_spa: 'ipv4',
  arp_tha: 'mac',
  arp_tpa: 'ipv4',
  ip_src: 'ip',
  ip_dst: 'ip',
  ttl: 'int',
  hop_limit: 'int',
  ip_proto: 'int',
  ip_id: 'int',
  ip_df: 'bool',
  ip_mf: 'bool',
  ip_frag_offset: 'int',
  icmp_type: 'int',
  icmp_code: 'int',
  icmp_id: 'int',
  icmp_seq: 'int',
  nd_target: 'ip',
  nd_sll: 'mac',
  nd_tll: 'mac',
  udp_src: 'int',
  udp_dst: 'int',
  tcp_src: 'int',
  tcp_dst: 'int',
  tcp_flags: 'int',
  dhcp_type: 'dhcp_type',
  dhcp_xid: 'int',
  dhcp_chaddr: 'mac',
  dhcp_ciaddr: 'ipv4',
  dhcp_requested_ip: 'ipv4',
  dhcp_server_id: 'ipv4',
  dhcp_broadcast: 'bool',
  payload: 'hex',
}
export const KNOWN_FIELDS: readonly string[] = Object.keys(FIELDS)

type Value = number | boolean | MacAddress | IpAddress | Uint8Array | DhcpMessageType

export interface ParsedFields {
  in_port: number
  tunnel_key?: number | undefined
  layers: Layer[]
  frame: Uint8Array
}

/** Parses `name=value,name=value` into the ingress port, the layers and the encoded frame. */
export function parseFields(text: string): ParsedFields {
  const f = new FieldSet(text)
  const inPort = f.int('in_port')
  if (inPort === undefined) throw new FieldError('in_port', 'is required (the OpenFlow port the frame arrives on)')
  const layers = layersOf(f)
  const pad = f.int('pad')
  return { in_port: inPort, tunnel_key: f.int('tunnel_key'), layers, frame: buildFrame(layers, { padTo: pad }) }
}

class FieldSet {
  private readonly values = new Map<string, Value>()

  constructor(text: string) {
    for (const item of text
      .split(',')
      .map(s => s.trim())
      .filter(s => s !== '')) {
      const eq = item.indexOf('=')
      if (eq <= 0) throw new FieldError(item, 'expected name=value')
      const name = item.slice(0, eq).trim()
      const kind = FIELDS[name]
      if (kind === undefined) throw new FieldError(name, `unknown field (known: ${KNOWN_FIELDS.join(', ')})`)
      if (this.values.has(name)) throw new FieldError(name, 'given twice')
      this.values.set(name, parseValue(name, kind, item.slice(eq + 1).trim()))
    }
  }

  has(...names: string[]): boolean {
    return names.some(n => this.values.has(n))
  }
  hasPrefix(prefix: string): boolean {
    return [...this.values.keys()].some(k => k.startsWith(prefix))
  }
  int(name: string): number | undefined {
    return this.values.get(name) as number | undefined
  }
  bool(name: string): boolean | undefined {
    return this.values.get(name) as boolean | undefined
  }
  bytes(name: string): Uint8Array | undefined {
    return this.values.get(name) as Uint8Array | undefined
  }
  mac(name: string): MacAddress | undefined {
    return this.values.get(name) as MacAddress | undefined
  }
  ip(name: string): IpAddress | undefined {
    return this.values.get(name) as IpAddress | undefined
  }
  ipv4(name: string): Ipv4Address | undefined {
    return this.values.get(name) as Ipv4Address | undefined
  }
  dhcpType(): DhcpMessageType | undefined {
    return this.values.get('dhcp_type') as DhcpMessageType | undefined
  }

  required<T>(name: string, value: T | undefined, why: string): T {
    if (value === undefined) throw new FieldError(name, `is required ${why}`)
    return value
  }
}

function parseValue(name: string, kind: Kind, text: string): Value {
  try {
    switch (kind) {
      case 'int': {
        const n = /^0x[0-9a-fA-F]+$/.test(text) ? parseInt(text, 16) : /^\d+$/.test(text) ? Number(text) : NaN
        if (!Number.isSafeInteger(n)) throw new FieldError(name, `'${text}' is not a non-negative integer`)
        return n
      }
      case 'bool':
        if (text !== 'true' && text !== 'false' && text !== '1' && text !== '0') throw new FieldError(name, `'${text}' is not true/false`)
        return text === 'true' || text === '1'
      case 'mac':
        return MacAddress.parse(text)
      case 'ipv4':
        return Ipv4Address.parse(text)
      case 'ip':
        return text.includes(':') ? Ipv6Address.parse(text) : Ipv4Address.parse(text)
      case 'hex':
        return bytesOfHex(text)
      case 'dhcp_type':
        if (!(text in DHCP_MESSAGE_TYPES)) {
          throw new FieldError(name, `'${text}' is not a DHCP message type (${Object.keys(DHCP_MESSAGE_TYPES).join(', ')})`)
        }
        return text as DhcpMessageType
    }
  } catch (err) {
    if (err instanceof AddressError) throw new FieldError(name, err.message)
    throw err
  }
}

function layersOf(f: FieldSet): Layer[] {
  const src = f.required('eth_src', f.mac('eth_src'), '(the sending MAC)')
  const isArp = f.hasPrefix('arp_')
  const isIp =
    f.has('ip_src', 'ip_dst', 'ttl', 'hop_limit', 'ip_proto') ||
    f.hasPrefix('udp_') ||
    f.hasPrefix('tcp_') ||
    f.hasPrefix('icmp_') ||
    f.hasPrefix('nd_') ||
    f.hasPrefix('dhcp_')
  if (isArp && isIp) throw new FieldError('', 'arp_* fields cannot be combined with IP or L4 fields')

  const inner: Layer[] = isArp ? [arpLayer(f, src)] : isIp ? ipLayers(f, src) : []
  if (!isArp && !isIp && f.has('payload')) inner.push(raw(f.bytes('payload') as Uint8Array))
  const dst = f.mac('eth_dst') ?? defaultEthDst(f, inner)
  const head: Layer[] = [ethernet({ src, dst, type: f.has('vlan') ? undefined : f.int('eth_type') })]
  if (f.has('vlan')) head.push(dot1q({ vid: f.int('vlan') as number, pcp: f.int('vlan_pcp'), type: f.int('eth_type') }))
  return [...head, ...inner]
}

function arpLayer(f: FieldSet, src: MacAddress): Layer {
  const op = f.int('arp_op') ?? ARP_REQUEST
  return arp({
    op,
    sha: f.mac('arp_sha') ?? src,
    spa: f.required('arp_spa', f.ipv4('arp_spa'), '(the sender IPv4 address)'),
    tha: f.mac('arp_tha'),
    tpa: f.required('arp_tpa', f.ipv4('arp_tpa'), '(the target IPv4 address)'),
  })
}

/** The Ethernet destination a host would use when the field list gives none. */
function defaultEthDst(f: FieldSet, inner: Layer[]): MacAddress {
  const first = inner[0]
  if (first?.kind === 'arp' && first.op === ARP_REQUEST) return BROADCAST_MAC
  if (first?.kind === 'ip4' && first.dst.toString() === IPV4_BROADCAST.toString()) return BROADCAST_MAC
  if (first?.kind === 'ip6' && first.dst.isMulticast) return first.dst.multicastMac()
  throw new FieldError('eth_dst', 'is required (no default for a unicast destination)')
}

function ipLayers(f: FieldSet, src: MacAddress): Layer[] {
  const isDhcp = f.hasPrefix('dhcp_')
  const ipSrc = f.ip('ip_src') ?? (isDhcp ? (f.ipv4('dhcp_ciaddr') ?? IPV4_ANY) : undefined)
  const target = f.ip('nd_target')
  const isNd = target !== undefined || f.int('icmp_type') === 135 || f.int('icmp_type') === 136
  const ipDst = f.ip('ip_dst') ?? (isDhcp ? IPV4_BROADCAST : isNd && target instanceof Ipv6Address ? target.solicitedNode() : undefined)
  const from = f.required('ip_src', ipSrc, '(the source address)')
  const to = f.required('ip_dst', ipDst, '(the destination address)')
  if (from.family !== to.family) throw new FieldError('ip_dst', `${to.toString()} is not of the family of ip_src ${from.toString()}`)
  if (isDhcp && from.family === 6) throw new FieldError('dhcp_type', 'DHCPv4 needs IPv4 addresses')

  const l4 = l4Layers(f, src, from.family, isNd)
  if (from instanceof Ipv4Address) {
    return [
      ip4({
        src: from,
        dst: to as Ipv4Address,
        ttl: f.int('ttl') ?? 64,
        protocol: f.int('ip_proto'),
        id: f.int('ip_id'),
        df: f.bool('ip_df'),
        mf: f.bool('ip_mf'),
        fragOffset: f.int('ip_frag_offset'),
      }),
      ...l4,
    ]
  }
  return [
    ip6({
      src: from,
      dst: to as Ipv6Address,
      hopLimit: f.int('hop_limit') ?? f.int('ttl') ?? (isNd ? 255 : 64),
      nextHeader: f.int('ip_proto'),
    }),
    ...l4,
  ]
}

function l4Layers(f: FieldSet, src: MacAddress, family: 4 | 6, isNd: boolean): Layer[] {
  const payload = f.bytes('payload')
  const tail = payload ? [raw(payload)] : []
  if (f.hasPrefix('dhcp_')) {
    const type = f.required('dhcp_type', f.dhcpType(), '(discover, request, release, inform, ...)')
    return [
      udp({ sport: f.int('udp_src'), dport: f.int('udp_dst') }),
      dhcp({
        xid: f.int('dhcp_xid') ?? 0x1020304,
        chaddr: f.mac('dhcp_chaddr') ?? src,
        type,
        ciaddr: f.ipv4('dhcp_ciaddr'),
        requestedIp: f.ipv4('dhcp_requested_ip'),
        serverId: f.ipv4('dhcp_server_id'),
        broadcast: f.bool('dhcp_broadcast'),
      }),
      ...tail,
    ]
  }
  if (f.hasPrefix('udp_')) return [udp({ sport: f.int('udp_src'), dport: f.int('udp_dst') }), ...tail]
  if (f.hasPrefix('tcp_')) {
    return [tcp({ sport: f.int('tcp_src') ?? 40000, dport: f.int('tcp_dst') ?? 80, flags: f.int('tcp_flags') }), ...tail]
  }
  if (isNd) {
    if (family !== 6) throw new FieldError('nd_target', 'neighbour discovery needs IPv6 addresses')
    const target = f.required('nd_target', f.ip('nd_target'), '(the address being resolved)')
    if (!(target instanceof Ipv6Address)) throw new FieldError('nd_target', `${target.toString()} is not an IPv6 address`)
    if (f.int('icmp_type') === 136) return [ndNa({ target, solicited: true, override: true, tll: f.mac('nd_tll') ?? src })]
    // RFC 4861 7.2.2: a solicitation from the unspecified address (DAD) carries no source link-layer option.
    const dad = f.ip('ip_src')?.toString() === '::'
    return [ndNs({ target, sll: f.mac('nd_sll') ?? (dad ? undefined : src) })]
  }
  if (f.hasPrefix('icmp_')) {
    const type = f.int('icmp_type') ?? (family === 4 ? 8 : 128)
    const echo = family === 4 ? type === 8 || type === 0 : type === 128 || type === 129
    const reply = type === 0 || type === 129
    if (echo) {
      const o = { reply, id: f.int('icmp_id'), seq: f.int('icmp_seq'), data: payload }
      return [family === 4 ? echo4(o) : echo6(o)]
    }
    const code = f.int('icmp_code') ?? 0
    return [family === 4 ? icmp4({ type, code, payload }) : icmp6({ type, code, body: concatRest(payload) })]
  }
  return tail
}

/** ICMPv6 messages other than echo and ND: 4 zero bytes, then the payload. */
function concatRest(payload: Uint8Array | undefined): Uint8Array {
  const out = new Uint8Array(4 + (payload?.length ?? 0))
  if (payload) out.set(payload, 4)
  return out
}
