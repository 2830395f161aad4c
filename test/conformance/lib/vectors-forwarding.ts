// lr_in_arp_resolve, ls_in_l2_lkup and ls_out_dispatch: next-hop resolution, the MAC table with its floods
// and hairpin rule, and delivery to a local port or a remote chassis (BEHAVIOUR.md "Order of checks" 8-10).
import type { Entry } from '../../../datapath/host/entries.js'
import { BROADCAST_MAC, ipv4, ipv6, mac, type MacAddress } from '../../../datapath/host/addresses.js'
import { STAGE_EGRESS, STAGE_L2_LOOKUP, STAGE_NEXTHOP } from '../../../datapath/spec/stages.js'
import type { Vector } from '../vector-format.js'
import { GW, NET_A, NET_B, RPA, RPB, UNRESOLVED_B4, UNRESOLVED_B6, VM1, VM2, VM3, VM4, VM4_PAIR_MAC, VM8, VMB1 } from './topologies.js'
import { bothModes, drop, exact, flood, layersInput, output, punt, routed, stageName, tunnel, udp4, udp6, vector } from './vector-kit.js'

const of1 = VM1.ofport as number

export function nexthopVectors(): Vector[] {
  const stage = stageName(STAGE_NEXTHOP)
  const miss = 'BEHAVIOUR.md 8: (out network, next hop) has no entry -> punt punt_nexthop_miss; packet-in: no reply yet'
  const toB = (dst = UNRESOLVED_B4) => udp4({ srcMac: VM1.mac, dstMac: RPA.mac, src: VM1.ip4, dst })
  const fresh = mac('fa:16:3e:0b:00:77')
  const viaGw = toB(ipv4('198.51.100.10'))
  return [
    ...bothModes({
      name: 'nexthop/miss-ipv4',
      stage,
      intent: 'A connected destination with no nexthop entry is punted for resolution.',
      input: layersInput(of1, toB()),
      expect: punt('punt_nexthop_miss', miss),
    }),
    ...bothModes({
      name: 'nexthop/miss-ipv6',
      stage,
      intent: 'The same for IPv6.',
      input: layersInput(of1, udp6({ srcMac: VM1.mac, dstMac: RPA.mac, src: VM1.ip6, dst: UNRESOLVED_B6 })),
      expect: punt('punt_nexthop_miss', miss),
    }),
    vector({
      name: 'nexthop/gateway-unresolved',
      stage,
      topology: 'routes',
      intent: 'A route whose gateway has no nexthop entry misses on the gateway, not the destination.',
      input: layersInput(of1, toB(ipv4('203.0.113.5'))),
      expect: punt('punt_nexthop_miss', "BEHAVIOUR.md 8: next hop = the route's nexthop (10.1.0.77, unresolved)"),
    }),
    vector({
      name: 'nexthop/route-nexthop-not-destination',
      stage,
      topology: 'routes',
      intent: "With a route nexthop, the gateway's MAC is used even when the destination itself has a nexthop entry.",
      entries: [{ stage: 'nexthop', network: NET_B, ip: '198.51.100.10', mac: 'fa:16:3e:0b:00:aa' }],
      input: layersInput(of1, viaGw),
      expect: output(GW.ofport as number, exact(routed(viaGw, { srcMac: RPB.mac, dstMac: GW.mac })), {
        because: "BEHAVIOUR.md 8: next hop = the route's nexthop, or the destination when the route has none",
      }),
    }),
    vector({
      name: 'nexthop/added-entry-resolves',
      stage,
      intent: "Adding the missing nexthop (and its MAC's port) makes the destination reachable.",
      entries: [
        { stage: 'nexthop', network: NET_B, ip: UNRESOLVED_B4.toString(), mac: fresh.toString() },
        { stage: 'l2', network: NET_B, mac: fresh.toString(), port: GW.key },
      ],
      input: layersInput(of1, toB()),
      expect: output(GW.ofport as number, exact(routed(toB(), { srcMac: RPB.mac, dstMac: fresh })), { because: 'BEHAVIOUR.md 8-10' }),
    }),
    vector({
      name: 'nexthop/removed-entry-misses',
      stage,
      intent: 'Removing a nexthop entry makes its address a miss again.',
      remove: [{ stage: 'nexthop', network: NET_B, ip: VMB1.ip4.toString(), mac: VMB1.mac.toString() }],
      input: layersInput(of1, toB(VMB1.ip4)),
      expect: punt('punt_nexthop_miss', miss),
    }),
    vector({
      name: 'nexthop/resolved-mac-unknown-to-l2-floods',
      stage,
      intent: 'A resolved next-hop MAC with no l2 entry is unknown unicast on the out network.',
      entries: [{ stage: 'nexthop', network: NET_B, ip: UNRESOLVED_B4.toString(), mac: fresh.toString() }],
      input: layersInput(of1, toB()),
      expect: flood(NET_B, exact(routed(toB(), { srcMac: RPB.mac, dstMac: fresh })), {
        because: 'BEHAVIOUR.md 8 continues on the out network; 9: unknown unicast floods',
      }),
    }),
  ]
}

