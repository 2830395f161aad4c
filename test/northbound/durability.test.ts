// kill -9 of the API process during a create storm on the embedded store: after a restart every port whose
// create returned 201 exists, and nothing is half-written (a port without its allocation records, or an
// allocation record without its port).
import t from 'tap'
import { TABLES, ipAllocationId, macAllocationId } from '../../model/tables.js'
import { openStore } from '../../store/registry.js'
import { api, removeDir, startApi, tempDir } from './helpers/api-process.js'

const WORKERS = 16

t.test('acknowledged creates survive kill -9; no partial objects', async t => {
  const dir = tempDir('df-durable-')
  t.teardown(() => removeDir(dir))
  const first = await startApi({ store: 'embedded', dataDir: dir, quiet: true })
  t.teardown(() => first.kill())
  await api(first.url, 'PUT', '/v2.0/quotas/admin', { body: { quota: { port: -1 } } })
  const net = await api(first.url, 'POST', '/v2.0/networks', { body: { network: { name: 'durable' } } })
  const networkId = net.body.network.id as string
  const sub = await api(first.url, 'POST', '/v2.0/subnets', {
    body: { subnet: { network_id: networkId, ip_version: 4, cidr: '10.30.0.0/20' } },
  })
  t.equal(sub.status, 201)

  const acked = new Set<string>()
  let stop = false
  const worker = async (w: number): Promise<void> => {
    for (let i = 0; !stop; i++) {
      try {
        const r = await api(first.url, 'POST', '/v2.0/ports', { body: { port: { network_id: networkId, name: `w${w}-${i}` } } })
        if (r.status === 201) acked.add(r.body.port.id)
      } catch {
        return // the connection died with the process
      }
    }
  }
  const workers = Array.from({ length: WORKERS }, (_, w) => worker(w))
  // Kill once a good number of creates are acknowledged (or after 20 s on a very slow machine).
  const deadline = Date.now() + 20000
  while (acked.size < 150 && Date.now() < deadline) await new Promise(r => setTimeout(r, 20))
  first.proc.kill('SIGKILL')
  stop = true
  await Promise.all(workers)
  await first.kill()
  t.ok(acked.size > 0, `${acked.size} creates were acknowledged before the kill`)

  const second = await startApi({ store: 'embedded', dataDir: dir, quiet: true })
  t.teardown(() => second.kill())
  const list = await api(second.url, 'GET', `/v2.0/ports?network_id=${networkId}&fields=id`)
  const present = new Set((list.body.ports as { id: string }[]).map(p => p.id))
  const lost = [...acked].filter(id => !present.has(id))
  t.same(lost, [], 'every acknowledged port is there after the restart')
  const more = await api(second.url, 'POST', '/v2.0/ports', { body: { port: { network_id: networkId } } })
  t.equal(more.status, 201, 'the restarted API creates ports again')
  t.equal(await second.stop(), 0)

  const store = await openStore({ driver: 'embedded', dir: `${dir}/store` })
  t.teardown(() => store.close())
  const ports = (await store.list(TABLES.ports)).filter(p => p.value.network_id === networkId)
  const allocations = (await store.list(TABLES.ipAllocations)).filter(a => a.value.network_id === networkId)
  const macs = (await store.list(TABLES.macAllocations)).filter(a => a.value.network_id === networkId)
  const portIds = new Set(ports.map(p => p.id))
  let broken = 0
  for (const p of ports) {
    for (const f of p.value.fixed_ips as { subnet_id: string; ip_address: string }[]) {
      if (!allocations.some(a => a.id === ipAllocationId(f.subnet_id, f.ip_address) && a.value.port_id === p.id)) broken++
    }
    if (!macs.some(m => m.id === macAllocationId(networkId, p.value.mac_address as string))) broken++
  }
  t.equal(broken, 0, 'every stored port has its IP and MAC records')
  t.same(
    allocations.filter(a => !portIds.has(a.value.port_id as string)).map(a => a.id),
    [],
    'no allocation record without its port',
  )
  t.same(
    macs.filter(m => !portIds.has(m.value.port_id as string)).map(m => m.id),
    [],
    'no MAC record without its port',
  )
})
