// Each pure builder from hand-built model objects: port, port security, DHCP (server choice, options), router
// (router ports, direct and extra routes), network.
import t from 'tap'
import { buildDhcp, derivedServerMac } from '../../agent/compiler/build-dhcp.js'
import { buildNetwork } from '../../agent/compiler/build-network.js'
import { buildPortSec } from '../../agent/compiler/build-port-sec.js'
import { buildPort } from '../../agent/compiler/build-port.js'
import { buildRouter } from '../../agent/compiler/build-router.js'
import type { CompileProblem } from '../../agent/compiler/problems.js'
import type { Subnet } from '../../model/types.js'
import { network, port, router, subnet } from './fixtures/model.js'

const net = network('n1', 7, { mtu: 1400 })
const s4 = subnet('s4', 'n1', '10.0.0.0/24', {
  dns_nameservers: ['10.0.0.3', '2001:db8::53'],
  host_routes: [{ destination: '172.16.0.0/12', nexthop: '10.0.0.254' }],
})
const s6 = subnet('s6', 'n1', '2001:db8::/64')
const subnets = new Map<string, Subnet>([
  ['s4', s4],
  ['s6', s6],
])
const vm = port('vm', 5, {
  network_id: 'n1',
  mac_address: 'FA:16:3E:00:00:05',
  fixed_ips: [
    { subnet_id: 's4', ip_address: '10.0.0.5' },
    { subnet_id: 's6', ip_address: '2001:db8::5' },
  ],
})

t.test('port: local, remote and unbound', async t => {
  const problems: CompileProblem[] = []
  const local = buildPort({ port: vm, network: net, ofport: 3, dhcp: { subnets, dhcpPorts: [] } }, problems)
  t.match(local, [
    { stage: 'classify', in_port: 3, network: 7, port: 5 },
    { stage: 'egress', port: 5, local: 3 },
  ])
  for (const e of [
    { stage: 'l2', network: 7, mac: 'fa:16:3e:00:00:05', port: 5 },
    { stage: 'arp_nd', network: 7, ip: '10.0.0.5', mac: 'fa:16:3e:00:00:05' },
    { stage: 'arp_nd', network: 7, ip: '2001:db8::5', mac: 'fa:16:3e:00:00:05' },
    { stage: 'nexthop', network: 7, ip: '2001:db8::5', mac: 'fa:16:3e:00:00:05' },
  ])
    t.ok(
      local.some(x => JSON.stringify(x) === JSON.stringify(e)),
      `has ${JSON.stringify(e)}`,
    )
  t.ok(
    local.some(e => e.stage === 'dhcp'),
    'a local port gets DHCP',
  )
  const remote = buildPort({ port: vm, network: net, remote: '192.0.2.9', dhcp: { subnets, dhcpPorts: [] } }, problems)
  t.same(
    remote.filter(e => e.stage === 'egress'),
    [{ stage: 'egress', port: 5, remote: '192.0.2.9' }],
  )
  t.notOk(
    remote.some(e => e.stage === 'classify' || e.stage === 'port_sec' || e.stage === 'dhcp'),
    'nothing local for a remote port',
  )
  const unbound = buildPort({ port: vm, network: net, dhcp: { subnets, dhcpPorts: [] } }, problems)
  t.notOk(
    unbound.some(e => e.stage === 'egress'),
    'an unbound port has no egress',
  )
  t.ok(
    unbound.some(e => e.stage === 'l2'),
    'but it is known on its network',
  )
  t.same(problems, [])
})

t.test('port: exact allowed-address-pair IPs with a MAC of their own answer ARP; shared VIPs on the port MAC do not', async t => {
  const p = port('vip', 6, {
    network_id: 'n1',
    mac_address: 'fa:16:3e:00:00:06',
    allowed_address_pairs: [
      { ip_address: '10.0.0.100', mac_address: 'fa:16:3e:00:aa:01' },
      { ip_address: '10.0.9.0/24', mac_address: 'fa:16:3e:00:aa:02' },
      { ip_address: '10.0.0.101', mac_address: 'fa:16:3e:00:00:06' },
      { ip_address: '10.0.0.102/32', mac_address: 'FA:16:3E:00:AA:03' },
    ],
  })
  const out = buildPort({ port: p, network: net, dhcp: { subnets, dhcpPorts: [] } }, [])
  t.same(
    out.filter(e => e.stage === 'arp_nd'),
    [
      { stage: 'arp_nd', network: 7, ip: '10.0.0.100', mac: 'fa:16:3e:00:aa:01' },
      { stage: 'arp_nd', network: 7, ip: '10.0.0.102', mac: 'fa:16:3e:00:aa:03' },
    ],
  )
})

