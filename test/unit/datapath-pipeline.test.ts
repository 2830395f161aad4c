// The pipeline stage by stage, on the core backend: each test sends typed frames through a small topology and
// checks the verdict, the reason and the bytes that leave.
import t from 'tap'
import { createDatapath } from '../../datapath/host/index.js'
import type { Datapath, Entry } from '../../datapath/host/index.js'
import { ipv4, ipv6, mac } from '../../datapath/host/addresses.js'
import {
  arp,
  buildFrame,
  dhcp,
  dot1q,
  echo4,
  echo6,
  ethernet,
  ip4,
  ip6,
  ndNs,
  tcp,
  udp,
  vxlan,
  geneve,
} from '../../datapath/host/packet-builder.js'
import { decodeFrame } from '../../datapath/host/packet-decoder.js'

const VM1 = { mac: 'fa:16:3e:00:00:01', ip: '10.0.0.5', ip6: '2001:db8::5' }
const VM2 = { mac: 'fa:16:3e:00:00:02', ip: '10.0.0.6' }
const REMOTE = { mac: 'fa:16:3e:00:00:03', ip: '10.0.0.7' }
const VM4 = { mac: 'fa:16:3e:00:00:04', ip: '10.0.1.5' }
const R1 = { mac: 'fa:16:3e:00:01:01', ip: '10.0.0.1', ip6: '2001:db8::1' }
const R2 = { mac: 'fa:16:3e:00:01:02', ip: '10.0.1.1' }
const BCAST = 'ff:ff:ff:ff:ff:ff'

/** Network 1 (VNI 100): ports 1, 2 local, 3 remote; network 2: port 4; router 7 joins them (ports 10, 11). */
const topology: Entry[] = [
  { stage: 'classify', in_port: 1, network: 1, port: 1 },
  { stage: 'classify', in_port: 2, vlan: 42, network: 1, port: 2 },
  { stage: 'classify', in_port: 4, network: 2, port: 4 },
  { stage: 'classify', tunnel_key: 100, network: 1 },
  { stage: 'port_sec', port: 1, mac: VM1.mac, ips: [`${VM1.ip}/32`, `${VM1.ip6}/128`, '192.168.7.0/24'] },
  { stage: 'port_sec', port: 2, mac: VM2.mac, ips: [`${VM2.ip}/32`] },
  { stage: 'port_sec', port: 4, disabled: true },
  { stage: 'arp_nd', network: 1, ip: VM2.ip, mac: VM2.mac },
  { stage: 'arp_nd', network: 1, ip: R1.ip, mac: R1.mac },
  { stage: 'arp_nd', network: 1, ip: R1.ip6, mac: R1.mac },
  {
    stage: 'dhcp',
    port: 1,
    mac: VM1.mac,
    ip: VM1.ip,
    prefix_len: 24,
    server_ip: R1.ip,
    server_mac: R1.mac,
    router: R1.ip,
    dns: ['10.0.0.2'],
    domain: 'example.org',
    mtu: 1450,
    lease: 3600,
    routes: [{ destination: '169.254.169.254/32', nexthop: '10.0.0.2' }],
    options: [{ code: 252, hex: '00' }],
  },
  { stage: 'l2', network: 1, mac: VM1.mac, port: 1 },
  { stage: 'l2', network: 1, mac: VM2.mac, port: 2 },
  { stage: 'l2', network: 1, mac: REMOTE.mac, port: 3 },
  { stage: 'l2', network: 2, mac: VM4.mac, port: 4 },
  { stage: 'router_port', port: 10, router: 7, network: 1, mac: R1.mac, ips: [`${R1.ip}/24`, `${R1.ip6}/64`] },
  { stage: 'router_port', port: 11, router: 7, network: 2, mac: R2.mac, ips: [`${R2.ip}/24`] },
  { stage: 'route', router: 7, prefix: '10.0.0.0/24', port: 10 },
  { stage: 'route', router: 7, prefix: '10.0.1.0/24', port: 11 },
  { stage: 'route', router: 7, prefix: '2001:db8::/64', port: 10 },
  { stage: 'route', router: 7, prefix: '172.16.0.0/12', port: 11, nexthop: VM4.ip },
  { stage: 'nexthop', network: 2, ip: VM4.ip, mac: VM4.mac },
  { stage: 'nexthop', network: 1, ip: VM1.ip, mac: VM1.mac },
  { stage: 'egress', port: 1, local: 1 },
  { stage: 'egress', port: 2, local: 2 },
  { stage: 'egress', port: 3, remote: '192.0.2.10' },
  { stage: 'egress', port: 4, local: 4 },
]

