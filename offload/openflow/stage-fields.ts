// Which OpenFlow fields a flow of each stage may match, derived from the stage's declared keys in
// datapath/spec/stages.ts, plus the few protocol selectors a stage needs to implement datapath/BEHAVIOUR.md
// (each listed with its reason). A builder refuses any other field, and a mask on a field whose key is exact.
import {
  STAGES,
  STAGE_ARP_ND_RSP,
  STAGE_CLASSIFY,
  STAGE_DHCP,
  STAGE_DNAT,
  STAGE_EGRESS,
  STAGE_IN_ACL,
  STAGE_L2_LOOKUP,
  STAGE_L3_ROUTE,
  STAGE_NEXTHOP,
  STAGE_OUT_ACL,
  STAGE_PORT_SEC,
  STAGE_SNAT,
} from '../../datapath/spec/stages.js'
import type { OfFieldName } from './fields.js'
import {
  REG_CT,
  REG_DST_PORT,
  REG_FLAGS,
  REG_FLOOD_CHUNK,
  REG_NETWORK,
  REG_NEXTHOP,
  REG_NEXTHOP6,
  REG_ROUTER,
  REG_SRC_PORT,
} from './layout.js'

export interface FieldRule {
  /** true when the stage key is declared /mask or /lpm (or the field is a flag register) */
  maskable: boolean
  /** where the permission comes from: the stage key, or a BEHAVIOUR.md reason */
  why: string
}

/** Logical key names of stages.ts -> the OpenFlow fields that carry them. */
const KEY_FIELDS: Record<string, OfFieldName[]> = {
  in_port: ['in_port'],
  vlan_vid: ['vlan_vid'],
  tun_id: ['tun_id'],
  network: [REG_NETWORK],
  src_port: [REG_SRC_PORT],
  dst_port: [REG_DST_PORT],
  router: [REG_ROUTER],
  // a routed packet's out port is (router, out network): lr_in_ip_route writes both, a router has one port per network
  out_port: [REG_NETWORK],
  nexthop: [REG_NEXTHOP, REG_NEXTHOP6],
  eth_src: ['eth_src'],
  eth_dst: ['eth_dst'],
  ip_src: ['nw_src', 'ipv6_src'],
  ip_dst: ['nw_dst', 'ipv6_dst'],
  arp_sha: ['arp_sha'],
  arp_spa: ['arp_spa'],
  arp_tpa: ['arp_tpa'],
  udp_dst: ['udp_dst'],
  ip_proto: ['ip_proto'],
  nd_target: ['nd_target'],
}

/** Protocol selectors every stage may use: they pick the header a key lives in (OpenFlow 1.3.5 §7.2.3.6 prerequisites). */
const PREREQUISITES: OfFieldName[] = ['eth_type', 'ip_proto']

/** What a security-group stage matches besides its keys (BEHAVIOUR.md "Security groups"). */
const ACL_EXTRAS: [OfFieldName, boolean, string][] = [
  ['ct_state', true, "the connection's state decides before the rules (invalid, reply, blocked)"],
  ['ct_mark', true, 'a connection the rules stopped allowing is marked blocked (layout.ts ct_mark)'],
  [REG_CT, false, "ct_state is only believed where this stage's ct lookup filled it (layout.ts reg7)"],
  ['conj_id', false, "a rule's action flow, found by OVS once the rule's conjunctive match is complete"],
  ['tcp_dst', true, 'rule port ranges, as masked pieces'],
  ['udp_dst', true, 'rule port ranges, as masked pieces; DHCP and DHCPv6 are always allowed'],
  ['udp_src', false, 'DHCP and DHCPv6 are always allowed (client and server ports)'],
  ['sctp_dst', true, 'rule port ranges, as masked pieces'],
  ['icmp_type', false, 'rule ICMP type'],
  ['icmp_code', false, 'rule ICMP code'],
  ['icmpv6_type', false, 'rule ICMPv6 type; MLD, RS/RA and NS/NA are always allowed'],
  ['icmpv6_code', false, 'rule ICMPv6 code'],
  ['nw_frag', true, 'a later fragment has no L4 header: it matches only rules without ports or type'],
]