export function l2LookupVectors(): Vector[] {
  const stage = stageName(STAGE_L2_LOOKUP)
  const from1 = (dstMac: MacAddress, dst = VM2.ip4) => udp4({ srcMac: VM1.mac, dstMac, src: VM1.ip4, dst })
  const floods = (dstMac: MacAddress, because: string, dst = VM2.ip4) => flood(NET_A, exact(from1(dstMac, dst)), { because })
  const hairpin = 'BEHAVIOUR.md 9: a port equal to the ingress port: drop hairpin'
  return [
    ...bothModes({
      name: 'l2/known-unicast',
      stage,
      intent: 'A known MAC on the network is delivered to its port.',
      input: layersInput(of1, from1(VM2.mac)),
      expect: output(VM2.ofport as number, exact(from1(VM2.mac)), { because: 'BEHAVIOUR.md 9-10' }),
    }),
    ...bothModes({
      name: 'l2/broadcast-floods',
      stage,
      intent: 'A broadcast floods the network.',
      input: layersInput(of1, from1(BROADCAST_MAC, ipv4('10.0.0.255'))),
      expect: floods(BROADCAST_MAC, 'BEHAVIOUR.md 9: broadcast floods', ipv4('10.0.0.255')),
    }),
    vector({
      name: 'l2/ipv4-multicast-floods',
      stage,
      intent: 'An IPv4 multicast MAC (01:00:5e) floods.',
      input: layersInput(of1, from1(mac('01:00:5e:00:00:fb'), ipv4('224.0.0.251'))),
      expect: floods(mac('01:00:5e:00:00:fb'), 'BEHAVIOUR.md 9: multicast floods', ipv4('224.0.0.251')),
    }),
    vector({
      name: 'l2/ipv6-multicast-floods',
      stage,
      intent: 'An IPv6 multicast MAC (33:33) floods.',
      input: layersInput(of1, udp6({ srcMac: VM1.mac, dstMac: mac('33:33:00:00:00:fb'), src: VM1.ip6, dst: ipv6('ff02::fb') })),
      expect: flood(NET_A, exact(udp6({ srcMac: VM1.mac, dstMac: mac('33:33:00:00:00:fb'), src: VM1.ip6, dst: ipv6('ff02::fb') })), {
        because: 'BEHAVIOUR.md 9',
      }),
    }),
    vector({
      name: 'l2/unknown-unicast-floods',
      stage,
      intent: 'A unicast MAC the network does not know floods.',
      input: layersInput(of1, from1(mac('fa:16:3e:0a:00:99'))),
      expect: floods(mac('fa:16:3e:0a:00:99'), 'BEHAVIOUR.md 9: unknown unicast floods'),
    }),
    vector({
      name: 'l2/mac-of-other-network-floods',
      stage,
      intent: 'A MAC known only on net-b is unknown on net-a.',
      input: layersInput(of1, from1(VMB1.mac)),
      expect: floods(VMB1.mac, 'BEHAVIOUR.md 9: key is (network, eth_dst)'),
    }),
    ...bothModes({
      name: 'l2/hairpin',
      stage,
      intent: "A frame to the sender's own MAC would go back out of its port.",
      input: layersInput(of1, from1(VM1.mac, VM1.ip4)),
      expect: drop('hairpin', hairpin),
    }),
    vector({
      name: 'l2/hairpin-pair-mac',
      stage,
      intent: 'vm4 sending to its own allowed-pair MAC is a hairpin too.',
      input: layersInput(VM4.ofport as number, udp4({ srcMac: VM4.mac, dstMac: VM4_PAIR_MAC, src: VM4.ip4, dst: ipv4('10.0.0.99') })),
      expect: drop('hairpin', hairpin),
    }),
    vector({
      name: 'l2/to-pair-mac',
      stage,
      intent: "Another port reaching vm4's pair MAC is delivered to vm4.",
      input: layersInput(of1, from1(VM4_PAIR_MAC, ipv4('10.0.0.99'))),
      expect: output(VM4.ofport as number, exact(from1(VM4_PAIR_MAC, ipv4('10.0.0.99'))), { because: 'l2 entry for the pair MAC' }),
    }),
    vector({
      name: 'l2/added-entry',
      stage,
      intent: 'A MAC learnt by adding an l2 entry is delivered.',
      entries: [{ stage: 'l2', network: NET_A, mac: 'fa:16:3e:0a:00:99', port: VM2.key }],
      input: layersInput(of1, from1(mac('fa:16:3e:0a:00:99'))),
      expect: output(VM2.ofport as number, exact(from1(mac('fa:16:3e:0a:00:99'))), { because: 'DatapathApi.add' }),
    }),
    vector({
      name: 'l2/removed-entry-floods',
      stage,
      intent: "Removing vm2's l2 entry turns it into unknown unicast.",
      remove: [{ stage: 'l2', network: NET_A, mac: VM2.mac.toString(), port: VM2.key }],
      input: layersInput(of1, from1(VM2.mac)),
      expect: floods(VM2.mac, 'BEHAVIOUR.md 9'),
    }),
    vector({
      name: 'l2/replaced-entry',
      stage,
      intent: 'Re-adding a (network, MAC) with another port moves it (same key = replace).',
      entries: [{ stage: 'l2', network: NET_A, mac: VM2.mac.toString(), port: VM4.key }],
      input: layersInput(of1, from1(VM2.mac)),
      expect: output(VM4.ofport as number, exact(from1(VM2.mac)), { because: 'DatapathApi.add: same key = replace' }),
    }),
  ]
}

