// ls_in_port_sec: the source MAC must be one of the port's MACs and the source IP inside a prefix allowed with
// that MAC (fixed IPs, allowed address pairs); ARP senders are checked the same way (BEHAVIOUR.md step 4).
import { PORT_SEC_MAX_PREFIXES } from '../../spec/entry-kinds'
import { STAGE_PORT_SEC } from '../../spec/stages'
import { TRACE_DROP, TRACE_HIT, TRACE_KIND_PORT_SEC, TRACE_SKIP } from '../../spec/trace'
import { REASON_PORT_SEC_ARP, REASON_PORT_SEC_IP, REASON_PORT_SEC_MAC } from '../../spec/verdicts'
import { ARP_SHA, ARP_SPA } from '../codec/arp'
import { copyMac, ld16, ld32, macEquals } from '../codec/bytes'
import { ETH_SRC, ETHERTYPE_ARP } from '../codec/ethernet'
import { ICMP_CODE, ICMP_TYPE, ND_MESSAGE_BYTES, ND_NEIGHBOR_ADVERT, ND_ROUTER_ADVERT, ND_TARGET } from '../codec/icmp'
import { IPPROTO_ICMPV6, IPPROTO_UDP, IPV4_SRC } from '../codec/ipv4'
import { IPV6_SRC, isIpv6LinkLocal, isIpv6Unspecified } from '../codec/ipv6'
import { UDP_DST_PORT, UDP_PORT_DHCP_CLIENT, UDP_PORT_DHCP_SERVER, UDP_SRC_PORT } from '../codec/udp'
import { fromOutside, pkt } from '../pipeline/packet'
import { step, traceAddr, traceMac } from '../pipeline/trace'
import { drop } from '../pipeline/verdict'
import { ExactTable, clearKey, key, macWord0, macWord1 } from '../tables/exact-table'

// A row, per (port, MAC):
//   n4 u8 @0, n6 u8 @1, IPv4 (addr u32 host order, mask u32) x MAX @8, IPv6 (addr[16], plen u8, pad[3]) x MAX
const ROW_N4: usize = 0
const ROW_N6: usize = 1
const ROW_V4: usize = 8
const V4_BYTES: usize = 8
const ROW_V6: usize = ROW_V4 + <usize>PORT_SEC_MAX_PREFIXES * V4_BYTES
const V6_BYTES: usize = 20
const ROW_BYTES: i32 = <i32>(ROW_V6 + <usize>PORT_SEC_MAX_PREFIXES * V6_BYTES)

/** (port u32, mac[6]) -> row */
const rows = new ExactTable(ROW_BYTES, 256)
/** port u32 -> 1: port security off */
const disabled = new ExactTable(4, 64)

@inline function rowKey(port: u32, mac: usize): void {
  clearKey()
  store<u32>(key, port)
  copyMac(key + 4, mac)
}

@inline function portKey(port: u32): void {
  clearKey()
  store<u32>(key, port)
}

export function setPortSecDisabled(port: u32): void {
  portKey(port)
  store<u32>(disabled.upsert(), 1)
}

export function removePortSecDisabled(port: u32): bool {
  portKey(port)
  return disabled.remove()
}

/** Starts (or replaces) the row for (port, mac) with no prefixes; returns it for addPortSecPrefix. */
export function beginPortSecRow(port: u32, mac: usize): usize {
  rowKey(port, mac)
  const row = rows.upsert()
  memory.fill(row, 0, <usize>ROW_BYTES)
  return row
}

/** Adds a prefix (`addr` in network order) to `row`; false when the row is full. */
export function addPortSecPrefix(row: usize, family: u32, addr: usize, plen: i32): bool {
  if (family == 4) {
    const n = <usize>load<u8>(row + ROW_N4)
    if (n >= <usize>PORT_SEC_MAX_PREFIXES) return false
    const mask: u32 = plen == 0 ? 0 : <u32>0xffffffff << (32 - plen)
    store<u32>(row + ROW_V4 + n * V4_BYTES, ld32(addr) & mask)
    store<u32>(row + ROW_V4 + n * V4_BYTES + 4, mask)
    store<u8>(row + ROW_N4, <u8>(n + 1))
  } else {
    const n = <usize>load<u8>(row + ROW_N6)
    if (n >= <usize>PORT_SEC_MAX_PREFIXES) return false
    const slot = row + ROW_V6 + n * V6_BYTES
    memory.copy(slot, addr, 16)
    store<u8>(slot + 16, <u8>plen)
    store<u8>(row + ROW_N6, <u8>(n + 1))
  }
  return true
}

