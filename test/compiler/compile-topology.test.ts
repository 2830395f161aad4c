// The full compile of the sample topology, entry by entry, and the incremental compiler reaching the same set.
import t from 'tap'
import { TopologyCompiler, compileTopology, entryKey } from '../../agent/compiler/index.js'
import type { Entry } from '../../datapath/host/entries.js'
import { SELF, sampleChanges, sampleSnapshot } from './fixtures/sample-topology.js'

const keys = (entries: Entry[]): string[] => entries.map(entryKey).sort()
const has = (t: { ok: (v: boolean, m: string) => unknown }, entries: Entry[], e: Entry): void => {
  t.ok(keys(entries).includes(entryKey(e)), `has ${entryKey(e)}`)
}

t.test('sample topology: every entry kind', async t => {
  const { entries, problems } = compileTopology(sampleSnapshot(), SELF)
  t.same(problems, [])
  const expected: Entry[] = [
    { stage: 'classify', in_port: 1, network: 1, port: 1 },
    { stage: 'classify', in_port: 3, network: 2, port: 3 },
    { stage: 'classify', tunnel_key: 1, network: 1 },
    { stage: 'classify', tunnel_key: 2, network: 2 },
    { stage: 'port_sec', port: 1, mac: 'fa:16:3e:00:00:01', ips: ['10.0.0.5/32'] },
    { stage: 'port_sec', port: 3, mac: 'fa:16:3e:00:01:03', ips: ['10.0.1.5/32'] },
    { stage: 'egress', port: 1, local: 1 },
    { stage: 'egress', port: 3, local: 3 },
    { stage: 'egress', port: 2, remote: '192.168.100.2' },
    { stage: 'l2', network: 1, mac: 'fa:16:3e:00:00:02', port: 2 },
    { stage: 'arp_nd', network: 1, ip: '10.0.0.6', mac: 'fa:16:3e:00:00:02' },
    { stage: 'nexthop', network: 1, ip: '10.0.0.6', mac: 'fa:16:3e:00:00:02' },
    { stage: 'nexthop', network: 2, ip: '10.0.1.5', mac: 'fa:16:3e:00:01:03' },
    { stage: 'router_port', port: 10, router: 1, network: 1, mac: 'fa:16:3e:00:00:10', ips: ['10.0.0.1/24'] },
    { stage: 'router_port', port: 20, router: 1, network: 2, mac: 'fa:16:3e:00:00:20', ips: ['10.0.1.1/24'] },
    { stage: 'route', router: 1, prefix: '10.0.0.0/24', port: 10 },
    { stage: 'route', router: 1, prefix: '10.0.1.0/24', port: 20 },
    { stage: 'arp_nd', network: 1, ip: '10.0.0.1', mac: 'fa:16:3e:00:00:10' },
    { stage: 'l2', network: 2, mac: 'fa:16:3e:00:00:20', port: 20 },
    {
      stage: 'dhcp',
      port: 1,
      mac: 'fa:16:3e:00:00:01',
      ip: '10.0.0.5',
      prefix_len: 24,
      server_ip: '10.0.0.2',
      server_mac: 'fa:16:3e:00:00:fe',
      router: '10.0.0.1',
      dns: ['10.0.0.2'],
      mtu: 1450,
      routes: [{ destination: '169.254.169.254/32', nexthop: '10.0.0.2' }],
    },
  ]
  for (const e of expected) has(t, entries, e)
  t.notOk(
    entries.some(e => e.stage === 'egress' && e.port === 10),
    'router ports have no egress',
  )
  t.notOk(
    entries.some(e => e.stage === 'port_sec' && e.port === 2),
    'no port security for a remote port',
  )
})

t.test('incremental creates reach the full compile', async t => {
  const c = new TopologyCompiler(SELF)
  const installed = new Map<string, Entry>()
  const apply = (d: { added: Entry[]; removed: Entry[] }): void => {
    for (const e of d.removed) t.ok(installed.delete(entryKey(e)), `removed entry was installed: ${entryKey(e)}`)
    for (const e of d.added) {
      t.notOk(installed.has(entryKey(e)), `added entry is new: ${entryKey(e)}`)
      installed.set(entryKey(e), e)
    }
  }
  apply(c.bindLocal('web', 1))
  for (const ch of sampleChanges()) apply(c.applyChange(ch))
  apply(c.bindLocal('app', 3))
  const full = compileTopology(sampleSnapshot(), SELF).entries
  t.same([...installed.keys()].sort(), keys(full))
  t.same(keys(c.entries()), keys(full))
  t.ok(c.followed().has('networks/n2') && c.followed().has('routers/r1'))
})
