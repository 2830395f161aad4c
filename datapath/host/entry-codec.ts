// Entries (entries.ts) to the bytes the WASM loader reads (layouts in datapath/spec/entry-kinds.ts).
// Everything a host can check is checked here, so the datapath only sees well-formed entries; it checks
// again anyway (it must never trust its input).
import {
  DHCP_MAX_OPTION_BYTES,
  EGRESS_LOCAL,
  EGRESS_REMOTE,
  EGRESS_UPLINK,
  ENTRY_ARP_ND,
  ENTRY_CLASSIFY_PORT,
  ENTRY_CLASSIFY_TUNNEL,
  ENTRY_DHCP,
  ENTRY_EGRESS,
  ENTRY_HEADER_BYTES,
  ENTRY_L2,
  ENTRY_NAT,
  ENTRY_NEXTHOP,
  ENTRY_PORT_SEC,
  ENTRY_ROUTE,
  ENTRY_ROUTER_GATEWAY,
  ENTRY_ROUTER_PORT,
  ENTRY_UPLINK,
  PORT_SEC_MAX_PREFIXES,
  ROUTER_PORT_MAX_PREFIXES,
} from '../spec/entry-kinds.js'
import { dhcp6 } from './entry-codec-dhcp6.js'
import { routerAdvert } from './entry-codec-ra.js'
import type {
  ArpNdEntry,
  ClassifyPortEntry,
  ClassifyTunnelEntry,
  DhcpEntry,
  EgressEntry,
  Entry,
  L2Entry,
  NatEntry,
  NexthopEntry,
  PortSecEntry,
  RouteEntry,
  RouterGatewayEntry,
  RouterPortEntry,
  UplinkEntry,
} from './entries.js'
import { aclMember, aclPort, aclRule } from './entry-codec-acl.js'
import { type PrefixBytes, maskPrefix, parseCidr, parseIp, parseIpv4, parseMac } from './entry-addresses.js'
import { EntryError } from './entry-error.js'
import { dhcpOptionBytes } from './dhcp-options.js'

const DEFAULT_LEASE = 86400
const DEFAULT_DHCP_RATE = 10
/** 802.1Q VIDs 0 (untagged) to 4094; 4095 is reserved (IEEE 802.1Q 9.6). */
const MAX_VID = 4094
/** VXLAN and Geneve VNIs are 24 bits (RFC 7348 5, RFC 8926 3.4). */
const MAX_VNI = 0xffffff

/** A little-endian writer over a growing byte array. */
export class Writer {
  private readonly bytes: number[] = []
  u8(v: number): this {
    this.bytes.push(v & 0xff)
    return this
  }
  u16(v: number): this {
    return this.u8(v).u8(v >>> 8)
  }
  u32(v: number): this {
    return this.u16(v & 0xffff).u16(v >>> 16)
  }
  raw(b: Uint8Array): this {
    for (const x of b) this.bytes.push(x)
    return this
  }
  prefix(p: PrefixBytes): this {
    return this.u8(p.family).u8(p.plen).raw(p.bytes)
  }
  finish(kind: number): Uint8Array {
    const out = new Uint8Array(ENTRY_HEADER_BYTES + this.bytes.length)
    out[0] = kind
    out[2] = this.bytes.length & 0xff
    out[3] = this.bytes.length >>> 8
    out.set(this.bytes, ENTRY_HEADER_BYTES)
    return out
  }
}

export function u32(value: unknown, field: string, opts: { min?: number; max?: number } = {}): number {
  const min = opts.min ?? 0
  const max = opts.max ?? 0xffffffff
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new EntryError('bad_number', `${field} must be an integer in ${min}..${max}, got ${String(value)}`, field)
  }
  return value
}

export function required<T>(value: T | undefined, field: string): T {
  if (value === undefined || value === null) throw new EntryError('missing_field', `${field} is required`, field)
  return value
}

