// Typed packet builders. A frame is a list of layers, outermost first:
//
//   buildFrame([ethernet({ src, dst }), ip4({ src, dst }), udp({ sport: 68, dport: 67 }), dhcp({ ... })])
//
// Layers are encoded innermost first, so each one knows its payload: lengths, next-protocol fields and checksums
// (with the enclosing IP header's pseudo header) are computed unless a field is given explicitly. Giving a field
// explicitly is how a vector builds a malformed packet on purpose: `checksum: 'bad'`, `totalLength: 9999`.
// This file imports nothing from Node: the datapath side stays portable (CONVENTIONS 11).
import { IPV4_ANY, ZERO_MAC, type IpAddress, type Ipv4Address, type Ipv6Address, type MacAddress } from './addresses.js'
import { internetChecksum, pseudoHeaderSum } from './packet-checksum.js'
import {
  DHCP_FLAG_BROADCAST,
  DHCP_MAGIC_COOKIE,
  DHCP_MESSAGE_TYPES,
  DHCP_OPT,
  DHCP_OP_BOOTREQUEST,
  type DhcpMessageType,
} from './packet-dhcp.js'

/** IEEE 802 EtherTypes and IANA protocol numbers the builders fill in. */
export const ETH_TYPE = { IPV4: 0x0800, ARP: 0x0806, VLAN: 0x8100, IPV6: 0x86dd, TEB: 0x6558, EXPERIMENTAL: 0x88b5 } as const
export const IP_PROTO = {
  HOP_BY_HOP: 0,
  ICMP: 1,
  TCP: 6,
  UDP: 17,
  ROUTING: 43,
  FRAGMENT: 44,
  ICMPV6: 58,
  NO_NEXT: 59,
  DEST_OPTS: 60,
  EXPERIMENTAL: 253,
} as const
/** RFC 7348 5 and RFC 8926 3.3: the IANA UDP ports. */
export const VXLAN_PORT = 4789
export const GENEVE_PORT = 6081

/** A checksum field: computed (absent), an explicit value, or 'bad' (the correct value plus one). */
export type ChecksumSpec = number | 'bad'

// Every optional layer field also takes undefined: absent and undefined both mean "the default", so a caller can
// pass a value it may not have (a parsed field, a vector parameter) without spreading conditionally.
export interface EthernetLayer {
  kind: 'ethernet'
  dst: MacAddress
  src: MacAddress
  type?: number | undefined
}
export interface Dot1qLayer {
  kind: 'dot1q'
  vid: number
  pcp?: number | undefined
  type?: number | undefined
}
export interface ArpLayer {
  kind: 'arp'
  op: number
  sha: MacAddress
  spa: Ipv4Address
  tha: MacAddress
  tpa: Ipv4Address
  htype?: number | undefined
  ptype?: number | undefined
  hlen?: number | undefined
  plen?: number | undefined
}
export interface Ipv4Layer {
  kind: 'ip4'
  src: Ipv4Address
  dst: Ipv4Address
  ttl?: number | undefined
  protocol?: number | undefined
  id?: number | undefined
  tos?: number | undefined
  df?: boolean | undefined
  mf?: boolean | undefined
  /** in 8-byte units (RFC 791) */ fragOffset?: number | undefined
  /** padded with End of Option List (0) to a multiple of 4 */ options?: Uint8Array | undefined
  version?: number | undefined
  ihl?: number | undefined
  totalLength?: number | undefined
  checksum?: ChecksumSpec | undefined
}
export interface Ipv6Layer {
  kind: 'ip6'
  src: Ipv6Address
  dst: Ipv6Address
  hopLimit?: number | undefined
  nextHeader?: number | undefined
  trafficClass?: number | undefined
  flowLabel?: number | undefined
  payloadLength?: number | undefined
  version?: number | undefined
}
export type Ipv6ExtLayer =
  | { kind: 'ip6ext'; ext: 'hop-by-hop' | 'destination'; options?: Uint8Array | undefined; headerLength?: number | undefined }
  | {
      kind: 'ip6ext'
      ext: 'routing'
      routingType?: number | undefined
      segmentsLeft?: number | undefined
      data?: Uint8Array | undefined
      headerLength?: number | undefined
    }
  | { kind: 'ip6ext'; ext: 'fragment'; offset?: number | undefined; more?: boolean | undefined; id?: number | undefined }
