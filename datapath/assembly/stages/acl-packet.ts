// What the security-group stages (ct.ts, acl.ts) read from the packet: the traffic that is always allowed,
// the l4 value rules match, and the remote address (BEHAVIOUR.md "Security groups").
import { ACL_DIR_EGRESS } from '../../spec/entry-kinds'
import { ld16 } from '../codec/bytes'
import { ICMP_CODE, ICMP_TYPE, ND_NEIGHBOR_ADVERT, ND_NEIGHBOR_SOLICIT, ND_ROUTER_ADVERT, ND_ROUTER_SOLICIT } from '../codec/icmp'
import {
  IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_UDPLITE, IPV4_DST, IPV4_SRC,
} from '../codec/ipv4'
import { IPV6_DST, IPV6_SRC } from '../codec/ipv6'
import { UDP_DST_PORT, UDP_PORT_DHCP_CLIENT, UDP_PORT_DHCP_SERVER, UDP_SRC_PORT } from '../codec/udp'
import { pkt } from '../pipeline/packet'

/** DHCPv6 client and server ports (RFC 8415 7.2). */
const UDP_PORT_DHCPV6_CLIENT: u32 = 546
const UDP_PORT_DHCPV6_SERVER: u32 = 547
// MLD (RFC 2710 3: query 130, report 131, done 132; RFC 3810 5.2: v2 report 143).
const MLD_QUERY: u32 = 130
const MLD_REPORT: u32 = 131
const MLD_DONE: u32 = 132
const MLDV2_REPORT: u32 = 143

/**
 * DHCP, DHCPv6, MLD and neighbour discovery pass whatever the rules and without conntrack; router
 * advertisements only towards a port (`direction` is the rules' direction: egress = from the port).
 */
export function alwaysAllowed(direction: u32): bool {
  if (pkt.laterFragment) return false
  const l4 = pkt.l4
  if (pkt.proto == IPPROTO_UDP) {
    const sport = ld16(l4 + UDP_SRC_PORT)
    const dport = ld16(l4 + UDP_DST_PORT)
    const egress = direction == <u32>ACL_DIR_EGRESS
    if (pkt.family == 4) {
      return egress ? sport == UDP_PORT_DHCP_CLIENT && dport == UDP_PORT_DHCP_SERVER
        : sport == UDP_PORT_DHCP_SERVER && dport == UDP_PORT_DHCP_CLIENT
    }
    return egress ? sport == UDP_PORT_DHCPV6_CLIENT && dport == UDP_PORT_DHCPV6_SERVER
      : sport == UDP_PORT_DHCPV6_SERVER && dport == UDP_PORT_DHCPV6_CLIENT
  }
  if (pkt.family == 6 && pkt.proto == IPPROTO_ICMPV6) {
    const type = <u32>load<u8>(l4 + ICMP_TYPE)
    if (type == MLD_QUERY || type == MLD_REPORT || type == MLD_DONE || type == MLDV2_REPORT ||
      type == ND_ROUTER_SOLICIT || type == ND_NEIGHBOR_SOLICIT || type == ND_NEIGHBOR_ADVERT) return true
    return type == ND_ROUTER_ADVERT && direction != <u32>ACL_DIR_EGRESS
  }
  return false
}

/**
 * The value rule intervals are matched with: the destination port (TCP, UDP, SCTP, UDP-Lite), ICMP type << 8 |
 * code, 0 for other protocols (their rules cover everything); -1 when the packet has no L4 header to read
 * (a later fragment, or one too short for the ports): only rules without ports or type match it.
 */
export function l4Value(): i32 {
  if (pkt.laterFragment) return -1
  const proto = pkt.proto
  const room = <i32>(pkt.ipEnd - pkt.l4)
  if (proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP || proto == IPPROTO_UDPLITE) {
    return room >= 4 ? <i32>ld16(pkt.l4 + UDP_DST_PORT) : -1
  }
  if ((pkt.family == 4 && proto == IPPROTO_ICMP) || (pkt.family == 6 && proto == IPPROTO_ICMPV6)) {
    return room >= 2 ? <i32>((<u32>load<u8>(pkt.l4 + ICMP_TYPE) << 8) | <u32>load<u8>(pkt.l4 + ICMP_CODE)) : -1
  }
  return 0
}

/** The rules' remote: the destination for egress rules, the source for ingress rules. */
export function remoteAddress(direction: u32): usize {
  const egress = direction == <u32>ACL_DIR_EGRESS
  if (pkt.family == 4) return pkt.l3 + (egress ? IPV4_DST : IPV4_SRC)
  return pkt.l3 + (egress ? IPV6_DST : IPV6_SRC)
}
