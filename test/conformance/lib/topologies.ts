// The shared, named topologies of the conformance vectors, as typed values. generate.ts writes each to
// topologies/<name>.json; vectors refer to them by name and to the hosts below by their fields.
//
//   routed-two-networks (this node):
//
//      net-a 100 (10.0.0.0/24, 2001:db8:a::/64)                     net-b 200 (10.1.0.0/24, 2001:db8:b::/64)
//   vm1 .5 of11 (DHCP)      vm5 .9 of15 (no port security)       vmb1 .5 of21 (DHCP)
//   vm2 .6 of12 (DHCP, bare)vm6 .10 of16 (no DHCP entry)         vmb2 .6 remote 192.168.100.3
//   vm3 .7 remote .100.2    vm7 of17 (no port_sec row)           gw   .254 of23 (upstream gateway)
//   vm4 .8 of14 (pairs)     vm8 .11 (l2 only, no egress)
//          \___ rpa 10.0.0.1 -- router 1 -- rpb 10.1.0.1 ___/
//
// Port keys and OpenFlow ports differ on purpose (vm1 = key 1, ofport 11), so a target that confuses them fails.
// security-groups is this topology plus security groups: its table of groups, ports and members is further down.
import type {
  AclMemberEntry,
  AclPortEntry,
  AclRuleEntry,
  ArpNdEntry,
  DhcpEntry,
  Entry,
  NatEntry,
  RouterGatewayEntry,
  Topology,
  UplinkEntry,
} from '../../../datapath/host/entries.js'
import { Cidr, cidr, ipv4, ipv6, mac, type Ipv4Address, type Ipv6Address, type MacAddress } from '../../../datapath/host/addresses.js'

export interface Host {
  name: string
  key: number
  network: number
  mac: MacAddress
  ip4: Ipv4Address
  ip6?: Ipv6Address | undefined
  /** ofport on this node; absent for remote hosts */
  ofport?: number | undefined
  /** tunnel endpoint of the chassis hosting it */
  remote?: Ipv4Address | undefined
}

export interface RouterPort {
  key: number
  router: number
  network: number
  mac: MacAddress
  ip4: Ipv4Address
  ip6: Ipv6Address
  prefix4: Cidr
  prefix6: Cidr
}

export const NET_A = 100
export const NET_B = 200
/** The OpenFlow port tunnel traffic arrives on. */
export const TUNNEL_OFPORT = 1000
export const ROUTER = 1

/** A host with an IPv6 address too. */
export type DualStackHost = Host & { ip6: Ipv6Address }
type HostSpec = Omit<Host, 'mac' | 'ip4' | 'ip6' | 'remote'> & { mac: string; ip4: string; remote?: string }

function host(h: HostSpec & { ip6: string }): DualStackHost
function host(h: HostSpec): Host
function host(h: HostSpec & { ip6?: string }): Host {
  return { ...h, mac: mac(h.mac), ip4: ipv4(h.ip4), ip6: h.ip6 ? ipv6(h.ip6) : undefined, remote: h.remote ? ipv4(h.remote) : undefined }
}

export const VM1 = host({
  name: 'vm1',
  key: 1,
  network: NET_A,
  mac: 'fa:16:3e:0a:00:01',
  ip4: '10.0.0.5',
  ip6: '2001:db8:a::5',
  ofport: 11,
})
export const VM2 = host({
  name: 'vm2',
  key: 2,
  network: NET_A,
  mac: 'fa:16:3e:0a:00:02',
  ip4: '10.0.0.6',
  ip6: '2001:db8:a::6',
  ofport: 12,
})
export const VM3 = host({ name: 'vm3', key: 3, network: NET_A, mac: 'fa:16:3e:0a:00:03', ip4: '10.0.0.7', remote: '192.168.100.2' })
export const VM4 = host({ name: 'vm4', key: 4, network: NET_A, mac: 'fa:16:3e:0a:00:04', ip4: '10.0.0.8', ofport: 14 })
/** vm4's allowed address pairs: a CIDR with its own MAC, and a second MAC with one address. */
export const VM4_PAIR_CIDR = cidr('10.0.5.0/24')
export const VM4_PAIR_MAC = mac('fa:16:3e:0a:00:44')
export const VM4_PAIR_IP = ipv4('10.0.0.99')
export const VM5 = host({ name: 'vm5', key: 5, network: NET_A, mac: 'fa:16:3e:0a:00:05', ip4: '10.0.0.9', ofport: 15 })
export const VM6 = host({ name: 'vm6', key: 6, network: NET_A, mac: 'fa:16:3e:0a:00:06', ip4: '10.0.0.10', ofport: 16 })
export const VM7 = host({ name: 'vm7', key: 7, network: NET_A, mac: 'fa:16:3e:0a:00:07', ip4: '10.0.0.12', ofport: 17 })
export const VM8 = host({ name: 'vm8', key: 8, network: NET_A, mac: 'fa:16:3e:0a:00:08', ip4: '10.0.0.11' })
export const VMB1 = host({
  name: 'vmb1',
  key: 21,
  network: NET_B,
  mac: 'fa:16:3e:0b:00:01',
  ip4: '10.1.0.5',
  ip6: '2001:db8:b::5',
  ofport: 21,
})
export const VMB2 = host({
  name: 'vmb2',
  key: 22,
  network: NET_B,
  mac: 'fa:16:3e:0b:00:02',
  ip4: '10.1.0.6',
  ip6: '2001:db8:b::6',
  remote: '192.168.100.3',
})
export const GW = host({
  name: 'gw',
  key: 23,
  network: NET_B,
  mac: 'fa:16:3e:0b:00:fe',
  ip4: '10.1.0.254',
  ip6: '2001:db8:b::fe',
  ofport: 23,
})
/** An address on net-b with no nexthop entry (nexthop miss). */
export const UNRESOLVED_B4 = ipv4('10.1.0.77')
export const UNRESOLVED_B6 = ipv6('2001:db8:b::77')