async function datapath(): Promise<Datapath> {
  const dp = await createDatapath()
  dp.load({ entries: topology })
  return dp
}

const fromVm1 = (dst: string, ...rest: Parameters<typeof buildFrame>[0]): Uint8Array =>
  buildFrame([ethernet({ src: mac(VM1.mac), dst: mac(dst) }), ...rest])
const udpFrom1 = (dst: string, ipDst: string, ttl = 64): Uint8Array =>
  fromVm1(dst, ip4({ src: ipv4(VM1.ip), dst: ipv4(ipDst), ttl }), udp({ sport: 1000, dport: 2000 }))

t.test('L2: known unicast goes out of its local port, remote ports through a tunnel', async t => {
  const dp = await datapath()
  const [local, remote, unknown, bcast] = dp.process([
    { in_port: 1, data: udpFrom1(VM2.mac, VM2.ip) },
    { in_port: 1, data: udpFrom1(REMOTE.mac, REMOTE.ip) },
    { in_port: 1, data: udpFrom1('fa:16:3e:00:00:99', '10.0.0.99') },
    { in_port: 1, data: udpFrom1(BCAST, '10.0.0.255') },
  ])
  t.match(local, { action: 'output', reason: 'none', ofport: 2 })
  t.match(remote, { action: 'tunnel', network: 1, port: 3, remote: '192.0.2.10' })
  t.match(unknown, { action: 'flood', network: 1 })
  t.match(bcast, { action: 'flood', network: 1 })
  t.same(local?.packet, udpFrom1(VM2.mac, VM2.ip), 'a switched frame is unchanged')
})

t.test('classify: unknown port, VLAN mismatch, tag stripped', async t => {
  const dp = await datapath()
  const tagged = (vid: number): Uint8Array =>
    buildFrame([
      ethernet({ src: mac(VM2.mac), dst: mac(VM1.mac) }),
      dot1q({ vid }),
      ip4({ src: ipv4(VM2.ip), dst: ipv4(VM1.ip) }),
      udp({ sport: 1, dport: 2 }),
    ])
  const [unknown, good, wrongVid, untaggedOnTagged] = dp.process([
    { in_port: 9, data: udpFrom1(VM2.mac, VM2.ip) },
    { in_port: 2, data: tagged(42) },
    { in_port: 1, data: fromVm1(VM2.mac, dot1q({ vid: 5 }), ip4({ src: ipv4(VM1.ip), dst: ipv4(VM2.ip) }), udp({})) },
    {
      in_port: 2,
      data: buildFrame([ethernet({ src: mac(VM2.mac), dst: mac(VM1.mac) }), ip4({ src: ipv4(VM2.ip), dst: ipv4(VM1.ip) }), udp({})]),
    },
  ])
  t.match(unknown, { action: 'drop', reason: 'unknown_in_port' })
  t.match(good, { action: 'output', ofport: 1 })
  t.equal(good?.packet.length, tagged(42).length - 4, 'the VLAN tag is stripped')
  t.equal(decodeFrame(good!.packet).eth_type, 0x0800)
  t.match(wrongVid, { action: 'drop', reason: 'bad_vlan' })
  t.match(untaggedOnTagged, { action: 'drop', reason: 'unknown_in_port' })
  const c = dp.counters()
  t.equal(c.packets, 4)
  t.equal(c.reasons.unknown_in_port, 2)
  t.equal(c.perPort[9]?.unknown_in_port, 1)
  t.equal(c.perPort[1]?.bad_vlan, 1)
})

