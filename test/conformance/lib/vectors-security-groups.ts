// Security groups on the `security-groups` topology (lib/topologies.ts draws it): ls_in_acl applies the source
// port's egress rules, ls_out_acl the destination port's ingress rules (BEHAVIOUR.md "Security groups").
// Connection tracking itself (windows, flags, timeouts, ICMP errors) is lib/vectors-conntrack.ts.
import { BROADCAST_MAC, ipv4, ipv6, type Ipv6Address, type MacAddress } from '../../../datapath/host/addresses.js'
import {
  IP_PROTO,
  arp,
  echo4,
  ethernet,
  icmp4,
  icmp6,
  ip4,
  ip6,
  ip6Ext,
  ndNa,
  ndNs,
  ndRa,
  ndRs,
  raw,
  udp,
  type Layer,
} from '../../../datapath/host/packet-builder.js'
import type { Entry } from '../../../datapath/host/entries.js'
import { STAGE_IN_ACL, STAGE_OUT_ACL } from '../../../datapath/spec/stages.js'
import type { Vector } from '../vector-format.js'
import { ACK, PSH, SYN, TcpSession, echoHop, hop, udpHop, type Hop, type Side } from './conversation.js'
import {
  GW,
  NET_A,
  PROTO_TCP,
  RPA,
  SG_DEFAULT,
  SG_WEB,
  VM1,
  VM1_ACL,
  VM2,
  VM2_IN_DEFAULT,
  VM3,
  VM4,
  VM4_IN_CLIENTS,
  VM4_PAIR_IP,
  VM4_PAIR_MAC,
  VM5,
  VM6,
  VMB1,
  VMB2,
  WEB_TCP_80,
  WEB_TCP_8000_8080,
  SG_CLIENTS_RULES,
  type Host,
} from './topologies.js'
import {
  bothModes,
  drop,
  exact,
  flood,
  inPort,
  layersInput,
  linkLocalOf,
  output,
  punt,
  sequence,
  stageName,
  vector,
  type VectorSpec,
} from './vector-kit.js'

const TOPOLOGY = 'security-groups'
const inAcl = stageName(STAGE_IN_ACL)
const outAcl = stageName(STAGE_OUT_ACL)

// Clauses of BEHAVIOUR.md "Security groups", quoted by the vectors.
const WHERE = 'BEHAVIOUR.md Security groups, Where'
const ALWAYS = 'BEHAVIOUR.md Security groups, Always allowed'
const MATCH = 'BEHAVIOUR.md Security groups, A rule matches'
const STATEFUL = 'BEHAVIOUR.md Security groups, Stateful'
const STATELESS = 'BEHAVIOUR.md Security groups, Stateless'
const GAPS = 'BEHAVIOUR.md Security groups, Not covered'

const v = (spec: Omit<VectorSpec, 'topology'>): Vector => vector({ topology: TOPOLOGY, ...spec })
const both = (spec: Omit<VectorSpec, 'topology' | 'mode'>): Vector[] => bothModes({ topology: TOPOLOGY, ...spec })
const deny = (because: string) => drop('acl_deny', because)

// ---- sides ------------------------------------------------------------------------------------------------

const side = (host: Side['host'], ip?: Side['ip'], m?: MacAddress): Side => ({ host, ...(ip ? { ip } : {}), ...(m ? { mac: m } : {}) })
const vm1 = side(VM1)
const vm2 = side(VM2)
const vm3 = side(VM3)
const vm4 = side(VM4)
const vm5 = side(VM5)
const vm6 = side(VM6)
const vmb1 = side(VMB1)
const vmb2 = side(VMB2)
const gw = side(GW)
const vm1v6 = side(VM1, VM1.ip6)
const VM6_LL = linkLocalOf(VM6.mac)
const VM5_LL = linkLocalOf(VM5.mac)
const vm6ll = side(VM6, VM6_LL)
const vm5ll = side(VM5, VM5_LL)
const vm4ll = side(VM4, linkLocalOf(VM4.mac))
const vm2v6 = side(VM2, VM2.ip6)
/** vm5 has port security off: it may use any source address, which is how these vectors reach the edges. */
const vm5as = (ip: string): Side => side(VM5, ip.includes(':') ? ipv6(ip) : ipv4(ip))

/** A TCP SYN (RFC 9293 3.5: seq = ISN, no ACK) from `from` to `to`'s port `dport`. */
const syn = (from: Side, to: Side, dport: number, sport = 40000): Hop => new TcpSession(from, to, { sport, dport }).c(SYN)

// ---- frames the always-allowed clause names ------------------------------------------------------------

const ALL_ROUTERS = ipv6('ff02::2')
const MLDV2_ROUTERS = ipv6('ff02::16')
const DHCPV6_SERVERS = ipv6('ff02::1:2')
const UNKNOWN_V6_TARGET = ipv6('2001:db8:a::77')

/** An IPv6 frame from vm6's link-local address to a multicast group (multicast MAC, RFC 2464 7). */
function vm6ToGroup(group: Ipv6Address, hopLimit: number, l4: Layer[]): Layer[] {
  return [ethernet({ src: VM6.mac, dst: group.multicastMac() }), ip6({ src: VM6_LL, dst: group, hopLimit }), ...l4]
}
/** RFC 2711 router alert (value 0 = MLD) in a hop-by-hop header, as RFC 3810 5 requires of MLDv2 reports. */
const ROUTER_ALERT_MLD = ip6Ext({ ext: 'hop-by-hop', options: Uint8Array.of(5, 2, 0, 0) })
/** A DHCPv6 SOLICIT (RFC 8415 16.2): msg-type 1, transaction id, elapsed time option. */
const DHCPV6_SOLICIT = Uint8Array.of(1, 0x5a, 0x11, 0x7e, 0, 8, 0, 2, 0, 0)
/** A DHCPv6 ADVERTISE (msg-type 2) with the same transaction id. */
const DHCPV6_ADVERTISE = Uint8Array.of(2, 0x5a, 0x11, 0x7e)
/** A DHCPv4 server's message (67 -> 68) body; the bytes do not matter to the ACL stages. */
const BOOTP_REPLY = Uint8Array.of(2, 1, 6, 0, 0x12, 0x34, 0x56, 0x78)

/** vm5 (port security off) sends `l4` unicast to vm6's link-local address. */
const vm5ToVm6v6 = (l4: Layer[], hopLimit = 255): Layer[] => [
  ethernet({ src: VM5.mac, dst: VM6.mac }),
  ip6({ src: VM5_LL, dst: VM6_LL, hopLimit }),
  ...l4,
]
const toVm6 = (layers: Layer[], because: string) => ({
  input: layersInput(VM5.ofport as number, layers),
  expect: output(VM6.ofport as number, exact(layers), { because }),
})