/** Extra fields per stage, each with its reason. */
const EXTRAS: Record<number, [OfFieldName, boolean, string][]> = {
  [STAGE_CLASSIFY]: [
    ['vlan_vid', true, 'tag presence test OFPVID_PRESENT/OFPVID_PRESENT (OpenFlow 1.3.5 §7.2.3.8): bad_vlan on an access port'],
    ['eth_src', true, 'the I/G bit: a multicast source MAC is dropped before classification (BEHAVIOUR.md §1)'],
  ],
  [STAGE_PORT_SEC]: [
    [REG_FLAGS, true, 'tunnel ingress skips port security (BEHAVIOUR.md §2)'],
    ['udp_src', false, 'DHCP client traffic before an address exists (BEHAVIOUR.md §4)'],
    ['udp_dst', false, 'DHCP client traffic before an address exists (BEHAVIOUR.md §4)'],
    ['icmpv6_type', false, 'neighbour advertisements are told apart from other IPv6 (port-sec-flows.ts: ND spoofing)'],
    ['nd_target', false, 'a neighbour advertisement may only claim an address of the port (port-sec-flows.ts)'],
  ],
  [STAGE_ARP_ND_RSP]: [
    ['arp_op', false, 'only ARP requests are answered (BEHAVIOUR.md §5)'],
    ['icmpv6_type', false, 'only neighbour solicitations are answered (BEHAVIOUR.md §5); advertisements to a router are punted'],
    ['eth_dst', false, 'ARP replies and NAs to a router port MAC are punted punt_neighbour (BEHAVIOUR.md "Ways in and out")'],
    ['eth_src', false, 'a neighbour solicitation from the owner of its target (DAD) is not answered (BEHAVIOUR.md §5)'],
    [REG_FLAGS, true, 'a request from a VLAN uplink is answered tagged (BEHAVIOUR.md "Ways in and out")'],
  ],
  [STAGE_DHCP]: [[REG_FLAGS, true, 'tunnel ingress skips DHCP (BEHAVIOUR.md §2)']],
  [STAGE_L3_ROUTE]: [
    ['nw_ttl', false, 'TTL <= 1 is punted for an ICMP error (BEHAVIOUR.md §7)'],
    ['nw_src', true, 'no ICMP error to a source that names no single host (RFC 1122 3.2.2)'],
    ['icmp_type', false, 'no ICMP error about an ICMP error (RFC 1122 3.2.2)'],
    ['ipv6_src', true, 'no ICMPv6 error to a multicast or unspecified source (RFC 4443 2.4 e)'],
    ['icmpv6_type', false, 'no ICMPv6 error about an ICMPv6 error (RFC 4443 2.4 e); echo requests (§7)'],
    ['nw_frag', true, 'no ICMP error about a non-first fragment (RFC 1122 3.2.2)'],
    [REG_FLAGS, true, 'a frame from an uplink to a gateway hosted elsewhere drops gateway_elsewhere (BEHAVIOUR.md "Ways in and out")'],
  ],
  [STAGE_DNAT]: [
    ['nw_src', false, 'hairpin: a source with a floating IP is translated too (BEHAVIOUR.md "Ways in and out")'],
    ['ipv6_src', false, 'hairpin: a source with a floating IP is translated too (BEHAVIOUR.md "Ways in and out")'],
    ['icmp_type', false, 'ICMP errors to a floating IP carry a quoted header to rewrite: the slow path does it'],
    ['icmpv6_type', false, 'ICMPv6 errors to a floating IP carry a quoted header to rewrite: the slow path does it'],
    ['nw_ttl', false, 'TTL <= 1 enters the router untranslated: the time exceeded quotes the packet as sent (RFC 5508 4.2)'],
    [
      REG_FLAGS,
      true,
      'only a local port\'s source with a floating IP is marked exempt from the gateway redirect (BEHAVIOUR.md "SNAT for ports without a floating IP")',
    ],
  ],
  [STAGE_SNAT]: [
    [REG_FLAGS, true, 'only routed packets leave through a gateway port'],
    ['icmp_type', false, 'ICMP errors from a fixed IP carry a quoted header to rewrite: the slow path does it'],
    ['icmpv6_type', false, 'ICMPv6 errors from a fixed IP carry a quoted header to rewrite: the slow path does it'],
    [
      'nw_frag',
      true,
      'a later IPv4 fragment has no port to translate it by: no_snat (BEHAVIOUR.md "SNAT for ports without a floating IP")',
    ],
  ],
  [STAGE_EGRESS]: [[REG_NETWORK, false, "a port reached through an uplink leaves through the uplink of the packet's network"]],
  [STAGE_NEXTHOP]: [
    [REG_FLAGS, true, 'only routed packets are resolved (BEHAVIOUR.md §8)'],
    [REG_ROUTER, false, "the source MAC is the MAC of the routing router's port on the out network (BEHAVIOUR.md §8)"],
  ],
  [STAGE_L2_LOOKUP]: [
    [REG_SRC_PORT, false, 'a destination equal to the ingress port is dropped hairpin (BEHAVIOUR.md §9)'],
    [REG_FLAGS, true, 'a flood from a tunnel goes to local ports only (split horizon)'],
    [REG_FLOOD_CHUNK, false, "a flood resubmits once per chunk of the network's ports (layout.ts FLOOD_CHUNK_PORTS)"],
  ],
  [STAGE_IN_ACL]: ACL_EXTRAS,
  [STAGE_OUT_ACL]: ACL_EXTRAS,
}

/** The fields a flow of `stageId` may match. */
export function fieldRules(stageId: number): Map<OfFieldName, FieldRule> {
  const stage = STAGES[stageId]
  if (stage === undefined) throw new Error(`no stage ${stageId}`)
  const rules = new Map<OfFieldName, FieldRule>()
  for (const key of stage.keys.split(',')) {
    const [name, marker] = key.split(/[/=]/) as [string, string | undefined]
    const fields = KEY_FIELDS[name]
    if (fields === undefined) throw new Error(`stage ${stage.name}: key '${name}' has no OpenFlow field (offload/openflow/stage-fields.ts)`)
    const maskable = key.includes('/') && (marker === 'mask' || marker === 'lpm')
    for (const f of fields) rules.set(f, { maskable, why: `key ${key} of ${stage.name}` })
  }
  for (const f of PREREQUISITES) if (!rules.has(f)) rules.set(f, { maskable: false, why: 'protocol prerequisite' })
  // an extra may widen a key (allow a mask), never narrow it
  for (const [f, maskable, why] of EXTRAS[stageId] ?? []) rules.set(f, { maskable: maskable || (rules.get(f)?.maskable ?? false), why })
  return rules
}