t.test('port security: MAC, IP, ARP sender, DHCP before an address, CIDR pairs, link-local', async t => {
  const dp = await datapath()
  const spoofMac = buildFrame([
    ethernet({ src: mac('fa:16:3e:00:00:66'), dst: mac(VM2.mac) }),
    ip4({ src: ipv4(VM1.ip), dst: ipv4(VM2.ip) }),
    udp({}),
  ])
  const arpFrom = (sha: string, spa: string): Uint8Array =>
    fromVm1(BCAST, arp({ op: 1, sha: mac(sha), spa: ipv4(spa), tpa: ipv4('10.0.0.200') }))
  const discover = fromVm1(
    BCAST,
    ip4({ src: ipv4('0.0.0.0'), dst: ipv4('255.255.255.255') }),
    udp({ sport: 68, dport: 67 }),
    dhcp({ xid: 1, chaddr: mac(VM1.mac), type: 'discover' }),
  )
  const v = dp.process([
    { in_port: 1, data: spoofMac },
    { in_port: 1, data: udpFrom1(VM2.mac, VM2.ip).map((b, i) => (i === 29 ? 99 : b)) },
    { in_port: 1, data: fromVm1(VM2.mac, ip4({ src: ipv4('10.0.0.66'), dst: ipv4(VM2.ip) }), udp({})) },
    { in_port: 1, data: fromVm1(VM2.mac, ip4({ src: ipv4('192.168.7.9'), dst: ipv4(VM2.ip) }), udp({})) },
    { in_port: 1, data: arpFrom(VM2.mac, VM1.ip) },
    { in_port: 1, data: arpFrom(VM1.mac, '10.0.0.66') },
    { in_port: 1, data: arpFrom(VM1.mac, '0.0.0.0') },
    { in_port: 1, data: discover },
    { in_port: 1, data: fromVm1(VM2.mac, ip6({ src: ipv6('fe80::1'), dst: ipv6('fe80::2') }), udp({})) },
    { in_port: 1, data: fromVm1(VM2.mac, ip6({ src: ipv6('2001:db8::66'), dst: ipv6('fe80::2') }), udp({})) },
    {
      in_port: 4,
      data: buildFrame([
        ethernet({ src: mac('fa:16:3e:00:00:77'), dst: mac(BCAST) }),
        ip4({ src: ipv4('1.2.3.4'), dst: ipv4('10.0.1.255') }),
        udp({}),
      ]),
    },
  ])
  t.match(v[0], { action: 'drop', reason: 'port_sec_mac' })
  t.match(v[1], { action: 'drop', reason: 'bad_ipv4_checksum' }, 'malformed before policy')
  t.match(v[2], { action: 'drop', reason: 'port_sec_ip' })
  t.match(v[3], { action: 'output' }, 'an allowed address pair CIDR')
  t.match(v[4], { action: 'drop', reason: 'port_sec_arp' }, 'ARP sha differs from eth src')
  t.match(v[5], { action: 'drop', reason: 'port_sec_arp' }, 'ARP spa not allowed')
  t.match(v[6], { action: 'flood' }, 'ARP probe from 0.0.0.0')
  t.match(v[7], { action: 'punt', reason: 'punt_dhcp' }, 'DHCP before an address')
  t.match(v[8], { action: 'output' }, 'IPv6 link-local')
  t.match(v[9], { action: 'drop', reason: 'port_sec_ip' })
  t.match(v[10], { action: 'flood' }, 'port security disabled')
})