// ---- ls_in_acl: the source port's egress rules --------------------------------------------------------

export function inAclVectors(): Vector[] {
  const stage = inAcl
  const of6 = VM6.ofport as number
  const floods = (layers: Layer[], because: string) => ({
    input: layersInput(of6, layers),
    expect: flood(NET_A, exact(layers), { because }),
  })
  const arpReq = [ethernet({ src: VM6.mac, dst: BROADCAST_MAC }), arp({ op: 1, sha: VM6.mac, spa: VM6.ip4, tpa: ipv4('10.0.0.200') })]
  const pingRouter = (h: Host) => [
    ethernet({ src: h.mac, dst: RPA.mac }),
    ip4({ src: h.ip4, dst: RPA.ip4, ttl: 64, id: 0x77, df: true }),
    echo4({ id: 0x51, seq: 2, data: Uint8Array.of(1, 2, 3, 4) }),
  ]
  const pongRouter = [
    ethernet({ src: RPA.mac, dst: VM2.mac }),
    ip4({ src: RPA.ip4, dst: VM2.ip4, ttl: 64, id: 0x77, df: true }),
    echo4({ reply: true, id: 0x51, seq: 2, data: Uint8Array.of(1, 2, 3, 4) }),
  ]
  /** UDP from a net-a host to 192.0.2.1, which router 1 has no route for. */
  const offNet = (h: Host) =>
    layersInput(h.ofport as number, [
      ethernet({ src: h.mac, dst: RPA.mac }),
      ip4({ src: h.ip4, dst: ipv4('192.0.2.1'), ttl: 64 }),
      udp({ sport: 40000, dport: 9 }),
      raw(new Uint8Array(4)),
    ])
  const vm5At192 = vm5as('192.0.2.50')
  const ping = echoHop(vm5At192, vm4, { id: 0x0c0c })
  const pong = echoHop(vm4, vm5At192, { id: 0x0c0c, reply: true })
  const vm4Udp = () => udpHop(vm4, vm5, 40000, 9999)
  const vm5Reply = () => udpHop(vm5, vm4, 9999, 40000)
  const egressAny4 = SG_CLIENTS_RULES[0] as Entry
  return [
    ...both({
      name: 'sg-egress/no-groups-udp-denied',
      stage,
      intent: 'vm6 has an acl_port with no groups: its UDP to vm2 matches no egress rule.',
      input: udpHop(vm6, vm2, 40000, 9).input,
      expect: deny(`${ALWAYS}: an entry with no groups passes only what is always allowed`),
    }),
    v({
      name: 'sg-egress/no-groups-arp-passes',
      stage,
      intent: "ARP is not IP: vm6's ARP request floods although vm6 has no rules.",
      ...floods(arpReq, `${WHERE}: only IPv4 and IPv6 are checked; ARP passes`),
    }),
    v({
      name: 'sg-egress/no-groups-dhcp-server-reply-denied',
      stage,
      intent: 'A DHCP server message (UDP 67 -> 68) from an instance is not the client direction that is always allowed.',
      input: udpHop(vm6, vm2, 67, 68, BOOTP_REPLY).input,
      expect: deny(`${ALWAYS}: DHCPv4 67 -> 68 only ingress (egress is 68 -> 67), as Neutron's DHCP-spoofing rule`),
    }),
    v({
      name: 'sg-egress/no-groups-dhcpv6-solicit-allowed',
      stage,
      intent: 'A DHCPv6 SOLICIT (546 -> 547) from vm6 is always allowed out and floods.',
      ...floods(
        vm6ToGroup(DHCPV6_SERVERS, 1, [udp({ sport: 546, dport: 547 }), raw(DHCPV6_SOLICIT)]),
        `${ALWAYS}: DHCPv6 546 -> 547 egress; multicast floods`,
      ),
    }),
    v({
      name: 'sg-egress/no-groups-dhcpv6-server-reply-denied',
      stage,
      intent: 'A DHCPv6 server message (547 -> 546) from vm6 is not always allowed out.',
      input: udpHop(vm6ll, vm2v6, 547, 546, DHCPV6_ADVERTISE).input,
      expect: deny(`${ALWAYS}: DHCPv6 547 -> 546 only ingress`),
    }),
    v({
      name: 'sg-egress/no-groups-neighbour-solicitation',
      stage,
      intent: "A neighbour solicitation for a target nobody answers passes vm6's empty rules and floods.",
      ...floods(
        vm6ToGroup(UNKNOWN_V6_TARGET.solicitedNode(), 255, [ndNs({ target: UNKNOWN_V6_TARGET, sll: VM6.mac })]),
        `${ALWAYS}: ICMPv6 135 both directions`,
      ),
    }),
    v({
      name: 'sg-egress/no-groups-router-solicitation',
      stage,
      intent: 'A router solicitation from vm6 is always allowed.',
      ...floods(vm6ToGroup(ALL_ROUTERS, 255, [ndRs({ sll: VM6.mac })]), `${ALWAYS}: ICMPv6 133 both directions`),
    }),
    v({
      name: 'sg-egress/no-groups-mldv2-report',
      stage,
      intent: 'An MLDv2 report behind a hop-by-hop header is always allowed: the type is read after the extension header.',
      ...floods(
        vm6ToGroup(MLDV2_ROUTERS, 1, [ROUTER_ALERT_MLD, icmp6({ type: 143, code: 0, body: new Uint8Array(4) })]),
        `${ALWAYS}: ICMPv6 143; ${MATCH}: IPv6 protocol = the upper layer after extension headers`,
      ),
    }),
    v({
      name: 'sg-egress/no-groups-icmpv6-echo-denied',
      stage,
      intent: 'ICMPv6 echo is not in the always-allowed list: vm6 may not ping vm2.',
      input: echoHop(vm6ll, vm2v6).input,
      expect: deny(`${ALWAYS}: only ICMPv6 130-136 and 143`),
    }),
    v({
      name: 'sg-egress/no-groups-echo-to-router-denied',
      stage,
      intent: "The router answers pings in place, but only after the sender's egress rules: vm6 has none.",
      input: layersInput(of6, pingRouter(VM6)),
      expect: deny(`${GAPS}: in-place answers skip only the destination's rules; stages.ts: in_acl comes before l3_route`),
    }),
    v({
      name: 'sg-egress/default-echo-to-router-answered',
      stage,
      intent: 'vm2 (egress any) pings its router, which answers in place.',
      input: layersInput(VM2.ofport as number, pingRouter(VM2)),
      expect: inPort(VM2.ofport as number, exact(pongRouter), { because: `${MATCH}: egress any; BEHAVIOUR.md 7: echo reply in place` }),
    }),
    v({
      name: 'sg-egress/no-groups-to-remote-port-denied',
      stage,
      intent: "Egress rules are enforced on the sender's chassis even when the destination is remote.",
      input: udpHop(vm6, vm3, 40000, 9).input,
      expect: deny(`${WHERE}: the in_* pair enforces the source port's egress rules on the source's chassis`),
    }),
    v({
      name: 'sg-egress/no-groups-broadcast-denied',
      stage,
      intent: "A broadcast that is not DHCP is checked by the sender's egress rules before it floods.",
      input: layersInput(of6, [
        ethernet({ src: VM6.mac, dst: BROADCAST_MAC }),
        ip4({ src: VM6.ip4, dst: ipv4('10.0.0.255'), ttl: 64 }),
        udp({ sport: 40000, dport: 9 }),
        raw(new Uint8Array(4)),
      ]),
      expect: deny(`${GAPS}: flooded IP traffic is checked by the source port's egress rules`),
    }),
    v({
      name: 'sg-egress/prefix-rule-outside-denied',
      stage,
      intent: "vm4's group allows egress to 10.0.0.0/8 only: an off-net destination is refused before routing.",
      input: offNet(VM4),
      expect: deny(`${MATCH}: the destination is inside remote_prefix (egress rule)`),
    }),
    v({
      name: 'sg-egress/egress-any-then-no-route',
      stage,
      intent: 'vm2 (egress any) passes its rules; then the router has no route.',
      input: offNet(VM2),
      expect: punt('punt_icmp_error', `${MATCH}: egress any; BEHAVIOUR.md 7: route miss`),
    }),
    v({
      name: 'sg-egress/prefix-rule-inside-allowed',
      stage,
      intent: 'vm4 may send to 10.0.0.9 (inside 10.0.0.0/8); vm5 has no rules of its own.',
      input: vm4Udp().input,
      expect: vm4Udp().deliver(`${MATCH}: inside remote_prefix; ${WHERE}: no acl_port for vm5 (port security off)`),
    }),
    v({
      name: 'sg-egress/ipv6-any-rule',
      stage,
      intent: "vm4's IPv6 egress rule has no remote: link-local UDP to vm5 passes.",
      input: udpHop(vm4ll, vm5ll, 40000, 9).input,
      expect: udpHop(vm4ll, vm5ll, 40000, 9).deliver(`${MATCH}: neither remote given = any address of the family`),
    }),
    v({
      name: 'sg-egress/stateless-tcp80-to-net-a',
      stage,
      intent: "vmb1's stateless group allows TCP 80 to 10.0.0.0/24; routed to vm1, whose web group allows it.",
      input: syn(vmb1, vm1, 80).input,
      expect: syn(vmb1, vm1, 80).deliver(`${STATELESS}; ${MATCH}: port and prefix; routed (BEHAVIOUR.md 7-8)`),
    }),
    v({
      name: 'sg-egress/stateless-tcp22-denied',
      stage,
      intent: 'vmb1 has no egress rule for TCP 22.',
      input: syn(vmb1, vm1, 22).input,
      expect: deny(`${MATCH}: destination port in [port_min, port_max]`),
    }),
    v({
      name: 'sg-egress/stateless-tcp80-outside-prefix',
      stage,
      intent: "vmb1's TCP 80 rule covers 10.0.0.0/24 only, not the gateway on its own network.",
      input: syn(vmb1, gw, 80).input,
      expect: deny(`${MATCH}: the destination must be inside remote_prefix`),
    }),
    v({
      name: 'sg-egress/stateless-ipv6-denied',
      stage,
      intent: 'vmb1 has IPv4 rules only: IPv6 from it matches nothing.',
      input: udpHop(side(VMB1, VMB1.ip6), side(GW, GW.ip6), 40000, 9).input,
      expect: deny(`${MATCH}: its family is the packet's`),
    }),
    v({
      name: 'sg-egress/stateless-echo-allowed',
      stage,
      intent: 'vmb1 may send ICMP echo (type 8); vm1 allows echo from 10.1.0.0/24.',
      input: echoHop(vmb1, vm1).input,
      expect: echoHop(vmb1, vm1).deliver(`${MATCH}: ICMP type equals icmp_type, code absent = any`),
    }),
    v({
      name: 'sg-egress/stateless-timestamp-denied',
      stage,
      intent: "vmb1's ICMP rule is for type 8: a timestamp request (13) is refused.",
      input: hop(vmb1, vm1, [icmp4({ type: 13, code: 0, rest: Uint8Array.of(0, 7, 0, 1), payload: new Uint8Array(12) })]).input,
      expect: deny(`${MATCH}: the ICMP type must equal icmp_type`),
    }),
    v({
      name: 'sg-egress/port-security-off-unchecked',
      stage,
      intent: 'vm5 has no acl_port: nothing checks its egress; vm1 allows TCP 443 from anywhere.',
      input: syn(vm5, vm1, 443).input,
      expect: syn(vm5, vm1, 443).deliver(`${WHERE}: no entry = pass`),
    }),
    sequence({
      name: 'sg-egress/reply-passes-without-egress-rule',
      stage,
      topology: TOPOLOGY,
      intent: 'vm4 answers a ping from 192.0.2.50, which its egress rules (10.0.0.0/8) would refuse: a reply is not checked against them.',
      steps: [
        {
          now_ms: 1000,
          note: 'echo request from 192.0.2.50 (vm4 allows it)',
          input: ping.input,
          expect: ping.deliver(`${MATCH}: ICMP type 8 from 192.0.2.0/24`),
        },
        {
          now_ms: 1001,
          note: "vm4's echo reply",
          input: pong.input,
          expect: pong.deliver(`${STATEFUL} 2: a reply passes, no rule looked at`),
        },
        {
          now_ms: 1002,
          note: 'vm4 pings 192.0.2.50 itself',
          input: echoHop(vm4, vm5At192, { id: 0x0d0d }).input,
          expect: deny(`${STATEFUL} 4: a new connection: the egress rules decide (10.0.0.0/8 only)`),
        },
      ],
    }),
    sequence({
      name: 'sg-egress/rule-removed-mid-connection',
      stage,
      topology: TOPOLOGY,
      intent:
        "vm4's egress rule goes while a UDP flow is open: its next packet is refused, the reply is blocked; the rule back, both pass again.",
      steps: [
        { now_ms: 1000, note: 'request', input: vm4Udp().input, expect: vm4Udp().deliver(`${MATCH}: inside 10.0.0.0/8`) },
        {
          now_ms: 1001,
          note: 'reply',
          input: vm5Reply().input,
          expect: vm5Reply().deliver(`${STATEFUL} 2: a reply of an allowed connection`),
        },
        {
          now_ms: 1002,
          note: 'request after the egress rule went',
          remove: [egressAny4],
          input: vm4Udp().input,
          expect: deny(`${STATEFUL} 4: rules checked on every packet in the original direction; the connection is marked blocked`),
        },
        {
          now_ms: 1003,
          note: 'reply of the blocked connection',
          input: vm5Reply().input,
          expect: drop('ct_blocked', `${STATEFUL} 3: a reply of a blocked connection`),
        },
        {
          now_ms: 1004,
          note: 'request after the rule came back',
          entries: [egressAny4],
          input: vm4Udp().input,
          expect: vm4Udp().deliver(`${STATEFUL} 4: allowed again: committed, the connection unblocked`),
        },
        { now_ms: 1005, note: 'reply', input: vm5Reply().input, expect: vm5Reply().deliver(`${STATEFUL} 2: unblocked`) },
      ],
    }),
  ]
}

