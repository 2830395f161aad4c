// The OVSDB client and the Vswitch helper against a private ovsdb-server + ovs-vswitchd (needs root):
// transactions with every operation, br-int as the agent needs it, tunnel ports, local ports followed by
// iface-id (added with ofport, state changes, removed), the server's echo, and a server restart survived.
import t from 'tap'
import { startOvs, type Ovs } from '../helpers/ovs.js'
import { OvsdbClient } from '../../agent/ovsdb/client.js'
import { OvsdbError } from '../../agent/ovsdb/errors.js'
import { OPEN_VSWITCH_DB, Vswitch, type LocalPort } from '../../agent/ovsdb/vswitch.js'
import { map, mapRecord, namedUuid, set, uuid } from '../../agent/ovsdb/data.js'
import { comment, del, eq, insert, mutate, select, update, wait } from '../../agent/ovsdb/operations.js'

let ovs: Ovs
let client: OvsdbClient
let vs: Vswitch
const events: Array<[string, LocalPort]> = []

t.before(async () => {
  ovs = await startOvs()
  client = new OvsdbClient({ target: `unix:${ovs.dbSocket}`, minBackoffMs: 50, maxBackoffMs: 500 })
  await client.connect()
})

t.teardown(async () => {
  await vs?.close()
  await client?.close()
  await ovs?.stop()
})

const until = async (what: string, check: () => boolean, ms = 15_000): Promise<void> => {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 25))
  }
}

const event = (kind: string, ifaceId: string): LocalPort | undefined => events.find(([k, p]) => k === kind && p.ifaceId === ifaceId)?.[1]

t.test('list_dbs and get_schema', async t => {
  t.ok((await client.listDbs()).includes(OPEN_VSWITCH_DB))
  const schema = await client.getSchema(OPEN_VSWITCH_DB)
  t.equal(schema.name, OPEN_VSWITCH_DB)
  t.ok('Interface' in schema.tables)
})

t.test('transact: insert with named-uuid, select, update, mutate, wait, comment, delete', async t => {
  const [, , br] = await client.transact(OPEN_VSWITCH_DB, [
    insert('Interface', { name: 'scratch', type: 'internal' }, 'i'),
    insert('Port', { name: 'scratch', interfaces: namedUuid('i') }, 'p'),
    insert('Bridge', { name: 'br-scratch', ports: namedUuid('p'), datapath_type: 'netdev', external_ids: map({ owner: 'test' }) }, 'b'),
    mutate('Open_vSwitch', [], [['bridges', 'insert', set([namedUuid('b')])]]),
    comment('test: scratch bridge'),
  ])
  const brUuid = br?.uuid?.[1] ?? ''
  t.match(brUuid, /^[0-9a-f-]{36}$/)
  t.match(await ovs.vsctl('list-br'), /br-scratch/)

  const [sel] = await client.transact(OPEN_VSWITCH_DB, [select('Bridge', [eq('_uuid', uuid(brUuid))], ['name', 'external_ids'])])
  t.same(sel?.rows, [{ name: 'br-scratch', external_ids: ['map', [['owner', 'test']]] }])

  const [upd, mut] = await client.transact(OPEN_VSWITCH_DB, [
    update('Bridge', [eq('name', 'br-scratch')], { fail_mode: 'secure' }),
    mutate('Bridge', [eq('name', 'br-scratch')], [['external_ids', 'insert', map({ extra: 'yes' })]]),
  ])
  t.equal(upd?.count, 1)
  t.equal(mut?.count, 1)
  t.equal((await ovs.vsctl('get', 'Bridge', 'br-scratch', 'fail_mode')).trim(), 'secure')
  t.equal((await ovs.vsctl('get', 'Bridge', 'br-scratch', 'external_ids:extra')).trim(), 'yes')

  // wait: a precondition that holds passes, one that does not fails the whole transaction
  await client.transact(OPEN_VSWITCH_DB, [
    wait('Bridge', [eq('name', 'br-scratch')], { columns: ['fail_mode'], until: '==', rows: [{ fail_mode: 'secure' }], timeout: 0 }),
  ])
  const failed = await client
    .transact(OPEN_VSWITCH_DB, [
      wait('Bridge', [eq('name', 'br-scratch')], { columns: ['fail_mode'], until: '==', rows: [{ fail_mode: 'standalone' }], timeout: 0 }),
      update('Bridge', [eq('name', 'br-scratch')], { fail_mode: 'standalone' }),
    ])
    .catch((e: unknown) => e)
  t.ok(failed instanceof OvsdbError && failed.code === 'OVSDB_TXN_ERROR', `failed wait: ${String(failed)}`)
  t.equal((await ovs.vsctl('get', 'Bridge', 'br-scratch', 'fail_mode')).trim(), 'secure', 'nothing of it was applied')

  // a referential-integrity failure is reported as a commit error
  const dangling = await client
    .transact(OPEN_VSWITCH_DB, [insert('Port', { name: 'orphan', interfaces: uuid('00000000-0000-0000-0000-000000000001') })])
    .catch((e: unknown) => e)
  t.ok(dangling instanceof OvsdbError && dangling.code === 'OVSDB_TXN_ERROR', `dangling reference: ${String(dangling)}`)

  const [, gone] = await client.transact(OPEN_VSWITCH_DB, [
    mutate('Open_vSwitch', [], [['bridges', 'delete', set([uuid(brUuid)])]]),
    del('Bridge', [eq('name', 'br-scratch')]),
  ])
  t.equal(gone?.count, 1)
  t.notMatch(await ovs.vsctl('list-br'), /br-scratch/)
})