export function removePortSecRow(port: u32, mac: usize): bool {
  rowKey(port, mac)
  return rows.remove()
}

export function clearPortSec(): void {
  rows.clear()
  disabled.clear()
}

function allowedV4(row: usize, addr: u32): bool {
  const n = <usize>load<u8>(row + ROW_N4)
  for (let i: usize = 0; i < n; i++) {
    const p = row + ROW_V4 + i * V4_BYTES
    if ((addr & load<u32>(p, 4)) == load<u32>(p)) return true
  }
  return false
}

function allowedV6(row: usize, addr: usize): bool {
  const n = <usize>load<u8>(row + ROW_N6)
  for (let i: usize = 0; i < n; i++) {
    const p = row + ROW_V6 + i * V6_BYTES
    if (prefixContains(p, <i32>load<u8>(p + 16), addr)) return true
  }
  return false
}

/** Whether the first `plen` bits of `addr` equal those of `prefix` (both 16 bytes). */
function prefixContains(prefix: usize, plen: i32, addr: usize): bool {
  let i: usize = 0
  while (plen >= 8) {
    if (load<u8>(prefix + i) != load<u8>(addr + i)) return false
    plen -= 8
    i++
  }
  if (plen == 0) return true
  const mask = <u8>(<u32>0xff << <u32>(8 - plen))
  return (load<u8>(prefix + i) & mask) == (load<u8>(addr + i) & mask)
}

/** DHCP client traffic before the port has an address: 0.0.0.0, UDP 68 -> 67 (RFC 2131 4.1). */
function isDhcpClientHello(): bool {
  return pkt.proto == IPPROTO_UDP && !pkt.laterFragment &&
    ld16(pkt.l4 + UDP_SRC_PORT) == UDP_PORT_DHCP_CLIENT && ld16(pkt.l4 + UDP_DST_PORT) == UDP_PORT_DHCP_SERVER
}

/** ICMPv6 of `type` in the first (or only) fragment; later fragments carry no ICMPv6 header. */
@inline function isIcmpv6Type(type: u32): bool {
  return pkt.proto == IPPROTO_ICMPV6 && !pkt.laterFragment && <u32>load<u8>(pkt.l4 + ICMP_TYPE) == type
}

/**
 * A neighbour advertisement may only claim one of the row's IPv6 prefixes or the EUI-64 link-local address of
 * the row's MAC, sent from that target itself or from a link-local source (BEHAVIOUR.md step 4): a receiver
 * takes the NA's target into its cache whatever the IPv6 source (RFC 4861 7.2.5). An NA with no full target
 * (shorter than 24 bytes) or a code other than 0 (RFC 4861 7.1.2: invalid) claims nothing allowed.
 */
function naAllowed(row: usize, mac: usize, src: usize): bool {
  const icmp = pkt.l4
  if (<i32>(pkt.ipEnd - icmp) < ND_MESSAGE_BYTES || load<u8>(icmp + ICMP_CODE) != 0) return false
  const target = icmp + ND_TARGET
  if (!allowedV6(row, target) && !isEui64LinkLocal(target, mac)) return false
  return isIpv6LinkLocal(src) || (load<u64>(src) == load<u64>(target) && load<u64>(src, 8) == load<u64>(target, 8))
}

