// The incremental compiler case by case: locality (closure across routers), parking of missing references,
// version rules, and deltas that touch only what depends on the change.
import t from 'tap'
import { TopologyCompiler, entryKey } from '../../agent/compiler/index.js'
import type { Entry } from '../../datapath/host/entries.js'
import { TABLES } from '../../model/tables.js'
import type { Change } from '../../store/types.js'
import { chassis, del, network, port, put, router, subnet } from './fixtures/model.js'
import { SELF, sampleChanges, sampleSnapshot } from './fixtures/sample-topology.js'

const keys = (es: Entry[]): string[] => es.map(entryKey).sort()

function loaded(): TopologyCompiler {
  const c = new TopologyCompiler(SELF)
  c.bindLocal('web', 1)
  c.bindLocal('app', 3)
  for (const ch of sampleChanges()) c.applyChange(ch)
  return c
}

t.test('locality: only what local ports reach, transitively across routers', async t => {
  const c = new TopologyCompiler(SELF)
  const nets = ['a', 'b', 'c', 'd'].map((n, i) => network(n, i + 1))
  const subs = ['a', 'b', 'c', 'd'].map((n, i) => subnet(`s${n}`, n, `10.${i}.0.0/24`))
  const rport = (id: string, key: number, net: string, i: number) =>
    port(id, key, {
      network_id: net,
      device_owner: 'network:router_interface',
      fixed_ips: [{ subnet_id: `s${net}`, ip_address: `10.${i}.0.1` }],
    })
  // a --r1-- b --r2-- c        d (alone)
  const ports = [
    port('vm', 1, { network_id: 'a', fixed_ips: [{ subnet_id: 'sa', ip_address: '10.0.0.5' }] }),
    port('vmd', 2, { network_id: 'd', fixed_ips: [{ subnet_id: 'sd', ip_address: '10.3.0.5' }] }),
    rport('r1a', 10, 'a', 0),
    rport('r1b', 11, 'b', 1),
    rport('r2b', 12, 'b', 1),
    rport('r2c', 13, 'c', 2),
  ]
  const r1 = router('r1', 1, {
    interfaces: [
      { port_id: 'r1a', subnet_id: 'sa', network_id: 'a' },
      { port_id: 'r1b', subnet_id: 'sb', network_id: 'b' },
    ],
  })
  const r2 = router('r2', 2, {
    interfaces: [
      { port_id: 'r2b', subnet_id: 'sb', network_id: 'b' },
      { port_id: 'r2c', subnet_id: 'sc', network_id: 'c' },
    ],
  })
  for (const n of nets) c.applyChange(put(TABLES.networks, n))
  for (const s of subs) c.applyChange(put(TABLES.subnets, s))
  for (const p of ports) c.applyChange(put(TABLES.ports, p))
  c.applyChange(put(TABLES.routers, r1))
  c.applyChange(put(TABLES.routers, r2))
  t.same(c.entries(), [], 'nothing is plugged here: nothing is followed')
  c.bindLocal('vm', 5)
  const followed = c.followed()
  for (const id of ['networks/a', 'networks/b', 'networks/c', 'routers/r1', 'routers/r2', 'ports/r2c'])
    t.ok(followed.has(id), `follows ${id}`)
  t.notOk(followed.has('networks/d'), 'network d is reachable from no local port')
  t.notOk(
    c.entries().some(e => 'network' in e && e.network === 4),
    'no entry for network d',
  )
  t.ok(
    c.entries().some(e => e.stage === 'route' && e.router === 2 && e.prefix === '10.2.0.0/24'),
    'r2 is compiled (reached through b)',
  )
  // Cutting r1 from b drops b, r2 and c again.
  const d = c.applyChange(put(TABLES.routers, { ...r1, interfaces: r1.interfaces.slice(0, 1) }, 2))
  t.ok(
    d.removed.some(e => e.stage === 'classify' && 'tunnel_key' in e && e.tunnel_key === 3),
    'network c is no longer followed',
  )
  t.notOk(c.followed().has('routers/r2'))
  t.notOk(
    c.entries().some(e => 'network' in e && (e.network === 2 || e.network === 3)),
    'nothing left for b and c',
  )
})

