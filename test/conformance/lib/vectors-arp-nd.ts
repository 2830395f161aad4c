// ls_in_arp_nd_rsp: ARP requests and neighbour solicitations for addresses the network knows are answered in
// place (BEHAVIOUR.md "Order of checks" 5).
import {
  BROADCAST_MAC,
  IPV6_ANY,
  ipv4,
  ipv6,
  mac,
  type Ipv4Address,
  type Ipv6Address,
  type MacAddress,
} from '../../../datapath/host/addresses.js'
import {
  ARP_REPLY,
  ARP_REQUEST,
  arp,
  concat,
  ethernet,
  ip6,
  ndLinkLayerOption,
  ndNa,
  ndNs,
  ndRs,
  type Icmpv6Layer,
  type Layer,
} from '../../../datapath/host/packet-builder.js'
import { STAGE_ARP_ND_RSP } from '../../../datapath/spec/stages.js'
import type { FieldChecks, Vector } from '../vector-format.js'
import { NET_A, RPA, RPB, VM1, VM2, VM3, VM4, VM4_PAIR_IP, VM4_PAIR_MAC, VMB1 } from './topologies.js'
import { bothModes, drop, exact, fields, flood, inPort, layersInput, output, stageName, vector } from './vector-kit.js'
import { routerAdvertVectors } from './vectors-router-advert.js'

const stage = stageName(STAGE_ARP_ND_RSP)
const of1 = VM1.ofport as number

interface Asker {
  mac: MacAddress
  ip: Ipv4Address
  ethDst?: MacAddress
}
const request = (who: Asker, tpa: Ipv4Address): Layer[] => [
  ethernet({ src: who.mac, dst: who.ethDst ?? BROADCAST_MAC }),
  arp({ op: ARP_REQUEST, sha: who.mac, spa: who.ip, tpa }),
]
/** BEHAVIOUR.md 5: eth dst = requester, eth src = entry MAC, op 2, sha = entry MAC, spa = target, tha/tpa = requester. */
const reply = (who: Asker, target: Ipv4Address, answer: MacAddress): Layer[] => [
  ethernet({ src: answer, dst: who.mac }),
  arp({ op: ARP_REPLY, sha: answer, spa: target, tha: who.mac, tpa: who.ip }),
]
const answered = { because: 'BEHAVIOUR.md 5: an arp_nd entry for the target on the network; reply built in place, out of the ingress port' }

