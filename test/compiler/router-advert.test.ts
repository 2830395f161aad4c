// The router_advert entry of a router interface (agent/compiler/build-router-advert.ts), and that the datapath
// accepts what the compiler builds.
import t from 'tap'
import { buildRouter } from '../../agent/compiler/build-router.js'
import type { CompileProblem } from '../../agent/compiler/problems.js'
import { encodeEntry } from '../../datapath/host/entry-codec.js'
import type { Entry } from '../../datapath/host/entries.js'
import type { Subnet } from '../../model/types.js'
import { network, port, router, subnet } from './fixtures/model.js'

const net = network('n1', 7, { mtu: 1450 })
const s4 = subnet('s4', 'n1', '10.0.0.0/24', { dns_nameservers: ['10.0.0.53'] })
const rp = (subnetIds: string[]) =>
  port('rp', 10, {
    network_id: 'n1',
    mac_address: 'FA:16:3E:00:00:10',
    device_owner: 'network:router_interface',
    fixed_ips: subnetIds.map((id, i) => ({ subnet_id: id, ip_address: id === 's4' ? '10.0.0.1' : `2001:db8:${i}::1` })),
  })
const adverts = (subnets: Subnet[], problems: CompileProblem[] = []): Entry[] =>
  buildRouter(
    router('r', 3),
    [{ port: rp(subnets.map(s => s.id)), network: net, subnets: new Map(subnets.map(s => [s.id, s])) }],
    problems,
  ).filter(e => e.stage === 'router_advert')

t.test('an interface on a slaac subnet advertises its /64, the network MTU and the IPv6 DNS servers', async t => {
  const s6 = subnet('s6', 'n1', '2001:db8:1::/64', {
    ipv6_ra_mode: 'slaac',
    ipv6_address_mode: 'slaac',
    dns_nameservers: ['2001:db8::53', '10.0.0.9'],
  })
  const out = adverts([s4, s6])
  t.same(
    out,
    [
      {
        stage: 'router_advert',
        network: 7,
        port: 10,
        mac: 'fa:16:3e:00:00:10',
        prefixes: [{ prefix: '2001:db8:1::/64', mode: 'slaac' }],
        mtu: 1450,
        dns: ['2001:db8::53'],
      },
    ],
    'IPv4 DNS servers are left out: RDNSS carries IPv6 addresses',
  )
  for (const e of out) t.doesNotThrow(() => encodeEntry(e), 'the codec accepts it')
})

t.test('each ra mode is kept per prefix; a subnet without ipv6_ra_mode is not advertised', async t => {
  const stateful = subnet('sa', 'n1', '2001:db8:1::/64', { ipv6_ra_mode: 'dhcpv6-stateful', ipv6_address_mode: 'dhcpv6-stateful' })
  const stateless = subnet('sb', 'n1', '2001:db8:2::/64', { ipv6_ra_mode: 'dhcpv6-stateless', ipv6_address_mode: 'dhcpv6-stateless' })
  const none = subnet('sc', 'n1', '2001:db8:3::/64')
  const out = adverts([stateful, stateless, none])
  t.same(
    out.map(e => e.stage === 'router_advert' && e.prefixes),
    [
      [
        { prefix: '2001:db8:1::/64', mode: 'dhcpv6-stateful' },
        { prefix: '2001:db8:2::/64', mode: 'dhcpv6-stateless' },
      ],
    ],
  )
  t.same(adverts([s4, none]), [], 'no ra mode anywhere: no entry (an external router may advertise)')
})

t.test('more prefixes than an advertisement carries are cut and reported', async t => {
  const many = [1, 2, 3, 4, 5].map(i => subnet(`s${i}`, 'n1', `2001:db8:${i}::/64`, { ipv6_ra_mode: 'slaac', ipv6_address_mode: 'slaac' }))
  const problems: CompileProblem[] = []
  const out = adverts(many, problems)
  t.equal(out[0]?.stage === 'router_advert' ? out[0].prefixes.length : 0, 4)
  t.same(
    problems.map(p => p.code),
    ['too_many'],
  )
})

t.test('the codec refuses what the datapath could not advertise', async t => {
  const ok: Entry = {
    stage: 'router_advert',
    network: 7,
    port: 10,
    mac: 'fa:16:3e:00:00:10',
    prefixes: [{ prefix: '2001:db8::/64', mode: 'slaac' }],
  }
  t.doesNotThrow(() => encodeEntry(ok))
  t.throws(() => encodeEntry({ ...ok, prefixes: [] }), { code: 'missing_field' })
  t.throws(() => encodeEntry({ ...ok, prefixes: [{ prefix: '10.0.0.0/24', mode: 'slaac' }] }), { code: 'bad_family' })
  t.throws(() => encodeEntry({ ...ok, prefixes: [{ prefix: '2001:db8::/64', mode: 'static' as 'slaac' }] }), { code: 'bad_value' })
  t.throws(() => encodeEntry({ ...ok, dns: ['10.0.0.53'] }), { code: 'bad_family' })
  t.throws(() => encodeEntry({ ...ok, mtu: 1000 }), { code: 'bad_number' })
})