t.test('ARP responder replies in place; unknown targets flood', async t => {
  const dp = await datapath()
  const req = fromVm1(BCAST, arp({ op: 1, sha: mac(VM1.mac), spa: ipv4(VM1.ip), tpa: ipv4(VM2.ip) }))
  const [reply, unknown] = dp.process([
    { in_port: 1, data: req },
    { in_port: 1, data: fromVm1(BCAST, arp({ op: 1, sha: mac(VM1.mac), spa: ipv4(VM1.ip), tpa: ipv4('10.0.0.99') })) },
  ])
  t.match(reply, { action: 'in_port', ofport: 1, reason: 'none' })
  const expected = buildFrame([
    ethernet({ src: mac(VM2.mac), dst: mac(VM1.mac) }),
    arp({ op: 2, sha: mac(VM2.mac), spa: ipv4(VM2.ip), tha: mac(VM1.mac), tpa: ipv4(VM1.ip) }),
  ])
  t.same(reply?.packet, expected)
  t.match(unknown, { action: 'flood' })
})

t.test('ND responder: a solicitation becomes an advertisement in place', async t => {
  const dp = await datapath()
  // A DAD solicitation (from ::) must carry no source link-layer address option (RFC 4861 7.1.1).
  const ns = (src: string, hopLimit = 255): Uint8Array =>
    fromVm1(
      '33:33:ff:00:00:01',
      ip6({ src: ipv6(src), dst: ipv6('ff02::1:ff00:1'), hopLimit }),
      ndNs(src === '::' ? { target: ipv6(R1.ip6) } : { target: ipv6(R1.ip6), sll: mac(VM1.mac) }),
    )
  const [na, dad, badHop] = dp.process([
    { in_port: 1, data: ns(VM1.ip6) },
    { in_port: 1, data: ns('::') },
    { in_port: 1, data: ns(VM1.ip6, 64) },
  ])
  t.match(na, { action: 'in_port', ofport: 1 })
  const f = decodeFrame(na!.packet)
  t.match(f, {
    eth_src: R1.mac,
    eth_dst: VM1.mac,
    ip_src: R1.ip6,
    ip_dst: VM1.ip6,
    hop_limit: 255,
    icmp_type: 136,
  })
  t.equal(f.icmp_checksum_ok, true)
  const flags = na!.packet[14 + 40 + 4] as number
  t.equal(flags, 0x80 | 0x40 | 0x20, 'router, solicited and override for a router port address')
  t.match(decodeFrame(dad!.packet), { ip_dst: 'ff02::1', eth_dst: '33:33:00:00:00:01' })
  t.equal((dad!.packet[14 + 40 + 4] as number) & 0x40, 0, 'DAD answers are not solicited')
  t.match(badHop, { action: 'drop', reason: 'bad_icmp' })
})

t.test('DHCP: batch punts, packet-in answers OFFER / ACK / NAK with the options in order', async t => {
  const dp = await datapath()
  const msg = (type: 'discover' | 'request' | 'release' | 'inform', requestedIp?: string, broadcast = false): Uint8Array =>
    fromVm1(
      BCAST,
      ip4({ src: ipv4('0.0.0.0'), dst: ipv4('255.255.255.255') }),
      udp({ sport: 68, dport: 67 }),
      dhcp({ xid: 0x1234, chaddr: mac(VM1.mac), type, broadcast, ...(requestedIp ? { requestedIp: ipv4(requestedIp) } : {}) }),
    )
  t.match(dp.process([{ in_port: 1, data: msg('discover') }])[0], { action: 'punt', reason: 'punt_dhcp' })
  const offer = dp.packetIn({ in_port: 1, data: msg('discover') }, 1000)
  t.match(offer.verdict, { action: 'punt', reason: 'punt_dhcp' })
  t.equal(offer.replies.length, 1)
  const o = decodeFrame(offer.replies[0]!.packet)
  t.match(o, {
    eth_src: R1.mac,
    eth_dst: VM1.mac,
    ip_src: R1.ip,
    ip_dst: VM1.ip,
    udp_src: 67,
    udp_dst: 68,
    udp_checksum_ok: true,
    ip_checksum_ok: true,
    dhcp_type: 'offer',
    dhcp_yiaddr: VM1.ip,
  })
  t.equal(offer.replies[0]!.ofport, 1)
  const ack = dp.packetIn({ in_port: 1, data: msg('request', VM1.ip) }, 1000)
  t.match(decodeFrame(ack.replies[0]!.packet), { dhcp_type: 'ack' })
  const nak = dp.packetIn({ in_port: 1, data: msg('request', '10.0.0.99') }, 1000)
  t.match(decodeFrame(nak.replies[0]!.packet), { dhcp_type: 'nak', ip_dst: '255.255.255.255' })
  const release = dp.packetIn({ in_port: 1, data: msg('release') }, 1000)
  t.match(release, { verdict: { action: 'punt', reason: 'punt_dhcp' }, replies: [] })
  const options = offerOptions(offer.replies[0]!.packet)
  t.same(
    options.map(o => o.code),
    [53, 54, 51, 58, 59, 1, 3, 6, 15, 26, 121, 252],
  )
  t.same(
    options.find(o => o.code === 121)?.value,
    [32, 169, 254, 169, 254, 10, 0, 0, 2, 0, 10, 0, 0, 1],
    'RFC 3442 host route then the default route',
  )
  t.same(options.find(o => o.code === 51)?.value, [0, 0, 0x0e, 0x10])
})