export interface IcmpLayer {
  kind: 'icmp4'
  type: number
  code: number
  /** bytes 4..7 (echo: id + sequence) */ rest?: Uint8Array | undefined
  payload?: Uint8Array | undefined
  checksum?: ChecksumSpec | undefined
}
export interface Icmpv6Layer {
  kind: 'icmp6'
  type: number
  code: number
  /** everything after the checksum */ body: Uint8Array
  checksum?: ChecksumSpec | undefined
}
export interface UdpLayer {
  kind: 'udp'
  sport?: number | undefined
  dport?: number | undefined
  length?: number | undefined
  /** 'none' writes 0 ("no checksum" over IPv4, RFC 768) */ checksum?: ChecksumSpec | 'none' | undefined
}
export interface TcpLayer {
  kind: 'tcp'
  sport: number
  dport: number
  seq?: number | undefined
  ack?: number | undefined
  flags?: number | undefined
  window?: number | undefined
  dataOffset?: number | undefined
  options?: Uint8Array | undefined
  checksum?: ChecksumSpec | undefined
}
export interface DhcpLayer {
  kind: 'dhcp'
  op?: number | undefined
  xid: number
  chaddr: MacAddress
  secs?: number | undefined
  broadcast?: boolean | undefined
  hops?: number | undefined
  ciaddr?: Ipv4Address | undefined
  yiaddr?: Ipv4Address | undefined
  siaddr?: Ipv4Address | undefined
  giaddr?: Ipv4Address | undefined
  /** option 53; omit to build a message without one */ type?: DhcpMessageType | undefined
  requestedIp?: Ipv4Address | undefined
  serverId?: Ipv4Address | undefined
  paramRequestList?: number[] | undefined
  /** further options, in the order given, after the typed ones */ options?: { code: number; data: Uint8Array }[] | undefined
  /** false = no magic cookie (a plain BOOTP message) */ magicCookie?: boolean | undefined
  /** replaces everything after the magic cookie, for malformed option areas */ optionsRaw?: Uint8Array | undefined
  /** pad with PAD options to this many bytes (BOOTP's 300-byte minimum, RFC 1542 2.1) */ padTo?: number | undefined
}
export interface VxlanLayer {
  kind: 'vxlan'
  vni: number
  flags?: number | undefined
}
export interface GeneveLayer {
  kind: 'geneve'
  vni: number
  options?: Uint8Array | undefined
  protocol?: number | undefined
  /** option length in 4-byte words as written in the header (default: options.length / 4) */ optLenWords?: number | undefined
}
export interface RawLayer {
  kind: 'raw'
  bytes: Uint8Array
}

export type Layer =
  | EthernetLayer
  | Dot1qLayer
  | ArpLayer
  | Ipv4Layer
  | Ipv6Layer
  | Ipv6ExtLayer
  | IcmpLayer
  | Icmpv6Layer
  | UdpLayer
  | TcpLayer
  | DhcpLayer
  | VxlanLayer
  | GeneveLayer
  | RawLayer

// ---- layer constructors --------------------------------------------------------------------------------

