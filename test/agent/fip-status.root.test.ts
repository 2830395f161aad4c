// Needs root (private OVS). Floating IP status through the real API and agent: DOWN at create (the API never
// claims flows it cannot see), ACTIVE once the chassis hosting its port has committed a bundle with its nat
// entry, DOWN again after it is disassociated. The external network is a flat provider network mapped on this
// node (--bridge-mappings physnet1:br-ex), so the node is also a gateway candidate.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { needRoot } from '../helpers/requirements.js'
import { startOvs } from '../helpers/ovs.js'
import { api } from '../northbound/helpers/api-process.js'
import { startAgent } from '../../cli/commands/agent.js'
import { startApiServer } from '../../northbound/server.js'
import { openStore } from '../../store/registry.js'
import { silentLogger } from '../../log/logger.js'

const skip = needRoot('private OVS in a network namespace')

async function until<T>(what: string, check: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = await check()
    if (v !== undefined) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

t.test('a floating IP is DOWN, then ACTIVE once its flows are committed, then DOWN when disassociated', { skip }, async t => {
  const ovs = await startOvs()
  const dir = mkdtempSync(join(tmpdir(), 'dfe-fip-status-'))
  const store = await openStore({ driver: 'embedded', dir: join(dir, 'store') })
  await ovs.vsctl('add-br', 'br-ex', '--', 'set', 'Bridge', 'br-ex', 'datapath_type=netdev')
  const server = await startApiServer({ store, host: '127.0.0.1', port: 0, auth: 'none', log: silentLogger })
  const agent = await startAgent({
    store,
    chassisId: 'edge-1',
    ovsdbTarget: `unix:${ovs.dbSocket}`,
    ofSocket: join(ovs.rundir, 'df-of.sock'),
    profile: 'ovs-userspace',
    log: silentLogger,
    bridgeMappings: new Map([['physnet1', 'br-ex']]),
  })
  t.teardown(async () => {
    await agent.stop()
    await server.close()
    await store.close()
    await ovs.stop()
    rmSync(dir, { recursive: true, force: true })
  })
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON
  const call = async (method: string, path: string, body?: unknown): Promise<Record<string, any>> =>
    (await api(server.url, method, path, { body })).body
  const ext = (
    await call('POST', '/v2.0/networks', {
      network: { name: 'public', 'router:external': true, 'provider:network_type': 'flat', 'provider:physical_network': 'physnet1' },
    })
  ).network
  await call('POST', '/v2.0/subnets', { subnet: { network_id: ext.id, ip_version: 4, cidr: '198.51.100.0/24', enable_dhcp: false } })
  const net = (await call('POST', '/v2.0/networks', { network: { name: 'inside' } })).network
  const sub = (await call('POST', '/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: '10.90.0.0/24' } })).subnet
  const router = (await call('POST', '/v2.0/routers', { router: { name: 'r', external_gateway_info: { network_id: ext.id } } })).router
  await call('PUT', `/v2.0/routers/${router.id}/add_router_interface`, { subnet_id: sub.id })
  const port = (await call('POST', '/v2.0/ports', { port: { network_id: net.id } })).port
  await ovs.addWorkload('a', 'br-int', port.id, { mac: port.mac_address })
  const status = async (id: string, want: string): Promise<string> =>
    await until(`floating IP ${want}`, async () => {
      const s = (await call('GET', `/v2.0/floatingips/${id}`)).floatingip.status as string
      return s === want ? s : undefined
    })

  const fip = (await call('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: ext.id, port_id: port.id } })).floatingip
  t.equal(fip.status, 'DOWN', 'created DOWN')
  t.equal(await status(fip.id, 'ACTIVE'), 'ACTIVE', 'ACTIVE once this chassis committed its nat flows')
  const off = (await call('PUT', `/v2.0/floatingips/${fip.id}`, { floatingip: { port_id: null } })).floatingip
  t.equal(off.status, 'DOWN', 'disassociated: DOWN')
  await new Promise(resolve => setTimeout(resolve, 500))
  t.equal((await call('GET', `/v2.0/floatingips/${fip.id}`)).floatingip.status, 'DOWN', 'and it stays DOWN')
})
