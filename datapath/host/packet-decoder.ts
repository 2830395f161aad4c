// Decodes a frame into flat, named fields, so that tests and `dragonflow trace` can compare and print what a
// packet says rather than its bytes. Names follow the field lists of packet-fields.ts (eth_src, ip_dst, ttl,
// dhcp_type, ...). The decoder never throws: where a header is cut short it records `malformed` and stops.
import { Ipv4Address, Ipv6Address, MacAddress, hexOf } from './addresses.js'
import { checksumValid, onesSum, pseudoHeaderSum } from './packet-checksum.js'
import { DHCP_FIXED_LENGTH, DHCP_FLAG_BROADCAST, DHCP_MAGIC_COOKIE, DHCP_OPT, dhcpTypeName } from './packet-dhcp.js'
import { ETH_TYPE, GENEVE_PORT, IP_PROTO, VXLAN_PORT } from './packet-builder.js'

export type FieldValue = string | number | boolean
/** Field name -> value; `layers` lists the headers decoded, outermost first. */
export type DecodedFrame = Record<string, FieldValue>

/** Decodes an Ethernet frame; fields of a tunnel's inner frame are prefixed with `inner_`. */
export function decodeFrame(frame: Uint8Array): DecodedFrame {
  const out: DecodedFrame = {}
  new Decoder(frame, out, '').ethernet(0)
  return out
}

class Decoder {
  private readonly view: DataView
  private readonly layers: string[] = []

  constructor(
    private readonly b: Uint8Array,
    private readonly out: DecodedFrame,
    private readonly prefix: string,
  ) {
    this.view = new DataView(b.buffer, b.byteOffset, b.byteLength)
  }

  private set(name: string, value: FieldValue): void {
    this.out[this.prefix + name] = value
  }
  private layer(name: string): void {
    this.layers.push(name)
    this.set('layers', this.layers.join(','))
  }
  private short(what: string, at: number, need: number): boolean {
    if (at + need <= this.b.length) return false
    this.set('malformed', `${what}: needs ${need} bytes at offset ${at}, frame has ${this.b.length}`)
    return true
  }
  private u8(at: number): number {
    return this.view.getUint8(at)
  }
  private u16(at: number): number {
    return this.view.getUint16(at)
  }
  private u32(at: number): number {
    return this.view.getUint32(at)
  }
  private mac(at: number): string {
    return MacAddress.fromBytes(this.b.subarray(at, at + 6)).toString()
  }
  private v4(at: number): string {
    return Ipv4Address.fromBytes(this.b.subarray(at, at + 4)).toString()
  }
  private v6(at: number): string {
    return Ipv6Address.fromBytes(this.b.subarray(at, at + 16)).toString()
  }

  ethernet(at: number): void {
    this.set('length', this.b.length)
    if (this.short('ethernet', at, 14)) return
    this.layer('ethernet')
    this.set('eth_dst', this.mac(at))
    this.set('eth_src', this.mac(at + 6))
    let type = this.u16(at + 12)
    let next = at + 14
    if (type === ETH_TYPE.VLAN) {
      if (this.short('802.1Q', next, 4)) return
      this.layer('dot1q')
      this.set('vlan_vid', this.u16(next) & 0x0fff)
      this.set('vlan_pcp', this.u16(next) >> 13)
      type = this.u16(next + 2)
      next += 4
    }
    this.set('eth_type', type)
    if (type === ETH_TYPE.ARP) this.arp(next)
    else if (type === ETH_TYPE.IPV4) this.ipv4(next)
    else if (type === ETH_TYPE.IPV6) this.ipv6(next)
  }

  private arp(at: number): void {
    if (this.short('arp', at, 28)) return
    this.layer('arp')
    this.set('arp_op', this.u16(at + 6))
    this.set('arp_sha', this.mac(at + 8))
    this.set('arp_spa', this.v4(at + 14))
    this.set('arp_tha', this.mac(at + 18))
    this.set('arp_tpa', this.v4(at + 24))
  }