t.test('ensureBridge creates br-int as the agent needs it, and is idempotent', async t => {
  const ctlPath = `${ovs.dir}/of.sock`
  vs = new Vswitch(client, { bridge: 'br-int', controller: `unix:${ctlPath}` })
  await vs.ensureBridge()
  const get = async (...a: string[]): Promise<string> => (await ovs.vsctl('get', ...a)).trim()
  t.equal(await get('Bridge', 'br-int', 'datapath_type'), 'netdev')
  t.equal(await get('Bridge', 'br-int', 'fail_mode'), 'secure')
  t.match(await get('Bridge', 'br-int', 'protocols'), /^\[?"?OpenFlow13"?\]?$/, 'OpenFlow13 only')
  t.equal((await ovs.vsctl('get-controller', 'br-int')).trim(), `unix:${ctlPath}`)
  t.equal(await get('Controller', 'br-int', 'connection_mode'), 'out-of-band')
  const ctlUuid = await get('Bridge', 'br-int', 'controller')
  await ovs.vsctl('set', 'Bridge', 'br-int', 'fail_mode=standalone')
  await vs.ensureBridge()
  t.equal(await get('Bridge', 'br-int', 'fail_mode'), 'secure', 'settings are put back')
  t.equal(await get('Bridge', 'br-int', 'controller'), ctlUuid, 'the controller row is kept when it is right')
  t.match(await ovs.ofctl('show', 'br-int'), /OFPT_FEATURES_REPLY/, 'vswitchd built the bridge')
})

t.test('tunnel ports take their remote and key from the flow', async t => {
  await vs.ensureTunnelPort('vxlan0', { type: 'vxlan' })
  await vs.ensureTunnelPort('gnv0', { type: 'geneve' })
  await vs.ensureTunnelPort('vxlan0', { type: 'vxlan' })
  for (const [name, type] of [
    ['vxlan0', 'vxlan'],
    ['gnv0', 'geneve'],
  ] as const) {
    t.equal((await ovs.vsctl('get', 'Interface', name, 'type')).trim(), type)
    const options = (await ovs.vsctl('get', 'Interface', name, 'options')).trim()
    t.match(options, /key=flow/)
    t.match(options, /remote_ip=flow/)
    let ofport = -1
    const end = Date.now() + 10_000
    while (ofport <= 0 && Date.now() < end) ofport = Number((await ovs.vsctl('get', 'Interface', name, 'ofport')).trim())
    t.ok(ofport > 0, `${name} has an OpenFlow port (${ofport})`)
  }
  t.equal((await ovs.vsctl('list-ports', 'br-int')).split('\n').filter(l => l === 'vxlan0').length, 1, 'created once')
  await vs.removePort('gnv0')
  t.notMatch(await ovs.vsctl('list-ports', 'br-int'), /gnv0/)
})

