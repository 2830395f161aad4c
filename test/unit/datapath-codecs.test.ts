// The header codecs, seen through the pipeline: IPv4 options and fragments, IPv6 extension headers, the
// incremental TTL checksum (RFC 1624), L4 checksums where the pipeline consumes them, Geneve options.
import t from 'tap'
import { createDatapath } from '../../datapath/host/index.js'
import type { Datapath } from '../../datapath/host/index.js'
import { ipv4, ipv6, mac } from '../../datapath/host/addresses.js'
import { buildFrame, dhcp, echo4, echo6, ethernet, geneve, ip4, ip6, ip6Ext, tcp, udp } from '../../datapath/host/packet-builder.js'
import type { Layer } from '../../datapath/host/packet-builder.js'
import { decodeFrame } from '../../datapath/host/packet-decoder.js'

const VM = 'fa:16:3e:00:00:01'
const PEER = 'fa:16:3e:00:00:02'
const RTR = 'fa:16:3e:00:01:01'

async function datapath(): Promise<Datapath> {
  const dp = await createDatapath()
  dp.load({
    entries: [
      { stage: 'classify', in_port: 1, network: 1, port: 1 },
      { stage: 'classify', tunnel_key: 9, network: 1 },
      { stage: 'port_sec', port: 1, disabled: true },
      { stage: 'dhcp', port: 1, mac: VM, ip: '10.0.0.5', prefix_len: 24, server_ip: '10.0.0.1', server_mac: RTR },
      { stage: 'l2', network: 1, mac: PEER, port: 2 },
      { stage: 'l2', network: 2, mac: PEER, port: 2 },
      { stage: 'egress', port: 2, local: 2 },
      { stage: 'router_port', port: 10, router: 1, network: 1, mac: RTR, ips: ['10.0.0.1/24', '2001:db8::1/64'] },
      { stage: 'router_port', port: 11, router: 1, network: 2, mac: 'fa:16:3e:00:01:02', ips: ['10.0.2.1/24', '2001:db8:2::1/64'] },
      { stage: 'route', router: 1, prefix: '0.0.0.0/0', port: 11, nexthop: '10.0.2.9' },
      { stage: 'route', router: 1, prefix: '::/0', port: 11, nexthop: '2001:db8:2::9' },
      { stage: 'nexthop', network: 2, ip: '10.0.2.9', mac: PEER },
      { stage: 'nexthop', network: 2, ip: '2001:db8:2::9', mac: PEER },
    ],
  })
  return dp
}

const frame = (dst: string, ...layers: Layer[]): Uint8Array => buildFrame([ethernet({ src: mac(VM), dst: mac(dst) }), ...layers])
const reason = (dp: Datapath, data: Uint8Array, in_port = 1): string => {
  const v = dp.process([{ in_port, data }])[0]!
  return v.reason === 'none' ? v.action : v.reason
}
/** The tunnel port: an in_port no classify entry names. */
const TUNNEL_PORT = 99

t.test('IPv4 options: walked inside the IHL', async t => {
  const dp = await datapath()
  const opts = (bytes: number[]): Uint8Array =>
    frame(PEER, ip4({ src: ipv4('10.0.0.5'), dst: ipv4('10.0.0.6'), options: Uint8Array.from(bytes) }), udp({}))
  t.equal(reason(dp, opts([1, 1, 1, 0])), 'output', 'NOPs and end of list')
  t.equal(reason(dp, opts([7, 7, 4, 0, 0, 0, 0, 0])), 'output', 'record route')
  t.equal(reason(dp, opts([7, 9, 4, 0])), 'bad_ipv4_header', 'an option longer than the header')
  t.equal(reason(dp, opts([7, 1, 0, 0])), 'bad_ipv4_header', 'an option length below 2')
})