export const RPA: RouterPort = {
  key: 10,
  router: ROUTER,
  network: NET_A,
  mac: mac('fa:16:3e:ff:0a:01'),
  ip4: ipv4('10.0.0.1'),
  ip6: ipv6('2001:db8:a::1'),
  prefix4: cidr('10.0.0.1/24'),
  prefix6: cidr('2001:db8:a::1/64'),
}
export const RPB: RouterPort = {
  key: 20,
  router: ROUTER,
  network: NET_B,
  mac: mac('fa:16:3e:ff:0b:01'),
  ip4: ipv4('10.1.0.1'),
  ip6: ipv6('2001:db8:b::1'),
  prefix4: cidr('10.1.0.1/24'),
  prefix6: cidr('2001:db8:b::1/64'),
}

export const DHCP_SERVER_A = { ip: ipv4('10.0.0.2'), mac: mac('fa:16:3e:0a:00:fe') }
export const DHCP_SERVER_B = { ip: ipv4('10.1.0.2'), mac: mac('fa:16:3e:0b:00:fd') }

/** vm1's DHCP: router, DNS, domain, MTU, a one-hour lease (so T1/T2 are derived: 1800 / 3150). */
export const VM1_DHCP: DhcpEntry = {
  stage: 'dhcp',
  port: VM1.key,
  mac: VM1.mac.toString(),
  ip: VM1.ip4.toString(),
  prefix_len: 24,
  server_ip: DHCP_SERVER_A.ip.toString(),
  server_mac: DHCP_SERVER_A.mac.toString(),
  router: RPA.ip4.toString(),
  dns: ['10.0.0.53', '10.0.0.54'],
  domain: 'edge.example',
  lease: 3600,
  mtu: 1442,
}
/** vm2's DHCP: nothing optional (no router, DNS, domain or MTU; default lease 86400). */
export const VM2_DHCP: DhcpEntry = {
  stage: 'dhcp',
  port: VM2.key,
  mac: VM2.mac.toString(),
  ip: VM2.ip4.toString(),
  prefix_len: 24,
  server_ip: DHCP_SERVER_A.ip.toString(),
  server_mac: DHCP_SERVER_A.mac.toString(),
}
export const VMB1_DHCP: DhcpEntry = {
  stage: 'dhcp',
  port: VMB1.key,
  mac: VMB1.mac.toString(),
  ip: VMB1.ip4.toString(),
  prefix_len: 24,
  server_ip: DHCP_SERVER_B.ip.toString(),
  server_mac: DHCP_SERVER_B.mac.toString(),
  router: RPB.ip4.toString(),
}

const LOCAL_A = [VM1, VM2, VM4, VM5, VM6, VM7]
const LOCAL_B = [VMB1, GW]