  private ipv4(at: number): void {
    if (this.short('ipv4', at, 20)) return
    this.layer('ip4')
    const ihl = (this.u8(at) & 0xf) * 4
    const total = this.u16(at + 2)
    this.set('ip_version', this.u8(at) >> 4)
    this.set('ip_ihl', ihl / 4)
    this.set('ip_tos', this.u8(at + 1))
    this.set('ip_total_length', total)
    this.set('ip_id', this.u16(at + 4))
    this.set('ip_df', (this.u16(at + 6) & 0x4000) !== 0)
    this.set('ip_mf', (this.u16(at + 6) & 0x2000) !== 0)
    this.set('ip_frag_offset', this.u16(at + 6) & 0x1fff)
    this.set('ttl', this.u8(at + 8))
    this.set('ip_proto', this.u8(at + 9))
    this.set('ip_src', this.v4(at + 12))
    this.set('ip_dst', this.v4(at + 16))
    if (ihl < 20 || this.short('ipv4 options', at, ihl)) return
    this.set('ip_checksum_ok', checksumValid(this.b.subarray(at, at + ihl)))
    if ((this.u16(at + 6) & 0x1fff) !== 0) return // a non-first fragment carries no L4 header
    const end = Math.min(at + total, this.b.length)
    const src = Ipv4Address.fromBytes(this.b.subarray(at + 12, at + 16))
    const dst = Ipv4Address.fromBytes(this.b.subarray(at + 16, at + 20))
    this.l4(this.u8(at + 9), at + ihl, end, { src, dst })
  }

  private ipv6(at: number): void {
    if (this.short('ipv6', at, 40)) return
    this.layer('ip6')
    this.set('ip_version', this.u8(at) >> 4)
    this.set('ip_payload_length', this.u16(at + 4))
    this.set('hop_limit', this.u8(at + 7))
    this.set('ip_src', this.v6(at + 8))
    this.set('ip_dst', this.v6(at + 24))
    const end = Math.min(at + 40 + this.u16(at + 4), this.b.length)
    let next = this.u8(at + 6)
    let pos = at + 40
    const exts: string[] = []
    const names: Record<number, string> = {
      [IP_PROTO.HOP_BY_HOP]: 'hop-by-hop',
      [IP_PROTO.ROUTING]: 'routing',
      [IP_PROTO.FRAGMENT]: 'fragment',
      [IP_PROTO.DEST_OPTS]: 'destination',
    }
    // RFC 8200 4.1: extension headers chain by next header; the fragment header is always 8 bytes.
    for (let name = names[next]; name !== undefined && exts.length < 16; name = names[next]) {
      if (this.short(`ipv6 ${name} header`, pos, 8)) return
      exts.push(name)
      this.set('ip6_ext', exts.join(','))
      const len = next === IP_PROTO.FRAGMENT ? 8 : (this.u8(pos + 1) + 1) * 8
      next = this.u8(pos)
      pos += len
    }
    this.set('ip_proto', next)
    const src = Ipv6Address.fromBytes(this.b.subarray(at + 8, at + 24))
    const dst = Ipv6Address.fromBytes(this.b.subarray(at + 24, at + 40))
    if (pos <= end) this.l4(next, pos, end, { src, dst })
  }