export const ethernet = (o: Omit<EthernetLayer, 'kind'>): EthernetLayer => ({ kind: 'ethernet', ...o })
export const dot1q = (o: Omit<Dot1qLayer, 'kind'>): Dot1qLayer => ({ kind: 'dot1q', ...o })
export const ip4 = (o: Omit<Ipv4Layer, 'kind'>): Ipv4Layer => ({ kind: 'ip4', ...o })
export const ip6 = (o: Omit<Ipv6Layer, 'kind'>): Ipv6Layer => ({ kind: 'ip6', ...o })
export const udp = (o: Omit<UdpLayer, 'kind'> = {}): UdpLayer => ({ kind: 'udp', ...o })
export const tcp = (o: Omit<TcpLayer, 'kind'>): TcpLayer => ({ kind: 'tcp', ...o })
export const dhcp = (o: Omit<DhcpLayer, 'kind'>): DhcpLayer => ({ kind: 'dhcp', ...o })
export const vxlan = (o: Omit<VxlanLayer, 'kind'>): VxlanLayer => ({ kind: 'vxlan', ...o })
export const geneve = (o: Omit<GeneveLayer, 'kind'>): GeneveLayer => ({ kind: 'geneve', ...o })
export const raw = (bytes: Uint8Array): RawLayer => ({ kind: 'raw', bytes })
export const icmp4 = (o: Omit<IcmpLayer, 'kind'>): IcmpLayer => ({ kind: 'icmp4', ...o })
export const icmp6 = (o: Omit<Icmpv6Layer, 'kind'>): Icmpv6Layer => ({ kind: 'icmp6', ...o })
export function ip6Ext(o: DistributiveOmit<Ipv6ExtLayer, 'kind'>): Ipv6ExtLayer {
  return { kind: 'ip6ext', ...o }
}
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never

/** ARP for IPv4 over Ethernet (RFC 826); `op` 1 = request, 2 = reply. */
export function arp(o: Omit<ArpLayer, 'kind' | 'tha'> & { tha?: MacAddress | undefined }): ArpLayer {
  return { kind: 'arp', ...o, tha: o.tha ?? ZERO_MAC }
}
export const ARP_REQUEST = 1
export const ARP_REPLY = 2

export interface EchoOptions {
  reply?: boolean | undefined
  id?: number | undefined
  seq?: number | undefined
  data?: Uint8Array | undefined
  checksum?: ChecksumSpec | undefined
}

/** ICMP echo request (type 8) / reply (type 0), RFC 792. */
export function echo4(o: EchoOptions): IcmpLayer {
  return icmp4({ type: o.reply ? 0 : 8, code: 0, rest: u16pair(o.id ?? 0x1234, o.seq ?? 1), payload: o.data, checksum: o.checksum })
}

/** ICMPv6 echo request (128) / reply (129), RFC 4443 4. */
export function echo6(o: EchoOptions): Icmpv6Layer {
  return icmp6({
    type: o.reply ? 129 : 128,
    code: 0,
    body: concat(u16pair(o.id ?? 0x1234, o.seq ?? 1), o.data ?? new Uint8Array()),
    checksum: o.checksum,
  })
}

/** ND option: source (1) or target (2) link-layer address, RFC 4861 4.6.1. */
export function ndLinkLayerOption(type: 1 | 2, address: MacAddress): Uint8Array {
  return Uint8Array.of(type, 1, ...address.bytes)
}

/** Neighbour solicitation (135), RFC 4861 4.3. */
export function ndNs(o: { target: Ipv6Address; sll?: MacAddress | undefined; checksum?: ChecksumSpec | undefined }): Icmpv6Layer {
  const opts = o.sll ? ndLinkLayerOption(1, o.sll) : new Uint8Array()
  return icmp6({ type: 135, code: 0, body: concat(new Uint8Array(4), o.target.bytes, opts), checksum: o.checksum })
}

/** Neighbour advertisement (136), RFC 4861 4.4: flags R (router), S (solicited), O (override). */
export function ndNa(o: { target: Ipv6Address; router?: boolean; solicited?: boolean; override?: boolean; tll?: MacAddress }): Icmpv6Layer {
  const flags = (o.router ? 0x80 : 0) | (o.solicited ? 0x40 : 0) | (o.override ? 0x20 : 0)
  const opts = o.tll ? ndLinkLayerOption(2, o.tll) : new Uint8Array()
  return icmp6({ type: 136, code: 0, body: concat(Uint8Array.of(flags, 0, 0, 0), o.target.bytes, opts) })
}