function arpVectors(): Vector[] {
  const vm1: Asker = { mac: VM1.mac, ip: VM1.ip4 }
  return [
    ...bothModes({
      name: 'arp/request-for-router-ip',
      stage,
      intent: 'vm1 asks for its gateway; the router port MAC is answered in place.',
      input: layersInput(of1, request(vm1, RPA.ip4), { pad: true }),
      expect: inPort(of1, exact(reply(vm1, RPA.ip4, RPA.mac), true), answered),
    }),
    vector({
      name: 'arp/request-for-local-vm',
      stage,
      intent: 'ARP for a VM on the same network is answered by the responder, not flooded.',
      input: layersInput(of1, request(vm1, VM2.ip4), { pad: true }),
      expect: inPort(of1, exact(reply(vm1, VM2.ip4, VM2.mac), true), answered),
    }),
    vector({
      name: 'arp/request-for-remote-vm',
      stage,
      intent: 'ARP for a VM on another chassis is answered locally too.',
      input: layersInput(of1, request(vm1, VM3.ip4), { pad: true }),
      expect: inPort(of1, exact(reply(vm1, VM3.ip4, VM3.mac), true), answered),
    }),
    vector({
      name: 'arp/request-without-padding',
      stage,
      intent: 'A 42-byte ARP request (no Ethernet padding) gets a 42-byte reply.',
      input: layersInput(of1, request(vm1, RPA.ip4)),
      expect: inPort(of1, exact(reply(vm1, RPA.ip4, RPA.mac)), answered),
    }),
    vector({
      name: 'arp/request-unicast-to-router-mac',
      stage,
      intent: 'A unicast ARP request (RFC 1122 2.3.2.1 refresh) to the router MAC is answered too.',
      input: layersInput(of1, request({ ...vm1, ethDst: RPA.mac }, RPA.ip4), { pad: true }),
      expect: inPort(of1, exact(reply(vm1, RPA.ip4, RPA.mac), true), answered),
    }),
    vector({
      name: 'arp/request-from-pair-mac',
      stage,
      intent: 'A request from an allowed-address-pair MAC is answered to that MAC.',
      input: layersInput(VM4.ofport as number, request({ mac: VM4_PAIR_MAC, ip: VM4_PAIR_IP }, RPA.ip4), { pad: true }),
      expect: inPort(VM4.ofport as number, exact(reply({ mac: VM4_PAIR_MAC, ip: VM4_PAIR_IP }, RPA.ip4, RPA.mac), true), answered),
    }),
    vector({
      name: 'arp/probe-for-known-address',
      stage,
      intent: 'An ARP probe (sender 0.0.0.0) for a known address is answered, telling the prober it is taken.',
      input: layersInput(of1, request({ mac: VM1.mac, ip: ipv4('0.0.0.0') }, VM2.ip4), { pad: true }),
      expect: inPort(of1, exact(reply({ mac: VM1.mac, ip: ipv4('0.0.0.0') }, VM2.ip4, VM2.mac), true), {
        because: 'BEHAVIOUR.md 5: tha/tpa = requester (tpa 0.0.0.0 here); RFC 5227 2.1.1: a reply to a probe reports a conflict',
      }),
    }),
    ...bothModes({
      name: 'arp/probe-from-owner-floods',
      stage,
      intent: "vm1's own ARP probe for its address (a DHCP client checks its lease) is not answered: it floods.",
      input: layersInput(of1, request({ mac: VM1.mac, ip: ipv4('0.0.0.0') }, VM1.ip4), { pad: true }),
      expect: flood(NET_A, exact(request({ mac: VM1.mac, ip: ipv4('0.0.0.0') }, VM1.ip4), true), {
        because:
          'BEHAVIOUR.md 5: a request from the owner of the target is not answered (RFC 5227 2.1.1: the reply reads as a conflict, RFC 2131 3.1.5: DHCPDECLINE)',
      }),
    }),
    vector({
      name: 'arp/announcement-from-owner-floods',
      stage,
      intent: "vm1's ARP announcement (sender = target = its address) is not answered: it floods so neighbours update.",
      input: layersInput(of1, request(vm1, VM1.ip4), { pad: true }),
      expect: flood(NET_A, exact(request(vm1, VM1.ip4), true), {
        because: 'BEHAVIOUR.md 5: a request from the owner of the target is not answered (RFC 5227 2.3 announcement)',
      }),
    }),
    ...bothModes({
      name: 'arp/request-for-unknown-ip-floods',
      stage,
      intent: 'ARP for an address with no entry is a broadcast and floods.',
      input: layersInput(of1, request(vm1, ipv4('10.0.0.200')), { pad: true }),
      expect: flood(NET_A, exact(request(vm1, ipv4('10.0.0.200')), true), {
        because: 'BEHAVIOUR.md 5: everything else continues; 9: broadcast floods',
      }),
    }),
    vector({
      name: 'arp/request-for-other-network-ip-floods',
      stage,
      intent: "Entries are per network: net-b's address is unknown on net-a.",
      input: layersInput(of1, request(vm1, VMB1.ip4), { pad: true }),
      expect: flood(NET_A, exact(request(vm1, VMB1.ip4), true), { because: 'BEHAVIOUR.md 5: key is (network, target)' }),
    }),
    vector({
      name: 'arp/gratuitous-reply-floods',
      stage,
      intent: 'A gratuitous ARP reply to broadcast is not answered and floods.',
      input: layersInput(
        of1,
        [
          ethernet({ src: VM1.mac, dst: BROADCAST_MAC }),
          arp({ op: ARP_REPLY, sha: VM1.mac, spa: VM1.ip4, tha: BROADCAST_MAC, tpa: VM1.ip4 }),
        ],
        { pad: true },
      ),
      expect: flood(
        NET_A,
        exact(
          [
            ethernet({ src: VM1.mac, dst: BROADCAST_MAC }),
            arp({ op: ARP_REPLY, sha: VM1.mac, spa: VM1.ip4, tha: BROADCAST_MAC, tpa: VM1.ip4 }),
          ],
          true,
        ),
        { because: 'BEHAVIOUR.md 5: only requests are answered' },
      ),
    }),
    vector({
      name: 'arp/unicast-reply-switched',
      stage,
      intent: 'A unicast ARP reply is switched to its destination like any frame.',
      input: layersInput(
        of1,
        [ethernet({ src: VM1.mac, dst: VM2.mac }), arp({ op: ARP_REPLY, sha: VM1.mac, spa: VM1.ip4, tha: VM2.mac, tpa: VM2.ip4 })],
        { pad: true },
      ),
      expect: output(
        VM2.ofport as number,
        exact(
          [ethernet({ src: VM1.mac, dst: VM2.mac }), arp({ op: ARP_REPLY, sha: VM1.mac, spa: VM1.ip4, tha: VM2.mac, tpa: VM2.ip4 })],
          true,
        ),
        { because: 'BEHAVIOUR.md 9-10' },
      ),
    }),
  ]
}