export function egressVectors(): Vector[] {
  const stage = stageName(STAGE_EGRESS)
  const to = (dst: { mac: MacAddress; ip4: ReturnType<typeof ipv4> }) =>
    udp4({ srcMac: VM1.mac, dstMac: dst.mac, src: VM1.ip4, dst: dst.ip4 })
  const moved: Entry = { stage: 'egress', port: VM2.key, remote: '192.168.100.9' }
  return [
    ...bothModes({
      name: 'egress/remote-port-tunnel',
      stage,
      intent: 'A port on another chassis is reached through a tunnel to that chassis.',
      input: layersInput(of1, to(VM3)),
      expect: tunnel(VM3, exact(to(VM3)), { because: 'BEHAVIOUR.md 10: remote endpoint, network key, port key; the target encapsulates' }),
    }),
    ...bothModes({
      name: 'egress/no-egress-entry',
      stage,
      intent: 'A port the l2 table knows but egress does not is dropped.',
      input: layersInput(of1, to(VM8)),
      expect: drop('egress_no_port', 'BEHAVIOUR.md 10: egress miss'),
    }),
    vector({
      name: 'egress/local-port',
      stage,
      intent: 'A local port is output on its OpenFlow port number, not its port key.',
      input: layersInput(of1, to(VM4)),
      expect: output(VM4.ofport as number, exact(to(VM4)), { because: 'BEHAVIOUR.md 10: local ofport' }),
    }),
    vector({
      name: 'egress/port-moved-to-remote',
      stage,
      intent: "Replacing vm2's egress with a remote one (live migration) tunnels its traffic.",
      entries: [moved],
      input: layersInput(of1, to(VM2)),
      expect: {
        action: 'tunnel',
        reason: 'none',
        remote: '192.168.100.9',
        network: NET_A,
        port: VM2.key,
        packet: exact(to(VM2)),
        because: 'DatapathApi.add: same key = replace',
      },
    }),
    vector({
      name: 'egress/removed-entry',
      stage,
      intent: "Removing vm2's egress entry drops traffic to it.",
      remove: [{ stage: 'egress', port: VM2.key, local: VM2.ofport }],
      input: layersInput(of1, to(VM2)),
      expect: drop('egress_no_port', 'BEHAVIOUR.md 10'),
    }),
  ]
}