function baseEntries(): Entry[] {
  const e: Entry[] = []
  for (const h of [...LOCAL_A, ...LOCAL_B]) e.push({ stage: 'classify', in_port: h.ofport as number, network: h.network, port: h.key })
  e.push({ stage: 'classify', tunnel_key: NET_A, network: NET_A }, { stage: 'classify', tunnel_key: NET_B, network: NET_B })

  const sec = (h: Host): Entry => ({
    stage: 'port_sec',
    port: h.key,
    mac: h.mac.toString(),
    ips: [`${h.ip4.toString()}/32`, ...(h.ip6 ? [`${h.ip6.toString()}/128`] : [])],
  })
  e.push(sec(VM1), sec(VM2), sec(VM6), sec(VMB1), sec(GW))
  e.push({ stage: 'port_sec', port: VM4.key, mac: VM4.mac.toString(), ips: [`${VM4.ip4.toString()}/32`, VM4_PAIR_CIDR.toString()] })
  e.push({ stage: 'port_sec', port: VM4.key, mac: VM4_PAIR_MAC.toString(), ips: [`${VM4_PAIR_IP.toString()}/32`] })
  e.push({ stage: 'port_sec', port: VM5.key, disabled: true })
  // vm7 has no port_sec row at all: everything from it is dropped port_sec_mac.

  for (const rp of [RPA, RPB]) {
    for (const ip of [rp.ip4, rp.ip6]) e.push({ stage: 'arp_nd', network: rp.network, ip: ip.toString(), mac: rp.mac.toString() })
  }
  const all = [VM1, VM2, VM3, VM4, VM5, VM6, VM8, VMB1, VMB2, GW]
  for (const h of all) {
    for (const ip of [h.ip4, h.ip6]) if (ip) e.push({ stage: 'arp_nd', network: h.network, ip: ip.toString(), mac: h.mac.toString() })
  }

  e.push(VM1_DHCP, VM2_DHCP, VMB1_DHCP)

  for (const h of [...all, VM7]) e.push({ stage: 'l2', network: h.network, mac: h.mac.toString(), port: h.key })
  e.push({ stage: 'l2', network: NET_A, mac: VM4_PAIR_MAC.toString(), port: VM4.key })

  for (const rp of [RPA, RPB]) {
    e.push({
      stage: 'router_port',
      port: rp.key,
      router: rp.router,
      network: rp.network,
      mac: rp.mac.toString(),
      ips: [rp.prefix4.toString(), rp.prefix6.toString()],
    })
    e.push({ stage: 'route', router: rp.router, prefix: rp.prefix4.network().toString() + `/${rp.prefix4.length}`, port: rp.key })
    e.push({ stage: 'route', router: rp.router, prefix: rp.prefix6.network().toString() + `/${rp.prefix6.length}`, port: rp.key })
  }
  for (const h of all) {
    for (const ip of [h.ip4, h.ip6]) if (ip) e.push({ stage: 'nexthop', network: h.network, ip: ip.toString(), mac: h.mac.toString() })
  }

  for (const h of [...LOCAL_A, ...LOCAL_B]) e.push({ stage: 'egress', port: h.key, local: h.ofport })
  for (const h of [VM3, VMB2]) e.push({ stage: 'egress', port: h.key, remote: h.remote?.toString() })
  // vm8 has no egress entry: traffic to it is dropped egress_no_port.
  return e
}

/** Routes added by the `routes` topology (RFC 5737 / RFC 6598 / RFC 3849 documentation ranges). */
export const LPM_ROUTES: Entry[] = [
  { stage: 'route', router: ROUTER, prefix: '0.0.0.0/0', port: RPB.key, nexthop: GW.ip4.toString() },
  { stage: 'route', router: ROUTER, prefix: '198.51.100.0/24', port: RPB.key, nexthop: GW.ip4.toString() },
  { stage: 'route', router: ROUTER, prefix: '198.51.100.128/25', port: RPA.key, nexthop: VM2.ip4.toString() },
  { stage: 'route', router: ROUTER, prefix: '198.51.100.200/32', port: RPB.key, nexthop: VMB1.ip4.toString() },
  { stage: 'route', router: ROUTER, prefix: '100.64.0.0/10', port: RPB.key, nexthop: GW.ip4.toString() },
  { stage: 'route', router: ROUTER, prefix: '100.96.0.0/11', port: RPB.key, nexthop: VMB1.ip4.toString() },
  { stage: 'route', router: ROUTER, prefix: '203.0.113.0/24', port: RPB.key, nexthop: UNRESOLVED_B4.toString() },
  { stage: 'route', router: ROUTER, prefix: '::/0', port: RPB.key, nexthop: GW.ip6.toString() },
  { stage: 'route', router: ROUTER, prefix: '2001:db8:100::/48', port: RPA.key, nexthop: VM2.ip6.toString() },
  { stage: 'route', router: ROUTER, prefix: '2001:db8:100:1::/64', port: RPB.key, nexthop: VMB1.ip6.toString() },
]

// ---- dhcp-options: one network, ports whose DHCP entries use every option ------------------------------

export const NET_D = 300
export const D1 = host({ name: 'd1', key: 31, network: NET_D, mac: 'fa:16:3e:0d:00:01', ip4: '192.168.50.10', ofport: 31 })
export const D2 = host({ name: 'd2', key: 32, network: NET_D, mac: 'fa:16:3e:0d:00:02', ip4: '192.168.50.11', ofport: 32 })
export const D3 = host({ name: 'd3', key: 33, network: NET_D, mac: 'fa:16:3e:0d:00:03', ip4: '192.168.50.12', ofport: 33 })
export const DHCP_SERVER_D = { ip: ipv4('192.168.50.2'), mac: mac('fa:16:3e:0d:00:fe') }
const dhcpD = (h: Host): Pick<DhcpEntry, 'stage' | 'port' | 'mac' | 'ip' | 'server_ip' | 'server_mac'> => ({
  stage: 'dhcp',
  port: h.key,
  mac: h.mac.toString(),
  ip: h.ip4.toString(),
  server_ip: DHCP_SERVER_D.ip.toString(),
  server_mac: DHCP_SERVER_D.mac.toString(),
})
/** Everything: routes (121), explicit T1/T2, extra options given out of code order (sent sorted by code). */
export const D1_DHCP: DhcpEntry = {
  ...dhcpD(D1),
  prefix_len: 26,
  router: '192.168.50.1',
  dns: ['192.0.2.53'],
  domain: 'opts.example',
  lease: 7200,
  renewal: 3000,
  rebind: 6000,
  mtu: 1400,
  routes: [
    { destination: '172.16.0.0/12', nexthop: '192.168.50.254' },
    { destination: '10.20.30.0/24', nexthop: '192.168.50.253' },
  ],
  options: [
    { code: 252, hex: '687474703a2f2f7770616421' },
    { code: 42, hex: 'c000027b' },
    { code: 119, hex: '046f707473076578616d706c6500' },
  ],
}
/** Routes without a router: option 121 carries only the listed routes, no default (RFC 3442 3 applies to a router). */
export const D2_DHCP: DhcpEntry = {
  ...dhcpD(D2),
  prefix_len: 24,
  routes: [
    { destination: '0.0.0.0/0', nexthop: '192.168.50.1' },
    { destination: '10.0.0.0/8', nexthop: '192.168.50.254' },
  ],
}
/** A low packet-in rate: 2 per second, burst 2. */
export const D3_DHCP: DhcpEntry = { ...dhcpD(D3), prefix_len: 24, router: '192.168.50.1', rate: 2 }