t.test('DHCP: rate limit per port, unknown port, malformed messages', async t => {
  const dp = await datapath()
  const discover = fromVm1(
    BCAST,
    ip4({ src: ipv4('0.0.0.0'), dst: ipv4('255.255.255.255') }),
    udp({ sport: 68, dport: 67 }),
    dhcp({ xid: 1, chaddr: mac(VM1.mac), type: 'discover' }),
  )
  const verdicts = Array.from({ length: 12 }, () => dp.packetIn({ in_port: 1, data: discover }, 5000).verdict.reason)
  t.same(verdicts.slice(0, 10), new Array(10).fill('punt_dhcp'))
  t.same(verdicts.slice(10), ['dhcp_rate_limit', 'dhcp_rate_limit'])
  t.equal(dp.packetIn({ in_port: 1, data: discover }, 5200).verdict.reason, 'punt_dhcp', 'refilled at 10/s')
  const noType = fromVm1(
    BCAST,
    ip4({ src: ipv4('0.0.0.0'), dst: ipv4('255.255.255.255') }),
    udp({ sport: 68, dport: 67 }),
    dhcp({ xid: 1, chaddr: mac(VM1.mac) }),
  )
  t.match(dp.packetIn({ in_port: 1, data: noType }, 9000).verdict, { action: 'drop', reason: 'bad_dhcp' })
  const otherChaddr = fromVm1(
    BCAST,
    ip4({ src: ipv4('0.0.0.0'), dst: ipv4('255.255.255.255') }),
    udp({ sport: 68, dport: 67 }),
    dhcp({ xid: 1, chaddr: mac(VM2.mac), type: 'discover' }),
  )
  t.match(dp.packetIn({ in_port: 1, data: otherChaddr }, 9000).verdict, { reason: 'bad_dhcp' })
  const fromPort4 = buildFrame([
    ethernet({ src: mac(VM4.mac), dst: mac(BCAST) }),
    ip4({ src: ipv4('0.0.0.0'), dst: ipv4('255.255.255.255') }),
    udp({ sport: 68, dport: 67 }),
    dhcp({ xid: 1, chaddr: mac(VM4.mac), type: 'discover' }),
  ])
  t.match(dp.process([{ in_port: 4, data: fromPort4 }])[0], { action: 'drop', reason: 'dhcp_unknown_port' })
})

/** The options of a DHCP reply frame (IPv4 without options, UDP), in order. */
function offerOptions(frame: Uint8Array): { code: number; value: number[] }[] {
  const out: { code: number; value: number[] }[] = []
  let at = 14 + 20 + 8 + 240
  while (at < frame.length && frame[at] !== 255) {
    const code = frame[at] as number
    if (code === 0) {
      at++
      continue
    }
    const len = frame[at + 1] as number
    out.push({ code, value: Array.from(frame.subarray(at + 2, at + 2 + len)) })
    at += 2 + len
  }
  return out
}