t.test('parking: references that arrive late', async t => {
  const c = new TopologyCompiler(SELF)
  const s = sampleSnapshot()
  c.bindLocal('web', 1)
  // The port first: nothing can be compiled yet, and it says why.
  t.same(c.applyChange(put(TABLES.ports, s.ports[0]!)).added, [])
  t.match(c.problems(), [{ code: 'parked', object: 'ports/web', detail: /network n1/ }])
  const d = c.applyChange(put(TABLES.networks, s.networks[0]!))
  t.ok(
    d.added.some(e => e.stage === 'classify' && 'in_port' in e),
    'the network arrives: the parked port compiles',
  )
  t.notOk(
    d.added.some(e => e.stage === 'dhcp'),
    'no DHCP until the subnet is here',
  )
  t.match(c.problems(), [{ code: 'parked', detail: /subnet s1/ }])
  const d2 = c.applyChange(put(TABLES.subnets, s.subnets[0]!))
  t.ok(
    d2.added.some(e => e.stage === 'dhcp'),
    'the subnet arrives: DHCP',
  )
  t.same(c.problems(), [])
  // A router whose interface ports are not here yet.
  t.same(
    c.applyChange(put(TABLES.routers, s.routers[0]!)).added.filter(e => e.stage === 'router_port'),
    [],
  )
  t.ok(c.problems().some(p => p.object === 'routers/r1'))
  const d3 = c.applyChange(put(TABLES.ports, s.ports[3]!))
  t.same(
    d3.added.filter(e => e.stage === 'router_port').map(e => e.port),
    [10],
    'the interface port arrives: its router port compiles',
  )
})

t.test('versions: stale and repeated changes are ignored, a delete removes', async t => {
  const c = loaded()
  const web = sampleSnapshot().ports[0]!
  const moved = { ...web, fixed_ips: [{ subnet_id: 's1', ip_address: '10.0.0.50' }] }
  t.ok(c.applyChange(put(TABLES.ports, moved, 3)).added.length > 0, 'v3 applies')
  t.same(c.applyChange(put(TABLES.ports, web, 2)), { added: [], removed: [] }, 'v2 after v3 is stale')
  t.same(c.applyChange(put(TABLES.ports, web, 3)), { added: [], removed: [] }, 'the same version again is ignored')
  t.ok(c.entries().some(e => e.stage === 'arp_nd' && e.ip === '10.0.0.50'))
  const gone = c.applyChange(del(TABLES.ports, 'web', 3))
  t.ok(gone.removed.some(e => e.stage === 'classify' && 'in_port' in e && e.in_port === 1))
  t.notOk(
    c.entries().some(e => 'port' in e && e.port === 1 && e.stage !== 'route'),
    'nothing of the port is left',
  )
  t.ok(c.applyChange(put(TABLES.ports, web, 1)).added.length > 0, 're-created at version 1 after the delete')
})

t.test('versions: with store revisions, a late change from before a delete does not resurrect the object', async t => {
  const c = loaded()
  const db = sampleSnapshot().ports[1]!
  const at = (ch: Change, revision: number): Change => ({ ...ch, revision })
  c.applyChange(at(put(TABLES.ports, db, 2), 100))
  c.applyChange(at(del(TABLES.ports, 'db', 2), 102))
  t.same(c.applyChange(at(put(TABLES.ports, db, 3), 101)), { added: [], removed: [] }, 'revision 101 was overtaken by the delete at 102')
  t.ok(c.applyChange(at(put(TABLES.ports, db, 1), 103)).added.length > 0, 'a re-create after the delete applies')
})

t.test('deltas touch only what depends on the change', async t => {
  const c = loaded()
  const extra = port('new', 40, {
    network_id: 'n2',
    mac_address: 'fa:16:3e:00:00:40',
    fixed_ips: [{ subnet_id: 's2', ip_address: '10.0.1.40' }],
    'binding:host_id': 'ch2',
  })
  const d = c.applyChange(put(TABLES.ports, extra))
  t.same(d.removed, [])
  t.same(
    keys(d.added),
    keys([
      { stage: 'egress', port: 40, remote: '192.168.100.2' },
      { stage: 'l2', network: 2, mac: 'fa:16:3e:00:00:40', port: 40 },
      { stage: 'arp_nd', network: 2, ip: '10.0.1.40', mac: 'fa:16:3e:00:00:40' },
      { stage: 'nexthop', network: 2, ip: '10.0.1.40', mac: 'fa:16:3e:00:00:40' },
    ]),
    'a remote port adds exactly its own entries',
  )

  // a heartbeat (agent/controller/heartbeat.ts) rewrites the row's external_ids every few seconds
  const before = c.unitsCompiled
  const beat = c.applyChange(
    put(TABLES.chassis, chassis('ch2', '192.168.100.2', { external_ids: { 'dragonflow:heartbeat': new Date().toISOString() } }), 2),
  )
  t.same(beat, { added: [], removed: [] }, 'a heartbeat changes no entry')
  t.equal(c.unitsCompiled - before, 0, 'and compiles no unit')

  const moved = c.applyChange(put(TABLES.chassis, chassis('ch2', '192.168.100.9'), 3))
  t.same(
    keys(moved.removed),
    keys([
      { stage: 'egress', port: 2, remote: '192.168.100.2' },
      { stage: 'egress', port: 40, remote: '192.168.100.2' },
    ]),
  )
  t.same(
    keys(moved.added),
    keys([
      { stage: 'egress', port: 2, remote: '192.168.100.9' },
      { stage: 'egress', port: 40, remote: '192.168.100.9' },
    ]),
    'a chassis moving its tunnel endpoint changes only the egress of its ports',
  )

  const s = sampleSnapshot()
  const rp1 = s.ports[3]!
  const mac = c.applyChange(put(TABLES.ports, { ...rp1, mac_address: 'fa:16:3e:00:00:11' }, 2))
  t.same(
    new Set(mac.added.map(e => e.stage)),
    new Set(['router_port', 'l2', 'arp_nd', 'nexthop']),
    'an interface port change recompiles its router port',
  )
  t.ok(mac.added.some(e => e.stage === 'router_port' && e.mac === 'fa:16:3e:00:00:11'))
  t.notOk(
    mac.removed.some(e => e.stage === 'route'),
    'routes did not change',
  )

  const dhcpPort = s.ports[5]!
  const server = c.applyChange(put(TABLES.ports, { ...dhcpPort, fixed_ips: [{ subnet_id: 's1', ip_address: '10.0.0.3' }] }, 2))
  const dhcp = server.added.filter(e => e.stage === 'dhcp')
  t.same(
    dhcp.map(e => e.stage === 'dhcp' && e.server_ip),
    ['10.0.0.3'],
    'a DHCP port change updates the DHCP entries of local ports on its network',
  )
})

