// Entries: every table's add, replace and remove seen through the verdicts they cause, and bad entries refused
// with an EntryError whose code says why, by the host encoder or by the WASM loader itself.
import t from 'tap'
import { createDatapath, EntryError } from '../../datapath/host/index.js'
import type { Datapath, Entry } from '../../datapath/host/index.js'
import { loadCoreBackend } from '../../datapath/host/core-backend.js'
import { encodeEntry } from '../../datapath/host/entry-codec.js'
import { ipv4, ipv6, mac } from '../../datapath/host/addresses.js'
import { arp, buildFrame, dhcp, ethernet, ip4, ip6, ndNs, udp } from '../../datapath/host/packet-builder.js'

const A = 'fa:16:3e:00:00:0a'
const B = 'fa:16:3e:00:00:0b'
const R = 'fa:16:3e:00:00:99'
const base: Entry[] = [
  { stage: 'classify', in_port: 1, network: 1, port: 1 },
  { stage: 'port_sec', port: 1, mac: A, ips: ['10.0.0.10/32'] },
  { stage: 'l2', network: 1, mac: B, port: 2 },
  { stage: 'egress', port: 2, local: 2 },
]
const aToB = buildFrame([ethernet({ src: mac(A), dst: mac(B) }), ip4({ src: ipv4('10.0.0.10'), dst: ipv4('10.0.0.11') }), udp({})])
const send = (dp: Datapath, data = aToB, in_port = 1): string => {
  const v = dp.process([{ in_port, data }])[0]!
  return `${v.action}${v.reason !== 'none' ? ` ${v.reason}` : ''}${v.ofport !== undefined ? ` ${v.ofport}` : ''}`
}

async function loaded(extra: Entry[] = []): Promise<Datapath> {
  const dp = await createDatapath()
  dp.load({ entries: [...base, ...extra] })
  return dp
}

t.test('classify, l2, egress: add, replace, remove', async t => {
  const dp = await loaded()
  t.equal(send(dp), 'output 2')
  dp.add({ stage: 'egress', port: 2, local: 7 })
  t.equal(send(dp), 'output 7', 'egress replaced')
  dp.add({ stage: 'egress', port: 2, remote: '192.0.2.1' })
  t.equal(send(dp), 'tunnel')
  dp.remove({ stage: 'egress', port: 2, local: 7 })
  t.equal(send(dp), 'drop egress_no_port')
  dp.add({ stage: 'egress', port: 3, local: 3 })
  dp.add({ stage: 'l2', network: 1, mac: B, port: 3 })
  t.equal(send(dp), 'output 3', 'l2 replaced')
  dp.remove({ stage: 'l2', network: 1, mac: B, port: 3 })
  t.equal(send(dp), 'flood', 'unknown unicast floods')
  dp.add({ stage: 'classify', in_port: 1, network: 2, port: 1 })
  t.equal(dp.process([{ in_port: 1, data: aToB }])[0]?.network, 2, 'classify replaced')
  dp.remove({ stage: 'classify', in_port: 1, network: 2, port: 1 })
  t.equal(send(dp), 'drop unknown_in_port')
  dp.remove({ stage: 'classify', in_port: 1, network: 2, port: 1 })
  t.pass('removing twice is not an error')
})

t.test('port_sec: rows per MAC, replace, disable', async t => {
  const dp = await loaded()
  dp.add({ stage: 'port_sec', port: 1, mac: A, ips: ['10.0.0.0/30'] })
  t.equal(send(dp), 'drop port_sec_ip', 'replaced row no longer has .10')
  dp.add({ stage: 'port_sec', port: 1, disabled: true })
  t.equal(send(dp), 'output 2', 'disabled wins')
  dp.remove({ stage: 'port_sec', port: 1, disabled: true })
  dp.remove({ stage: 'port_sec', port: 1, mac: A })
  t.equal(send(dp), 'drop port_sec_mac')
})