export function encodeEntry(entry: Entry): Uint8Array {
  if (typeof entry !== 'object' || entry === null) throw new EntryError('bad_stage', 'an entry must be an object')
  switch (entry.stage) {
    case 'classify':
      return 'tunnel_key' in entry ? classifyTunnel(entry) : classifyPort(entry)
    case 'port_sec':
      return portSec(entry)
    case 'arp_nd':
      return addressToMac(ENTRY_ARP_ND, entry)
    case 'dhcp':
      return dhcp(entry)
    case 'l2':
      return l2(entry)
    case 'router_port':
      return routerPort(entry)
    case 'route':
      return route(entry)
    case 'nexthop':
      return addressToMac(ENTRY_NEXTHOP, entry)
    case 'egress':
      return egress(entry)
    case 'acl_port':
      return aclPort(entry)
    case 'acl_rule':
      return aclRule(entry)
    case 'acl_member':
      return aclMember(entry)
    case 'uplink':
      return uplink(entry)
    case 'nat':
      return nat(entry)
    case 'router_gateway':
      return routerGateway(entry)
    case 'router_advert':
      return routerAdvert(entry)
    case 'dhcp6':
      return dhcp6(entry)
    default:
      throw new EntryError('bad_stage', `unknown stage ${String((entry as { stage?: unknown }).stage)}`, 'stage')
  }
}

function classifyPort(e: ClassifyPortEntry): Uint8Array {
  return new Writer()
    .u32(u32(e.in_port, 'in_port'))
    .u32(u32(e.vlan ?? 0, 'vlan', { max: MAX_VID }))
    .u32(u32(e.network, 'network'))
    .u32(u32(e.port, 'port'))
    .finish(ENTRY_CLASSIFY_PORT)
}

function classifyTunnel(e: ClassifyTunnelEntry): Uint8Array {
  return new Writer()
    .u32(u32(e.tunnel_key, 'tunnel_key', { min: 1, max: MAX_VNI }))
    .u32(u32(e.network, 'network'))
    .finish(ENTRY_CLASSIFY_TUNNEL)
}

function portSec(e: PortSecEntry): Uint8Array {
  const w = new Writer().u32(u32(e.port, 'port'))
  if (e.disabled === true) return w.u8(1).raw(new Uint8Array(8)).finish(ENTRY_PORT_SEC)
  const mac = parseMac(required(e.mac, 'mac'), 'mac')
  const prefixes = (e.ips ?? []).map((c, i) => maskPrefix(parseCidr(c, `ips[${i}]`, true)))
  const v4 = prefixes.filter(p => p.family === 4)
  const v6 = prefixes.filter(p => p.family === 6)
  if (v4.length > PORT_SEC_MAX_PREFIXES || v6.length > PORT_SEC_MAX_PREFIXES) {
    throw new EntryError('too_many', `at most ${PORT_SEC_MAX_PREFIXES} prefixes per family per MAC`, 'ips')
  }
  w.u8(0).raw(mac).u8(v4.length).u8(v6.length)
  for (const p of [...v4, ...v6]) w.prefix(p)
  return w.finish(ENTRY_PORT_SEC)
}

function addressToMac(kind: number, e: ArpNdEntry | NexthopEntry): Uint8Array {
  const ip = parseIp(e.ip, 'ip')
  return new Writer().u32(u32(e.network, 'network')).u8(ip.family).raw(ip.bytes).raw(parseMac(e.mac, 'mac')).finish(kind)
}

function dhcp(e: DhcpEntry): Uint8Array {
  const lease = u32(e.lease ?? DEFAULT_LEASE, 'lease', { min: 1 })
  const options = dhcpOptionBytes(e)
  if (options.length > DHCP_MAX_OPTION_BYTES) {
    throw new EntryError('too_many', `options take ${options.length} bytes, at most ${DHCP_MAX_OPTION_BYTES}`, 'options')
  }
  return new Writer()
    .u32(u32(e.port, 'port'))
    .raw(parseMac(e.mac, 'mac'))
    .raw(parseIpv4(e.ip, 'ip'))
    .u8(u32(e.prefix_len, 'prefix_len', { max: 32 }))
    .raw(parseIpv4(e.server_ip, 'server_ip'))
    .raw(parseMac(e.server_mac, 'server_mac'))
    .u32(lease)
    .u32(u32(e.renewal ?? Math.floor(lease / 2), 'renewal'))
    .u32(u32(e.rebind ?? Math.floor((lease * 7) / 8), 'rebind'))
    .u16(u32(e.mtu ?? 0, 'mtu', { max: 0xffff }))
    .u16(u32(e.rate ?? DEFAULT_DHCP_RATE, 'rate', { min: 1, max: 0xffff }))
    .u16(options.length)
    .raw(options)
    .finish(ENTRY_DHCP)
}

function l2(e: L2Entry): Uint8Array {
  return new Writer().u32(u32(e.network, 'network')).raw(parseMac(e.mac, 'mac')).u32(u32(e.port, 'port')).finish(ENTRY_L2)
}