t.test('IPv4 fragments: later fragments carry no L4 header', async t => {
  const dp = await datapath()
  const later = frame(PEER, ip4({ src: ipv4('10.0.0.5'), dst: ipv4('10.0.0.6'), protocol: 6, fragOffset: 100 }), {
    kind: 'raw',
    bytes: new Uint8Array(4),
  })
  const firstShort = frame(PEER, ip4({ src: ipv4('10.0.0.5'), dst: ipv4('10.0.0.6'), protocol: 6, mf: true }), {
    kind: 'raw',
    bytes: new Uint8Array(4),
  })
  t.equal(reason(dp, later), 'output')
  t.equal(reason(dp, firstShort), 'truncated')
  t.equal(
    reason(dp, frame(PEER, ip4({ src: ipv4('10.0.0.5'), dst: ipv4('10.0.0.6') }), tcp({ sport: 1, dport: 2, dataOffset: 15 }))),
    'truncated',
    'TCP data offset past the end',
  )
})

t.test('IPv6 extension headers: skipped, bounded, and checked against the payload', async t => {
  const dp = await datapath()
  const v6 = (...rest: Layer[]): Uint8Array => frame(PEER, ip6({ src: ipv6('2001:db8::5'), dst: ipv6('2001:db8::6') }), ...rest)
  t.equal(reason(dp, v6(ip6Ext({ ext: 'hop-by-hop' }), ip6Ext({ ext: 'routing' }), ip6Ext({ ext: 'destination' }), udp({}))), 'output')
  t.equal(reason(dp, v6(...Array.from({ length: 8 }, () => ip6Ext({ ext: 'destination' })), udp({}))), 'output', '8 are fine')
  t.equal(reason(dp, v6(...Array.from({ length: 9 }, () => ip6Ext({ ext: 'destination' })), udp({}))), 'bad_ipv6_ext', '9 are too many')
  t.equal(reason(dp, v6(ip6Ext({ ext: 'destination', headerLength: 20 }), udp({}))), 'bad_ipv6_ext', 'runs past the payload')
  t.equal(reason(dp, v6(ip6Ext({ ext: 'fragment', offset: 8 }), { kind: 'raw', bytes: new Uint8Array(2) })), 'output', 'a later fragment')
  t.equal(
    reason(dp, frame(PEER, ip6({ src: ipv6('2001:db8::5'), dst: ipv6('2001:db8::6'), payloadLength: 500 }), udp({}))),
    'bad_ipv6_header',
  )
  t.equal(reason(dp, frame(PEER, ip6({ src: ipv6('2001:db8::5'), dst: ipv6('2001:db8::6'), version: 4 }), udp({}))), 'bad_ipv6_header')
})

t.test('TTL decrement keeps the IPv4 checksum right for every TTL (RFC 1624)', async t => {
  const dp = await datapath()
  const packets = Array.from({ length: 254 }, (_, i) => ({
    in_port: 1,
    data: frame(RTR, ip4({ src: ipv4('10.0.0.5'), dst: ipv4(`198.51.${i}.${255 - i}`), ttl: i + 2, id: i * 257, tos: i }), udp({})),
  }))
  const verdicts = dp.process(packets)
  const bad = verdicts.filter((v, i) => {
    const f = decodeFrame(v.packet)
    return v.action !== 'output' || f.ip_checksum_ok !== true || f.ttl !== i + 1
  })
  t.equal(bad.length, 0, 'every routed packet has TTL - 1 and a valid checksum')
  const v6 = dp.process([
    { in_port: 1, data: frame(RTR, ip6({ src: ipv6('2001:db8::5'), dst: ipv6('2001:db8:9::1'), hopLimit: 2 }), udp({})) },
  ])[0]!
  t.match(decodeFrame(v6.packet), { hop_limit: 1, eth_dst: PEER, eth_src: 'fa:16:3e:00:01:02' })
})