t.test('arp_nd, dhcp, nexthop, router_port, route: add, replace, remove', async t => {
  const dp = await loaded([{ stage: 'arp_nd', network: 1, ip: '10.0.0.11', mac: B }])
  const who = buildFrame([
    ethernet({ src: mac(A), dst: mac('ff:ff:ff:ff:ff:ff') }),
    arp({ op: 1, sha: mac(A), spa: ipv4('10.0.0.10'), tpa: ipv4('10.0.0.11') }),
  ])
  t.equal(send(dp, who), 'in_port 1')
  dp.add({ stage: 'arp_nd', network: 1, ip: '10.0.0.11', mac: R })
  t.equal(
    dp
      .process([{ in_port: 1, data: who }])[0]
      ?.packet.subarray(6, 12)
      .join(),
    [0xfa, 0x16, 0x3e, 0, 0, 0x99].join(),
    'replaced answer',
  )
  dp.remove({ stage: 'arp_nd', network: 1, ip: '10.0.0.11', mac: R })
  t.equal(send(dp, who), 'flood')

  const discover = buildFrame([
    ethernet({ src: mac(A), dst: mac('ff:ff:ff:ff:ff:ff') }),
    ip4({ src: ipv4('0.0.0.0'), dst: ipv4('255.255.255.255') }),
    udp({ sport: 68, dport: 67 }),
    dhcp({ xid: 1, chaddr: mac(A), type: 'discover' }),
  ])
  t.equal(send(dp, discover), 'drop dhcp_unknown_port')
  const dhcpEntry: Entry = { stage: 'dhcp', port: 1, mac: A, ip: '10.0.0.10', prefix_len: 24, server_ip: '10.0.0.1', server_mac: R }
  dp.add(dhcpEntry)
  t.equal(send(dp, discover), 'punt punt_dhcp')
  dp.remove(dhcpEntry)
  t.equal(send(dp, discover), 'drop dhcp_unknown_port')

  const toRouter = buildFrame([ethernet({ src: mac(A), dst: mac(R) }), ip4({ src: ipv4('10.0.0.10'), dst: ipv4('10.9.0.5') }), udp({})])
  t.equal(send(dp, toRouter), 'flood', 'no router port: switched')
  dp.add({ stage: 'router_port', port: 20, router: 5, network: 1, mac: R, ips: ['10.0.0.1/24'] })
  dp.add({ stage: 'router_port', port: 21, router: 5, network: 9, mac: 'fa:16:3e:00:09:01', ips: ['10.9.0.1/24'] })
  t.equal(send(dp, toRouter), 'punt punt_icmp_error', 'no route yet')
  dp.add({ stage: 'route', router: 5, prefix: '10.9.0.0/24', port: 21 })
  t.equal(send(dp, toRouter), 'punt punt_nexthop_miss')
  dp.add({ stage: 'nexthop', network: 9, ip: '10.9.0.5', mac: 'fa:16:3e:00:09:05' })
  dp.add({ stage: 'l2', network: 9, mac: 'fa:16:3e:00:09:05', port: 2 })
  t.equal(send(dp, toRouter), 'output 2')
  dp.add({ stage: 'route', router: 5, prefix: '10.9.0.0/24', port: 21, nexthop: '10.9.0.77' })
  t.equal(send(dp, toRouter), 'punt punt_nexthop_miss', 'route replaced: new next hop')
  dp.add({ stage: 'router_port', port: 21, router: 5, network: 9, mac: 'fa:16:3e:00:09:02', ips: ['10.9.0.1/24'] })
  dp.remove({ stage: 'route', router: 5, prefix: '10.9.0.0/24', port: 21 })
  t.equal(send(dp, toRouter), 'punt punt_icmp_error', 'route removed')
  dp.remove({ stage: 'nexthop', network: 9, ip: '10.9.0.5', mac: 'fa:16:3e:00:09:05' })
  dp.remove({ stage: 'router_port', port: 20, router: 5, network: 1, mac: R, ips: [] })
  t.equal(send(dp, toRouter), 'flood', 'router port removed: switched again')
})

t.test('classify by tunnel key: add and remove', async t => {
  const dp = await loaded([{ stage: 'classify', tunnel_key: 500, network: 1 }])
  t.equal(send(dp, aToB.slice(), 77).startsWith('drop'), true)
  t.equal(dp.process([{ in_port: 77, tunnel_key: 500, data: aToB }])[0]?.action, 'output')
  dp.remove({ stage: 'classify', tunnel_key: 500, network: 1 })
  t.equal(dp.process([{ in_port: 77, tunnel_key: 500, data: aToB }])[0]?.reason, 'unknown_tunnel_key')
  t.equal(
    dp.process([
      {
        in_port: 1,
        data: buildFrame([
          ethernet({ src: mac(A), dst: mac('33:33:00:00:00:01') }),
          ip6({ src: ipv6('fe80::1'), dst: ipv6('ff02::1'), hopLimit: 255 }),
          ndNs({ target: ipv6('fe80::2') }),
        ]),
      },
    ])[0]?.action,
    'flood',
  )
})

