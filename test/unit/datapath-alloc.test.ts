// Zero allocation per packet: the WASM allocator's top (an exported probe) does not move across a batch of
// 10k mixed packets, nor across packet-ins that build replies, once the buffers have grown to their size; nor on
// the port-security paths (address checks, the NA target check, the rogue-RA guard).
import t from 'tap'
import { createDatapath } from '../../datapath/host/index.js'
import { ipv4, ipv6, mac } from '../../datapath/host/addresses.js'
import { arp, buildFrame, dhcp, echo4, ethernet, ip4, ip6, ndNa, ndNs, ndRa, udp } from '../../datapath/host/packet-builder.js'

t.test('a 10k-packet batch and repeated packet-ins allocate nothing', async t => {
  const dp = await createDatapath()
  dp.load({
    entries: [
      { stage: 'classify', in_port: 1, network: 1, port: 1 },
      { stage: 'port_sec', port: 1, disabled: true },
      { stage: 'arp_nd', network: 1, ip: '10.0.0.1', mac: 'fa:16:3e:00:01:01' },
      { stage: 'arp_nd', network: 1, ip: '2001:db8::1', mac: 'fa:16:3e:00:01:01' },
      {
        stage: 'dhcp',
        port: 1,
        mac: 'fa:16:3e:00:00:01',
        ip: '10.0.0.5',
        prefix_len: 24,
        server_ip: '10.0.0.1',
        server_mac: 'fa:16:3e:00:01:01',
        rate: 1000,
      },
      { stage: 'router_port', port: 10, router: 1, network: 1, mac: 'fa:16:3e:00:01:01', ips: ['10.0.0.1/24'] },
      { stage: 'router_port', port: 11, router: 1, network: 2, mac: 'fa:16:3e:00:01:02', ips: ['10.0.1.1/24'] },
      { stage: 'route', router: 1, prefix: '10.0.1.0/24', port: 11 },
      { stage: 'nexthop', network: 2, ip: '10.0.1.5', mac: 'fa:16:3e:00:00:04' },
      { stage: 'l2', network: 2, mac: 'fa:16:3e:00:00:04', port: 4 },
      { stage: 'l2', network: 1, mac: 'fa:16:3e:00:00:02', port: 2 },
      { stage: 'egress', port: 4, local: 4 },
      { stage: 'egress', port: 2, remote: '192.0.2.9' },
    ],
  })
  const vm = mac('fa:16:3e:00:00:01')
  const router = mac('fa:16:3e:00:01:01')
  const frames = [
    buildFrame([ethernet({ src: vm, dst: mac('fa:16:3e:00:00:02') }), ip4({ src: ipv4('10.0.0.5'), dst: ipv4('10.0.0.6') }), udp({})]),
    buildFrame([ethernet({ src: vm, dst: router }), ip4({ src: ipv4('10.0.0.5'), dst: ipv4('10.0.1.5') }), udp({})]),
    buildFrame([ethernet({ src: vm, dst: router }), ip4({ src: ipv4('10.0.0.5'), dst: ipv4('10.0.0.1') }), echo4({ id: 1, seq: 1 })]),
    buildFrame([
      ethernet({ src: vm, dst: mac('ff:ff:ff:ff:ff:ff') }),
      arp({ op: 1, sha: vm, spa: ipv4('10.0.0.5'), tpa: ipv4('10.0.0.1') }),
    ]),
    buildFrame([
      ethernet({ src: vm, dst: mac('33:33:ff:00:00:01') }),
      ip6({ src: ipv6('2001:db8::5'), dst: ipv6('ff02::1:ff00:1'), hopLimit: 255 }),
      ndNs({ target: ipv6('2001:db8::1'), sll: vm }),
    ]),
    buildFrame([ethernet({ src: vm, dst: router }), ip4({ src: ipv4('10.0.0.5'), dst: ipv4('8.8.8.8'), ttl: 1 }), udp({})]),
    new Uint8Array(7),
  ]
  const batch = dp.encodeBatch(Array.from({ length: 10_000 }, (_, i) => ({ in_port: 1, data: frames[i % frames.length]! })))
  t.equal(dp.processEncoded(batch), 10_000, 'warm-up: buffers grow to the batch size')
  const before = dp.heapTop()
  t.equal(dp.processEncoded(batch), 10_000)
  t.equal(dp.processEncoded(batch), 10_000)
  t.equal(dp.heapTop(), before, 'no allocation across 20k packets')

  // drops from ports the node has never seen: counted without growing the counter table
  const unknownPorts = dp.encodeBatch(Array.from({ length: 5000 }, (_, i) => ({ in_port: 1000 + i, data: frames[0]! })))
  dp.processEncoded(unknownPorts)
  const beforeUnknown = dp.heapTop()
  dp.processEncoded(dp.encodeBatch(Array.from({ length: 5000 }, (_, i) => ({ in_port: 900_000 + i, data: frames[0]! }))))
  t.equal(dp.heapTop(), beforeUnknown, 'no allocation for drops on 5000 new ports')
  const c = dp.counters()
  t.equal(c.reasons.unknown_in_port, 10_000)
  t.ok((c.perPort[0xffffffff]?.unknown_in_port ?? 0) > 0, 'ports beyond the table share one row')

  const discover = buildFrame([
    ethernet({ src: vm, dst: mac('ff:ff:ff:ff:ff:ff') }),
    ip4({ src: ipv4('0.0.0.0'), dst: ipv4('255.255.255.255') }),
    udp({ sport: 68, dport: 67 }),
    dhcp({ xid: 9, chaddr: vm, type: 'discover' }),
  ])
  dp.packetIn({ in_port: 1, data: discover }, 0)
  dp.trace({ in_port: 1, data: frames[5]! }, 0)
  const beforeSlow = dp.heapTop()
  for (let i = 0; i < 200; i++) {
    t.equal(dp.packetIn({ in_port: 1, data: discover }, i * 10).replies.length, 1)
    dp.trace({ in_port: 1, data: frames[i % frames.length]! }, i * 10)
  }
  t.equal(dp.heapTop(), beforeSlow, 'no allocation across packet-ins and traces')
})