t.test('L4 checksums are verified where the pipeline consumes the packet', async t => {
  const dp = await datapath()
  t.equal(
    reason(dp, frame(RTR, ip4({ src: ipv4('10.0.0.5'), dst: ipv4('10.0.0.1') }), echo4({ id: 1, seq: 1, checksum: 'bad' }))),
    'bad_l4_checksum',
  )
  t.equal(
    reason(dp, frame(RTR, ip6({ src: ipv6('2001:db8::5'), dst: ipv6('2001:db8::1') }), echo6({ id: 1, seq: 1, checksum: 'bad' }))),
    'bad_l4_checksum',
  )
  const discover = (checksum?: 'bad' | 'none'): Uint8Array =>
    frame(
      'ff:ff:ff:ff:ff:ff',
      ip4({ src: ipv4('0.0.0.0'), dst: ipv4('255.255.255.255') }),
      udp({ sport: 68, dport: 67, ...(checksum ? { checksum } : {}) }),
      dhcp({ xid: 5, chaddr: mac(VM), type: 'discover' }),
    )
  t.match(dp.packetIn({ in_port: 1, data: discover('bad') }, 0).verdict, { action: 'drop', reason: 'bad_l4_checksum' })
  t.equal(dp.packetIn({ in_port: 1, data: discover('none') }, 0).replies.length, 1, 'zero means no checksum (RFC 768)')
  t.equal(
    reason(dp, frame(PEER, ip4({ src: ipv4('10.0.0.5'), dst: ipv4('10.0.0.6') }), udp({ checksum: 'bad' }))),
    'output',
    'forwarded traffic is not checked',
  )
})

t.test('Geneve: options skipped, bad headers refused', async t => {
  const dp = await datapath()
  const inner: Layer[] = [
    ethernet({ src: mac('fa:16:3e:00:00:07'), dst: mac(PEER) }),
    ip4({ src: ipv4('10.0.0.7'), dst: ipv4('10.0.0.6') }),
    udp({}),
  ]
  const outer = (g: Layer, ...rest: Layer[]): Uint8Array =>
    buildFrame([
      ethernet({ src: mac('02:00:00:00:00:01'), dst: mac('02:00:00:00:00:02') }),
      ip4({ src: ipv4('192.0.2.1'), dst: ipv4('192.0.2.2') }),
      udp({ sport: 9, dport: 6081 }),
      g,
      ...rest,
    ])
  t.equal(reason(dp, outer(geneve({ vni: 9, options: new Uint8Array(8) }), ...inner), TUNNEL_PORT), 'output')
  t.equal(reason(dp, outer(geneve({ vni: 9, optLenWords: 60 }), ...inner), TUNNEL_PORT), 'bad_tunnel', 'options past the end')
  t.equal(reason(dp, outer(geneve({ vni: 9, protocol: 0x0800 }), ...inner), TUNNEL_PORT), 'bad_tunnel', 'not an Ethernet payload')
  t.equal(
    reason(dp, outer(geneve({ vni: 9 }), { kind: 'raw', bytes: new Uint8Array(6) }), TUNNEL_PORT),
    'truncated',
    'inner frame too short',
  )
  // a workload sending Geneve from its own port is switched as the UDP it is: never decapsulated into network 9's
  t.equal(reason(dp, outer(geneve({ vni: 9, options: new Uint8Array(8) }), ...inner)), 'flood', 'from a local port: not a tunnel')
  const shortHeader = (dport: number): Uint8Array =>
    buildFrame([
      ethernet({ src: mac('02:00:00:00:00:01'), dst: mac('02:00:00:00:00:02') }),
      ip4({ src: ipv4('192.0.2.1'), dst: ipv4('192.0.2.2') }),
      udp({ sport: 9, dport }),
      { kind: 'raw', bytes: Uint8Array.of(8, 0, 0, 0) },
    ])
  t.equal(reason(dp, shortHeader(4789), TUNNEL_PORT), 'bad_tunnel', 'a VXLAN header cut short')
  t.equal(reason(dp, shortHeader(6081), TUNNEL_PORT), 'bad_tunnel', 'a Geneve base header cut short')
})