function routerPort(e: RouterPortEntry): Uint8Array {
  // The address part is the router's own address: kept as given, not masked.
  const prefixes = required(e.ips, 'ips').map((c, i) => parseCidr(c, `ips[${i}]`))
  if (prefixes.length > ROUTER_PORT_MAX_PREFIXES) {
    throw new EntryError('too_many', `at most ${ROUTER_PORT_MAX_PREFIXES} addresses per router port`, 'ips')
  }
  const w = new Writer()
    .u32(u32(e.port, 'port'))
    .u32(u32(e.router, 'router'))
    .u32(u32(e.network, 'network'))
    .raw(parseMac(e.mac, 'mac'))
    .u8(prefixes.length)
  for (const p of prefixes) w.prefix(p)
  return w.finish(ENTRY_ROUTER_PORT)
}

function route(e: RouteEntry): Uint8Array {
  const prefix = maskPrefix(parseCidr(e.prefix, 'prefix'))
  const nexthop = e.nexthop === undefined ? undefined : parseIp(e.nexthop, 'nexthop')
  if (nexthop && nexthop.family !== prefix.family) {
    throw new EntryError('bad_family', `nexthop ${e.nexthop} is not of the family of ${e.prefix}`, 'nexthop')
  }
  return new Writer()
    .u32(u32(e.router, 'router'))
    .u32(u32(e.port, 'port'))
    .u8(prefix.family)
    .u8(prefix.plen)
    .u8(nexthop ? 1 : 0)
    .raw(prefix.bytes)
    .raw(nexthop?.bytes ?? new Uint8Array(16))
    .finish(ENTRY_ROUTE)
}

function egress(e: EgressEntry): Uint8Array {
  const given = [e.local !== undefined, e.remote !== undefined, e.uplink !== undefined].filter(Boolean).length
  if (given !== 1) {
    throw new EntryError('missing_field', 'an egress entry has exactly one of local, remote and uplink', 'local')
  }
  const w = new Writer().u32(u32(e.port, 'port'))
  if (e.local !== undefined) return w.u8(EGRESS_LOCAL).u32(u32(e.local, 'local')).raw(new Uint8Array(4)).finish(ENTRY_EGRESS)
  if (e.uplink !== undefined) {
    if (e.uplink !== true) throw new EntryError('bad_value', `uplink must be true, got ${String(e.uplink)}`, 'uplink')
    return w.u8(EGRESS_UPLINK).u32(0).raw(new Uint8Array(4)).finish(ENTRY_EGRESS)
  }
  return w.u8(EGRESS_REMOTE).u32(0).raw(parseIpv4(e.remote, 'remote')).finish(ENTRY_EGRESS)
}

function uplink(e: UplinkEntry): Uint8Array {
  return new Writer()
    .u32(u32(e.network, 'network'))
    .u32(u32(e.ofport, 'ofport'))
    .u32(u32(e.vlan ?? 0, 'vlan', { max: MAX_VID }))
    .finish(ENTRY_UPLINK)
}

function nat(e: NatEntry): Uint8Array {
  const external = parseIp(e.external_ip, 'external_ip')
  const internal = parseIp(e.internal_ip, 'internal_ip')
  if (internal.family !== external.family) {
    throw new EntryError('bad_family', `internal_ip ${e.internal_ip} is not of the family of ${e.external_ip}`, 'internal_ip')
  }
  return new Writer()
    .u32(u32(e.router, 'router'))
    .u32(u32(e.network, 'network'))
    .u32(u32(e.gateway_port, 'gateway_port'))
    .raw(parseMac(e.mac, 'mac'))
    .u8(external.family)
    .raw(external.bytes)
    .raw(internal.bytes)
    .finish(ENTRY_NAT)
}

function routerGateway(e: RouterGatewayEntry): Uint8Array {
  const flag = (v: unknown, field: string): number => {
    if (typeof v !== 'boolean') throw new EntryError('bad_value', `${field} must be true or false, got ${String(v)}`, field)
    return v ? 1 : 0
  }
  return new Writer()
    .u32(u32(e.router, 'router'))
    .u32(u32(e.port, 'port'))
    .u8(flag(e.snat, 'snat'))
    .u8(flag(e.local, 'local'))
    .raw(e.redirect === undefined ? new Uint8Array(4) : parseIpv4(e.redirect, 'redirect'))
    .finish(ENTRY_ROUTER_GATEWAY)
}