// ---- ls_out_acl: the destination port's ingress rules -------------------------------------------------

export function outAclVectors(): Vector[] {
  const stage = outAcl
  const to = (h: Hop, because: string) => ({ input: h.input, expect: h.deliver(because) })
  const denied = (h: Hop, because: string) => ({ input: h.input, expect: deny(because) })
  const vm4pairCidr = side(VM4, ipv4('10.0.5.77'))
  const vm4pairMac = side(VM4, VM4_PAIR_IP, VM4_PAIR_MAC)
  const vm5net = vm5as('198.51.100.9') // outside every remote prefix of vmb1's group
  const icmpTo = (from: Side, type: number, code: number) =>
    hop(from, vmb1, [icmp4({ type, code, rest: new Uint8Array(4), payload: new Uint8Array(28) })])
  const laterFragment = (protocol: number) => hop(vm5, vmb1, [raw(new Uint8Array(24).fill(0x5f))], { fragOffset: 185, protocol })
  const broadcast = [
    ethernet({ src: VM2.mac, dst: BROADCAST_MAC }),
    ip4({ src: VM2.ip4, dst: ipv4('10.0.0.255'), ttl: 64 }),
    udp({ sport: 40000, dport: 9 }),
    raw(new Uint8Array(4)),
  ]
  const arpReply = [ethernet({ src: VM6.mac, dst: VM2.mac }), arp({ op: 2, sha: VM6.mac, spa: VM6.ip4, tha: VM2.mac, tpa: VM2.ip4 })]
  const webRule = (rule: number, o: Partial<Entry> & object): Entry =>
    ({ stage: 'acl_rule', group: SG_WEB, rule, direction: 'ingress', family: 4, protocol: PROTO_TCP, ...o }) as Entry
  return [
    ...both({
      name: 'sg-ingress/member-allowed',
      stage,
      intent: 'vm2 is a member of default, whose ingress rule allows its members: TCP 22 to vm1 passes.',
      ...to(syn(vm2, vm1, 22), `${MATCH}: the source is inside an acl_member prefix of remote_group`),
    }),
    ...both({
      name: 'sg-ingress/non-member-denied',
      stage,
      intent: 'vm4 is not a member of default and web has no rule for TCP 22.',
      ...denied(syn(vm4, vm1, 22), `${MATCH}: no rule of vm1's groups matches; ${STATEFUL} 4: acl_deny`),
    }),
    v({
      name: 'sg-ingress/union-of-groups',
      stage,
      intent: "vm1 is in default and web: web's TCP 80 rule lets vm4 in although default does not.",
      ...to(syn(vm4, vm1, 80), `${WHERE}: a port's groups are a union`),
    }),
    v({
      name: 'sg-ingress/tcp443-any-source',
      stage,
      intent: 'TCP 443 from 0.0.0.0/0.',
      ...to(syn(vm4, vm1, 443), `${MATCH}: port 443 in [443, 443]`),
    }),
    v({
      name: 'sg-ingress/tcp444-denied',
      stage,
      intent: 'The port next to an allowed one is not allowed.',
      ...denied(syn(vm4, vm1, 444), `${MATCH}: 444 not in [443, 443]`),
    }),
    v({
      name: 'sg-ingress/range-below-denied',
      stage,
      intent: '7999 is one below the 8000-8080 range.',
      ...denied(syn(vm4, vm1, 7999), `${MATCH}: 7999 < port_min 8000`),
    }),
    v({
      name: 'sg-ingress/range-first-allowed',
      stage,
      intent: "8000 is the range's first port.",
      ...to(syn(vm4, vm1, 8000), `${MATCH}: port_min is inclusive`),
    }),
    v({
      name: 'sg-ingress/range-middle-allowed',
      stage,
      intent: '8042 is inside 8000-8080.',
      ...to(syn(vm4, vm1, 8042), `${MATCH}: inside [8000, 8080]`),
    }),
    v({
      name: 'sg-ingress/range-last-allowed',
      stage,
      intent: "8080 is the range's last port (and a second rule's only one).",
      ...to(syn(vm4, vm1, 8080), `${MATCH}: port_max is inclusive`),
    }),
    v({
      name: 'sg-ingress/range-above-denied',
      stage,
      intent: '8081 is one above the range.',
      ...denied(syn(vm4, vm1, 8081), `${MATCH}: 8081 > port_max 8080`),
    }),
    v({
      name: 'sg-ingress/range-without-remote-any-source',
      stage,
      intent: 'The 8000-8080 rule names no remote: a source on net-b (from a tunnel) is allowed too.',
      ...to(syn(vmb2, vm1, 8080), `${MATCH}: neither remote given = anything`),
    }),
    v({
      name: 'sg-ingress/remote-group-member',
      stage,
      intent: 'vm4 is a member of clients: UDP 53 to vm1 passes.',
      ...to(udpHop(vm4, vm1, 40000, 53), `${MATCH}: remote_group clients; entries.ts AclMemberEntry: its fixed IP`),
    }),
    v({
      name: 'sg-ingress/remote-group-pair-cidr',
      stage,
      intent: "vm4's allowed-address-pair CIDR 10.0.5.0/24 makes 10.0.5.77 a member address.",
      ...to(udpHop(vm4pairCidr, vm1, 40000, 53), 'entries.ts AclMemberEntry: allowed address pairs as given, possibly wider prefixes'),
    }),
    v({
      name: 'sg-ingress/remote-group-pair-mac-address',
      stage,
      intent: "The address of vm4's second MAC is a member address too.",
      ...to(udpHop(vm4pairMac, vm1, 40000, 53), 'entries.ts AclMemberEntry: each allowed address pair'),
    }),
    v({
      name: 'sg-ingress/remote-group-non-member',
      stage,
      intent: 'vm5 (10.0.0.9) is in no group: UDP 53 to vm1 is refused.',
      ...denied(udpHop(vm5, vm1, 40000, 53), `${MATCH}: the source must be inside a member prefix`),
    }),
    v({
      name: 'sg-ingress/remote-group-pair-cidr-last-address',
      stage,
      intent: '10.0.5.255 is the last address of the member CIDR.',
      ...to(udpHop(vm5as('10.0.5.255'), vm1, 40000, 53), `${MATCH}: inside 10.0.5.0/24`),
    }),
    v({
      name: 'sg-ingress/remote-group-past-pair-cidr',
      stage,
      intent: '10.0.6.0 is the first address past the member CIDR.',
      ...denied(udpHop(vm5as('10.0.6.0'), vm1, 40000, 53), `${MATCH}: outside 10.0.5.0/24`),
    }),
    v({
      name: 'sg-ingress/udp-closed-port',
      stage,
      intent: 'UDP 54 to vm1: no rule.',
      ...denied(udpHop(vm4, vm1, 40000, 54), `${MATCH}: 54 not in [53, 53]`),
    }),
    v({
      name: 'sg-ingress/protocol-must-match',
      stage,
      intent: 'TCP to port 53: the rule is for UDP.',
      ...denied(syn(vm4, vm1, 53), `${MATCH}: its protocol equals the IP protocol`),
    }),
    v({
      name: 'sg-ingress/icmp-type-from-prefix',
      stage,
      intent: 'vmb2 (10.1.0.6, via the tunnel) pings vm1: web allows echo from 10.1.0.0/24.',
      ...to(echoHop(vmb2, vm1), `${MATCH}: type 8 and the source inside remote_prefix`),
    }),
    v({
      name: 'sg-ingress/icmp-type-outside-prefix',
      stage,
      intent: 'vm4 (10.0.0.8) pings vm1: outside 10.1.0.0/24.',
      ...denied(echoHop(vm4, vm1), `${MATCH}: the source must be inside remote_prefix`),
    }),
    v({
      name: 'sg-ingress/icmp-other-type-denied',
      stage,
      intent: 'A timestamp request (13) from 10.1.0.6 is not an echo.',
      ...denied(
        hop(vmb2, vm1, [icmp4({ type: 13, code: 0, rest: Uint8Array.of(0, 7, 0, 1), payload: new Uint8Array(12) })]),
        `${MATCH}: type must equal icmp_type`,
      ),
    }),
    v({
      name: 'sg-ingress/icmp-type-and-code',
      stage,
      intent: 'vmb1 (stateless) allows ICMP 3/4 (fragmentation needed) from anywhere.',
      ...to(icmpTo(vm5net, 3, 4), `${STATELESS}; ${MATCH}: type and code equal`),
    }),
    v({
      name: 'sg-ingress/icmp-type-other-code',
      stage,
      intent: 'ICMP 3/3 is the same type with another code.',
      ...denied(icmpTo(vm5net, 3, 3), `${MATCH}: the code must equal icmp_code`),
    }),
    v({
      name: 'sg-ingress/icmp-type-any-code',
      stage,
      intent: 'vmb1 allows echo replies (type 0, any code) without tracking any request.',
      ...to(
        hop(vm5net, vmb1, [echo4({ reply: true, id: 0x2222, seq: 1 })]),
        `${STATELESS}: every packet is checked against the rules; ${MATCH}: code absent = any`,
      ),
    }),
    v({
      name: 'sg-ingress/icmp-echo-request-no-rule',
      stage,
      intent: 'vmb1 has no ingress rule for echo requests from 198.51.100.9.',
      ...denied(hop(vm5net, vmb1, [echo4({ id: 0x2222, seq: 1 })]), `${MATCH}`),
    }),
    v({
      name: 'sg-ingress/icmp-any-type-from-prefix',
      stage,
      intent: 'vmb1 allows every ICMP type from 10.0.0.0/24: a timestamp from vm5 passes.',
      ...to(
        hop(vm5, vmb1, [icmp4({ type: 13, code: 0, rest: Uint8Array.of(0, 7, 0, 1), payload: new Uint8Array(12) })]),
        `${MATCH}: type absent = any`,
      ),
    }),
    v({
      name: 'sg-ingress/stateless-range-below',
      stage,
      intent: "32767 is below vmb1's 32768-60999 range.",
      ...denied(syn(vm5, vmb1, 32767), `${MATCH}: below port_min`),
    }),
    v({
      name: 'sg-ingress/stateless-range-first',
      stage,
      intent: '32768 is the first port.',
      ...to(syn(vm5, vmb1, 32768), `${STATELESS}; ${MATCH}: port_min inclusive`),
    }),
    v({
      name: 'sg-ingress/stateless-range-last',
      stage,
      intent: '60999 is the last port.',
      ...to(syn(vm5, vmb1, 60999), `${MATCH}: port_max inclusive`),
    }),
    v({
      name: 'sg-ingress/stateless-range-above',
      stage,
      intent: '61000 is above the range.',
      ...denied(syn(vm5, vmb1, 61000), `${MATCH}: above port_max`),
    }),
    v({
      name: 'sg-ingress/stateless-outside-prefix',
      stage,
      intent: "The gateway (10.1.0.254) is outside 10.0.0.0/24, the range rule's remote prefix.",
      ...denied(syn(gw, vmb1, 40000), `${MATCH}: source inside remote_prefix`),
    }),
    v({
      name: 'sg-ingress/stateless-not-tracked',
      stage,
      intent: 'SYN+FIN is invalid to conntrack, but vmb1 is stateless: only its rules decide.',
      ...to(new TcpSession(vm5, vmb1, { sport: 40000, dport: 40000 }).c(SYN | 0x01), `${STATELESS}: no connection is looked up`),
    }),
    v({
      name: 'sg-ingress/later-fragment-port-rule',
      stage,
      intent: "A later TCP fragment has no ports: vmb1's TCP range rule cannot match it.",
      ...denied(laterFragment(IP_PROTO.TCP), `${MATCH}: a later fragment matches only rules without ports or type`),
    }),
    v({
      name: 'sg-ingress/later-fragment-rule-without-type',
      stage,
      intent: 'A later ICMP fragment matches the ICMP rule that names no type.',
      ...to(laterFragment(IP_PROTO.ICMP), `${MATCH}: rules without ports or type match later fragments`),
    }),
    v({
      name: 'sg-ingress/port-security-off-destination',
      stage,
      intent: "vm5 has no acl_port: anything to it passes (vm2's egress is any).",
      ...to(syn(vm2, vm5, 22), `${WHERE}: no entry = pass`),
    }),
    v({
      name: 'sg-ingress/no-groups-denied',
      stage,
      intent: "vm6 has no groups: vm2's UDP to it is refused.",
      ...denied(udpHop(vm2, vm6, 40000, 9), `${ALWAYS}: an entry with no groups passes only what is always allowed`),
    }),
    v({
      name: 'sg-ingress/no-groups-dhcp-server-reply',
      stage,
      intent: 'A DHCP server reply (67 -> 68) reaches vm6 although it has no rules.',
      ...to(udpHop(vm5, vm6, 67, 68, BOOTP_REPLY), `${ALWAYS}: DHCPv4 67 -> 68 ingress`),
    }),
    v({
      name: 'sg-ingress/no-groups-dhcp-other-port',
      stage,
      intent: 'UDP 67 -> 69 is not DHCP.',
      ...denied(udpHop(vm5, vm6, 67, 69, BOOTP_REPLY), `${ALWAYS}: exactly 67 -> 68`),
    }),
    v({
      name: 'sg-ingress/no-groups-dhcpv6-reply',
      stage,
      intent: 'A DHCPv6 ADVERTISE (547 -> 546) reaches vm6.',
      ...toVm6(vm5ToVm6v6([udp({ sport: 547, dport: 546 }), raw(DHCPV6_ADVERTISE)], 64), `${ALWAYS}: DHCPv6 547 -> 546 ingress`),
    }),
    v({
      name: 'sg-ingress/no-groups-neighbour-advertisement',
      stage,
      intent: 'A unicast neighbour advertisement reaches vm6 (vm5 has port security off, so it is not checked there).',
      ...toVm6(vm5ToVm6v6([ndNa({ target: VM5_LL, solicited: true, override: true, tll: VM5.mac })]), `${ALWAYS}: ICMPv6 136`),
    }),
    v({
      name: 'sg-ingress/no-groups-unicast-solicitation',
      stage,
      intent: "A unicast neighbour solicitation (unreachability detection) for vm6's link-local address reaches vm6.",
      ...toVm6(vm5ToVm6v6([ndNs({ target: VM6_LL, sll: VM5.mac })]), `${ALWAYS}: ICMPv6 135; the responder has no entry for it`),
    }),
    v({
      name: 'sg-ingress/no-groups-router-advertisement',
      stage,
      intent: 'A unicast router advertisement (RFC 4861 6.2.6, answering a solicitation) reaches vm6.',
      ...toVm6(
        vm5ToVm6v6([ndRa({ sll: VM5.mac, prefixes: [{ prefix: ipv6('2001:db8:a::'), length: 64 }] })]),
        `${ALWAYS}: ICMPv6 134 ingress`,
      ),
    }),
    v({
      name: 'sg-ingress/no-groups-mld-query',
      stage,
      intent: 'A unicast MLD query (RFC 3810 5.1.15) reaches vm6.',
      ...toVm6(vm5ToVm6v6([ROUTER_ALERT_MLD, icmp6({ type: 130, code: 0, body: new Uint8Array(20) })], 1), `${ALWAYS}: ICMPv6 130`),
    }),
    v({
      name: 'sg-ingress/no-groups-icmpv6-echo',
      stage,
      intent: 'ICMPv6 echo is not always allowed: vm6 refuses it.',
      ...denied(echoHop(vm5ll, vm6ll), `${ALWAYS}: echo (128) is not listed`),
    }),
    v({
      name: 'sg-ingress/arp-not-checked',
      stage,
      intent: 'An ARP reply to vm2 passes its ingress rules: only IP is checked.',
      input: layersInput(VM6.ofport as number, arpReply),
      expect: output(VM2.ofport as number, exact(arpReply), { because: `${WHERE}: ARP and other ethertypes pass` }),
    }),
    v({
      name: 'sg-ingress/flood-not-checked-by-destinations',
      stage,
      intent: "A broadcast from vm2 floods, vm6 included: destinations' ingress rules apply to unicast only.",
      input: layersInput(VM2.ofport as number, broadcast),
      expect: flood(NET_A, exact(broadcast), { because: `${GAPS}: flooded IP traffic is checked by the source's egress rules only` }),
    }),
    v({
      name: 'sg-ingress/ipv6-member-routed',
      stage,
      intent: "The gateway's IPv6 address is a member of default: TCP 22 to vm1 over the router passes.",
      ...to(syn(side(GW, GW.ip6), vm1v6, 22), `${MATCH}: IPv6 members (/128); routed`),
    }),
    v({
      name: 'sg-ingress/ipv6-non-member',
      stage,
      intent: "vmb2's IPv6 address is no member: TCP 22 is refused.",
      ...denied(syn(side(VMB2, VMB2.ip6), vm1v6, 22), `${MATCH}: not inside any IPv6 member prefix`),
    }),
    v({
      name: 'sg-ingress/ipv6-port-rule',
      stage,
      intent: 'web allows IPv6 TCP 80 from ::/0.',
      ...to(syn(side(VMB2, VMB2.ip6), vm1v6, 80), `${MATCH}: family 6, port 80`),
    }),
    v({
      name: 'sg-ingress/icmpv6-type-from-prefix',
      stage,
      intent: 'web allows ICMPv6 echo (128) from 2001:db8:b::/64.',
      ...to(echoHop(side(VMB2, VMB2.ip6), vm1v6), `${MATCH}: ICMPv6 type 128`),
    }),
    v({
      name: 'sg-ingress/icmpv6-type-outside-prefix',
      stage,
      intent: 'An ICMPv6 echo from 2001:db8:a::9 is outside 2001:db8:b::/64.',
      ...denied(echoHop(vm5as('2001:db8:a::9'), vm1v6), `${MATCH}: source inside remote_prefix`),
    }),
    v({
      name: 'sg-ingress/member-ipv4-only',
      stage,
      intent: 'vm3 is a member by its IPv4 address only: from an IPv6 address it is not.',
      ...denied(syn(side(VM3, ipv6('2001:db8:a::7')), vm1v6, 22), `${MATCH}: the family is the packet's; members are per address`),
    }),
    v({
      name: 'sg-ingress/from-tunnel-member',
      stage,
      intent: "vm3 (remote) is a member of default: from the tunnel, only vm2's ingress rules apply, and they allow it.",
      ...to(syn(vm3, vm2, 22), `${WHERE}: packets from a tunnel skip the in_* pair`),
    }),
    v({
      name: 'sg-ingress/from-tunnel-non-member',
      stage,
      intent: 'vmb2 (remote) is no member: the gateway refuses TCP 22 from it.',
      ...denied(syn(vmb2, gw, 22), `${WHERE}: the destination's ingress rules apply on its chassis`),
    }),
    v({
      name: 'sg-ingress/to-remote-port',
      stage,
      intent: "vm3 is remote: its ingress rules are enforced on its own chassis, so vm2's SYN goes to the tunnel.",
      ...to(syn(vm2, vm3, 22), `${WHERE}: a remote port has no acl_port here`),
    }),
    v({
      name: 'sg-ingress/to-remote-port-non-member',
      stage,
      intent: "vm4 -> vm3 TCP 22 is not checked against vm3's rules here either (vm4's egress allows it).",
      ...to(syn(vm4, vm3, 22), `${WHERE}: out_* skipped for a remote port`),
    }),
    v({
      name: 'sg-ingress/routed-member',
      stage,
      intent: 'vm2 reaches the gateway over the router; the gateway allows its default members.',
      ...to(syn(vm2, gw, 22), `${WHERE}: ls_out_acl after routing, on the destination's network`),
    }),
    v({
      name: 'sg-ingress/routed-non-member',
      stage,
      intent: 'vm4 passes its own egress rules (10.0.0.0/8) but the gateway refuses it.',
      ...denied(syn(vm4, gw, 22), `${WHERE}: the destination's ingress rules`),
    }),
    v({
      name: 'sg-ingress/overlap-one-removed',
      stage,
      intent: "Two rules allow vm2 TCP 80 (web's from 0.0.0.0/0, default's from members): without web's, it still passes.",
      remove: [WEB_TCP_80],
      ...to(syn(vm2, vm1, 80), `${MATCH}: allow-only, so overlap does not matter`),
    }),
    v({
      name: 'sg-ingress/overlap-removed-only-rule',
      stage,
      intent: "For vm4, web's TCP 80 rule was the only one.",
      remove: [WEB_TCP_80],
      ...denied(syn(vm4, vm1, 80), `${MATCH}: no rule left`),
    }),
    v({
      name: 'sg-ingress/overlap-range-removed-edge-kept',
      stage,
      intent: 'Without the 8000-8080 range, 8080 from net-a is still allowed by its own rule.',
      remove: [WEB_TCP_8000_8080],
      ...to(syn(vm4, vm1, 8080), `${MATCH}: the rule TCP 8080 from 10.0.0.0/24`),
    }),
    v({
      name: 'sg-ingress/overlap-range-removed',
      stage,
      intent: 'Without the range, 8000 is not allowed.',
      remove: [WEB_TCP_8000_8080],
      ...denied(syn(vm4, vm1, 8000), `${MATCH}`),
    }),
    v({
      name: 'sg-ingress/rule-added',
      stage,
      intent: 'A rule added to web (TCP 22 from 10.0.0.8/32) lets vm4 in.',
      entries: [webRule(20, { port_min: 22, port_max: 22, remote_prefix: '10.0.0.8/32' })],
      ...to(syn(vm4, vm1, 22), `${MATCH}`),
    }),
    v({
      name: 'sg-ingress/empty-remote-group',
      stage,
      intent: 'A rule naming a group with no members matches nothing.',
      entries: [webRule(21, { port_min: 9999, port_max: 9999, remote_group: 9 })],
      ...denied(syn(vm4, vm1, 9999), `${MATCH}: a rule naming an empty remote group matches nothing`),
    }),
    v({
      name: 'sg-ingress/member-added',
      stage,
      intent: 'vm4 becomes a member of default: its TCP 22 to vm1 passes.',
      entries: [{ stage: 'acl_member', group: SG_DEFAULT, prefix: '10.0.0.8/32' }],
      ...to(syn(vm4, vm1, 22), `${MATCH}: remote_group members`),
    }),
    v({
      name: 'sg-ingress/member-removed',
      stage,
      intent: 'vm2 leaves default: its new connection to vm1 is refused.',
      remove: [VM2_IN_DEFAULT],
      ...denied(syn(vm2, vm1, 22), `${MATCH}: no longer inside a member prefix`),
    }),
    v({
      name: 'sg-ingress/port-leaves-group',
      stage,
      intent: 'vm1 leaves web: TCP 80 from vm4 is refused.',
      entries: [{ ...VM1_ACL, groups: [SG_DEFAULT] }],
      ...denied(syn(vm4, vm1, 80), `${WHERE}: the union of the port's groups`),
    }),
    v({
      name: 'sg-ingress/acl-port-removed',
      stage,
      intent: 'With its acl_port gone (port security turned off), vm1 accepts what its groups refused.',
      remove: [VM1_ACL],
      ...to(syn(vm4, vm1, 22), `${WHERE}: no entry = pass`),
    }),
    ...changeSequences(),
  ]
}

