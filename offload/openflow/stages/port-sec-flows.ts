// ls_in_port_sec: source MAC and addresses must belong to the port (BEHAVIOUR.md §4).
import type { PortSecEntry } from '../../../datapath/host/entries.js'
import { STAGE_ARP_ND_RSP, STAGE_PORT_SEC } from '../../../datapath/spec/stages.js'
import { REASON_PORT_SEC_ARP, REASON_PORT_SEC_IP, REASON_PORT_SEC_MAC } from '../../../datapath/spec/verdicts.js'
import { FlowBuilder } from '../builder.js'
import {
  ETH_TYPE_ARP,
  ETH_TYPE_IPV4,
  ETH_TYPE_IPV6,
  ICMPV6_ND_NA,
  IP_PROTO_ICMPV6,
  IP_PROTO_UDP,
  UDP_PORT_DHCP_CLIENT,
  UDP_PORT_DHCP_SERVER,
} from '../fields.js'
import type { Flow } from '../flow.js'
import { FLAG_FROM_TUNNEL, FLAG_FROM_UPLINK, REG_FLAGS, REG_SRC_PORT, flagSet } from '../layout.js'
import { Cidr, Ipv4Address, Ipv6Address, MacAddress } from '../../../datapath/host/addresses.js'
import { MATCH_PREFIX } from '../values.js'
import { Context, dedupe, isV6, key } from './context.js'

export function portSecFlows(c: Context): Flow[] {
  const [skipTunnel, skipUplink, miss] = portSecFixedFlows(c) as [Flow, Flow, Flow]
  return dedupe([skipTunnel, skipUplink, ...c.of<PortSecEntry>('port_sec').flatMap(e => portSecEntryFlows(c, e)), miss])
}

/** Tunnel and uplink traffic skips the stage; anything no row allows drops port_sec_mac. */
export function portSecFixedFlows(c: Context): Flow[] {
  return [
    c.flow(STAGE_PORT_SEC).priority('SKIP').cookie({ key: 0 }).match(REG_FLAGS, flagSet(FLAG_FROM_TUNNEL)).goto(STAGE_ARP_ND_RSP).build(),
    c.flow(STAGE_PORT_SEC).priority('SKIP').cookie({ key: 0 }).match(REG_FLAGS, flagSet(FLAG_FROM_UPLINK)).goto(STAGE_ARP_ND_RSP).build(),
    c.flow(STAGE_PORT_SEC).priority('TABLE_MISS').cookie({ reason: REASON_PORT_SEC_MAC }).build(),
  ]
}

/** One row: the MAC and addresses it allows, the rogue-RA and NA guards, the per-family denies. */
export function portSecEntryFlows(c: Context, e: PortSecEntry): Flow[] {
  const out: Flow[] = []
  const f = (): FlowBuilder => c.flow(STAGE_PORT_SEC)
  const port = key(e.port)
  if (e.disabled === true || e.mac === undefined) {
    if (e.disabled === true)
      out.push(f().priority('ENTRY').cookie({ key: e.port }).match(REG_SRC_PORT, port).goto(STAGE_ARP_ND_RSP).build())
    return out
  }
  const mac = MacAddress.parse(e.mac)
  const from = (band: Parameters<FlowBuilder['priority']>[0], subject: { key: number } | { reason: number }): FlowBuilder =>
    f().priority(band).cookie(subject).match(REG_SRC_PORT, port).match('eth_src', mac)
  for (const cidr of (e.ips ?? []).filter(x => !isV6(x))) {
    const prefix = Cidr.parseIpv4(cidr, MATCH_PREFIX)
    out.push(
      from('PORT_SEC_L3_ALLOW', { key: e.port }).match('eth_type', ETH_TYPE_IPV4).match('nw_src', prefix).goto(STAGE_ARP_ND_RSP).build(),
    )
    out.push(
      from('PORT_SEC_L3_ALLOW', { key: e.port })
        .match('eth_type', ETH_TYPE_ARP)
        .match('arp_sha', mac)
        .match('arp_spa', prefix)
        .goto(STAGE_ARP_ND_RSP)
        .build(),
    )
  }
  // before an address exists: DHCP from 0.0.0.0 and ARP probes (BEHAVIOUR.md §4)
  out.push(
    from('PORT_SEC_L3_ALLOW', { key: e.port })
      .match('eth_type', ETH_TYPE_IPV4)
      .match('ip_proto', IP_PROTO_UDP)
      .match('nw_src', Ipv4Address.parse('0.0.0.0'))
      .match('udp_src', UDP_PORT_DHCP_CLIENT)
      .match('udp_dst', UDP_PORT_DHCP_SERVER)
      .goto(STAGE_ARP_ND_RSP)
      .build(),
  )
  out.push(
    from('PORT_SEC_L3_ALLOW', { key: e.port })
      .match('eth_type', ETH_TYPE_ARP)
      .match('arp_sha', mac)
      .match('arp_spa', Ipv4Address.parse('0.0.0.0'))
      .goto(STAGE_ARP_ND_RSP)
      .build(),
  )
  for (const cidr of (e.ips ?? []).filter(isV6)) {
    out.push(
      from('PORT_SEC_L3_ALLOW', { key: e.port })
        .match('eth_type', ETH_TYPE_IPV6)
        .match('ipv6_src', Cidr.parseIpv6(cidr, MATCH_PREFIX))
        .goto(STAGE_ARP_ND_RSP)
        .build(),
    )
  }
  out.push(...ndAdvertFlows(e, from))
  // rogue-RA guard: instances are hosts, never routers (BEHAVIOUR.md §4, RFC 4861 6.2.1)
  out.push(
    from('PORT_SEC_ND_DENY', { reason: REASON_PORT_SEC_IP })
      .match('eth_type', ETH_TYPE_IPV6)
      .match('ip_proto', IP_PROTO_ICMPV6)
      .match('icmpv6_type', ICMPV6_ND_RA)
      .build(),
  )
  // IPv6 before an address: DAD from :: and any link-local source (BEHAVIOUR.md §4)
  for (const pre of [Ipv6Address.parse('::'), Cidr.parseIpv6('fe80::/10', MATCH_PREFIX)]) {
    out.push(
      from('PORT_SEC_L3_ALLOW', { key: e.port }).match('eth_type', ETH_TYPE_IPV6).match('ipv6_src', pre).goto(STAGE_ARP_ND_RSP).build(),
    )
  }
  out.push(from('PORT_SEC_L3_DENY', { reason: REASON_PORT_SEC_IP }).match('eth_type', ETH_TYPE_IPV4).build())
  out.push(from('PORT_SEC_L3_DENY', { reason: REASON_PORT_SEC_IP }).match('eth_type', ETH_TYPE_IPV6).build())
  out.push(from('PORT_SEC_L3_DENY', { reason: REASON_PORT_SEC_ARP }).match('eth_type', ETH_TYPE_ARP).build())
  out.push(from('PORT_SEC_L2_ALLOW', { key: e.port }).goto(STAGE_ARP_ND_RSP).build())
  return out
}

