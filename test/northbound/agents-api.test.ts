// GET/PUT/DELETE /v2.0/agents over an in-process API on the embedded store, with chassis rows written by the
// agent's own code (registerChassis, beat): the agent fields, filters, admin-only policy, the writable
// attributes surviving an agent restart, DELETE refused while alive, and the down rule: a chassis whose last
// heartbeat is older than agent_down_time reads alive=false and its ports read DOWN. Time is driven by writing
// heartbeats with a past timestamp, not by waiting; the Heartbeat timer itself runs on a 20 ms interval.
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { registerChassis } from '../../agent/controller/chassis.js'
import { DEFAULT_AGENT_DOWN_MS, Heartbeat, beat } from '../../agent/controller/heartbeat.js'
import { reportPortStatus } from '../../agent/controller/port-status.js'
import { silentLogger } from '../../log/logger.js'
import { Policy } from '../../northbound/policy/engine.js'
import { TABLES } from '../../model/tables.js'
import { startApiServer } from '../../northbound/server.js'
import { openStore } from '../../store/registry.js'
import { StoreError, type Store } from '../../store/types.js'
import { startEtcd } from '../helpers/servers.js'
import { api, removeDir, tempDir } from './helpers/api-process.js'

const MEMBER = { 'X-Project-Id': 'p1', 'X-Roles': 'member' }
const DOWN_MS = 5_000

async function setup(t: Test, policy?: Policy): Promise<{ url: string; store: Store }> {
  const dir = tempDir('df-agents-')
  const store = await openStore({ driver: 'embedded', dir: join(dir, 'store') })
  const server = await startApiServer({ store, port: 0, auth: 'none', agentDownMs: DOWN_MS, policy, log: silentLogger })
  t.teardown(async () => {
    await server.close()
    await store.close()
    removeDir(dir)
  })
  return { url: server.url, store }
}

const register = (store: Store, id: string, extra: { tunnelIp?: string; bridgeMappings?: Map<string, string> } = {}): Promise<number> =>
  registerChassis(store, { chassisId: id, hostname: `host-${id}`, profile: 'ovs-userspace', tunnelType: 'geneve', ...extra })

/** The chassis stopped beating long enough ago to be down. */
const silence = (store: Store, id: string): Promise<boolean> => beat(store, id, new Date(Date.now() - 2 * DOWN_MS))

t.test("list and show: one agent per chassis with Neutron's fields", async t => {
  const { url, store } = await setup(t)
  await register(store, 'c1', { tunnelIp: '192.0.2.1', bridgeMappings: new Map([['physnet1', 'br-ex']]) })
  await register(store, 'c2')
  await silence(store, 'c2')
  const list = await api(url, 'GET', '/v2.0/agents')
  t.equal(list.status, 200)
  const byId = new Map((list.body.agents as Record<string, unknown>[]).map(a => [a.id, a]))
  t.same([...byId.keys()].sort(), ['c1', 'c2'])
  const c1 = byId.get('c1') as Record<string, unknown>
  t.match(c1, {
    agent_type: 'DF Local Controller',
    binary: 'dragonflow',
    topic: 'N/A',
    host: 'host-c1',
    alive: true,
    admin_state_up: true,
    availability_zone: null,
    description: null,
    configurations: {
      tunnel_types: ['geneve'],
      tunnel_ip: '192.0.2.1',
      bridge_mappings: { physnet1: 'br-ex' },
      hw_profile: 'ovs-userspace',
    },
  })
  for (const k of ['created_at', 'started_at', 'heartbeat_timestamp'])
    t.match(c1[k], /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/, `${k} as Neutron writes times`)
  t.notOk('external_ids' in c1 || 'hostname' in c1 || 'tunnel_ip' in c1, "the chassis row's own fields are not shown")
  t.equal((byId.get('c2') as Record<string, unknown>).alive, false, 'a chassis silent for longer than agent_down_time is not alive')

  const show = await api(url, 'GET', '/v2.0/agents/c1')
  t.equal(show.status, 200)
  t.equal(show.body.agent.id, 'c1')
  const fields = await api(url, 'GET', '/v2.0/agents/c1?fields=alive&fields=host')
  t.same(fields.body.agent, { alive: true, host: 'host-c1' })
  const missing = await api(url, 'GET', '/v2.0/agents/nope')
  t.equal(missing.status, 404)
  t.same(missing.body.NeutronError.type, 'AgentNotFound')
  t.same(missing.body.NeutronError.message, 'Agent nope could not be found.')

  const ext = await api(url, 'GET', '/v2.0/extensions/agent')
  t.equal(ext.status, 200, 'the agent extension is advertised')
  const created = await api(url, 'POST', '/v2.0/agents', { body: { agent: {} } })
  t.equal(created.status, 400, 'agents register themselves: no create')
})