function dhcpOptionsEntries(): Entry[] {
  const e: Entry[] = []
  for (const h of [D1, D2, D3]) {
    e.push({ stage: 'classify', in_port: h.ofport as number, network: NET_D, port: h.key })
    e.push({ stage: 'port_sec', port: h.key, mac: h.mac.toString(), ips: [`${h.ip4.toString()}/32`] })
    e.push({ stage: 'l2', network: NET_D, mac: h.mac.toString(), port: h.key })
    e.push({ stage: 'egress', port: h.key, local: h.ofport })
  }
  e.push(D1_DHCP, D2_DHCP, D3_DHCP)
  return e
}

// ---- vlan: one trunk port carrying two networks, and an untagged access port ---------------------------

export const TRUNK_OFPORT = 40
export const NET_V10 = 410
export const NET_V20 = 420
export const V10 = host({ name: 'v10', key: 41, network: NET_V10, mac: 'fa:16:3e:10:00:01', ip4: '172.16.10.5' })
export const V20 = host({ name: 'v20', key: 42, network: NET_V20, mac: 'fa:16:3e:20:00:01', ip4: '172.16.20.5' })
export const ACCESS = host({ name: 'access', key: 43, network: NET_V10, mac: 'fa:16:3e:10:00:02', ip4: '172.16.10.6', ofport: 43 })
export const V20_PEER = host({
  name: 'v20peer',
  key: 44,
  network: NET_V20,
  mac: 'fa:16:3e:20:00:02',
  ip4: '172.16.20.6',
  remote: '192.168.100.4',
})

function vlanEntries(): Entry[] {
  return [
    { stage: 'classify', in_port: TRUNK_OFPORT, vlan: 10, network: NET_V10, port: V10.key },
    { stage: 'classify', in_port: TRUNK_OFPORT, vlan: 20, network: NET_V20, port: V20.key },
    { stage: 'classify', in_port: ACCESS.ofport as number, network: NET_V10, port: ACCESS.key },
    ...[V10, V20, ACCESS].map((h): Entry => ({ stage: 'port_sec', port: h.key, mac: h.mac.toString(), ips: [`${h.ip4.toString()}/32`] })),
    ...[V10, V20, ACCESS, V20_PEER].map((h): Entry => ({ stage: 'l2', network: h.network, mac: h.mac.toString(), port: h.key })),
    { stage: 'egress', port: ACCESS.key, local: ACCESS.ofport },
    { stage: 'egress', port: V20_PEER.key, remote: V20_PEER.remote?.toString() },
  ]
}

