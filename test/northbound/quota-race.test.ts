// Quotas hold under concurrency: many creates at once in one project against `dragonflow api` never leave more
// objects than the quota allows, and exactly as many as it allows succeed (Neutron.withinQuota). Each refused create
// gets 409 OverQuota; nothing is half-created.
import t from 'tap'
import { api, removeDir, startApi } from './helpers/api-process.js'

t.test('parallel creates stop exactly at the quota', async t => {
  const a = await startApi({ store: 'embedded', quiet: true })
  t.teardown(async () => {
    await a.kill()
    removeDir(a.dataDir)
  })
  const project = 'quota-race-project'
  const asProject = { 'X-Project-Id': project, 'X-Roles': 'member' }
  const net = await api(a.url, 'POST', '/v2.0/networks', { headers: asProject, body: { network: { name: 'qnet' } } })
  t.equal(net.status, 201, 'the project creates a network')
  const set = await api(a.url, 'PUT', `/v2.0/quotas/${project}`, { body: { quota: { port: 10, network: 3 } } })
  t.equal(set.status, 200, 'the admin sets port 10, network 3')

  const burst = async (n: number, path: string, body: () => unknown): Promise<number[]> =>
    (await Promise.all(Array.from({ length: n }, () => api(a.url, 'POST', path, { headers: asProject, body: body() })))).map(r => r.status)
  const count = (statuses: number[], s: number): number => statuses.filter(x => x === s).length
  const ports = async (): Promise<number> =>
    ((await api(a.url, 'GET', '/v2.0/ports', { headers: asProject })).body as { ports: unknown[] }).ports.length

  const first = await burst(40, '/v2.0/ports', () => ({ port: { network_id: net.body.network.id } }))
  t.equal(count(first, 201), 10, '10 of 40 parallel port creates succeed')
  t.equal(count(first, 409), 30, 'the other 30 get 409 OverQuota')
  t.equal(await ports(), 10, 'the project holds exactly 10 ports')

  const list = (await api(a.url, 'GET', '/v2.0/ports', { headers: asProject })).body as { ports: { id: string }[] }
  for (const p of list.ports.slice(0, 3)) t.equal((await api(a.url, 'DELETE', `/v2.0/ports/${p.id}`, { headers: asProject })).status, 204)
  const second = await burst(20, '/v2.0/ports', () => ({ port: { network_id: net.body.network.id } }))
  t.equal(count(second, 201), 3, 'after 3 deletes, 3 of 20 parallel creates succeed')
  t.equal(await ports(), 10, 'back at exactly 10 ports')

  const nets = await burst(12, '/v2.0/networks', () => ({ network: { name: 'more' } }))
  t.equal(count(nets, 201), 2, 'networks: 2 more of 12 parallel creates fit a quota of 3')
  const details = await api(a.url, 'GET', `/v2.0/quotas/${project}/details`)
  t.same(
    details.body.quota.port,
    { limit: 10, used: 10, reserved: 0 },
    'quota details: used 10, nothing reserved once the creates finished',
  )
  t.same(details.body.quota.network, { limit: 3, used: 3, reserved: 0 })
})