interface Solicit {
  mac: MacAddress
  src: Ipv6Address
  ethDst?: MacAddress
  dst?: Ipv6Address
  hopLimit?: number
  checksum?: 'bad'
  sll?: boolean
}
function ns(who: Solicit, target: Ipv6Address): Layer[] {
  const dst = who.dst ?? target.solicitedNode()
  return [
    ethernet({ src: who.mac, dst: who.ethDst ?? dst.multicastMac() }),
    ip6({ src: who.src, dst, hopLimit: who.hopLimit ?? 255 }),
    ndNs({ target, sll: who.sll === false || who.src.toString() === '::' ? undefined : who.mac, checksum: who.checksum }),
  ]
}
/** An NS from `who` whose ICMPv6 layer is changed by `change` (the checksum is computed over the result). */
function nsWith(who: Solicit, target: Ipv6Address, change: (l: Icmpv6Layer) => Icmpv6Layer): Layer[] {
  return ns(who, target).map(l => (l.kind === 'icmp6' ? change(l) : l))
}
/** BEHAVIOUR.md 5: the advertisement's fields; bytes such as flow label are left to the target. */
function na(o: { to: MacAddress; dst: Ipv6Address; target: Ipv6Address; mac: MacAddress; flags: string }): FieldChecks {
  return {
    eth_src: o.mac.toString(),
    eth_dst: o.to.toString(),
    ip_src: o.target.toString(),
    ip_dst: o.dst.toString(),
    hop_limit: 255,
    ip_proto: 58,
    icmp_type: 136,
    icmp_code: 0,
    icmp_checksum_ok: true,
    nd_target: o.target.toString(),
    nd_flags: o.flags,
    nd_tll: o.mac.toString(),
  }
}
const advertised = { because: 'BEHAVIOUR.md 5: NS for a known target becomes an NA in place (RFC 4861 7.2.4), out of the ingress port' }