t.test('port_sec: own MAC with fixed IPs and same-MAC pairs, one row per other pair MAC, or disabled', async t => {
  const p = port('p', 9, {
    network_id: 'n1',
    mac_address: 'fa:16:3e:00:00:09',
    fixed_ips: [
      { subnet_id: 's4', ip_address: '10.0.0.9' },
      { subnet_id: 's6', ip_address: '2001:db8::9' },
    ],
    allowed_address_pairs: [
      { ip_address: '10.0.5.0/24' },
      { ip_address: '10.0.0.50', mac_address: 'fa:16:3e:00:00:09' },
      { ip_address: '10.0.0.60', mac_address: 'fa:16:3e:00:bb:01' },
      { ip_address: '2001:db8:1::/48', mac_address: 'fa:16:3e:00:bb:01' },
    ],
  })
  t.same(buildPortSec(p, []), [
    { stage: 'port_sec', port: 9, mac: 'fa:16:3e:00:00:09', ips: ['10.0.0.9/32', '2001:db8::9/128', '10.0.5.0/24', '10.0.0.50/32'] },
    { stage: 'port_sec', port: 9, mac: 'fa:16:3e:00:bb:01', ips: ['10.0.0.60/32', '2001:db8:1::/48'] },
  ])
  t.same(buildPortSec({ ...p, port_security_enabled: false }, []), [{ stage: 'port_sec', port: 9, disabled: true }])
  t.same(
    buildPortSec({ ...p, fixed_ips: [], allowed_address_pairs: [] }, []),
    [{ stage: 'port_sec', port: 9, mac: 'fa:16:3e:00:00:09', ips: [] }],
    'a port without addresses keeps a row for its MAC (DHCP before an address)',
  )
  const many = { ...p, allowed_address_pairs: Array.from({ length: 20 }, (_, i) => ({ ip_address: `10.1.${i}.0/24` })) }
  const problems: CompileProblem[] = []
  const capped = buildPortSec(many, problems)
  t.equal(capped[0]?.ips?.filter(x => !x.includes(':')).length, 16, 'at most 16 IPv4 prefixes per MAC')
  t.match(problems, [{ code: 'too_many', object: 'ports/p' }])
})

t.test('dhcp: from the DHCP port, else the gateway with a derived MAC; none without either', async t => {
  const dhcpPort = port('d', 50, {
    network_id: 'n1',
    mac_address: 'fa:16:3e:00:00:fe',
    device_owner: 'network:dhcp',
    fixed_ips: [{ subnet_id: 's4', ip_address: '10.0.0.2' }],
  })
  const withPort = buildDhcp({ port: vm, network: net, subnets, dhcpPorts: [dhcpPort] }, [])
  t.same(withPort, {
    stage: 'dhcp',
    port: 5,
    mac: 'fa:16:3e:00:00:05',
    ip: '10.0.0.5',
    prefix_len: 24,
    server_ip: '10.0.0.2',
    server_mac: 'fa:16:3e:00:00:fe',
    router: '10.0.0.1',
    dns: ['10.0.0.3'],
    routes: [{ destination: '172.16.0.0/12', nexthop: '10.0.0.254' }],
    mtu: 1400,
  })
  const fromGateway = buildDhcp({ port: vm, network: net, subnets, dhcpPorts: [] }, [])
  t.match(fromGateway, { server_ip: '10.0.0.1', server_mac: derivedServerMac('s4') })
  t.equal(derivedServerMac('s4'), derivedServerMac('s4'), 'stable')
  t.match(derivedServerMac('s4'), /^02:df:/, 'locally administered unicast')
  const problems: CompileProblem[] = []
  const none = buildDhcp({ port: vm, network: net, subnets: new Map([['s4', { ...s4, gateway_ip: null }]]), dhcpPorts: [] }, problems)
  t.equal(none, undefined)
  t.match(problems, [{ code: 'dhcp_no_server' }])
  t.equal(
    buildDhcp({ port: vm, network: net, subnets: new Map([['s4', { ...s4, enable_dhcp: false }]]), dhcpPorts: [] }, []),
    undefined,
    'DHCP off: no entry',
  )
})