t.test('L3: routed with TTL - 1 and new MACs; router addresses answer echo; misses punt', async t => {
  const dp = await datapath()
  const toRouter = (ipDst: string, ttl = 64): Uint8Array => udpFrom1(R1.mac, ipDst, ttl)
  const v = dp.process([
    { in_port: 1, data: toRouter(VM4.ip) },
    { in_port: 1, data: toRouter('172.20.0.1') },
    { in_port: 1, data: toRouter('10.0.1.77') },
    { in_port: 1, data: toRouter('8.8.8.8') },
    { in_port: 1, data: toRouter(VM4.ip, 1) },
    { in_port: 1, data: fromVm1(R1.mac, ip4({ src: ipv4(VM1.ip), dst: ipv4(R1.ip) }), echo4({ id: 7, seq: 1 })) },
    { in_port: 1, data: fromVm1(R1.mac, ip4({ src: ipv4(VM1.ip), dst: ipv4(R1.ip) }), tcp({ sport: 5, dport: 22 })) },
    { in_port: 1, data: fromVm1(R1.mac, ip6({ src: ipv6(VM1.ip6), dst: ipv6(R1.ip6) }), echo6({ id: 7, seq: 1 })) },
    { in_port: 1, data: fromVm1(R1.mac, ip4({ src: ipv4(VM1.ip), dst: ipv4('8.8.8.8'), ttl: 1 }), echo4({ reply: false, id: 1, seq: 1 })) },
  ])
  t.match(v[0], { action: 'output', ofport: 4 })
  t.match(decodeFrame(v[0]!.packet), { eth_src: R2.mac, eth_dst: VM4.mac, ttl: 63, ip_checksum_ok: true })
  t.match(v[1], { action: 'output', ofport: 4 }, 'via the route nexthop')
  t.match(v[2], { action: 'punt', reason: 'punt_nexthop_miss' })
  t.match(v[3], { action: 'punt', reason: 'punt_icmp_error' }, 'no route')
  t.match(v[4], { action: 'punt', reason: 'punt_icmp_error' }, 'TTL 1')
  t.match(v[5], { action: 'in_port', ofport: 1 })
  t.match(decodeFrame(v[5]!.packet), { eth_src: R1.mac, eth_dst: VM1.mac, ip_src: R1.ip, ip_dst: VM1.ip, ttl: 64, icmp_type: 0 })
  t.match(v[6], { action: 'punt', reason: 'punt_router_local' })
  t.match(v[7], { action: 'in_port' })
  t.match(decodeFrame(v[7]!.packet), { ip_src: R1.ip6, ip_dst: VM1.ip6, icmp_type: 129 })
  t.match(v[8], { action: 'punt', reason: 'punt_icmp_error' })
})