// ---- security-groups: routed-two-networks (same ports, keys, ofports) with security groups ---------------
//
//   group          rules (Neutron direction: ingress = to the group's ports, egress = from them)
//   1 default      ingress IPv4 + IPv6 any protocol from members of 1; egress IPv4 + IPv6 any
//   2 web          ingress TCP 80, 443 from 0.0.0.0/0; TCP 8000-8080 (no remote); TCP 8080 from 10.0.0.0/24
//                  (overlaps the range's top edge); ICMP echo (8) from 10.1.0.0/24; UDP 53 from members of 4;
//                  IPv6 TCP 80 from ::/0; ICMPv6 echo (128) from 2001:db8:b::/64
//   3 stateless    (stateful false) egress TCP 80 to 10.0.0.0/24, ICMP echo (8); ingress TCP 32768-60999 from
//                  10.0.0.0/24, ICMP echo reply (0), ICMP 3/4 (fragmentation needed), ICMP any from 10.0.0.0/24
//   4 clients      egress IPv4 any to 10.0.0.0/8, IPv6 any; ingress ICMP echo (8) from 192.0.2.0/24
//
//   port             acl_port                   member of (acl_member)
//   vm1  .5  of11    stateful [1 default, 2 web] 1: 10.0.0.5/32, 2001:db8:a::5/128      (two groups: union)
//   vm2  .6  of12    stateful [1 default]        1: 10.0.0.6/32, 2001:db8:a::6/128
//   vm3  .7  remote  (enforced on its chassis)   1: 10.0.0.7/32                          (remote member)
//   vm4  .8  of14    stateful [4 clients]        4: 10.0.0.8/32, 10.0.5.0/24 (pair CIDR), 10.0.0.99/32 (pair MAC)
//   vm5  .9  of15    none: port security off
//   vm6  .10 of16    stateful, no groups         (only what is always allowed: DHCP, ND, MLD)
//   vm7      of17    none (no port_sec row: drops everything before)
//   vmb1 .5  of21    stateless [3 stateless]
//   vmb2 .6  remote  (enforced on its chassis)
//   gw   .254 of23   stateful [1 default]        1: 10.1.0.254/32, 2001:db8:b::fe/128
//
//   vm2 -> vm1 TCP 22: allowed (member of 1)         vm4 -> vm1 TCP 22: acl_deny (no rule of 1 or 2)
//   vm4 -> vm1 TCP 80: allowed (2, union)            vm1 -> vm4 anything new: acl_deny (4 has no such ingress)
//   vmb1 -> vm1 TCP 80 routed: allowed both sides    vm1 -> vmb1 reply to port 1023: acl_deny (stateless)
export const SG_DEFAULT = 1
export const SG_WEB = 2
export const SG_STATELESS = 3
export const SG_CLIENTS = 4
export const PROTO_ICMP = 1
export const PROTO_TCP = 6
export const PROTO_UDP = 17
export const PROTO_ICMPV6 = 58

type RuleSpec = Omit<AclRuleEntry, 'stage' | 'group' | 'rule'>
const rules = (group: number, specs: RuleSpec[]): AclRuleEntry[] => specs.map((r, i) => ({ stage: 'acl_rule', group, rule: i + 1, ...r }))

export const SG_DEFAULT_RULES = rules(SG_DEFAULT, [
  { direction: 'ingress', family: 4, remote_group: SG_DEFAULT },
  { direction: 'ingress', family: 6, remote_group: SG_DEFAULT },
  { direction: 'egress', family: 4 },
  { direction: 'egress', family: 6 },
])
export const SG_WEB_RULES = rules(SG_WEB, [
  { direction: 'ingress', family: 4, protocol: PROTO_TCP, port_min: 80, port_max: 80, remote_prefix: '0.0.0.0/0' },
  { direction: 'ingress', family: 4, protocol: PROTO_TCP, port_min: 443, port_max: 443, remote_prefix: '0.0.0.0/0' },
  { direction: 'ingress', family: 4, protocol: PROTO_TCP, port_min: 8000, port_max: 8080 },
  { direction: 'ingress', family: 4, protocol: PROTO_TCP, port_min: 8080, port_max: 8080, remote_prefix: '10.0.0.0/24' },
  { direction: 'ingress', family: 4, protocol: PROTO_ICMP, icmp_type: 8, remote_prefix: '10.1.0.0/24' },
  { direction: 'ingress', family: 4, protocol: PROTO_UDP, port_min: 53, port_max: 53, remote_group: SG_CLIENTS },
  { direction: 'ingress', family: 6, protocol: PROTO_TCP, port_min: 80, port_max: 80, remote_prefix: '::/0' },
  { direction: 'ingress', family: 6, protocol: PROTO_ICMPV6, icmp_type: 128, remote_prefix: '2001:db8:b::/64' },
])
/** web's rules by what they allow, for vectors that remove one. */
export const WEB_TCP_80 = SG_WEB_RULES[0] as AclRuleEntry
export const WEB_TCP_8000_8080 = SG_WEB_RULES[2] as AclRuleEntry
export const WEB_TCP_8080_NET_A = SG_WEB_RULES[3] as AclRuleEntry
export const SG_STATELESS_RULES = rules(SG_STATELESS, [
  { direction: 'egress', family: 4, protocol: PROTO_TCP, port_min: 80, port_max: 80, remote_prefix: '10.0.0.0/24' },
  { direction: 'egress', family: 4, protocol: PROTO_ICMP, icmp_type: 8 },
  { direction: 'ingress', family: 4, protocol: PROTO_TCP, port_min: 32768, port_max: 60999, remote_prefix: '10.0.0.0/24' },
  { direction: 'ingress', family: 4, protocol: PROTO_ICMP, icmp_type: 0 },
  { direction: 'ingress', family: 4, protocol: PROTO_ICMP, icmp_type: 3, icmp_code: 4 },
  { direction: 'ingress', family: 4, protocol: PROTO_ICMP, remote_prefix: '10.0.0.0/24' },
])
export const SG_CLIENTS_RULES = rules(SG_CLIENTS, [
  { direction: 'egress', family: 4, remote_prefix: '10.0.0.0/8' },
  { direction: 'egress', family: 6 },
  { direction: 'ingress', family: 4, protocol: PROTO_ICMP, icmp_type: 8, remote_prefix: '192.0.2.0/24' },
])