  private l4(proto: number, at: number, end: number, ip: { src: Ipv4Address | Ipv6Address; dst: Ipv4Address | Ipv6Address }): void {
    const segment = this.b.subarray(at, end)
    const pseudo = (p: number): number => pseudoHeaderSum(ip.src, ip.dst, p, segment.length)
    if (proto === IP_PROTO.ICMP || proto === IP_PROTO.ICMPV6) {
      if (this.short('icmp', at, 8)) return
      const v6 = proto === IP_PROTO.ICMPV6
      this.layer(v6 ? 'icmp6' : 'icmp4')
      const type = this.u8(at)
      this.set('icmp_type', type)
      this.set('icmp_code', this.u8(at + 1))
      this.set('icmp_checksum_ok', onesSum(segment, v6 ? pseudo(proto) : 0) === 0xffff)
      this.set('icmp_rest', hexOf(this.b.subarray(at + 4, at + 8)))
      this.set('icmp_payload', hexOf(this.b.subarray(at + 8, end)))
      if (v6 && (type === 135 || type === 136)) this.nd(type, at, end)
      return
    }
    if (proto === IP_PROTO.UDP) {
      if (this.short('udp', at, 8)) return
      this.layer('udp')
      const sport = this.u16(at)
      const dport = this.u16(at + 2)
      const sum = this.u16(at + 6)
      this.set('udp_src', sport)
      this.set('udp_dst', dport)
      this.set('udp_length', this.u16(at + 4))
      this.set('udp_checksum', sum)
      this.set('udp_checksum_ok', sum !== 0 && onesSum(segment, pseudo(proto)) === 0xffff)
      if (dport === VXLAN_PORT) this.tunnel('vxlan', at + 8, end)
      else if (dport === GENEVE_PORT) this.tunnel('geneve', at + 8, end)
      else if (dport === 67 || dport === 68) this.dhcp(at + 8, end)
      return
    }
    if (proto === IP_PROTO.TCP) {
      if (this.short('tcp', at, 20)) return
      this.layer('tcp')
      this.set('tcp_src', this.u16(at))
      this.set('tcp_dst', this.u16(at + 2))
      this.set('tcp_flags', this.u8(at + 13))
      this.set('tcp_checksum_ok', onesSum(segment, pseudo(proto)) === 0xffff)
    }
  }

  /** RFC 4861 4.3/4.4: target address, then options of 8-octet units. */
  private nd(type: number, at: number, end: number): void {
    if (this.short('nd', at, 24)) return
    if (type === 136) {
      const f = this.u8(at + 4)
      this.set('nd_flags', `${f & 0x80 ? 'R' : ''}${f & 0x40 ? 'S' : ''}${f & 0x20 ? 'O' : ''}`)
    }
    this.set('nd_target', this.v6(at + 8))
    for (let pos = at + 24; pos + 2 <= end;) {
      const len = this.u8(pos + 1) * 8
      if (len === 0 || pos + len > end) {
        this.set('malformed', `nd option at offset ${pos}`)
        return
      }
      if ((this.u8(pos) === 1 || this.u8(pos) === 2) && len >= 8) this.set(this.u8(pos) === 1 ? 'nd_sll' : 'nd_tll', this.mac(pos + 2))
      pos += len
    }
  }

  private tunnel(kind: 'vxlan' | 'geneve', at: number, end: number): void {
    if (this.short(kind, at, 8)) return
    this.layer(kind)
    this.set('tun_vni', this.u32(at + 4) >>> 8)
    const inner = kind === 'vxlan' ? at + 8 : at + 8 + (this.u8(at) & 0x3f) * 4
    if (kind === 'vxlan') this.set('vxlan_flags', this.u8(at))
    if (inner > end) {
      this.set('malformed', `${kind} header runs past the packet`)
      return
    }
    new Decoder(this.b.subarray(inner, end), this.out, `${this.prefix}inner_`).ethernet(0)
  }

  /** RFC 2131 2 and RFC 2132: the fixed part, the magic cookie, then code/length/value options. */
  private dhcp(at: number, end: number): void {
    if (this.short('dhcp', at, DHCP_FIXED_LENGTH)) return
    this.layer('dhcp')
    this.set('dhcp_op', this.u8(at))
    this.set('dhcp_xid', this.u32(at + 4))
    this.set('dhcp_broadcast', (this.u16(at + 10) & DHCP_FLAG_BROADCAST) !== 0)
    this.set('dhcp_ciaddr', this.v4(at + 12))
    this.set('dhcp_yiaddr', this.v4(at + 16))
    this.set('dhcp_siaddr', this.v4(at + 20))
    this.set('dhcp_giaddr', this.v4(at + 24))
    this.set('dhcp_chaddr', this.mac(at + 28))
    let pos = at + DHCP_FIXED_LENGTH
    if (pos + 4 > end || this.u32(pos) !== DHCP_MAGIC_COOKIE) {
      this.set('dhcp_magic', false)
      return
    }
    this.set('dhcp_magic', true)
    pos += 4
    const order: number[] = []
    while (pos < end) {
      const code = this.u8(pos)
      if (code === DHCP_OPT.PAD) {
        pos++
        continue
      }
      order.push(code)
      if (code === DHCP_OPT.END) break
      if (pos + 2 > end || pos + 2 + this.u8(pos + 1) > end) {
        this.set('malformed', `dhcp option ${code} runs past the end`)
        break
      }
      this.dhcpOption(code, this.b.subarray(pos + 2, pos + 2 + this.u8(pos + 1)))
      pos += 2 + this.u8(pos + 1)
    }
    this.set('dhcp_options', order.join(','))
  }