type From = (band: Parameters<FlowBuilder['priority']>[0], subject: { key: number } | { reason: number }) => FlowBuilder

/**
 * Neighbour advertisements from a port may only claim the port's own addresses (RFC 4861 7.2.5: a receiver
 * updates its cache from the NA's target, whatever the IPv6 source; without this check any port could take over
 * another's address with an unsolicited NA from its link-local source, which the source check lets through).
 * Allowed targets: the row's /128 addresses and the EUI-64 link-local address of the row's MAC (RFC 4291 2.5.6,
 * what Linux and OVN use), each from the target itself or from a link-local source. An NA for any other target
 * from this MAC is dropped `port_sec_ip`.
 * OpenFlow 1.3 matches nd_target exactly (OXM_OF_IPV6_ND_TARGET has no mask), so a row that allows a wider IPv6
 * prefix (an allowed address pair with a CIDR) keeps the source check only: its NAs are not checked.
 * Not checked yet: the target link-layer option (nd_tll) and an NS's source link-layer option (nd_sll); the
 * emitter has no such fields (offload/openflow/fields.ts, agent/flows/field-ids.ts).
 */
function ndAdvertFlows(e: PortSecEntry, from: From): Flow[] {
  const v6 = (e.ips ?? []).filter(isV6).map(p => Cidr.parseIpv6(p, MATCH_PREFIX))
  if (e.mac === undefined || v6.some(p => p.length !== 128)) return []
  const na = (band: 'PORT_SEC_ND_ALLOW' | 'PORT_SEC_ND_DENY', subject: { key: number } | { reason: number }): FlowBuilder =>
    from(band, subject).match('eth_type', ETH_TYPE_IPV6).match('ip_proto', IP_PROTO_ICMPV6).match('icmpv6_type', ICMPV6_ND_NA)
  const out: Flow[] = []
  for (const target of [...v6.map(p => p.address), linkLocalOf(MacAddress.parse(e.mac))]) {
    for (const src of [Cidr.parseIpv6(`${target.toString()}/128`, MATCH_PREFIX), LINK_LOCAL]) {
      out.push(na('PORT_SEC_ND_ALLOW', { key: e.port }).match('ipv6_src', src).match('nd_target', target).goto(STAGE_ARP_ND_RSP).build())
    }
  }
  out.push(na('PORT_SEC_ND_DENY', { reason: REASON_PORT_SEC_IP }).build())
  return out
}

const LINK_LOCAL = Cidr.parseIpv6('fe80::/10', MATCH_PREFIX)
/** ICMPv6 router advertisement (RFC 4861 4.2) */
const ICMPV6_ND_RA = 134

/** fe80::/64 + the modified EUI-64 interface identifier of a MAC (RFC 4291 2.5.6 and appendix A: U/L bit flipped). */
export function linkLocalOf(mac: MacAddress): Ipv6Address {
  const m = mac.value ^ (0x02n << 40n)
  const iid = ((m >> 24n) << 40n) | (0xfffen << 24n) | (m & 0xffffffn)
  return Ipv6Address.of((0xfe80n << 112n) | iid)
}