/** Router solicitation (133), RFC 4861 4.1. */
export function ndRs(o: { sll?: MacAddress } = {}): Icmpv6Layer {
  return icmp6({ type: 133, code: 0, body: concat(new Uint8Array(4), o.sll ? ndLinkLayerOption(1, o.sll) : new Uint8Array()) })
}

/** Router advertisement (134), RFC 4861 4.2, with optional prefix information options (4.6.2). */
export function ndRa(o: {
  hopLimit?: number
  managed?: boolean
  other?: boolean
  lifetime?: number
  sll?: MacAddress
  prefixes?: { prefix: Ipv6Address; length: number; onLink?: boolean; autonomous?: boolean; valid?: number; preferred?: number }[]
}): Icmpv6Layer {
  const head = Uint8Array.of(
    o.hopLimit ?? 64,
    (o.managed ? 0x80 : 0) | (o.other ? 0x40 : 0),
    ...u16(o.lifetime ?? 1800),
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
  )
  const prefixOpts = (o.prefixes ?? []).map(p =>
    concat(
      Uint8Array.of(3, 4, p.length, ((p.onLink ?? true) ? 0x80 : 0) | ((p.autonomous ?? true) ? 0x40 : 0)),
      u32(p.valid ?? 2592000),
      u32(p.preferred ?? 604800),
      new Uint8Array(4),
      p.prefix.bytes,
    ),
  )
  return icmp6({ type: 134, code: 0, body: concat(head, o.sll ? ndLinkLayerOption(1, o.sll) : new Uint8Array(), ...prefixOpts) })
}

// ---- encoding ------------------------------------------------------------------------------------------

export interface BuildOptions {
  /** Pad the frame with zeros to at least this many bytes (60 = Ethernet minimum without FCS). */
  padTo?: number | undefined
}

/** Encodes `layers` (outermost first) into one frame. */
export function buildFrame(layers: Layer[], options: BuildOptions = {}): Uint8Array {
  let payload: Uint8Array = new Uint8Array()
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i] as Layer
    const ctx: EncodeContext = { next: layers[i + 1], ip: enclosingIp(layers, i), payload }
    payload = encodeLayer(layer, ctx)
  }
  if (options.padTo !== undefined && payload.length < options.padTo) {
    const padded = new Uint8Array(options.padTo)
    padded.set(payload)
    return padded
  }
  return payload
}

interface EncodeContext {
  next: Layer | undefined
  /** the nearest IP header before this layer (for L4 pseudo headers) */
  ip: Ipv4Layer | Ipv6Layer | undefined
  payload: Uint8Array
}

function enclosingIp(layers: Layer[], index: number): Ipv4Layer | Ipv6Layer | undefined {
  for (let i = index - 1; i >= 0; i--) {
    const l = layers[i] as Layer
    if (l.kind === 'ip4' || l.kind === 'ip6') return l
  }
  return undefined
}

