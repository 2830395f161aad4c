// Two real `dragonflow api` processes on one etcd, racing for the addresses of one small subnet: creates that
// ask for no address never see a 409 (a collision with the other process is retried inside the server), every
// address is held once with its own allocation record, and both processes get their creates through at
// comparable latency (neither starves). A client that asks for a specific address still gets Neutron's 409
// IpAddressAlreadyAllocated when the other process won it; a full subnet is Neutron's IpAddressGenerationFailure.
import t from 'tap'
import { TABLES, ipAllocationId } from '../../model/tables.js'
import { openStore } from '../../store/registry.js'
import { startEtcd } from '../helpers/servers.js'
import { type ApiProcess, type HttpReply, api, removeDir, startApi } from './helpers/api-process.js'

/** A /24: 253 pool addresses (.2 to .254). */
const CIDR = '10.77.0.0/24'
const POOL = 253
/** Creates per process, all at once: 2 x 124 = 248 of the 252 free addresses, so late choices collide a lot. */
const PER_PROCESS = 124

/** Allocation records of other networks already in the store (a cloud that is not empty): ~2.5 MiB of etcd. */
const OTHERS = 12_000

async function fillOtherNetworks(endpoint: string): Promise<void> {
  const store = await openStore({ driver: 'etcd', endpoints: [endpoint] })
  try {
    for (let i = 0; i < OTHERS; i += 100) {
      await store.transact(
        Array.from({ length: 100 }, (_, j) => {
          const n = i + j,
            ip = `10.${n >> 16}.${(n >> 8) & 255}.${n & 255}`,
            subnet = `other-subnet-${n % 40}`
          const value = { subnet_id: subnet, network_id: `other-net-${n % 40}`, ip_address: ip, port_id: `other-port-${n}` }
          return {
            op: 'create' as const,
            table: TABLES.ipAllocations,
            id: ipAllocationId(subnet, ip),
            topics: [`network:${value.network_id}`],
            value,
          }
        }),
      )
    }
  } finally {
    await store.close()
  }
}