t.test('port security (addresses, NA targets, router advertisements) allocates nothing', async t => {
  const dp = await createDatapath()
  const vm = mac('fa:16:3e:00:00:01')
  dp.load({
    entries: [
      { stage: 'classify', in_port: 1, network: 1, port: 1 },
      { stage: 'port_sec', port: 1, mac: 'fa:16:3e:00:00:01', ips: ['10.0.0.5/32', '2001:db8::5/128', '2001:db8:1::/64'] },
      { stage: 'l2', network: 1, mac: 'fa:16:3e:00:00:02', port: 2 },
      { stage: 'egress', port: 2, local: 2 },
    ],
  })
  const peer = mac('fa:16:3e:00:00:02')
  const na = (src: string, target: string): Uint8Array =>
    buildFrame([
      ethernet({ src: vm, dst: peer }),
      ip6({ src: ipv6(src), dst: ipv6('2001:db8::6'), hopLimit: 255 }),
      ndNa({ target: ipv6(target), solicited: true, tll: vm }),
    ])
  const frames = [
    buildFrame([ethernet({ src: vm, dst: peer }), ip4({ src: ipv4('10.0.0.5'), dst: ipv4('10.0.0.6') }), udp({})]),
    buildFrame([ethernet({ src: vm, dst: peer }), ip4({ src: ipv4('10.0.0.99'), dst: ipv4('10.0.0.6') }), udp({})]),
    na('2001:db8::5', '2001:db8::5'),
    na('fe80::f816:3eff:fe00:1', 'fe80::f816:3eff:fe00:1'),
    na('2001:db8:1::7', '2001:db8:1::7'),
    na('2001:db8::5', '2001:db8::6'),
    buildFrame([
      ethernet({ src: vm, dst: mac('33:33:00:00:00:01') }),
      ip6({ src: ipv6('fe80::f816:3eff:fe00:1'), dst: ipv6('ff02::1'), hopLimit: 255 }),
      ndRa({ sll: vm, prefixes: [{ prefix: ipv6('2001:db8:9::'), length: 64 }] }),
    ]),
  ]
  const batch = dp.encodeBatch(Array.from({ length: 7_000 }, (_, i) => ({ in_port: 1, data: frames[i % frames.length]! })))
  t.equal(dp.processEncoded(batch), 7_000, 'warm-up')
  const before = dp.heapTop()
  t.equal(dp.processEncoded(batch), 7_000)
  t.equal(dp.heapTop(), before, 'no allocation across 7k port-security checks')
  const c = dp.counters()
  t.equal(
    c.reasons.port_sec_ip,
    6_000,
    'per 7 frames, the spoofed source, the NA for another address and the RA were dropped (the paths ran)',
  )
})