function encodeLayer(layer: Layer, ctx: EncodeContext): Uint8Array {
  switch (layer.kind) {
    case 'ethernet':
      return concat(layer.dst.bytes, layer.src.bytes, u16(layer.type ?? etherTypeOf(ctx.next)), ctx.payload)
    case 'dot1q':
      return concat(u16(((layer.pcp ?? 0) << 13) | (layer.vid & 0x0fff)), u16(layer.type ?? etherTypeOf(ctx.next)), ctx.payload)
    case 'arp':
      return concat(
        u16(layer.htype ?? 1),
        u16(layer.ptype ?? ETH_TYPE.IPV4),
        Uint8Array.of(layer.hlen ?? 6, layer.plen ?? 4),
        u16(layer.op),
        layer.sha.bytes,
        layer.spa.bytes,
        layer.tha.bytes,
        layer.tpa.bytes,
        ctx.payload,
      )
    case 'ip4':
      return encodeIpv4(layer, ctx)
    case 'ip6':
      return concat(
        u32(((((layer.version ?? 6) & 0xf) << 28) | (((layer.trafficClass ?? 0) & 0xff) << 20) | ((layer.flowLabel ?? 0) & 0xfffff)) >>> 0),
        u16(layer.payloadLength ?? ctx.payload.length),
        Uint8Array.of(layer.nextHeader ?? ipProtocolOf(ctx.next), layer.hopLimit ?? 64),
        layer.src.bytes,
        layer.dst.bytes,
        ctx.payload,
      )
    case 'ip6ext':
      return encodeIpv6Ext(layer, ctx)
    case 'icmp4': {
      const body = concat(
        Uint8Array.of(layer.type, layer.code, 0, 0),
        layer.rest ?? new Uint8Array(4),
        layer.payload ?? new Uint8Array(),
        ctx.payload,
      )
      return withChecksum(body, 2, internetChecksum(body), layer.checksum)
    }
    case 'icmp6': {
      const body = concat(Uint8Array.of(layer.type, layer.code, 0, 0), layer.body, ctx.payload)
      return withChecksum(body, 2, l4Checksum(body, IP_PROTO.ICMPV6, ctx.ip), layer.checksum)
    }
    case 'udp':
      return encodeUdp(layer, ctx)
    case 'tcp': {
      const opts = padTo4(layer.options ?? new Uint8Array(), 1) // NOP padding, RFC 9293 3.1
      const offset = layer.dataOffset ?? 5 + opts.length / 4
      const seg = concat(
        u16(layer.sport),
        u16(layer.dport),
        u32(layer.seq ?? 0),
        u32(layer.ack ?? 0),
        Uint8Array.of(offset << 4, layer.flags ?? 0x02),
        u16(layer.window ?? 65535),
        u16(0),
        u16(0),
        opts,
        ctx.payload,
      )
      return withChecksum(seg, 16, l4Checksum(seg, IP_PROTO.TCP, ctx.ip), layer.checksum)
    }
    case 'dhcp':
      return concat(encodeDhcp(layer), ctx.payload)
    case 'vxlan':
      // RFC 7348 5: flags (I = 0x08), 24 reserved bits, 24-bit VNI, 8 reserved bits.
      return concat(Uint8Array.of(layer.flags ?? 0x08, 0, 0, 0), u32(((layer.vni & 0xffffff) << 8) >>> 0), ctx.payload)
    case 'geneve': {
      // RFC 8926 3.4: ver(2) optlen(6) | O C rsvd(6) | protocol type(16) | VNI(24) | reserved(8) | options
      const opts = layer.options ?? new Uint8Array()
      const words = layer.optLenWords ?? opts.length / 4
      return concat(
        Uint8Array.of(words & 0x3f, 0),
        u16(layer.protocol ?? ETH_TYPE.TEB),
        u32(((layer.vni & 0xffffff) << 8) >>> 0),
        opts,
        ctx.payload,
      )
    }
    case 'raw':
      return concat(layer.bytes, ctx.payload)
  }
}

function encodeIpv4(layer: Ipv4Layer, ctx: EncodeContext): Uint8Array {
  const opts = padTo4(layer.options ?? new Uint8Array(), 0)
  const ihl = layer.ihl ?? 5 + opts.length / 4
  const flagsFrag = (layer.df ? 0x4000 : 0) | (layer.mf ? 0x2000 : 0) | ((layer.fragOffset ?? 0) & 0x1fff)
  const header = concat(
    Uint8Array.of(((layer.version ?? 4) << 4) | (ihl & 0xf), layer.tos ?? 0),
    u16(layer.totalLength ?? 20 + opts.length + ctx.payload.length),
    u16(layer.id ?? 0),
    u16(flagsFrag),
    Uint8Array.of(layer.ttl ?? 64, layer.protocol ?? ipProtocolOf(ctx.next)),
    u16(0),
    layer.src.bytes,
    layer.dst.bytes,
    opts,
  )
  return concat(withChecksum(header, 10, internetChecksum(header), layer.checksum), ctx.payload)
}