function ndVectors(): Vector[] {
  const vm1: Solicit = { mac: VM1.mac, src: VM1.ip6 }
  const allNodes = ipv6('ff02::1')
  return [
    ...bothModes({
      name: 'nd/ns-for-router-address',
      stage,
      intent: 'vm1 resolves its IPv6 gateway: NA with router, solicited and override flags.',
      input: layersInput(of1, ns(vm1, RPA.ip6)),
      expect: inPort(of1, fields(na({ to: VM1.mac, dst: VM1.ip6, target: RPA.ip6, mac: RPA.mac, flags: 'RSO' })), advertised),
    }),
    vector({
      name: 'nd/ns-for-vm-address',
      stage,
      intent: 'NS for a VM address: NA without the router flag.',
      input: layersInput(of1, ns(vm1, VM2.ip6)),
      expect: inPort(of1, fields(na({ to: VM1.mac, dst: VM1.ip6, target: VM2.ip6, mac: VM2.mac, flags: 'SO' })), {
        because: 'BEHAVIOUR.md 5: router flag only for router port addresses',
      }),
    }),
    vector({
      name: 'nd/ns-from-link-local',
      stage,
      intent: 'An NS from a link-local source is answered to that link-local address.',
      input: layersInput(of1, ns({ mac: VM1.mac, src: ipv6('fe80::f816:3eff:fe0a:1') }, RPA.ip6)),
      expect: inPort(
        of1,
        fields(na({ to: VM1.mac, dst: ipv6('fe80::f816:3eff:fe0a:1'), target: RPA.ip6, mac: RPA.mac, flags: 'RSO' })),
        advertised,
      ),
    }),
    vector({
      name: 'nd/ns-unicast-to-router',
      stage,
      intent: 'A unicast NS (neighbour unreachability detection) to the router is answered too.',
      input: layersInput(of1, ns({ ...vm1, ethDst: RPA.mac, dst: RPA.ip6 }, RPA.ip6)),
      expect: inPort(of1, fields(na({ to: VM1.mac, dst: VM1.ip6, target: RPA.ip6, mac: RPA.mac, flags: 'RSO' })), advertised),
    }),
    vector({
      name: 'nd/ns-without-source-lla',
      stage,
      intent: 'An NS without a source link-layer option is still answered, to the Ethernet source.',
      input: layersInput(of1, ns({ ...vm1, sll: false }, VM2.ip6)),
      expect: inPort(of1, fields(na({ to: VM1.mac, dst: VM1.ip6, target: VM2.ip6, mac: VM2.mac, flags: 'SO' })), advertised),
    }),
    vector({
      name: 'nd/ns-dad-answered-to-all-nodes',
      stage,
      intent: 'A DAD probe from :: for a taken address gets an NA to ff02::1 with solicited clear.',
      input: layersInput(of1, ns({ mac: VM1.mac, src: IPV6_ANY }, VM2.ip6)),
      expect: inPort(of1, fields(na({ to: mac('33:33:00:00:00:01'), dst: allNodes, target: VM2.ip6, mac: VM2.mac, flags: 'O' })), {
        because: 'BEHAVIOUR.md 5 and RFC 4861 7.2.4: source :: -> destination ff02::1, solicited = 0',
      }),
    }),
    vector({
      name: 'nd/ns-dad-from-owner-floods',
      stage,
      intent: "vm2's own DAD probe for its address (a SLAAC host checks the address it formed) is not answered: it floods.",
      input: layersInput(VM2.ofport as number, ns({ mac: VM2.mac, src: IPV6_ANY }, VM2.ip6)),
      expect: flood(NET_A, exact(ns({ mac: VM2.mac, src: IPV6_ANY }, VM2.ip6)), {
        because: 'BEHAVIOUR.md 5: an NS from the owner of the target is not answered (RFC 4862 5.4: the answer would fail its DAD)',
      }),
    }),
    vector({
      name: 'nd/ns-on-second-network',
      stage,
      intent: "Net-b's router address is answered on net-b with net-b's router MAC.",
      input: layersInput(VMB1.ofport as number, ns({ mac: VMB1.mac, src: VMB1.ip6 }, RPB.ip6)),
      expect: inPort(
        VMB1.ofport as number,
        fields(na({ to: VMB1.mac, dst: VMB1.ip6, target: RPB.ip6, mac: RPB.mac, flags: 'RSO' })),
        advertised,
      ),
    }),
    vector({
      name: 'nd/ns-from-spoofed-source',
      stage,
      intent: 'Port security applies to solicitations: a global source the port does not own is dropped before the responder.',
      input: layersInput(of1, ns({ mac: VM1.mac, src: ipv6('2001:db8:a::99') }, RPA.ip6)),
      expect: drop('port_sec_ip', 'BEHAVIOUR.md 4 comes before 5'),
    }),
    ...bothModes({
      name: 'nd/ns-hop-limit-not-255',
      stage,
      intent: 'An NS with hop limit 64 may have crossed a router and is invalid.',
      input: layersInput(of1, ns({ ...vm1, hopLimit: 64 }, RPA.ip6)),
      expect: drop('bad_icmp', 'RFC 4861 7.1.1: hop limit must be 255; BEHAVIOUR.md 5'),
    }),
    ...bothModes({
      name: 'nd/ns-bad-checksum',
      stage,
      intent: 'An NS with a wrong ICMPv6 checksum is consumed by the responder, so it is verified.',
      input: layersInput(of1, ns({ ...vm1, checksum: 'bad' }, RPA.ip6)),
      expect: drop('bad_l4_checksum', 'BEHAVIOUR.md checksums: NS checksum verified'),
    }),
    vector({
      name: 'nd/ns-code-not-zero',
      stage,
      intent: 'An NS with ICMP code 1 is not a valid solicitation.',
      input: layersInput(
        of1,
        nsWith(vm1, RPA.ip6, b => ({ ...b, code: 1 })),
      ),
      expect: drop('bad_icmp', 'RFC 4861 7.1.1: ICMP Code is 0; BEHAVIOUR.md 5'),
    }),
    vector({
      name: 'nd/ns-zero-length-option',
      stage,
      intent: 'An NS carrying an option of length 0 is not a valid solicitation.',
      input: layersInput(
        of1,
        nsWith(vm1, RPA.ip6, b => ({ ...b, body: concat(b.body.subarray(0, 20), Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0)) })),
      ),
      expect: drop('bad_icmp', 'RFC 4861 7.1.1: all included options have a length greater than zero'),
    }),
    vector({
      name: 'nd/ns-shorter-than-24-bytes',
      stage,
      intent: 'An ICMPv6 type 135 message of 20 bytes cannot hold the target address.',
      input: layersInput(
        of1,
        nsWith(vm1, RPA.ip6, b => ({ ...b, body: b.body.subarray(0, 16) })),
      ),
      expect: drop('bad_icmp', 'RFC 4861 7.1.1: ICMP length is 24 or more octets'),
    }),
    vector({
      name: 'nd/ns-dad-with-source-lla',
      stage,
      intent: 'A DAD probe (source ::) must not carry a source link-layer option.',
      input: layersInput(
        of1,
        nsWith({ mac: VM1.mac, src: IPV6_ANY }, VM2.ip6, b => ({ ...b, body: concat(b.body, ndLinkLayerOption(1, VM1.mac)) })),
      ),
      expect: drop('bad_icmp', 'RFC 4861 7.1.1: from the unspecified address, there is no source link-layer address option'),
    }),
    vector({
      name: 'nd/ns-dad-to-unicast',
      stage,
      intent: 'A DAD probe (source ::) must go to the solicited-node multicast address.',
      input: layersInput(of1, ns({ mac: VM1.mac, src: IPV6_ANY, dst: VM2.ip6, ethDst: VM2.mac }, VM2.ip6)),
      expect: drop('bad_icmp', 'RFC 4861 7.1.1: from the unspecified address, the destination is a solicited-node multicast address'),
    }),
    vector({
      name: 'nd/ns-for-unknown-target-floods',
      stage,
      intent: 'An NS for an address nobody registered is multicast and floods.',
      input: layersInput(of1, ns(vm1, ipv6('2001:db8:a::77'))),
      expect: flood(NET_A, exact(ns(vm1, ipv6('2001:db8:a::77'))), { because: 'BEHAVIOUR.md 5: continue; 9: multicast floods' }),
    }),
    vector({
      name: 'nd/router-solicitation-floods',
      stage,
      intent: 'A router solicitation on a network whose router port advertises nothing (no router_advert entry) floods.',
      input: layersInput(of1, [
        ethernet({ src: VM1.mac, dst: mac('33:33:00:00:00:02') }),
        ip6({ src: ipv6('fe80::f816:3eff:fe0a:1'), dst: ipv6('ff02::2'), hopLimit: 255 }),
        ndRs({ sll: VM1.mac }),
      ]),
      expect: flood(
        NET_A,
        exact([
          ethernet({ src: VM1.mac, dst: mac('33:33:00:00:00:02') }),
          ip6({ src: ipv6('fe80::f816:3eff:fe0a:1'), dst: ipv6('ff02::2'), hopLimit: 255 }),
          ndRs({ sll: VM1.mac }),
        ]),
        { because: 'BEHAVIOUR.md 5: solicitations are answered only where a router_advert entry exists' },
      ),
    }),
    vector({
      name: 'nd/unsolicited-na-floods',
      stage,
      intent: 'An unsolicited NA to all-nodes is switched (flooded), not consumed.',
      input: layersInput(of1, [
        ethernet({ src: VM1.mac, dst: mac('33:33:00:00:00:01') }),
        ip6({ src: VM1.ip6, dst: allNodes, hopLimit: 255 }),
        ndNa({ target: VM1.ip6, override: true, tll: VM1.mac }),
      ]),
      expect: flood(
        NET_A,
        exact([
          ethernet({ src: VM1.mac, dst: mac('33:33:00:00:00:01') }),
          ip6({ src: VM1.ip6, dst: allNodes, hopLimit: 255 }),
          ndNa({ target: VM1.ip6, override: true, tll: VM1.mac }),
        ]),
        { because: 'BEHAVIOUR.md 5 and 9' },
      ),
    }),
  ]
}

export function arpNdVectors(): Vector[] {
  return [...arpVectors(), ...ndVectors(), ...routerAdvertVectors()]
}