const aclPort = (h: Host, groups: number[], stateful = true): AclPortEntry => ({ stage: 'acl_port', port: h.key, stateful, groups })
export const VM1_ACL = aclPort(VM1, [SG_DEFAULT, SG_WEB])
export const VM6_ACL = aclPort(VM6, [])
const member = (group: number, prefix: string): AclMemberEntry => ({ stage: 'acl_member', group, prefix })
/** vm2's and vm4's memberships, for vectors in which a member leaves (and comes back). */
export const VM2_IN_DEFAULT = member(SG_DEFAULT, `${VM2.ip4.toString()}/32`)
export const VM4_IN_CLIENTS = member(SG_CLIENTS, `${VM4.ip4.toString()}/32`)

function securityGroupEntries(): Entry[] {
  return [
    VM1_ACL,
    aclPort(VM2, [SG_DEFAULT]),
    aclPort(VM4, [SG_CLIENTS]),
    VM6_ACL,
    aclPort(VMB1, [SG_STATELESS], false),
    aclPort(GW, [SG_DEFAULT]),
    ...SG_DEFAULT_RULES,
    ...SG_WEB_RULES,
    ...SG_STATELESS_RULES,
    ...SG_CLIENTS_RULES,
    ...[VM1, VM2, GW].flatMap(h => [member(SG_DEFAULT, `${h.ip4.toString()}/32`), member(SG_DEFAULT, `${h.ip6.toString()}/128`)]),
    member(SG_DEFAULT, `${VM3.ip4.toString()}/32`),
    VM4_IN_CLIENTS,
    member(SG_CLIENTS, VM4_PAIR_CIDR.toString()),
    member(SG_CLIENTS, `${VM4_PAIR_IP.toString()}/32`),
  ]
}

export const TOPOLOGIES: Record<string, Topology> = {
  'routed-two-networks': {
    description:
      'Two networks (IPv4 + IPv6) joined by router 1; local and remote ports, allowed address pairs, ' +
      'a port without port security, ports without DHCP / port_sec / egress entries, an upstream gateway.',
    entries: baseEntries(),
  },
  routes: {
    description:
      'routed-two-networks plus overlapping routes for longest-prefix-match: defaults, /10 vs /11, ' +
      '/24 vs /25 vs /32, IPv6 /48 vs /64, and a route whose next hop is unresolved.',
    entries: [...baseEntries(), ...LPM_ROUTES],
  },
  'dhcp-options': {
    description:
      'One network whose ports have DHCP entries with every option: classless routes (121), T1/T2, ' +
      'MTU, domain, DNS, extra raw options; one port with a low packet-in rate.',
    entries: dhcpOptionsEntries(),
  },
  vlan: {
    description:
      'A trunk port carrying VLAN 10 and 20 into two networks, an untagged access port on the VLAN 10 ' +
      'network, and a remote port on the VLAN 20 network.',
    entries: vlanEntries(),
  },
  'security-groups': {
    description:
      'routed-two-networks with security groups: a default-like group (ingress from its members), ' +
      'a web group (ports, a range, ICMP type, a remote group), a stateless group, a clients group whose members ' +
      'include an allowed-address-pair CIDR; a port in two groups, one with no groups, one with port security off.',
    entries: [...baseEntries(), ...securityGroupEntries()],
  },
}