t.test('uplink, egress uplink, nat, router_gateway: add, replace, remove', async t => {
  // port 2 is on a provider network reached through the uplink (ofport 50, VLAN 101)
  const dp = await loaded([{ stage: 'egress', port: 2, uplink: true }])
  t.equal(send(dp), 'drop egress_no_port', 'no uplink for the network yet')
  dp.add({ stage: 'uplink', network: 1, ofport: 50, vlan: 101 })
  const out = dp.process([{ in_port: 1, data: aToB }])[0]!
  t.match(out, { action: 'output', ofport: 50 }, 'out of the uplink')
  t.equal(out.packet[12], 0x81, 'tagged 802.1Q')
  t.equal(((out.packet[14]! << 8) | out.packet[15]!) & 0xfff, 101, 'with VLAN 101')
  dp.add({ stage: 'uplink', network: 1, ofport: 51 })
  const flat = dp.process([{ in_port: 1, data: aToB }])[0]!
  t.match(flat, { action: 'output', ofport: 51 }, 'replaced: a flat uplink')
  t.equal((flat.packet[12]! << 8) | flat.packet[13]!, 0x0800, 'untagged')
  const fromUplink = buildFrame([ethernet({ src: mac(B), dst: mac(A) }), ip4({ src: ipv4('10.0.0.11'), dst: ipv4('10.0.0.10') }), udp({})])
  dp.add({ stage: 'l2', network: 1, mac: A, port: 1 })
  dp.add({ stage: 'egress', port: 1, local: 1 })
  t.equal(send(dp, fromUplink, 51), 'output 1', 'classified from the uplink, no port security on it')
  dp.remove({ stage: 'uplink', network: 1, ofport: 51 })
  t.equal(send(dp, fromUplink, 51), 'drop unknown_in_port', 'removed')
  dp.add({ stage: 'nat', router: 1, network: 3, gateway_port: 9, mac: R, external_ip: '203.0.113.10', internal_ip: '10.0.0.10' })
  dp.add({ stage: 'router_gateway', router: 1, port: 9, snat: true, local: true })
  dp.remove({ stage: 'nat', router: 1, network: 3, gateway_port: 9, mac: R, external_ip: '203.0.113.10', internal_ip: '10.0.0.10' })
  dp.remove({ stage: 'router_gateway', router: 1, port: 9, snat: true, local: true })
  dp.remove({ stage: 'nat', router: 1, network: 3, gateway_port: 9, mac: R, external_ip: '203.0.113.10', internal_ip: '10.0.0.10' })
  t.pass('nat and router_gateway add and remove; removing twice is not an error')
})