t.test('filters: host, agent_type, alive; an unknown attribute is refused', async t => {
  const { url, store } = await setup(t)
  await register(store, 'a')
  await register(store, 'b')
  await silence(store, 'b')
  const ids = async (q: string): Promise<string[]> => {
    const r = await api(url, 'GET', `/v2.0/agents?${q}`)
    t.equal(r.status, 200, q)
    return (r.body.agents as { id: string }[]).map(a => a.id).sort()
  }
  t.same(await ids('host=host-a'), ['a'])
  t.same(await ids('agent_type=DF%20Local%20Controller'), ['a', 'b'])
  t.same(await ids('agent_type=Open%20vSwitch%20agent'), [])
  t.same(await ids('alive=true'), ['a'])
  t.same(await ids('alive=False'), ['b'])
  t.same(await ids('alive=false&host=host-a'), [])
  t.same(await ids('sort_key=host&sort_dir=desc'), ['a', 'b'])
  const bad = await api(url, 'GET', '/v2.0/agents?hostname=host-a')
  t.equal(bad.status, 400, 'a field of the chassis row is no agent attribute')
})

t.test('admin only: a project member sees none and can change none', async t => {
  const { url, store } = await setup(t)
  await register(store, 'c1')
  await silence(store, 'c1')
  const list = await api(url, 'GET', '/v2.0/agents', { headers: MEMBER })
  t.equal(list.status, 200)
  t.same(list.body.agents, [], 'the list is empty, as Neutron shows non-admins')
  t.equal((await api(url, 'GET', '/v2.0/agents/c1', { headers: MEMBER })).status, 404)
  t.equal((await api(url, 'PUT', '/v2.0/agents/c1', { body: { agent: { description: 'x' } }, headers: MEMBER })).status, 404)
  t.equal((await api(url, 'DELETE', '/v2.0/agents/c1', { headers: MEMBER })).status, 404)
  t.ok(await store.get(TABLES.chassis, 'c1'), 'the row is still there')
})

t.test("the agent rules are Neutron's names: admin_only by default, an override is obeyed", async t => {
  const rules = new Map(
    Policy.create()
      .list()
      .map(r => [r.name, r.check]),
  )
  for (const name of ['get_agent', 'update_agent', 'delete_agent']) t.equal(rules.get(name), 'rule:admin_only', name)
  const { url, store } = await setup(t, Policy.create([{ name: 'get_agent', check: 'role:reader', origin: 'test' }]))
  await register(store, 'c1')
  const reader = { 'X-Project-Id': 'p1', 'X-Roles': 'reader' }
  t.same(
    (await api(url, 'GET', '/v2.0/agents', { headers: reader })).body.agents.map((a: { id: string }) => a.id),
    ['c1'],
    'get_agent overridden: a reader lists the agent',
  )
  const put = await api(url, 'PUT', '/v2.0/agents/c1', { body: { agent: { description: 'x' } }, headers: reader })
  t.equal(put.status, 403, 'seen but not writable: update_agent stays admin only')
  t.equal(put.body.NeutronError.type, 'PolicyNotAuthorized')
})

t.test('update: admin_state_up and description, kept across an agent restart; the rest is read-only', async t => {
  const { url, store } = await setup(t)
  await register(store, 'c1')
  const put = await api(url, 'PUT', '/v2.0/agents/c1', { body: { agent: { admin_state_up: false, description: 'rack 4' } } })
  t.equal(put.status, 200)
  t.match(put.body.agent, { admin_state_up: false, description: 'rack 4', alive: true })
  await register(store, 'c1') // the agent restarts and registers again
  t.match(
    (await api(url, 'GET', '/v2.0/agents/c1')).body.agent,
    { admin_state_up: false, description: 'rack 4' },
    'a restart keeps what the admin set',
  )
  const cleared = await api(url, 'PUT', '/v2.0/agents/c1', { body: { agent: { description: null, admin_state_up: 'true' } } })
  t.match(cleared.body.agent, { admin_state_up: true, description: null })
  t.equal((await api(url, 'PUT', '/v2.0/agents/c1', { body: { agent: { host: 'elsewhere' } } })).status, 400, 'host is read-only')
  t.equal((await api(url, 'PUT', '/v2.0/agents/c1', { body: { agent: { admin_state_up: 'maybe' } } })).status, 400)
  t.equal((await api(url, 'PUT', '/v2.0/agents/c1', { body: { agent: { description: 'x'.repeat(256) } } })).status, 400)
  t.equal((await api(url, 'PUT', '/v2.0/agents/nope', { body: { agent: { description: 'x' } } })).status, 404)
})