// ---- north-south: ways in and out (uplinks, router gateways, floating IPs) -----------------------------
//
//        upstream 203.0.113.1 (nexthop entry; outside hosts 192.0.2.0/24 behind it)
//                 |
//   ext 300 flat 203.0.113.0/24, uplink of50 ---------------------------+----------------------------------+
//     fip .10 -> vm1, fip .11 -> vm2, 2001:db8:ee::10 -> vm1 2001:db8:a::5 (nat + arp_nd here); 2001:db8:ee::/64                 |                                  |
//     rgw1 .2, ::2 (router 1 gateway: snat, local)                 rgw2 .3 (router 2 gateway: no snat, elsewhere)
//                 |                                                      |
//   net-a 100 10.0.0.0/24 (+ 2001:db8:a::/64): rpa .1                              router 2 -- net-c 500 10.2.0.0/24: rpc .1
//     vm1 .5 of11 (fip .10), vm2 .6 of12 (fip .11),                         vmc1 .5 of31
//     vm5 .9 of15 (no fip), vm3 .7 remote 192.168.100.2
//   net-b 200 10.1.0.0/24: rpb .1, vmb1 .5 of21
//   prov 400 VLAN 101 198.51.100.0/24, uplink of51 tagged 101: rpv .1 (router 1), p400 .5 of45,
//     r400 .6 on another chassis (egress uplink), outside host .50 (nexthop entry)
//
// Router 1 joins net-a, net-b, prov 400 and (gateway) ext 300; default routes via 203.0.113.1 and 2001:db8:ee::1.
export const NET_EXT = 300
export const NET_PROV = 400
export const NET_C = 500
export const PROV_VLAN = 101
export const EXT_UPLINK_OFPORT = 50
export const PROV_UPLINK_OFPORT = 51
export const ROUTER_2 = 2
export const UPSTREAM = host({
  name: 'upstream',
  key: 0,
  network: NET_EXT,
  mac: 'fa:16:3e:ee:00:01',
  ip4: '203.0.113.1',
  ip6: '2001:db8:ee::1',
})
/** A host on the external subnet itself (with a nexthop entry), reached directly from the gateway port. */
export const EXT_HOST = host({ name: 'exthost', key: 0, network: NET_EXT, mac: 'fa:16:3e:ee:00:50', ip4: '203.0.113.50' })
/** A host on the internet behind the upstream gateway. */
export const OUTSIDE_IP = ipv4('192.0.2.50')
export const OUTSIDE_IP6 = ipv6('2001:db8:f::50')
export const NS_VM1 = host({
  name: 'vm1',
  key: 1,
  network: NET_A,
  mac: 'fa:16:3e:0a:00:01',
  ip4: '10.0.0.5',
  ip6: '2001:db8:a::5',
  ofport: 11,
})
export const NS_VM2 = host({ name: 'vm2', key: 2, network: NET_A, mac: 'fa:16:3e:0a:00:02', ip4: '10.0.0.6', ofport: 12 })
export const NS_VM3 = host({ name: 'vm3', key: 3, network: NET_A, mac: 'fa:16:3e:0a:00:03', ip4: '10.0.0.7', remote: '192.168.100.2' })
export const NS_VM5 = host({ name: 'vm5', key: 5, network: NET_A, mac: 'fa:16:3e:0a:00:05', ip4: '10.0.0.9', ofport: 15 })
export const NS_VMB1 = host({ name: 'vmb1', key: 21, network: NET_B, mac: 'fa:16:3e:0b:00:01', ip4: '10.1.0.5', ofport: 21 })
export const VMC1 = host({ name: 'vmc1', key: 51, network: NET_C, mac: 'fa:16:3e:0c:00:01', ip4: '10.2.0.5', ofport: 31 })
export const P400 = host({ name: 'p400', key: 41, network: NET_PROV, mac: 'fa:16:3e:40:00:05', ip4: '198.51.100.5', ofport: 45 })
export const R400 = host({ name: 'r400', key: 42, network: NET_PROV, mac: 'fa:16:3e:40:00:06', ip4: '198.51.100.6' })
export const PROV_OUTSIDE = host({ name: 'provout', key: 0, network: NET_PROV, mac: 'fa:16:3e:40:00:50', ip4: '198.51.100.50' })

/** A router port of north-south: IPv4, and IPv6 where it has a prefix6. */
export interface Gw4Port {
  key: number
  router: number
  network: number
  mac: MacAddress
  ip4: Ipv4Address
  prefix4: Cidr
  ip6?: Ipv6Address
  prefix6?: Cidr
}
const gw4 = (key: number, router: number, network: number, m: string, prefix: string, prefix6?: string): Gw4Port => ({
  key,
  router,
  network,
  mac: mac(m),
  ip4: cidr(prefix).address as Ipv4Address,
  prefix4: cidr(prefix),
  ...(prefix6 !== undefined ? { ip6: cidr(prefix6).address as Ipv6Address, prefix6: cidr(prefix6) } : {}),
})
export const NS_RPA = gw4(10, ROUTER, NET_A, 'fa:16:3e:ff:0a:01', '10.0.0.1/24', '2001:db8:a::1/64')
export const NS_RPB = gw4(20, ROUTER, NET_B, 'fa:16:3e:ff:0b:01', '10.1.0.1/24')
export const RGW1 = gw4(30, ROUTER, NET_EXT, 'fa:16:3e:ff:ee:02', '203.0.113.2/24', '2001:db8:ee::2/64')
export const RPV = gw4(50, ROUTER, NET_PROV, 'fa:16:3e:ff:40:01', '198.51.100.1/24')
export const RGW2 = gw4(31, ROUTER_2, NET_EXT, 'fa:16:3e:ff:ee:03', '203.0.113.3/24')
export const RPC = gw4(40, ROUTER_2, NET_C, 'fa:16:3e:ff:0c:01', '10.2.0.1/24')