t.test('bad entries are refused with a code and change nothing', async t => {
  const dp = await loaded()
  const bad: [string, unknown][] = [
    ['bad_stage', { stage: 'acl', port: 1 }],
    ['bad_number', { stage: 'classify', in_port: -1, network: 1, port: 1 }],
    ['bad_number', { stage: 'classify', in_port: 1, vlan: 4095, network: 1, port: 1 }],
    ['bad_number', { stage: 'classify', tunnel_key: 1 << 24, network: 1 }],
    ['bad_number', { stage: 'l2', network: 1.5, mac: A, port: 1 }],
    ['bad_mac', { stage: 'l2', network: 1, mac: 'fa:16:3e:00:00', port: 1 }],
    ['bad_mac', { stage: 'l2', network: 1, mac: 'zz:16:3e:00:00:01', port: 1 }],
    ['missing_field', { stage: 'port_sec', port: 1 }],
    ['bad_cidr', { stage: 'route', router: 1, prefix: '10.0.0.0', port: 1 }],
    ['bad_prefix_len', { stage: 'route', router: 1, prefix: '10.0.0.0/33', port: 1 }],
    ['bad_prefix_len', { stage: 'route', router: 1, prefix: '2001:db8::/129', port: 1 }],
    ['bad_ip', { stage: 'nexthop', network: 1, ip: '10.0.0.256', mac: A }],
    ['bad_ip', { stage: 'nexthop', network: 1, ip: '2001:db8:::1', mac: A }],
    ['bad_family', { stage: 'route', router: 1, prefix: '10.0.0.0/8', port: 1, nexthop: '2001:db8::1' }],
    ['bad_family', { stage: 'egress', port: 1, remote: '2001:db8::1' }],
    ['missing_field', { stage: 'egress', port: 1 }],
    ['missing_field', { stage: 'egress', port: 1, local: 1, remote: '192.0.2.1' }],
    ['missing_field', { stage: 'egress', port: 1, local: 1, uplink: true }],
    ['bad_value', { stage: 'egress', port: 1, uplink: false }],
    ['bad_number', { stage: 'uplink', network: 1, ofport: 5, vlan: 4095 }],
    ['bad_number', { stage: 'uplink', network: 1, ofport: -5 }],
    [
      'bad_family',
      { stage: 'nat', router: 1, network: 3, gateway_port: 9, mac: R, external_ip: '203.0.113.10', internal_ip: '2001:db8::5' },
    ],
    ['bad_ip', { stage: 'nat', router: 1, network: 3, gateway_port: 9, mac: R, external_ip: '203.0.113', internal_ip: '10.0.0.5' }],
    ['bad_mac', { stage: 'nat', router: 1, network: 3, gateway_port: 9, mac: 'x', external_ip: '203.0.113.10', internal_ip: '10.0.0.5' }],
    ['bad_value', { stage: 'router_gateway', router: 1, port: 9, snat: 'yes', local: true }],
    ['too_many', { stage: 'port_sec', port: 1, mac: A, ips: Array.from({ length: 17 }, (_, i) => `10.0.${i}.1/32`) }],
    [
      'too_many',
      { stage: 'router_port', port: 1, router: 1, network: 1, mac: A, ips: Array.from({ length: 9 }, (_, i) => `10.${i}.0.1/24`) },
    ],
    [
      'bad_option',
      {
        stage: 'dhcp',
        port: 1,
        mac: A,
        ip: '10.0.0.10',
        prefix_len: 24,
        server_ip: '10.0.0.1',
        server_mac: R,
        options: [{ code: 53, hex: '01' }],
      },
    ],
    [
      'bad_option',
      {
        stage: 'dhcp',
        port: 1,
        mac: A,
        ip: '10.0.0.10',
        prefix_len: 24,
        server_ip: '10.0.0.1',
        server_mac: R,
        options: [{ code: 200, hex: 'abc' }],
      },
    ],
    [
      'bad_option',
      {
        stage: 'dhcp',
        port: 1,
        mac: A,
        ip: '10.0.0.10',
        prefix_len: 24,
        server_ip: '10.0.0.1',
        server_mac: R,
        router: '10.0.0.1',
        options: [{ code: 3, hex: '0a000001' }],
      },
    ],
    ['bad_number', { stage: 'dhcp', port: 1, mac: A, ip: '10.0.0.10', prefix_len: 24, server_ip: '10.0.0.1', server_mac: R, mtu: 20 }],
    ['bad_family', { stage: 'dhcp', port: 1, mac: A, ip: '2001:db8::1', prefix_len: 24, server_ip: '10.0.0.1', server_mac: R }],
    [
      'too_many',
      {
        stage: 'dhcp',
        port: 1,
        mac: A,
        ip: '10.0.0.10',
        prefix_len: 24,
        server_ip: '10.0.0.1',
        server_mac: R,
        options: [
          { code: 200, hex: 'ab'.repeat(255) },
          { code: 201, hex: 'ab'.repeat(255) },
        ],
      },
    ],
  ]
  for (const [code, entry] of bad) {
    t.throws(() => dp.add(entry as Entry), { name: 'EntryError', code }, `${code}: ${JSON.stringify(entry).slice(0, 90)}`)
  }
  t.ok(new EntryError('bad_mac', 'x') instanceof Error)
  t.equal(send(dp), 'output 2', 'the pipeline is unchanged')
})

t.test('the WASM loader refuses what a host should never send', async t => {
  const abi = await loadCoreBackend()
  const good = encodeEntry({ stage: 'route', router: 1, prefix: '10.0.0.0/8', port: 1 })
  t.equal(abi.addEntry(good), 0)
  t.equal(abi.addEntry(good.subarray(0, 3)), 1, 'truncated header')
  t.equal(abi.addEntry(good.subarray(0, 20)), 1, 'truncated body')
  t.equal(abi.addEntry(Uint8Array.of(99, 0, 0, 0)), 2, 'unknown kind')
  const family = Uint8Array.from(good)
  family[4 + 8] = 5
  t.equal(abi.addEntry(family), 3, 'bad family')
  const plen = Uint8Array.from(good)
  plen[4 + 9] = 40
  t.equal(abi.addEntry(plen), 4, 'prefix longer than the family')
  t.equal(abi.removeEntry(encodeEntry({ stage: 'l2', network: 1, mac: A, port: 1 })), 6, 'not found')
  let seed = 3
  for (let i = 0; i < 3000; i++) {
    const junk = Uint8Array.from({ length: 4 + (i % 90) }, () => (seed = (seed * 48271) % 2147483647) & 0xff)
    junk[0] = 1 + (i % 16)
    junk[2] = (junk.length - 4) & 0xff
    junk[3] = 0
    abi.addEntry(junk)
    abi.removeEntry(junk)
  }
  t.pass('random entries never trap')
})