t.test('dhcp: extra_dhcp_opts by name and number; unknown ones reported, not fatal', async t => {
  const p = {
    ...vm,
    extra_dhcp_opts: [
      { opt_name: 'dns-server', opt_value: '192.0.2.1,192.0.2.2' },
      { opt_name: 'mtu', opt_value: '1300' },
      { opt_name: 'domain-name', opt_value: 'example.org' },
      { opt_name: 'tftp-server', opt_value: 'tftp.example' },
      { opt_name: 'bootfile-name', opt_value: 'pxelinux.0' },
      { opt_name: '150', opt_value: '192.0.2.7' },
      { opt_name: 'option:router', opt_value: '10.0.0.254' },
      { opt_name: 'no-such-thing', opt_value: 'x' },
      { opt_name: '53', opt_value: '1' },
      { opt_name: 'server-ip-address', opt_value: '10.0.0.9' },
      { opt_name: 'mtu', opt_value: '1300', ip_version: 6 },
      { opt_name: 'ntp-server', opt_value: null },
    ],
  }
  const problems: CompileProblem[] = []
  const e = buildDhcp({ port: p, network: net, subnets, dhcpPorts: [] }, problems)
  t.match(e, {
    dns: ['192.0.2.1', '192.0.2.2'],
    mtu: 1300,
    domain: 'example.org',
    router: '10.0.0.254',
    options: [
      { code: 66, hex: Buffer.from('tftp.example').toString('hex') },
      { code: 67, hex: Buffer.from('pxelinux.0').toString('hex') },
      { code: 150, hex: 'c0000207' },
    ],
  })
  t.same(
    problems.map(x => x.detail.split(':')[0]),
    ["extra_dhcp_opts 'no-such-thing'", "extra_dhcp_opts '53'", "extra_dhcp_opts 'server-ip-address'"],
  )
})

t.test('router: router ports, direct routes, extra routes; unreachable and duplicate routes reported', async t => {
  const rp1 = port('rp1', 10, {
    network_id: 'n1',
    mac_address: 'fa:16:3e:00:00:10',
    device_owner: 'network:router_interface',
    fixed_ips: [
      { subnet_id: 's4', ip_address: '10.0.0.1' },
      { subnet_id: 's6', ip_address: '2001:db8::1' },
    ],
  })
  const n2 = network('n2', 8)
  const s2 = subnet('s2', 'n2', '10.0.1.0/24')
  const rp2 = port('rp2', 20, {
    network_id: 'n2',
    mac_address: 'fa:16:3e:00:00:20',
    fixed_ips: [{ subnet_id: 's2', ip_address: '10.0.1.1' }],
  })
  const r = router('r', 3, {
    routes: [
      { destination: '192.168.0.0/16', nexthop: '10.0.1.254' },
      { destination: '172.16.0.0/12', nexthop: '10.9.9.9' },
      { destination: '10.0.1.0/24', nexthop: '10.0.0.254' },
    ],
  })
  const problems: CompileProblem[] = []
  const out = buildRouter(
    r,
    [
      { port: rp1, network: net, subnets },
      { port: rp2, network: n2, subnets: new Map([['s2', s2]]) },
    ],
    problems,
  )
  const of = (stage: string) => out.filter(e => e.stage === stage)
  t.same(of('router_port'), [
    { stage: 'router_port', port: 10, router: 3, network: 7, mac: 'fa:16:3e:00:00:10', ips: ['10.0.0.1/24', '2001:db8::1/64'] },
    { stage: 'router_port', port: 20, router: 3, network: 8, mac: 'fa:16:3e:00:00:20', ips: ['10.0.1.1/24'] },
  ])
  t.same(of('route'), [
    { stage: 'route', router: 3, prefix: '10.0.0.0/24', port: 10 },
    { stage: 'route', router: 3, prefix: '2001:db8::/64', port: 10 },
    { stage: 'route', router: 3, prefix: '10.0.1.0/24', port: 20 },
    { stage: 'route', router: 3, prefix: '192.168.0.0/16', port: 20, nexthop: '10.0.1.254' },
  ])
  t.same(
    of('arp_nd').map(e => 'ip' in e && e.ip),
    ['10.0.0.1', '2001:db8::1', '10.0.1.1'],
    'the gateways answer ARP/ND',
  )
  t.same(of('l2').length, 2)
  t.same(
    problems.map(p => p.code),
    ['route_unreachable', 'route_duplicate'],
  )
})

t.test('network: its tunnel key classifies encapsulated frames', async t => {
  t.same(buildNetwork(net, new Map(), []), [{ stage: 'classify', tunnel_key: 7, network: 7 }])
})
