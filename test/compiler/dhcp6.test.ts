// The dhcp6 entry of a local port (agent/compiler/build-dhcp6.ts), and that the datapath accepts what it builds.
import t from 'tap'
import { buildDhcp6 } from '../../agent/compiler/build-dhcp6.js'
import type { CompileProblem } from '../../agent/compiler/problems.js'
import { encodeEntry } from '../../datapath/host/entry-codec.js'
import type { DhcpOpt, Port, Subnet } from '../../model/types.js'
import { port, subnet } from './fixtures/model.js'

const stateful = subnet('sa', 'n1', '2001:db8:1::/64', {
  enable_dhcp: true,
  ipv6_ra_mode: 'dhcpv6-stateful',
  ipv6_address_mode: 'dhcpv6-stateful',
  dns_nameservers: ['2001:db8::53', '10.0.0.53'],
})
const stateless = subnet('sb', 'n1', '2001:db8:2::/64', {
  enable_dhcp: true,
  ipv6_ra_mode: 'dhcpv6-stateless',
  ipv6_address_mode: 'dhcpv6-stateless',
})
const slaac = subnet('sc', 'n1', '2001:db8:3::/64', { enable_dhcp: true, ipv6_ra_mode: 'slaac', ipv6_address_mode: 'slaac' })
const vm = (subnetId: string, ip: string, extra: DhcpOpt[] = []): Port =>
  port('vm', 5, { network_id: 'n1', fixed_ips: [{ subnet_id: subnetId, ip_address: ip }], extra_dhcp_opts: extra })
const dhcpPort = port('dhcp', 2, {
  network_id: 'n1',
  device_owner: 'network:dhcp',
  mac_address: 'FA:16:3E:00:00:99',
  fixed_ips: [{ subnet_id: 'sa', ip_address: '2001:db8:1::2' }],
})
const build = (p: Port, subnets: Subnet[], dhcpPorts: Port[] = [], problems: CompileProblem[] = []) =>
  buildDhcp6({ port: p, subnets: new Map(subnets.map(s => [s.id, s])), dhcpPorts }, problems)

t.test('a port on a dhcpv6-stateful subnet gets its address, the IPv6 DNS servers and the DHCP port as server', async t => {
  const e = build(vm('sa', '2001:db8:1::5'), [stateful], [dhcpPort])
  t.same(e, {
    stage: 'dhcp6',
    port: 5,
    mac: 'fa:16:3e:00:00:05',
    mode: 'dhcpv6-stateful',
    server_mac: 'fa:16:3e:00:00:99',
    ip: '2001:db8:1::5',
    prefix_len: 64,
    dns: ['2001:db8::53'],
  })
  t.doesNotThrow(() => encodeEntry(e!), 'the codec accepts it')
})

t.test('stateless: no address; without a DHCP port the server MAC is derived from the subnet id', async t => {
  const e = build(vm('sb', '2001:db8:2::f816:3eff:fe00:5'), [stateless])
  t.match(e, { stage: 'dhcp6', mode: 'dhcpv6-stateless', server_mac: /^02:df:/ })
  t.equal(e?.ip, undefined)
  t.equal(build(vm('sb', '2001:db8:2::5'), [stateless])?.server_mac, e?.server_mac, 'stable: the same subnet gives the same DUID')
  t.doesNotThrow(() => encodeEntry(e!))
})

t.test('slaac, no address mode and enable_dhcp off give no entry', async t => {
  t.equal(build(vm('sc', '2001:db8:3::5'), [slaac]), undefined)
  t.equal(build(vm('sa', '2001:db8:1::5'), [{ ...stateful, enable_dhcp: false }]), undefined)
  t.equal(build(vm('sa', '2001:db8:1::5'), [{ ...stateful, ipv6_address_mode: null }]), undefined)
})

t.test('extra_dhcp_opts of ip_version 6 set DNS servers and the domain search list; bad ones are reported', async t => {
  const problems: CompileProblem[] = []
  const e = build(
    vm('sa', '2001:db8:1::5', [
      { opt_name: 'dns-server', opt_value: '2001:db8::1,2001:db8::2', ip_version: 6 },
      { opt_name: 'option6:domain-search', opt_value: 'example.org,corp.example', ip_version: 6 },
      { opt_name: 'domain-search', opt_value: 'bad..name', ip_version: 4 },
      { opt_name: '23', opt_value: '10.0.0.1', ip_version: 6 },
    ]),
    [stateful],
    [],
    problems,
  )
  t.same(e?.dns, ['2001:db8::1', '2001:db8::2'])
  t.same(e?.domains, ['example.org', 'corp.example'])
  t.equal(problems.length, 1, 'the IPv4 address given as option 23')
  t.match(problems[0], { code: 'dhcp_option', object: 'ports/vm' })
})