export interface FloatingIp {
  nat: NatEntry
  arp: ArpNdEntry
  mac: MacAddress
  external: Ipv4Address
  internal: Ipv4Address
}
export function floatingIp(external: string, m: string, to: Host): FloatingIp {
  return {
    nat: {
      stage: 'nat',
      router: ROUTER,
      network: NET_EXT,
      gateway_port: RGW1.key,
      mac: m,
      external_ip: external,
      internal_ip: to.ip4.toString(),
    },
    arp: { stage: 'arp_nd', network: NET_EXT, ip: external, mac: m },
    mac: mac(m),
    external: ipv4(external),
    internal: to.ip4,
  }
}
/** An IPv6 floating IP for vm1 (1:1 like the IPv4 ones; its own MAC). */
export const FIP6_VM1 = {
  nat: {
    stage: 'nat',
    router: ROUTER,
    network: NET_EXT,
    gateway_port: RGW1.key,
    mac: 'fa:16:3e:f1:00:16',
    external_ip: '2001:db8:ee::10',
    internal_ip: '2001:db8:a::5',
  } satisfies NatEntry,
  arp: { stage: 'arp_nd', network: NET_EXT, ip: '2001:db8:ee::10', mac: 'fa:16:3e:f1:00:16' } satisfies ArpNdEntry,
  mac: mac('fa:16:3e:f1:00:16'),
  external: ipv6('2001:db8:ee::10'),
  internal: ipv6('2001:db8:a::5'),
}
export const FIP_VM1 = floatingIp('203.0.113.10', 'fa:16:3e:f1:00:10', NS_VM1)
export const FIP_VM2 = floatingIp('203.0.113.11', 'fa:16:3e:f1:00:11', NS_VM2)
export const GATEWAY_1: RouterGatewayEntry = { stage: 'router_gateway', router: ROUTER, port: RGW1.key, snat: true, local: true }
export const GATEWAY_2: RouterGatewayEntry = { stage: 'router_gateway', router: ROUTER_2, port: RGW2.key, snat: false, local: false }
export const PROV_UPLINK: UplinkEntry = { stage: 'uplink', network: NET_PROV, ofport: PROV_UPLINK_OFPORT, vlan: PROV_VLAN }

function northSouthEntries(): Entry[] {
  const e: Entry[] = []
  const local = [NS_VM1, NS_VM2, NS_VM5, NS_VMB1, VMC1, P400]
  const known = [...local, NS_VM3, R400]
  e.push({ stage: 'uplink', network: NET_EXT, ofport: EXT_UPLINK_OFPORT }, PROV_UPLINK)
  for (const h of local) {
    e.push({ stage: 'classify', in_port: h.ofport as number, network: h.network, port: h.key })
    e.push({
      stage: 'port_sec',
      port: h.key,
      mac: h.mac.toString(),
      ips: [`${h.ip4.toString()}/32`, ...(h.ip6 ? [`${h.ip6.toString()}/128`] : [])],
    })
    e.push({ stage: 'egress', port: h.key, local: h.ofport })
  }
  e.push({ stage: 'classify', tunnel_key: NET_A, network: NET_A }, { stage: 'classify', tunnel_key: NET_B, network: NET_B })
  e.push({ stage: 'egress', port: NS_VM3.key, remote: NS_VM3.remote?.toString() }, { stage: 'egress', port: R400.key, uplink: true })
  for (const h of known) {
    for (const ip of [h.ip4, h.ip6]) if (ip) e.push({ stage: 'arp_nd', network: h.network, ip: ip.toString(), mac: h.mac.toString() })
    e.push({ stage: 'l2', network: h.network, mac: h.mac.toString(), port: h.key })
  }
  for (const h of [...known, UPSTREAM, EXT_HOST, PROV_OUTSIDE]) {
    for (const ip of [h.ip4, h.ip6]) if (ip) e.push({ stage: 'nexthop', network: h.network, ip: ip.toString(), mac: h.mac.toString() })
  }
  // Router 2's gateway IP has no arp_nd here: this is not its gateway chassis.
  for (const rp of [NS_RPA, NS_RPB, RGW1, RPV, RGW2, RPC]) {
    const prefixes = [rp.prefix4, ...(rp.prefix6 ? [rp.prefix6] : [])]
    e.push({
      stage: 'router_port',
      port: rp.key,
      router: rp.router,
      network: rp.network,
      mac: rp.mac.toString(),
      ips: prefixes.map(p => p.toString()),
    })
    for (const p of prefixes) {
      e.push({ stage: 'route', router: rp.router, prefix: `${p.network().toString()}/${p.length}`, port: rp.key })
      if (rp !== RGW2) e.push({ stage: 'arp_nd', network: rp.network, ip: p.address.toString(), mac: rp.mac.toString() })
    }
  }
  e.push({ stage: 'route', router: ROUTER, prefix: '0.0.0.0/0', port: RGW1.key, nexthop: UPSTREAM.ip4.toString() })
  e.push({ stage: 'route', router: ROUTER, prefix: '::/0', port: RGW1.key, nexthop: UPSTREAM.ip6.toString() })
  e.push({ stage: 'route', router: ROUTER_2, prefix: '0.0.0.0/0', port: RGW2.key, nexthop: UPSTREAM.ip4.toString() })
  e.push(GATEWAY_1, GATEWAY_2, FIP_VM1.nat, FIP_VM1.arp, FIP_VM2.nat, FIP_VM2.arp, FIP6_VM1.nat, FIP6_VM1.arp)
  return e
}

TOPOLOGIES['north-south'] = {
  description:
    "Ways in and out: a flat external network (uplink of50) with router 1's local gateway (snat) and " +
    "floating IPs for vm1 and vm2, router 2's gateway on another chassis (no snat), a VLAN 101 provider network " +
    '(uplink of51) with a local port, a remote port reached through the uplink and a router 1 port; net-a/net-b inside.',
  entries: northSouthEntries(),
}