  private dhcpOption(code: number, v: Uint8Array): void {
    this.set(`dhcp_opt_${code}`, hexOf(v))
    const ips = (): string =>
      chunks(v, 4)
        .map(c => Ipv4Address.fromBytes(c).toString())
        .join(',')
    const num = (): number => new DataView(v.buffer, v.byteOffset, v.byteLength).getUint32(0)
    switch (code) {
      case DHCP_OPT.MESSAGE_TYPE:
        this.set('dhcp_type', dhcpTypeName(v[0] ?? 0) ?? `unknown(${v[0]})`)
        break
      case DHCP_OPT.SERVER_ID:
        if (v.length === 4) this.set('dhcp_server_id', ips())
        break
      case DHCP_OPT.REQUESTED_IP:
        if (v.length === 4) this.set('dhcp_requested_ip', ips())
        break
      case DHCP_OPT.SUBNET_MASK:
        if (v.length === 4) this.set('dhcp_subnet_mask', ips())
        break
      case DHCP_OPT.ROUTER:
        if (v.length % 4 === 0) this.set('dhcp_router', ips())
        break
      case DHCP_OPT.DNS:
        if (v.length % 4 === 0) this.set('dhcp_dns', ips())
        break
      case DHCP_OPT.DOMAIN_NAME:
        this.set('dhcp_domain', new TextDecoder().decode(v))
        break
      case DHCP_OPT.MTU:
        if (v.length === 2) this.set('dhcp_mtu', ((v[0] as number) << 8) | (v[1] as number))
        break
      case DHCP_OPT.LEASE_TIME:
        if (v.length === 4) this.set('dhcp_lease', num())
        break
      case DHCP_OPT.RENEWAL_T1:
        if (v.length === 4) this.set('dhcp_t1', num())
        break
      case DHCP_OPT.REBINDING_T2:
        if (v.length === 4) this.set('dhcp_t2', num())
        break
      case DHCP_OPT.CLASSLESS_ROUTES:
        this.set('dhcp_routes', decodeClasslessRoutes(v))
        break
    }
  }
}

/**
 * RFC 3442 option 121: (width, significant octets of the destination, router) repeated. Returned sorted as
 * "dst/len>router" joined by ',', so that tests need not fix the server's order. "invalid" if it does not parse.
 */
export function decodeClasslessRoutes(v: Uint8Array): string {
  const routes: string[] = []
  for (let pos = 0; pos < v.length;) {
    const width = v[pos] as number
    const octets = Math.ceil(width / 8)
    if (width > 32 || pos + 1 + octets + 4 > v.length) return 'invalid'
    const dst = new Uint8Array(4)
    dst.set(v.subarray(pos + 1, pos + 1 + octets))
    const router = v.subarray(pos + 1 + octets, pos + 5 + octets)
    routes.push(`${Ipv4Address.fromBytes(dst).toString()}/${width}>${Ipv4Address.fromBytes(router).toString()}`)
    pos += 5 + octets
  }
  return routes.sort().join(',')
}

function chunks(v: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = []
  for (let i = 0; i + size <= v.length; i += size) out.push(v.subarray(i, i + size))
  return out
}
