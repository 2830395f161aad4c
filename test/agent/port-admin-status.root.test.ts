// Needs root (private OVS). A plugged port's status follows admin_state_up through the real API and agent: ACTIVE
// once its flows are committed, DOWN when an operator sets admin_state_up false (the agent re-reports on that
// change, not only on plug/unplug), ACTIVE again when it is set back, DOWN when unplugged.
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

t.test('admin_state_up drives a plugged port DOWN and back ACTIVE', { skip }, async t => {
  const ovs = await startOvs()
  const dir = mkdtempSync(join(tmpdir(), 'dfe-port-admin-'))
  const store = await openStore({ driver: 'embedded', dir: join(dir, 'store') })
  const server = await startApiServer({ store, host: '127.0.0.1', port: 0, auth: 'none', log: silentLogger })
  const agent = await startAgent({
    store,
    chassisId: 'edge-1',
    ovsdbTarget: `unix:${ovs.dbSocket}`,
    ofSocket: join(ovs.rundir, 'df-of.sock'),
    profile: 'ovs-userspace',
    log: silentLogger,
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
  const net = (await call('POST', '/v2.0/networks', { network: { name: 'n' } })).network
  await call('POST', '/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: '10.60.0.0/24' } })
  const port = (await call('POST', '/v2.0/ports', { port: { network_id: net.id } })).port
  const status = async (want: string): Promise<string> =>
    await until(`port ${want}`, async () => {
      const s = (await call('GET', `/v2.0/ports/${port.id}`)).port.status as string
      return s === want ? s : undefined
    })

  const w = await ovs.addWorkload('a', 'br-int', port.id, { mac: port.mac_address })
  t.equal(await status('ACTIVE'), 'ACTIVE', 'plugged and committed: ACTIVE')
  await call('PUT', `/v2.0/ports/${port.id}`, { port: { admin_state_up: false } })
  t.equal(await status('DOWN'), 'DOWN', 'admin_state_up false: DOWN')
  await call('PUT', `/v2.0/ports/${port.id}`, { port: { admin_state_up: true } })
  t.equal(await status('ACTIVE'), 'ACTIVE', 'admin_state_up true again: ACTIVE')
  await ovs.removeWorkload(w)
  t.equal(await status('DOWN'), 'DOWN', 'unplugged: DOWN')
})