/** fe80::/64 with the modified EUI-64 identifier of `mac` (RFC 4291 2.5.6, appendix A: U/L bit inverted). */
function isEui64LinkLocal(addr: usize, mac: usize): bool {
  // fe80:0000:0000:0000 in network order, read as a little-endian u64
  if (load<u64>(addr) != 0x80fe) return false
  return load<u8>(addr + 8) == (load<u8>(mac) ^ EUI64_UL_BIT) && load<u8>(addr + 9) == load<u8>(mac + 1) &&
    load<u8>(addr + 10) == load<u8>(mac + 2) && load<u8>(addr + 11) == 0xff && load<u8>(addr + 12) == 0xfe &&
    load<u8>(addr + 13) == load<u8>(mac + 3) && load<u8>(addr + 14) == load<u8>(mac + 4) &&
    load<u8>(addr + 15) == load<u8>(mac + 5)
}

/** The universal/local bit of the first MAC byte, inverted in a modified EUI-64 identifier (RFC 4291 appendix A). */
const EUI64_UL_BIT: u8 = 0x02

/** True when the packet was dropped. */
export function portSecurity(): bool {
  if (fromOutside()) {
    // The sending chassis enforced port security on its own port; an uplink has no port to check against.
    step(STAGE_PORT_SEC, TRACE_SKIP, TRACE_KIND_PORT_SEC, 0, 0, 0, 0)
    return false
  }
  const port = pkt.srcPort
  const ethSrc = pkt.base + ETH_SRC
  // The row first: most ports have port security on, so most packets need one probe.
  const row = rows.findWords(macWord0(port, ethSrc), macWord1(ethSrc))
  if (row == 0) return refuse(REASON_PORT_SEC_MAC, 0, 0)
  if (pkt.ethType == ETHERTYPE_ARP) {
    const spa = pkt.l3 + ARP_SPA
    if (!macEquals(pkt.l3 + ARP_SHA, ethSrc)) return refuse(REASON_PORT_SEC_ARP, 4, spa)
    // sender 0.0.0.0 is an ARP probe (RFC 5227 2.1.1)
    const sender = ld32(spa)
    if (sender != 0 && !allowedV4(row, sender)) return refuse(REASON_PORT_SEC_ARP, 4, spa)
  } else if (pkt.family == 4) {
    const src = pkt.l3 + IPV4_SRC
    const addr = ld32(src)
    if (!(addr == 0 && isDhcpClientHello()) && !allowedV4(row, addr)) return refuse(REASON_PORT_SEC_IP, 4, src)
  } else if (pkt.family == 6) {
    const src = pkt.l3 + IPV6_SRC
    // DAD from :: (RFC 4862 5.4) and link-local addresses exist before any configured address.
    if (!isIpv6Unspecified(src) && !isIpv6LinkLocal(src) && !allowedV6(row, src)) {
      return refuse(REASON_PORT_SEC_IP, 6, src)
    }
    if (isIcmpv6Type(ND_NEIGHBOR_ADVERT) && !naAllowed(row, ethSrc, src)) return refuse(REASON_PORT_SEC_IP, 6, src)
    // rogue-RA guard: instances are hosts, never routers (RFC 4861 6.2.1; Neutron drops them too)
    if (isIcmpv6Type(ND_ROUTER_ADVERT)) return refuse(REASON_PORT_SEC_IP, 6, src)
  }
  const t = step(STAGE_PORT_SEC, TRACE_HIT, TRACE_KIND_PORT_SEC, 0, port, 0, 0)
  traceMac(t, ethSrc)
  return false
}

/** Drops with `reason`, unless port security is off for the port (checked last: it is the rare case). */
function refuse(reason: i32, family: u32, addr: usize): bool {
  if (disabled.findWords(<u64>pkt.srcPort) != 0) {
    step(STAGE_PORT_SEC, TRACE_SKIP, TRACE_KIND_PORT_SEC, 0, pkt.srcPort, 0, 0)
    return false
  }
  const t = step(STAGE_PORT_SEC, TRACE_DROP, TRACE_KIND_PORT_SEC, reason, pkt.srcPort, 0, 0)
  if (family != 0) traceAddr(t, family, 0, addr)
  traceMac(t, pkt.base + ETH_SRC)
  return drop(reason)
}