t.test('delete: refused while alive, removes the chassis row once down', async t => {
  const { url, store } = await setup(t)
  await register(store, 'c1')
  const alive = await api(url, 'DELETE', '/v2.0/agents/c1')
  t.equal(alive.status, 409)
  t.match(alive.body.NeutronError.message, /alive/)
  t.ok(await store.get(TABLES.chassis, 'c1'))
  await silence(store, 'c1')
  t.equal((await api(url, 'DELETE', '/v2.0/agents/c1')).status, 204)
  t.equal(await store.get(TABLES.chassis, 'c1'), undefined, 'the chassis row is gone')
  t.equal((await api(url, 'GET', '/v2.0/agents/c1')).status, 404)
  t.equal((await api(url, 'DELETE', '/v2.0/agents/c1')).status, 404)
})

t.test('the down rule: ports on a down chassis read DOWN, and ACTIVE again once it beats', async t => {
  const { url, store } = await setup(t)
  await register(store, 'c1')
  const net = (await api(url, 'POST', '/v2.0/networks', { body: { network: { name: 'n' } } })).body.network.id as string
  const bound = (await api(url, 'POST', '/v2.0/ports', { body: { port: { network_id: net, 'binding:host_id': 'c1' } } })).body.port
    .id as string
  // bound by hostname, as Nova may name the host
  const byName = (await api(url, 'POST', '/v2.0/ports', { body: { port: { network_id: net, 'binding:host_id': 'host-c1' } } })).body.port
    .id as string
  const elsewhere = (await api(url, 'POST', '/v2.0/ports', { body: { port: { network_id: net, 'binding:host_id': 'no-such-chassis' } } }))
    .body.port.id as string
  for (const id of [bound, byName, elsewhere]) await reportPortStatus(store, id, true)
  const status = async (id: string): Promise<string> => (await api(url, 'GET', `/v2.0/ports/${id}`)).body.port.status as string
  t.equal(await status(bound), 'ACTIVE', 'alive: what the agent reported')
  t.equal(await status(byName), 'ACTIVE')

  await silence(store, 'c1')
  t.equal(await status(bound), 'DOWN', 'down chassis: its port reads DOWN')
  t.equal(await status(byName), 'DOWN', 'also when bound by hostname')
  t.equal(await status(elsewhere), 'ACTIVE', 'a host with no chassis row keeps what was stored')
  t.equal((await store.get(TABLES.ports, bound))?.value.status, 'ACTIVE', 'the stored status is untouched: only the API view changes')
  const downList = await api(url, 'GET', `/v2.0/ports?status=DOWN&network_id=${net}`)
  t.same((downList.body.ports as { id: string }[]).map(p => p.id).sort(), [bound, byName].sort(), 'the status filter sees the same')
  const member = await api(url, 'GET', `/v2.0/ports/${bound}`, { headers: { 'X-Project-Id': 'admin', 'X-Roles': 'member' } })
  t.equal(member.body.port.status, 'DOWN', 'a caller who cannot read binding:host_id sees DOWN too')
  t.notOk('binding:host_id' in member.body.port)

  await beat(store, 'c1', new Date())
  t.equal(await status(bound), 'ACTIVE', 'beating again: back to what the agent reported')
})

