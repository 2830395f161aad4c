// 200 port creates in parallel on one subnet: no address or MAC is given twice, and every port whose create
// was acknowledged is in the store with its allocation records. On etcd the creates are split over two API
// processes, so uniqueness must come from the store transaction, not from one process's memory.
import t, { type Test } from 'tap'
import { TABLES, ipAllocationId, macAllocationId } from '../../model/tables.js'
import { openStore } from '../../store/registry.js'
import type { Store } from '../../store/types.js'
import { startEtcd } from '../helpers/servers.js'
import { type ApiProcess, api, removeDir, startApi } from './helpers/api-process.js'

const N = 200

async function setup(base: string): Promise<{ networkId: string; subnetId: string }> {
  const net = await api(base, 'POST', '/v2.0/networks', { body: { network: { name: 'storm' } } })
  const sub = await api(base, 'POST', '/v2.0/subnets', {
    body: { subnet: { network_id: net.body.network.id, ip_version: 4, cidr: '10.20.0.0/24' } },
  })
  return { networkId: net.body.network.id, subnetId: sub.body.subnet.id }
}

async function storm(
  apis: ApiProcess[],
  networkId: string,
): Promise<{ acked: Map<string, { ip: string; mac: string }>; statuses: number[] }> {
  const replies = await Promise.all(
    Array.from({ length: N }, (_, i) =>
      api((apis[i % apis.length] as ApiProcess).url, 'POST', '/v2.0/ports', { body: { port: { network_id: networkId, name: `p${i}` } } }),
    ),
  )
  const acked = new Map<string, { ip: string; mac: string }>()
  for (const r of replies)
    if (r.status === 201) acked.set(r.body.port.id, { ip: r.body.port.fixed_ips[0]?.ip_address, mac: r.body.port.mac_address })
  return { acked, statuses: replies.map(r => r.status) }
}

async function verify(t: Test, store: Store, acked: Map<string, { ip: string; mac: string }>, networkId: string): Promise<void> {
  const ports = (await store.list(TABLES.ports)).filter(p => p.value.network_id === networkId)
  const ips = ports.flatMap(p => (p.value.fixed_ips as { ip_address: string }[]).map(f => f.ip_address))
  const macs = ports.map(p => p.value.mac_address as string)
  t.equal(new Set(ips).size, ips.length, 'no IP address given twice')
  t.equal(new Set(macs).size, macs.length, 'no MAC given twice')
  const byId = new Map(ports.map(p => [p.id, p]))
  const missing = [...acked.keys()].filter(id => !byId.has(id))
  t.same(missing, [], 'every acknowledged port is in the store')
  for (const [id, a] of acked) {
    const v = byId.get(id)?.value
    if (v && (v.mac_address !== a.mac || (v.fixed_ips as { ip_address: string }[])[0]?.ip_address !== a.ip))
      t.fail(`port ${id} differs from its acknowledgement`)
  }
  const allocations = await store.list(TABLES.ipAllocations)
  for (const p of ports) {
    for (const f of p.value.fixed_ips as { subnet_id: string; ip_address: string }[]) {
      const rec = allocations.find(a => a.id === ipAllocationId(f.subnet_id, f.ip_address))
      if (rec?.value.port_id !== p.id) t.fail(`${f.ip_address} of ${p.id} has no allocation record of its own`)
    }
    if (!(await store.get(TABLES.macAllocations, macAllocationId(networkId, p.value.mac_address as string))))
      t.fail(`MAC of ${p.id} not recorded`)
  }
  t.equal(allocations.filter(a => a.value.network_id === networkId).length, ips.length, 'one allocation record per address, none orphaned')
}

t.test('embedded store: 200 parallel creates', async t => {
  const a = await startApi({ store: 'embedded', quiet: true })
  t.teardown(async () => {
    await a.kill()
    removeDir(a.dataDir)
  })
  const { networkId } = await setup(a.url)
  const { acked, statuses } = await storm([a], networkId)
  t.equal(acked.size, N, `all ${N} creates acknowledged (statuses: ${[...new Set(statuses)].join(',')})`)
  t.equal(await a.stop(), 0)
  const store = await openStore({ driver: 'embedded', dir: `${a.dataDir}/store` })
  t.teardown(() => store.close())
  await verify(t, store, acked, networkId)
})

t.test('etcd store: 200 parallel creates over two API processes', async t => {
  const etcd = await startEtcd()
  t.teardown(() => etcd.dispose())
  const a = await startApi({ store: 'etcd', etcdEndpoint: etcd.endpoint, quiet: true })
  const b = await startApi({ store: 'etcd', etcdEndpoint: etcd.endpoint, quiet: true })
  t.teardown(async () => {
    await a.kill()
    await b.kill()
    removeDir(a.dataDir)
    removeDir(b.dataDir)
  })
  const { networkId } = await setup(a.url)
  const { acked, statuses } = await storm([a, b], networkId)
  t.equal(acked.size, N, `all ${N} creates acknowledged (statuses: ${[...new Set(statuses)].join(',')})`)
  const store = await openStore({ driver: 'etcd', endpoints: [etcd.endpoint] })
  t.teardown(() => store.close())
  await verify(t, store, acked, networkId)
})

t.test('a network delete racing with port creates leaves no orphan port', async t => {
  const a = await startApi({ store: 'embedded', quiet: true })
  t.teardown(async () => {
    await a.kill()
    removeDir(a.dataDir)
  })
  for (let round = 0; round < 5; round++) {
    const net = (await api(a.url, 'POST', '/v2.0/networks', { body: { network: { name: `race-${round}` } } })).body.network
    await api(a.url, 'POST', '/v2.0/subnets', { body: { subnet: { network_id: net.id, ip_version: 4, cidr: '10.90.0.0/24' } } })
    const creates = Array.from({ length: 20 }, () => api(a.url, 'POST', '/v2.0/ports', { body: { port: { network_id: net.id } } }))
    await new Promise(r => setTimeout(r, round * 5))
    const del = await api(a.url, 'DELETE', `/v2.0/networks/${net.id}`)
    const replies = await Promise.all(creates)
    const left = (await api(a.url, 'GET', `/v2.0/ports?network_id=${net.id}`)).body.ports as { id: string }[]
    const netNow = await api(a.url, 'GET', `/v2.0/networks/${net.id}`)
    if (del.status === 204) {
      t.equal(netNow.status, 404, `round ${round}: network deleted`)
      t.same(left, [], `round ${round}: no port outlives its network`)
      const acked = replies.filter(r => r.status === 201).map(r => r.body.port.id as string)
      t.same(
        acked.filter(id => left.some(p => p.id === id)),
        [],
        'no acknowledged port survives on a deleted network',
      )
    } else {
      t.equal(del.status, 409, `round ${round}: NetworkInUse`)
      t.equal(netNow.status, 200)
      for (const p of left) await api(a.url, 'DELETE', `/v2.0/ports/${p.id}`)
      t.equal((await api(a.url, 'DELETE', `/v2.0/networks/${net.id}`)).status, 204)
    }
  }
})