t.test('bindLocal: plug, replug on another ofport, unplug', async t => {
  const c = loaded()
  const replug = c.bindLocal('web', 7)
  t.ok(replug.added.some(e => e.stage === 'classify' && 'in_port' in e && e.in_port === 7))
  t.ok(replug.removed.some(e => e.stage === 'classify' && 'in_port' in e && e.in_port === 1))
  t.notOk(
    replug.added.some(e => e.stage === 'l2'),
    'the port is still known on its network: l2 unchanged',
  )
  t.same(c.bindLocal('web', 7), { added: [], removed: [] }, 'same binding again: no change')
  c.bindLocal('web', undefined)
  c.bindLocal('app', undefined)
  t.same(c.entries(), [], 'nothing plugged: nothing followed, nothing compiled')
  t.same(c.followed(), new Set())
  c.bindLocal('ghost', 9)
  t.same(c.entries(), [], 'a binding for a port not known yet waits for it')
})

t.test('a record of an unexpected shape costs only its own entries', async t => {
  const c = loaded()
  const before = c.entries().length
  const broken = { ...sampleSnapshot().ports[1]!, key: undefined, fixed_ips: 'oops' } as unknown as { id: string }
  c.applyChange(put(TABLES.ports, broken, 2))
  t.match(c.problems(), [{ code: 'bad_object', object: 'ports/db' }])
  t.ok(c.entries().length > 0 && c.entries().length < before, 'the rest still compiles')
  t.same(keys(c.entries()), keys(c.recompute().entries), 'and still equals the full compile')
})

t.test('resync: the store snapshot wins; the delta is the net change', async t => {
  const c = loaded()
  const s = sampleSnapshot()
  const stored = <T extends { id: string }>(table: string, value: T, version = 1) => ({
    table,
    id: value.id,
    version,
    topics: [],
    value: value as unknown as Record<string, unknown>,
  })
  // While away: 'db' was deleted, 'app' moved to a new address (v2), network n1 was deleted and re-created (v1 again, new MTU).
  const objects = [
    ...s.chassis.map(x => stored(TABLES.chassis, x)),
    stored(TABLES.networks, { ...s.networks[0]!, mtu: 1400 }),
    stored(TABLES.networks, s.networks[1]!),
    ...s.subnets.map(x => stored(TABLES.subnets, x)),
    ...s.ports.filter(p => p.id !== 'db' && p.id !== 'app').map(p => stored(TABLES.ports, p)),
    stored(TABLES.ports, { ...s.ports[2]!, fixed_ips: [{ subnet_id: 's2', ip_address: '10.0.1.55' }] }, 2),
    ...s.routers.map(r => stored(TABLES.routers, r)),
  ]
  c.applyChange(put(TABLES.networks, s.networks[0]!, 3)) // the held n1 is at v3 before the resync
  const before = new Set(keys(c.entries()))
  const d = c.resync(objects)
  const after = new Set(keys(c.entries()))
  t.same(keys(d.added), [...after].filter(k => !before.has(k)).sort(), 'added = the net additions')
  t.same(keys(d.removed), [...before].filter(k => !after.has(k)).sort(), 'removed = the net removals')
  t.ok(
    d.removed.some(e => e.stage === 'egress' && e.port === 2),
    "db's entries are gone",
  )
  t.ok(
    c.entries().some(e => e.stage === 'arp_nd' && e.ip === '10.0.1.55'),
    "app's new address",
  )
  t.ok(
    c.entries().some(e => e.stage === 'dhcp' && e.mtu === 1400),
    'the re-created n1 (older version) replaced the held one',
  )
  t.same(keys(c.entries()), keys(c.recompute().entries))
  t.same(c.resync(objects), { added: [], removed: [] }, 'a second identical resync changes nothing')
})