/** Open connections while rules, members and groups change (BEHAVIOUR.md Stateful: "So the rules are checked again"). */
function changeSequences(): Vector[] {
  const stage = outAcl
  const again = `${STATEFUL}: the rules are checked again on every packet of a connection in its original direction`
  const dns = () => udpHop(vm4, vm1, 40000, 53)
  const dnsReply = () => udpHop(vm1, vm4, 53, 40000)
  const web = () => new TcpSession(vm4, vm1, { sport: 40000, dport: 80 })
  const handshake = (s: TcpSession, t = 1000) => {
    const [a, b, c] = [s.c(SYN), s.s(SYN | ACK), s.c(ACK)]
    return [
      { now_ms: t, note: 'SYN', input: a.input, expect: a.deliver(`${STATEFUL} 4: a new connection allowed and committed`) },
      { now_ms: t + 1, note: 'SYN+ACK', input: b.input, expect: b.deliver(`${STATEFUL} 2: a reply`) },
      { now_ms: t + 2, note: 'ACK', input: c.input, expect: c.deliver(`${STATEFUL} 4: established, original direction, allowed`) },
    ]
  }
  /** A connection stops when `change` is applied and resumes when `undo` is; `data` is resent (same bytes, in window). */
  const stopsAndResumes = (
    name: string,
    intent: string,
    change: { entries?: Entry[]; remove?: Entry[] },
    undo: { entries?: Entry[]; remove?: Entry[] },
  ) => {
    const s = web()
    const open = handshake(s)
    const dataSeq = 1001
    const data = () => s.c(PSH | ACK, { data: 20, seq: dataSeq })
    const ack = s.s(ACK)
    return sequence({
      name,
      stage,
      topology: TOPOLOGY,
      intent,
      steps: [
        ...open,
        {
          now_ms: 1003,
          note: 'data after the change',
          ...change,
          input: data().input,
          expect: deny(`${again}: not allowed now, acl_deny; the connection is marked blocked`),
        },
        {
          now_ms: 1004,
          note: "the server's ACK",
          input: ack.input,
          expect: drop('ct_blocked', `${STATEFUL} 3: a reply of a blocked connection`),
        },
        {
          now_ms: 1005,
          note: 'data resent after the undo',
          ...undo,
          input: data().input,
          expect: data().deliver(`${STATEFUL} 4: allowed again, the connection unblocked`),
        },
        {
          now_ms: 1006,
          note: "the server's ACK again",
          input: ack.input,
          expect: ack.deliver(`${STATEFUL} 2: a reply of an unblocked connection`),
        },
      ],
    })
  }
  const vmb1Web = (sport: number) => new TcpSession(vmb1, vm1, { sport, dport: 80 })
  const low = vmb1Web(1023)
  const [lowSyn, lowSynAck] = [low.c(SYN), low.s(SYN | ACK)]
  const high = vmb1Web(40000)
  const [hSyn, hSynAck, hAck, hData] = [high.c(SYN), high.s(SYN | ACK), high.c(ACK), high.s(PSH | ACK, { data: 30 })]
  const member = new TcpSession(vm2, vm1, { sport: 40000, dport: 80 })
  const memberOpen = handshake(member)
  const memberData = member.c(PSH | ACK, { data: 10 })
  return [
    sequence({
      name: 'sg-change/member-leaves-and-returns',
      stage,
      topology: TOPOLOGY,
      intent:
        "vm4 leaves clients while a UDP 53 flow to vm1 is open: its next request is refused and vm1's reply blocked; back in the group, both pass.",
      steps: [
        { now_ms: 1000, note: 'request', input: dns().input, expect: dns().deliver(`${MATCH}: remote_group member`) },
        {
          now_ms: 1001,
          note: 'reply',
          input: dnsReply().input,
          expect: dnsReply().deliver(`${STATEFUL} 2: a reply (vm4 has no ingress rule for it)`),
        },
        {
          now_ms: 1002,
          note: 'request after vm4 left',
          remove: [VM4_IN_CLIENTS],
          input: dns().input,
          expect: deny(`${again}: a member leaves a remote group`),
        },
        { now_ms: 1003, note: 'reply', input: dnsReply().input, expect: drop('ct_blocked', `${STATEFUL} 3`) },
        {
          now_ms: 1004,
          note: 'request after vm4 is back',
          entries: [VM4_IN_CLIENTS],
          input: dns().input,
          expect: dns().deliver(`${STATEFUL}: it resumes when a rule allows it again`),
        },
        { now_ms: 1005, note: 'reply', input: dnsReply().input, expect: dnsReply().deliver(`${STATEFUL} 2`) },
      ],
    }),
    stopsAndResumes(
      'sg-change/rule-removed-and-restored',
      "web's TCP 80 rule is removed while vm4 has a connection open to vm1, then put back.",
      { remove: [WEB_TCP_80] },
      { entries: [WEB_TCP_80] },
    ),
    stopsAndResumes(
      'sg-change/port-leaves-group-and-returns',
      'vm1 leaves web while vm4 has a TCP 80 connection open, then joins again.',
      { entries: [{ ...VM1_ACL, groups: [SG_DEFAULT] }] },
      { entries: [VM1_ACL] },
    ),
    sequence({
      name: 'sg-change/overlap-removed-mid-connection',
      stage,
      topology: TOPOLOGY,
      intent: "vm2's TCP 80 connection is allowed by two rules; removing web's leaves default's, and the connection goes on.",
      steps: [
        ...memberOpen,
        {
          now_ms: 1003,
          note: "data after web's rule went",
          remove: [WEB_TCP_80],
          input: memberData.input,
          expect: memberData.deliver(`${MATCH}: default still allows members`),
        },
      ],
    }),
    sequence({
      name: 'sg-stateless/reply-needs-a-rule',
      stage,
      topology: TOPOLOGY,
      intent: "vmb1 is stateless: vm1's SYN+ACK to port 1023 is a reply, but vmb1 only allows ports 32768-60999 in.",
      steps: [
        {
          now_ms: 1000,
          note: 'SYN from port 1023',
          input: lowSyn.input,
          expect: lowSyn.deliver(`${STATELESS}: egress TCP 80 to 10.0.0.0/24`),
        },
        {
          now_ms: 1001,
          note: 'SYN+ACK to port 1023',
          input: lowSynAck.input,
          expect: deny(`${STATELESS}: replies need their own rule (1023 is not in 32768-60999)`),
        },
      ],
    }),
    sequence({
      name: 'sg-stateless/reply-in-ephemeral-range',
      stage,
      topology: TOPOLOGY,
      intent: "From port 40000 the whole exchange passes vmb1's rules in both directions, routed both ways.",
      steps: [
        { now_ms: 1000, note: 'SYN', input: hSyn.input, expect: hSyn.deliver(`${STATELESS}: egress rule`) },
        {
          now_ms: 1001,
          note: 'SYN+ACK',
          input: hSynAck.input,
          expect: hSynAck.deliver(`${STATELESS}: ingress TCP 32768-60999 from 10.0.0.0/24; vm1's side: ${STATEFUL} 2`),
        },
        { now_ms: 1002, note: 'ACK', input: hAck.input, expect: hAck.deliver(`${STATELESS}: egress rule`) },
        { now_ms: 1003, note: 'data from vm1', input: hData.input, expect: hData.deliver(`${STATELESS}: ingress rule`) },
      ],
    }),
  ]
}