t.test('local ports are followed by iface-id: added with their ofport, changed, removed', async t => {
  for (const kind of ['port-added', 'port-removed', 'port-changed'] as const) vs.on(kind, (p: LocalPort) => events.push([kind, p]))
  const early = await ovs.addWorkload('e', 'br-int', 'port-early')
  let resync: LocalPort[] = []
  vs.once('resync', (ports: LocalPort[]) => {
    resync = ports
  })
  await vs.follow()
  t.same(
    resync.map(p => [p.ifaceId, p.ofport]),
    [['port-early', early.ofport]],
    'the initial contents are a resync',
  )
  t.equal(event('port-added', 'port-early')?.ofport, early.ofport)

  const w = await ovs.addWorkload('f', 'br-int', 'port-f')
  await until('port-f added', () => event('port-added', 'port-f') !== undefined)
  const added = event('port-added', 'port-f')
  t.equal(added?.ofport, w.ofport)
  t.equal(added?.name, w.port)

  // a port without an iface-id is not a local port
  await ovs.vsctl('add-port', 'br-int', 'plain', '--', 'set', 'Interface', 'plain', 'type=internal')
  await ovs.exec(ovs.netns, 'ip', 'link', 'set', w.port, 'down')
  await until('port-f link down', () => events.some(([k, p]) => k === 'port-changed' && p.ifaceId === 'port-f' && !p.linkUp))
  t.notOk(
    events.some(([, p]) => p.name === 'plain'),
    'no event for an interface without iface-id',
  )
  await ovs.ofctl('mod-port', 'br-int', w.port, 'down')
  await until('port-f admin down', () => events.some(([k, p]) => k === 'port-changed' && p.ifaceId === 'port-f' && !p.adminUp))

  // an interface with an iface-id on another bridge is not bound to this chassis' integration bridge
  await ovs.addBridge('br-other')
  const other = await ovs.addWorkload('o', 'br-other', 'port-other')
  await ovs.removeWorkload(w)
  await until('port-f removed', () => event('port-removed', 'port-f') !== undefined)
  t.same(
    vs.ports().map(p => p.ifaceId),
    ['port-early'],
  )
  t.equal(event('port-added', 'port-other'), undefined, 'no event for a port on br-other')
  await ovs.removeWorkload(other)

  // moving a port's iface-id is a removal and an addition
  await ovs.vsctl('set', 'Interface', early.port, 'external_ids:iface-id=port-early-2')
  await until('port-early-2 added', () => event('port-added', 'port-early-2') !== undefined)
  t.ok(event('port-removed', 'port-early'), 'the old iface-id was removed')
  await ovs.vsctl('set', 'Interface', early.port, 'external_ids:iface-id=port-early')
  await until('port-early back', () => vs.ports().some(p => p.ifaceId === 'port-early'))
})

t.test('monitor_cond sends only the rows its condition selects, as table-updates2', async t => {
  const seen: Array<[string, boolean]> = []
  const id = await client.monitorCond(
    OPEN_VSWITCH_DB,
    { Interface: { columns: ['name', 'external_ids'], where: [['type', '==', 'internal']] } },
    (updates, initial) => {
      for (const row of Object.values(updates.Interface ?? {})) {
        const r = row.initial ?? row.insert
        if (r !== undefined) seen.push([String(r.name), initial])
      }
    },
  )
  const internal = (await ovs.vsctl('--bare', '--columns=name', 'find', 'Interface', 'type=internal'))
    .split('\n')
    .filter(l => l !== '')
    .sort()
  t.same(seen.map(([n]) => n).sort(), internal, 'the initial rows are the internal interfaces only')
  t.ok(seen.every(([, initial]) => initial))
  await ovs.vsctl('add-port', 'br-int', 'int9', '--', 'set', 'Interface', 'int9', 'type=internal')
  const h = await ovs.addWorkload('h', 'br-int', 'port-h')
  await until('int9 inserted', () => seen.some(([n, initial]) => n === 'int9' && !initial))
  t.notOk(
    seen.some(([n]) => n === h.port),
    'a veth (system) interface is not selected',
  )
  await client.cancel(id)
})

t.test("the server's echo is answered, over TCP where ovsdb-server probes", async t => {
  // ovsdb-server does not probe unix-socket sessions; on TCP it sends echo after 5 s of silence and drops a
  // client that does not answer
  const port = 20_000 + Math.floor(Math.random() * 40_000)
  await ovs.exec('', 'ovs-appctl', '-t', `${ovs.rundir}/ovsdb-server.ctl`, 'ovsdb-server/add-remote', `ptcp:${port}:127.0.0.1`)
  const tcp = new OvsdbClient({ target: `tcp:127.0.0.1:${port}`, probeIntervalMs: 0 }) // let the server do the probing
  t.teardown(() => tcp.close())
  await tcp.connect()
  let dropped = false
  tcp.on('disconnect', () => {
    dropped = true
  })
  await until('an echo from ovsdb-server', () => tcp.stats.echoesAnswered > 0, 20_000)
  await new Promise(resolve => setTimeout(resolve, 6000)) // past the server's drop deadline
  t.notOk(dropped, "still connected after the server's probes")
  t.ok((await tcp.listDbs()).includes(OPEN_VSWITCH_DB))
})

t.test('a server restart is survived', async t => {
  const reconnected = new Promise(resolve => client.once('connect', resolve))
  const resynced = new Promise<LocalPort[]>(resolve => vs.once('resync', resolve))
  await ovs.restartOvsdb()
  await reconnected
  t.same((await resynced).map(p => p.ifaceId).sort(), ['port-early', 'port-h'], 'the monitor was re-issued: a resync with the same ports')
  const g = await ovs.addWorkload('g', 'br-int', 'port-g')
  await until('port-g added after the restart', () => event('port-added', 'port-g') !== undefined)
  t.equal(event('port-added', 'port-g')?.ofport, g.ofport)
  t.same(
    mapRecord(
      (await client.transact(OPEN_VSWITCH_DB, [select('Interface', [eq('name', g.port)], ['external_ids'])]))[0]?.rows?.[0]?.external_ids,
    ),
    { 'iface-id': 'port-g' },
  )
})