function encodeIpv6Ext(layer: Ipv6ExtLayer, ctx: EncodeContext): Uint8Array {
  const next = ipProtocolOf(ctx.next)
  if (layer.ext === 'fragment') {
    // RFC 8200 4.5: next header, reserved, offset(13) res(2) M(1), identification
    return concat(Uint8Array.of(next, 0), u16(((layer.offset ?? 0) << 3) | (layer.more ? 1 : 0)), u32(layer.id ?? 1), ctx.payload)
  }
  // Hop-by-hop / destination options / routing: next header, length in 8-octet units beyond the first 8.
  const data =
    layer.ext === 'routing'
      ? concat(Uint8Array.of(layer.routingType ?? 0, layer.segmentsLeft ?? 0), layer.data ?? new Uint8Array(4))
      : (layer.options ?? new Uint8Array())
  const body = padOptionsTo8(data, layer.ext !== 'routing')
  const length = layer.headerLength ?? (body.length + 2) / 8 - 1
  return concat(Uint8Array.of(next, length), body, ctx.payload)
}

/** RFC 8200 4.2: option areas are padded with Pad1 (0) or PadN (1, len, zeros) to a multiple of 8 with the 2-byte head. */
function padOptionsTo8(data: Uint8Array, tlv: boolean): Uint8Array {
  const missing = (8 - ((data.length + 2) % 8)) % 8
  if (missing === 0) return data
  if (!tlv) return concat(data, new Uint8Array(missing))
  return concat(data, missing === 1 ? Uint8Array.of(0) : Uint8Array.of(1, missing - 2, ...new Uint8Array(missing - 2)))
}

function encodeUdp(layer: UdpLayer, ctx: EncodeContext): Uint8Array {
  const [sport, dport] = udpPortsOf(layer, ctx.next)
  const length = 8 + ctx.payload.length
  const seg = concat(u16(sport), u16(dport), u16(layer.length ?? length), u16(0), ctx.payload)
  if (layer.checksum === 'none') return seg
  let sum = l4Checksum(seg, IP_PROTO.UDP, ctx.ip)
  if (sum === 0) sum = 0xffff // RFC 768: a computed zero is sent as all ones
  return withChecksum(seg, 6, sum, layer.checksum)
}

function udpPortsOf(layer: UdpLayer, next: Layer | undefined): [number, number] {
  if (next?.kind === 'vxlan') return [layer.sport ?? 49152, layer.dport ?? VXLAN_PORT]
  if (next?.kind === 'geneve') return [layer.sport ?? 49152, layer.dport ?? GENEVE_PORT]
  if (next?.kind === 'dhcp') {
    const request = (next.op ?? DHCP_OP_BOOTREQUEST) === DHCP_OP_BOOTREQUEST
    return [layer.sport ?? (request ? 68 : 67), layer.dport ?? (request ? 67 : 68)]
  }
  return [layer.sport ?? 40000, layer.dport ?? 9]
}