t.test('two API processes on one etcd: concurrent creates never surface a 409, addresses stay unique', async t => {
  const etcd = await startEtcd()
  t.teardown(() => etcd.dispose())
  await fillOtherNetworks(etcd.endpoint)
  const procs: ApiProcess[] = [
    await startApi({ store: 'etcd', etcdEndpoint: etcd.endpoint, quiet: true }),
    await startApi({ store: 'etcd', etcdEndpoint: etcd.endpoint, quiet: true }),
  ]
  t.teardown(async () => {
    for (const p of procs) {
      await p.kill()
      removeDir(p.dataDir)
    }
  })
  const [a, b] = procs as [ApiProcess, ApiProcess]
  await api(a.url, 'PUT', '/v2.0/quotas/admin', { body: { quota: { port: -1 } } })
  const net = (await api(a.url, 'POST', '/v2.0/networks', { body: { network: { name: 'race' } } })).body.network
  const sub = (await api(a.url, 'POST', '/v2.0/subnets', { body: { subnet: { network_id: net.id, ip_version: 4, cidr: CIDR } } })).body
    .subnet
  t.ok(sub?.id, 'subnet created')
  const before = (await api(a.url, 'GET', `/v2.0/ports?network_id=${net.id}`)).body.ports.length as number // the DHCP port
  const FREE = POOL - before

  const timed = async (p: ApiProcess, i: number): Promise<{ proc: number; ms: number; r: HttpReply }> => {
    const t0 = performance.now()
    const r = await api(p.url, 'POST', '/v2.0/ports', { body: { port: { network_id: net.id, name: `r${i}` } } })
    return { proc: p === a ? 0 : 1, ms: performance.now() - t0, r }
  }
  const replies = await Promise.all(Array.from({ length: 2 * PER_PROCESS }, (_, i) => timed(i % 2 ? b : a, i)))
  const refused = replies.filter(x => x.r.status !== 201)
  t.same(
    refused.map(x => `${x.r.status} ${JSON.stringify(x.r.body).slice(0, 160)}`),
    [],
    'every create without an address was answered 201',
  )
  t.notOk(
    replies.some(x => JSON.stringify(x.r.body).includes('Concurrent change')),
    'no "Concurrent change" reached a client',
  )
  for (const proc of [0, 1]) {
    const mine = replies.filter(x => x.proc === proc && x.r.status === 201)
    t.equal(mine.length, PER_PROCESS, `process ${proc} created all its ports`)
  }
  const worst = [0, 1].map(proc => Math.max(...replies.filter(x => x.proc === proc).map(x => x.ms)))
  // Before, the process that lost a race read every allocation record of the store again, lost the next race
  // too and left its clients waiting seconds (issue 16: 3-4.4 s; 20 s in this test before the fix, under 2 s after).
  // All requests start at once, so waits queue up to about twice the median; a starved process leaves a tail far
  // beyond that. Compared with the run's own median, not a wall-clock bound, so a loaded machine does not fail it.
  const sorted = replies.map(x => x.ms).sort((x, y) => x - y)
  const median = sorted[sorted.length >> 1] ?? 0
  t.ok(
    Math.max(...worst) < 4 * median + 250,
    `neither process starved: worst wait per process ${worst.map(w => w.toFixed(0)).join(' / ')} ms, median ${median.toFixed(0)} ms (bound 4 x median + 250)`,
  )

  // Specific addresses asked of both processes at once: one wins, the other hears Neutron's 409.
  const listed = (await api(a.url, 'GET', `/v2.0/ports?network_id=${net.id}`)).body.ports as { fixed_ips: { ip_address: string }[] }[]
  const taken = new Set(listed.flatMap(p => p.fixed_ips.map(f => f.ip_address)))
  const wanted = Array.from({ length: 254 }, (_, i) => `10.77.0.${i + 1}`).filter(ip => ip !== '10.77.0.1' && !taken.has(ip))
  t.ok(wanted.length >= 2, `free addresses left: ${wanted.join(', ')}`)
  for (const ip of wanted.slice(0, 2)) {
    const both = await Promise.all(
      [a, b].map(p => api(p.url, 'POST', '/v2.0/ports', { body: { port: { network_id: net.id, fixed_ips: [{ ip_address: ip }] } } })),
    )
    t.same(both.map(r => r.status).sort(), [201, 409], `${ip}: one 201, one 409`)
    const lost = both.find(r => r.status === 409)
    t.equal(lost?.body.NeutronError?.type, 'IpAddressAlreadyAllocated', `${ip}: the loser is told the address is allocated`)
  }

  // Fill what is left from both sides, then one more from each: a full subnet is Neutron's own answer.
  const rest = FREE - 2 * PER_PROCESS - 2
  const fill = await Promise.all(
    Array.from({ length: rest + 2 }, (_, i) => api((i % 2 ? b : a).url, 'POST', '/v2.0/ports', { body: { port: { network_id: net.id } } })),
  )
  t.equal(fill.filter(r => r.status === 201).length, rest, `the last ${rest} addresses were handed out`)
  const full = fill.filter(r => r.status !== 201)
  t.same(
    full.map(r => `${r.status} ${r.body.NeutronError?.type}`),
    ['409 IpAddressGenerationFailure', '409 IpAddressGenerationFailure'],
    'then the subnet is full',
  )

  const store = await openStore({ driver: 'etcd', endpoints: [etcd.endpoint] })
  t.teardown(() => store.close())
  const ports = (await store.list(TABLES.ports)).filter(p => p.value.network_id === net.id)
  const ips = ports.flatMap(p => (p.value.fixed_ips as { ip_address: string }[]).map(f => f.ip_address))
  t.equal(ports.length, POOL, 'as many ports as pool addresses (the DHCP port included)')
  t.equal(new Set(ips).size, ips.length, 'no address held twice')
  const allocations = (await store.list(TABLES.ipAllocations)).filter(r => r.value.network_id === net.id)
  t.equal(allocations.length, ips.length, 'one allocation record per address, none orphaned by the retries')
  for (const p of ports) {
    for (const f of p.value.fixed_ips as { subnet_id: string; ip_address: string }[]) {
      const rec = allocations.find(x => x.id === ipAllocationId(f.subnet_id, f.ip_address))
      if (rec?.value.port_id !== p.id) t.fail(`${f.ip_address} of ${p.id} has no allocation record of its own`)
    }
  }
})