t.test('ICMP errors on packet-in: time exceeded, unreachable, never for errors, rate limited', async t => {
  const dp = await datapath()
  const expired = udpFrom1(R1.mac, VM4.ip, 1)
  const r = dp.packetIn({ in_port: 1, data: expired }, 100)
  t.match(r.verdict, { action: 'punt', reason: 'punt_icmp_error' })
  const f = decodeFrame(r.replies[0]!.packet)
  t.match(f, { eth_src: R1.mac, eth_dst: VM1.mac, ip_src: R1.ip, ip_dst: VM1.ip, icmp_type: 11, icmp_code: 0, ttl: 64 })
  t.equal(r.replies[0]!.packet.length, 14 + 20 + 8 + 20 + 8, 'the original header and 8 bytes')
  const unreach = dp.packetIn({ in_port: 1, data: udpFrom1(R1.mac, '8.8.8.8') }, 100)
  t.match(decodeFrame(unreach.replies[0]!.packet), { icmp_type: 3, icmp_code: 0 })
  const v6 = dp.packetIn({ in_port: 1, data: fromVm1(R1.mac, ip6({ src: ipv6(VM1.ip6), dst: ipv6('2001:db9::1') }), udp({})) }, 100)
  t.match(decodeFrame(v6.replies[0]!.packet), { ip_src: R1.ip6, icmp_type: 1, icmp_code: 0 })
  const errorItself = fromVm1(R1.mac, ip4({ src: ipv4(VM1.ip), dst: ipv4('8.8.8.8'), ttl: 1 }), {
    kind: 'icmp4',
    type: 3,
    code: 1,
    payload: new Uint8Array(28),
  })
  t.match(dp.packetIn({ in_port: 1, data: errorItself }, 100), { verdict: { action: 'drop', reason: 'ttl_expired' }, replies: [] })
  const limited = Array.from({ length: 10 }, () => dp.packetIn({ in_port: 1, data: expired }, 100).verdict.reason)
  t.equal(limited.filter(x => x === 'icmp_rate_limit').length, 3, 'burst 10 per port, 3 used above')
})

t.test('tunnels: VXLAN and Geneve frames are decapsulated and classified by VNI', async t => {
  const dp = await datapath()
  const inner = [
    ethernet({ src: mac(REMOTE.mac), dst: mac(VM1.mac) }),
    ip4({ src: ipv4(REMOTE.ip), dst: ipv4(VM1.ip) }),
    udp({ sport: 1, dport: 2 }),
  ] as const
  const outer = [
    ethernet({ src: mac('02:00:00:00:00:0a'), dst: mac('02:00:00:00:00:0b') }),
    ip4({ src: ipv4('192.0.2.10'), dst: ipv4('192.0.2.1') }),
  ] as const
  const v = dp.process([
    { in_port: 50, data: buildFrame([...outer, udp({ sport: 5555, dport: 4789 }), vxlan({ vni: 100 }), ...inner]) },
    { in_port: 50, data: buildFrame([...outer, udp({ sport: 5555, dport: 6081 }), geneve({ vni: 100 }), ...inner]) },
    { in_port: 50, data: buildFrame([...outer, udp({ sport: 5555, dport: 4789 }), vxlan({ vni: 101 }), ...inner]) },
    { in_port: 50, data: buildFrame([...outer, udp({ sport: 5555, dport: 4789 }), vxlan({ vni: 100, flags: 0 }), ...inner]) },
    { in_port: 50, tunnel_key: 100, data: buildFrame([...inner]) },
  ])
  t.match(v[0], { action: 'output', ofport: 1 })
  t.same(v[0]?.packet, buildFrame([...inner]), 'the inner frame leaves')
  t.match(v[1], { action: 'output', ofport: 1 })
  t.match(v[2], { action: 'drop', reason: 'unknown_tunnel_key' })
  t.match(v[3], { action: 'drop', reason: 'bad_tunnel' })
  t.match(v[4], { action: 'output', ofport: 1 })
})

