// The API's side of honest status: it never claims what only a chassis can know. A floating IP is created (and
// associated) DOWN; a router with a gateway is DOWN until its gateway chassis reports the gateway's flows
// committed (agent/controller/nat-status.ts), and a router without one is ACTIVE as before.
import t from 'tap'
import { api, removeDir, startApi } from '../northbound/helpers/api-process.js'

t.test('floating IPs and gateway routers start DOWN', async t => {
  const a = await startApi({ store: 'embedded', quiet: true })
  t.teardown(async () => {
    await a.kill()
    removeDir(a.dataDir)
  })
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON
  const call = async (method: string, path: string, body?: unknown): Promise<Record<string, any>> =>
    (await api(a.url, method, path, { body })).body
  const ext = (await call('POST', '/v2.0/networks', { network: { name: 'public', 'router:external': true } })).network
  await call('POST', '/v2.0/subnets', { subnet: { network_id: ext.id, ip_version: 4, cidr: '198.51.100.0/24', enable_dhcp: false } })
  const net = (await call('POST', '/v2.0/networks', { network: { name: 'inside' } })).network
  const sub = (await call('POST', '/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: '10.80.0.0/24' } })).subnet
  const port = (await call('POST', '/v2.0/ports', { port: { network_id: net.id } })).port

  const r = (await call('POST', '/v2.0/routers', { router: { name: 'r' } })).router
  t.equal(r.status, 'ACTIVE', 'no gateway: ACTIVE as before')
  const withGw = (await call('PUT', `/v2.0/routers/${r.id}`, { router: { external_gateway_info: { network_id: ext.id } } })).router
  t.equal(withGw.status, 'DOWN', 'a gateway: DOWN until the gateway chassis has its flows')
  const cleared = (await call('PUT', `/v2.0/routers/${r.id}`, { router: { external_gateway_info: null } })).router
  t.equal(cleared.status, 'ACTIVE', 'gateway cleared: ACTIVE again')
  const r2 = (await call('POST', '/v2.0/routers', { router: { name: 'r2', external_gateway_info: { network_id: ext.id } } })).router
  t.equal(r2.status, 'DOWN', 'created with a gateway: DOWN')
  await call('PUT', `/v2.0/routers/${r2.id}/add_router_interface`, { subnet_id: sub.id })

  const loose = (await call('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: ext.id } })).floatingip
  t.equal(loose.status, 'DOWN', 'created without a port: DOWN')
  const bound = (await call('PUT', `/v2.0/floatingips/${loose.id}`, { floatingip: { port_id: port.id } })).floatingip
  t.equal(bound.port_id, port.id)
  t.equal(bound.status, 'DOWN', 'associated: DOWN until the chassis of the port commits its nat flows')
  const unbound = (await call('PUT', `/v2.0/floatingips/${loose.id}`, { floatingip: { port_id: null } })).floatingip
  t.equal(unbound.status, 'DOWN', 'disassociated: DOWN')
  t.equal(unbound.port_id, null)
})