t.test('Heartbeat: stamps the row on its interval, stops on stop(), and on a deleted row', async t => {
  const dir = tempDir('df-heartbeat-')
  const store = await openStore({ driver: 'embedded', dir: join(dir, 'store') })
  t.teardown(async () => {
    await store.close()
    removeDir(dir)
  })
  await register(store, 'c1')
  const stamp = async (): Promise<string | undefined> =>
    ((await store.get(TABLES.chassis, 'c1'))?.value.external_ids as Record<string, string>)['dragonflow:heartbeat']
  const first = await stamp()
  t.ok(first, 'registering writes the first beat')
  t.equal(DEFAULT_AGENT_DOWN_MS, 30_000, 'agent_down_time defaults to three 10 s beats')
  t.throws(() => new Heartbeat({ store, chassisId: 'c1', intervalMs: 0 }), RangeError)

  const hb = new Heartbeat({ store, chassisId: 'c1', intervalMs: 20 })
  hb.start()
  await new Promise(resolve => setTimeout(resolve, 150))
  await hb.stop()
  const stopped = await store.get(TABLES.chassis, 'c1')
  t.not(await stamp(), first, 'the timer wrote newer beats')
  t.ok((stopped?.version ?? 0) >= 3, `several beats (row version ${stopped?.version})`)
  await new Promise(resolve => setTimeout(resolve, 80))
  t.equal((await store.get(TABLES.chassis, 'c1'))?.version, stopped?.version, 'nothing written after stop()')

  let missing = 0
  const gone = new Heartbeat({
    store,
    chassisId: 'c1',
    intervalMs: 20,
    onMissing: () => {
      missing++
    },
  })
  await store.delete(TABLES.chassis, 'c1')
  gone.start()
  await new Promise(resolve => setTimeout(resolve, 120))
  t.equal(missing, 1, 'a deleted row is reported once and the beats stop')
  t.equal(await store.get(TABLES.chassis, 'c1'), undefined, 'a heartbeat never re-creates a deleted row')
  await gone.stop()
})

t.test('Heartbeat: a store outage is reported once and the beats go on', async t => {
  let fail = true,
    writes = 0
  const row = { table: TABLES.chassis, id: 'c1', version: 1, topics: [], value: { id: 'c1', external_ids: {} } }
  const flaky = {
    get: async () => {
      if (fail) throw new StoreError('unavailable', 'etcd down')
      return row
    },
    update: async () => {
      writes++
      return row
    },
  } as unknown as Store
  const errors: unknown[] = []
  const hb = new Heartbeat({ store: flaky, chassisId: 'c1', intervalMs: 1000, onError: err => errors.push(err) })
  for (let i = 0; i < 3; i++) await hb.tick()
  t.equal(errors.length, 1, 'three failed beats, one report')
  t.equal(hb.failures, 3)
  fail = false
  await hb.tick()
  t.equal(writes, 1, 'the beat after the outage is written')
  t.equal(hb.failures, 0)
  fail = true
  await hb.tick()
  t.equal(errors.length, 2, 'a new outage is reported again')
  await hb.stop()
  await hb.tick()
  t.equal(hb.failures, 1, 'no beat after stop()')
})

t.test('on etcd: heartbeats, the down rule and delete through the same code', async t => {
  const etcd = await startEtcd()
  t.teardown(() => etcd.dispose())
  const store = await openStore({ driver: 'etcd', endpoints: [etcd.endpoint] })
  const server = await startApiServer({ store, port: 0, auth: 'none', agentDownMs: DOWN_MS, log: silentLogger })
  t.teardown(async () => {
    await server.close()
    await store.close()
  })
  const url = server.url
  await register(store, 'e1')
  const before = (await store.get(TABLES.chassis, 'e1'))?.version ?? 0
  const hb = new Heartbeat({ store, chassisId: 'e1', intervalMs: 20 })
  hb.start()
  await new Promise(resolve => setTimeout(resolve, 150))
  await hb.stop()
  t.ok(((await store.get(TABLES.chassis, 'e1'))?.version ?? 0) > before, 'the timer beats on etcd')
  t.equal((await api(url, 'GET', '/v2.0/agents/e1')).body.agent.alive, true)
  const net = (await api(url, 'POST', '/v2.0/networks', { body: { network: { name: 'n' } } })).body.network.id as string
  const port = (await api(url, 'POST', '/v2.0/ports', { body: { port: { network_id: net, 'binding:host_id': 'e1' } } })).body.port
    .id as string
  await reportPortStatus(store, port, true)
  t.equal((await api(url, 'GET', `/v2.0/ports/${port}`)).body.port.status, 'ACTIVE')
  t.equal((await api(url, 'DELETE', '/v2.0/agents/e1')).status, 409, 'alive: not deleted')
  await silence(store, 'e1')
  t.equal((await api(url, 'GET', '/v2.0/agents?alive=false')).body.agents.length, 1)
  t.equal((await api(url, 'GET', `/v2.0/ports/${port}`)).body.port.status, 'DOWN', 'down chassis, port DOWN')
  t.equal((await api(url, 'DELETE', '/v2.0/agents/e1')).status, 204)
  t.equal(await store.get(TABLES.chassis, 'e1'), undefined)
})