t.test('malformed frames are dropped with the most specific reason and never trap', async t => {
  const dp = await datapath()
  const good = udpFrom1(VM2.mac, VM2.ip)
  const v = dp.process([
    { in_port: 1, data: new Uint8Array(0) },
    { in_port: 1, data: good.subarray(0, 13) },
    { in_port: 1, data: good.subarray(0, 16) },
    { in_port: 1, data: good.subarray(0, 30) },
    { in_port: 1, data: fromVm1(VM2.mac, ip4({ src: ipv4(VM1.ip), dst: ipv4(VM2.ip), ihl: 4 }), udp({})) },
    { in_port: 1, data: fromVm1(VM2.mac, ip4({ src: ipv4(VM1.ip), dst: ipv4(VM2.ip), checksum: 'bad' }), udp({})) },
    {
      in_port: 1,
      data: buildFrame([ethernet({ src: mac(BCAST), dst: mac(VM2.mac) }), ip4({ src: ipv4(VM1.ip), dst: ipv4(VM2.ip) }), udp({})]),
    },
    { in_port: 1, data: fromVm1(BCAST, arp({ op: 3, sha: mac(VM1.mac), spa: ipv4(VM1.ip), tpa: ipv4(VM2.ip) })) },
    {
      in_port: 1,
      data: fromVm1(VM2.mac, ip4({ src: ipv4(VM1.ip), dst: ipv4(VM2.ip), protocol: 17, totalLength: 24 }), {
        kind: 'raw',
        bytes: new Uint8Array(4),
      }),
    },
  ])
  t.same(
    v.map(x => x.reason),
    [
      'truncated',
      'truncated',
      'bad_ipv4_header',
      'bad_ipv4_header',
      'bad_ipv4_header',
      'bad_ipv4_checksum',
      'src_mac_multicast',
      'bad_arp',
      'truncated',
    ],
  )
  // random bytes: any verdict, but a verdict
  let seed = 7
  const rand = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24
  const noise = Array.from({ length: 2000 }, (_, i) => {
    const data = Uint8Array.from(good.subarray(0, 14 + (i % 80)), b => (rand() < 20 ? rand() : b))
    return { in_port: 1, data }
  })
  t.equal(dp.process(noise).length, 2000)
  // mutated frames of every kind the slow path consumes, through packet-in and trace
  const seeds = [
    fromVm1(
      BCAST,
      ip4({ src: ipv4('0.0.0.0'), dst: ipv4('255.255.255.255') }),
      udp({ sport: 68, dport: 67 }),
      dhcp({ xid: 1, chaddr: mac(VM1.mac), type: 'request', requestedIp: ipv4(VM1.ip) }),
    ),
    fromVm1(
      '33:33:ff:00:00:01',
      ip6({ src: ipv6(VM1.ip6), dst: ipv6('ff02::1:ff00:1'), hopLimit: 255 }),
      ndNs({ target: ipv6(R1.ip6), sll: mac(VM1.mac) }),
    ),
    fromVm1(R1.mac, ip4({ src: ipv4(VM1.ip), dst: ipv4(R1.ip) }), echo4({ id: 1, seq: 1 })),
    fromVm1(R1.mac, ip6({ src: ipv6(VM1.ip6), dst: ipv6('2001:db9::1'), hopLimit: 1 }), udp({})),
    udpFrom1(R1.mac, '8.8.8.8', 1),
  ]
  let calls = 0
  for (let i = 0; i < 3000; i++) {
    const seedFrame = seeds[i % seeds.length] as Uint8Array
    const cut = rand() < 30 ? rand() % seedFrame.length : seedFrame.length
    const data = Uint8Array.from(seedFrame.subarray(0, cut), b => (rand() < 8 ? rand() : b))
    const r = i % 2 === 0 ? dp.packetIn({ in_port: 1, data }, i) : dp.trace({ in_port: 1, data }, i)
    if (r.verdict.action) calls++
  }
  t.equal(calls, 3000, 'packet-in and trace give a verdict for every mutated frame')
})

t.test('trace records each stage with words', async t => {
  const dp = await datapath()
  const r = dp.trace({ in_port: 1, data: udpFrom1(R1.mac, VM4.ip) }, 0)
  t.same(
    r.steps.map(s => `${s.stage}:${s.outcome}`),
    [
      'parse:hit',
      'ls_in_classify:hit',
      'ls_in_port_sec:hit',
      'ls_in_arp_nd_rsp:skip',
      'ls_in_dhcp:skip',
      'lr_in_dnat:miss',
      'lr_in_ip_route:hit',
      'lr_in_ip_route:hit',
      'lr_in_arp_resolve:hit',
      'lr_out_snat:skip',
      'ls_in_l2_lkup:hit',
      'ls_out_dispatch:hit',
    ],
  )
  t.match(r.steps[7]?.detail, /matched 10\.0\.1\.0\/24, out port 11/)
  t.match(r.verdict, { action: 'output', ofport: 4 })
})