function encodeDhcp(layer: DhcpLayer): Uint8Array {
  const zero4 = IPV4_ANY.bytes
  const chaddr = new Uint8Array(16)
  chaddr.set(layer.chaddr.bytes)
  const fixed = concat(
    Uint8Array.of(layer.op ?? DHCP_OP_BOOTREQUEST, 1, 6, layer.hops ?? 0),
    u32(layer.xid >>> 0),
    u16(layer.secs ?? 0),
    u16(layer.broadcast ? DHCP_FLAG_BROADCAST : 0),
    (layer.ciaddr ?? IPV4_ANY).bytes,
    (layer.yiaddr ?? IPV4_ANY).bytes,
    (layer.siaddr ?? IPV4_ANY).bytes,
    layer.giaddr?.bytes ?? zero4,
    chaddr,
    new Uint8Array(64 + 128),
  )
  if (layer.magicCookie === false) return padBytes(fixed, layer.padTo)
  const opts: Uint8Array[] = []
  const opt = (code: number, data: Uint8Array): void => {
    opts.push(Uint8Array.of(code, data.length), data)
  }
  if (layer.type !== undefined) opt(DHCP_OPT.MESSAGE_TYPE, Uint8Array.of(DHCP_MESSAGE_TYPES[layer.type]))
  if (layer.requestedIp) opt(DHCP_OPT.REQUESTED_IP, layer.requestedIp.bytes)
  if (layer.serverId) opt(DHCP_OPT.SERVER_ID, layer.serverId.bytes)
  if (layer.paramRequestList) opt(DHCP_OPT.PARAM_REQUEST_LIST, Uint8Array.from(layer.paramRequestList))
  for (const o of layer.options ?? []) opt(o.code, o.data)
  const area = layer.optionsRaw ?? concat(...opts, Uint8Array.of(DHCP_OPT.END))
  return padBytes(concat(fixed, u32(DHCP_MAGIC_COOKIE), area), layer.padTo)
}

function etherTypeOf(next: Layer | undefined): number {
  switch (next?.kind) {
    case 'dot1q':
      return ETH_TYPE.VLAN
    case 'arp':
      return ETH_TYPE.ARP
    case 'ip4':
      return ETH_TYPE.IPV4
    case 'ip6':
      return ETH_TYPE.IPV6
    default:
      return ETH_TYPE.EXPERIMENTAL
  }
}

function ipProtocolOf(next: Layer | undefined): number {
  switch (next?.kind) {
    case 'icmp4':
      return IP_PROTO.ICMP
    case 'icmp6':
      return IP_PROTO.ICMPV6
    case 'udp':
      return IP_PROTO.UDP
    case 'tcp':
      return IP_PROTO.TCP
    case 'ip6ext':
      return { 'hop-by-hop': IP_PROTO.HOP_BY_HOP, routing: IP_PROTO.ROUTING, fragment: IP_PROTO.FRAGMENT, destination: IP_PROTO.DEST_OPTS }[
        next.ext
      ]
    case undefined:
      return IP_PROTO.NO_NEXT
    default:
      return IP_PROTO.EXPERIMENTAL
  }
}

function l4Checksum(segment: Uint8Array, protocol: number, ip: Ipv4Layer | Ipv6Layer | undefined): number {
  if (!ip) return internetChecksum(segment)
  const src: IpAddress = ip.src
  return internetChecksum(segment, pseudoHeaderSum(src, ip.dst, protocol, segment.length))
}

/** Writes `computed` (or the spec's override) at `offset`. 'bad' = computed + 1, never 0 (which UDP reads as none). */
function withChecksum(bytes: Uint8Array, offset: number, computed: number, spec: ChecksumSpec | 'none' | undefined): Uint8Array {
  let value = computed
  if (typeof spec === 'number') value = spec
  else if (spec === 'bad') value = computed === 0xffff || computed === 0xfffe ? 0x1234 : computed + 1
  bytes[offset] = value >> 8
  bytes[offset + 1] = value & 0xff
  return bytes
}

// ---- byte helpers --------------------------------------------------------------------------------------

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

export const u16 = (v: number): Uint8Array => Uint8Array.of((v >> 8) & 0xff, v & 0xff)
export const u32 = (v: number): Uint8Array => Uint8Array.of((v >>> 24) & 0xff, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff)
const u16pair = (a: number, b: number): Uint8Array => concat(u16(a), u16(b))

function padTo4(bytes: Uint8Array, fill: number): Uint8Array {
  const missing = (4 - (bytes.length % 4)) % 4
  return missing === 0 ? bytes : concat(bytes, new Uint8Array(missing).fill(fill))
}

function padBytes(bytes: Uint8Array, length: number | undefined): Uint8Array {
  if (length === undefined || bytes.length >= length) return bytes
  return concat(bytes, new Uint8Array(length - bytes.length))
}
