// Port creates per second and their latency through the Neutron API:
//  - single: one API process, embedded store and etcd, one client in sequence and 16 concurrent clients;
//  - multi: 2 and 4 API processes on one etcd member and on a 3-member etcd cluster, 16 clients per process,
//    creates/s and p50/p95/max per process (do they share the store fairly?), and what was refused;
//  - curve: the embedded store's create rate and the API process's CPU per create from 0 to 6k ports (does a
//    create get slower as the store fills?), with the port quota unlimited and with a finite quota (the quota
//    check counts the project's ports on every create);
// plus pub/sub delivery latency (MQTT and etcd watch) from bench/pubsub.ts. Prints tables and writes
// bench/results/api.json and api.svg, with the load average at the start and end of every case.
//   npm run bench:api                (defaults: 300 sequential, 1000 concurrent, 400 per process, curve to 6000)
//   node build/bench/api.js --sequential 100 --concurrent 400 --per-process 200 --curve 3000 --no-pubsub
//   node build/bench/api.js --only multi|curve|single
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { parseFlags } from './bench-flags.js'
import { startEtcd } from '../test/helpers/servers.js'
import { type ApiProcess, REPO, removeDir, startApi } from '../test/northbound/helpers/api-process.js'
import { apiSvg } from './api-svg.js'
import { startEtcdCluster } from './etcd-cluster.js'

export interface CreateResult {
  store: string
  clients: number
  creates: number
  failures: number
  createsPerS: number
  p50Ms: number
  p95Ms: number
  maxMs: number
}

const CONCURRENT_CLIENTS = 16

function post(agent: Agent, url: string, body: unknown): Promise<{ status: number; body: string }> {
  const payload = JSON.stringify(body)
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } },
      res => {
        let text = ''
        res.on('data', (d: Buffer) => {
          text += d.toString()
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }))
      },
    )
    req.on('error', reject)
    req.end(payload)
  })
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number
}

const round = (x: number): number => Math.round(x * 100) / 100

/** `creates` port creates spread over `clients` clients, each waiting for its previous answer. */
async function run(api: ApiProcess, opts: { store: string; networkId: string; clients: number; creates: number }): Promise<CreateResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: opts.clients })
  const latencies: number[] = []
  let failures = 0
  let next = 0
  const client = async (): Promise<void> => {
    while (next < opts.creates) {
      const i = next++
      const t0 = performance.now()
      const r = await post(agent, `${api.url}/v2.0/ports`, { port: { network_id: opts.networkId, name: `bench-${opts.clients}-${i}` } })
      latencies.push(performance.now() - t0)
      if (r.status !== 201) failures++
    }
  }
  const start = performance.now()
  await Promise.all(Array.from({ length: opts.clients }, client))
  const seconds = (performance.now() - start) / 1000
  agent.destroy()
  latencies.sort((a, b) => a - b)
  return {
    store: opts.store,
    clients: opts.clients,
    creates: opts.creates,
    failures,
    createsPerS: round(opts.creates / seconds),
    p50Ms: round(percentile(latencies, 50)),
    p95Ms: round(percentile(latencies, 95)),
    maxMs: round(latencies[latencies.length - 1] ?? 0),
  }
}

async function benchStore(
  api: ApiProcess,
  store: string,
  counts: { sequential: number; concurrent: number },
  log: (l: string) => void,
): Promise<CreateResult[]> {
  const agent = new Agent({ keepAlive: false })
  await new Promise<void>((resolve, reject) => {
    const req = request(`${api.url}/v2.0/quotas/admin`, { method: 'PUT', agent, headers: { 'Content-Type': 'application/json' } }, res => {
      res.resume()
      res.on('end', resolve)
    })
    req.on('error', reject)
    req.end(JSON.stringify({ quota: { port: -1 } }))
  })
  const net = JSON.parse((await post(agent, `${api.url}/v2.0/networks`, { network: { name: 'bench' } })).body) as {
    network: { id: string }
  }
  await post(agent, `${api.url}/v2.0/subnets`, { subnet: { network_id: net.network.id, ip_version: 4, cidr: '10.128.0.0/16' } })
  const out: CreateResult[] = []
  for (const [clients, creates] of [
    [1, counts.sequential],
    [CONCURRENT_CLIENTS, counts.concurrent],
  ] as const) {
    log(`api ${store}: ${creates} port creates, ${clients} client(s)`)
    const r = await run(api, { store, networkId: net.network.id, clients, creates })
    log(`  ${r.createsPerS} creates/s, p50 ${r.p50Ms} ms, p95 ${r.p95Ms} ms, max ${r.maxMs} ms, ${r.failures} failed`)
    out.push(r)
  }
  return out
}

export async function benchApi(
  opts: { sequential?: number; concurrent?: number; log?: (l: string) => void } = {},
): Promise<CreateResult[]> {
  const log = opts.log ?? console.log
  const counts = { sequential: opts.sequential ?? 300, concurrent: opts.concurrent ?? 1000 }
  const results: CreateResult[] = []
  const embedded = await startApi({ store: 'embedded', quiet: true })
  try {
    results.push(...(await benchStore(embedded, 'embedded', counts, log)))
  } finally {
    await embedded.stop()
    removeDir(embedded.dataDir)
  }
  const etcd = await startEtcd()
  const onEtcd = await startApi({ store: 'etcd', etcdEndpoint: etcd.endpoint, quiet: true })
  try {
    results.push(...(await benchStore(onEtcd, 'etcd', counts, log)))
  } finally {
    await onEtcd.stop()
    removeDir(onEtcd.dataDir)
    await etcd.dispose()
  }
  return results
}

export interface ProcessResult {
  process: number
  creates: number
  createsPerS: number
  p50Ms: number
  p95Ms: number
  maxMs: number
  /** status -> count, for what was not 201 */
  refused: Record<string, number>
  /** 409s whose message says "Concurrent change" (the race reaching the client): must be 0 */
  concurrentChange409: number
}

export interface MultiResult {
  store: 'etcd (1 member)' | 'etcd (3-member cluster)'
  processes: number
  clientsPerProcess: number
  totalCreatesPerS: number
  perProcess: ProcessResult[]
  loadavg: { start: number[]; end: number[] }
}

const load = (): number[] => loadavg().map(x => round(x))

async function setupNetwork(url: string, opts: { portQuota: number; cidr: string }): Promise<string> {
  const agent = new Agent({ keepAlive: false })
  await new Promise<void>((resolve, reject) => {
    const req = request(`${url}/v2.0/quotas/admin`, { method: 'PUT', agent, headers: { 'Content-Type': 'application/json' } }, res => {
      res.resume()
      res.on('end', resolve)
    })
    req.on('error', reject)
    req.end(JSON.stringify({ quota: { port: opts.portQuota } }))
  })
  const net = JSON.parse((await post(agent, `${url}/v2.0/networks`, { network: { name: 'bench' } })).body) as { network: { id: string } }
  await post(agent, `${url}/v2.0/subnets`, { subnet: { network_id: net.network.id, ip_version: 4, cidr: opts.cidr } })
  return net.network.id
}

/** `creates` port creates from `clients` clients on one API process; latencies and refusals kept per process. */
async function storm(
  api: ApiProcess,
  opts: { networkId: string; clients: number; creates: number; index: number },
): Promise<ProcessResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: opts.clients })
  const latencies: number[] = []
  const refused: Record<string, number> = {}
  let concurrentChange409 = 0
  let next = 0
  const start = performance.now()
  await Promise.all(
    Array.from({ length: opts.clients }, async () => {
      while (next < opts.creates) {
        next++
        const t0 = performance.now()
        const r = await post(agent, `${api.url}/v2.0/ports`, { port: { network_id: opts.networkId } })
        latencies.push(performance.now() - t0)
        if (r.status === 201) continue
        refused[r.status] = (refused[r.status] ?? 0) + 1
        if (r.status === 409 && r.body.includes('Concurrent change')) concurrentChange409++
      }
    }),
  )
  const seconds = (performance.now() - start) / 1000
  agent.destroy()
  latencies.sort((a, b) => a - b)
  return {
    process: opts.index,
    creates: opts.creates,
    createsPerS: round(opts.creates / seconds),
    p50Ms: round(percentile(latencies, 50)),
    p95Ms: round(percentile(latencies, 95)),
    maxMs: round(latencies.at(-1) ?? 0),
    refused,
    concurrentChange409,
  }
}

/** `processes` API processes on the given etcd, all storming one network at once. */
async function benchMulti(
  endpoints: string[],
  opts: { store: MultiResult['store']; processes: number; perProcess: number; log: (l: string) => void },
): Promise<MultiResult> {
  const apis: ApiProcess[] = []
  try {
    for (let i = 0; i < opts.processes; i++) apis.push(await startApi({ store: 'etcd', etcdEndpoint: endpoints.join(','), quiet: true }))
    const networkId = await setupNetwork((apis[0] as ApiProcess).url, { portQuota: -1, cidr: '10.128.0.0/16' })
    opts.log(`api ${opts.store}: ${opts.processes} processes x ${opts.perProcess} creates, ${CONCURRENT_CLIENTS} clients each`)
    const start = load()
    const t0 = performance.now()
    const perProcess = await Promise.all(
      apis.map((api, index) => storm(api, { networkId, clients: CONCURRENT_CLIENTS, creates: opts.perProcess, index })),
    )
    const seconds = (performance.now() - t0) / 1000
    const r: MultiResult = {
      store: opts.store,
      processes: opts.processes,
      clientsPerProcess: CONCURRENT_CLIENTS,
      totalCreatesPerS: round((opts.processes * opts.perProcess) / seconds),
      perProcess,
      loadavg: { start, end: load() },
    }
    for (const p of perProcess) {
      opts.log(
        `  process ${p.process}: ${p.createsPerS} creates/s, p50 ${p.p50Ms} ms, p95 ${p.p95Ms} ms, max ${p.maxMs} ms, refused ${JSON.stringify(p.refused)}`,
      )
    }
    opts.log(`  total ${r.totalCreatesPerS} creates/s; load ${r.loadavg.start.join('/')} -> ${r.loadavg.end.join('/')}`)
    return r
  } finally {
    for (const a of apis) {
      await a.kill()
      removeDir(a.dataDir)
    }
  }
}

export interface CurvePoint {
  ports: number
  createsPerS: number
  cpuMsPerCreate: number
  p95Ms: number
}
export interface CurveResult {
  store: 'embedded'
  portQuota: number
  clients: number
  points: CurvePoint[]
  loadavg: { start: number[]; end: number[] }
}

/** utime + stime of a process in ms (Linux /proc; USER_HZ is 100 on every Linux this runs on). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
    .replace(/^.*\) /, '')
    .split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}

/** Creates up to `total` ports on one embedded API process, `step` at a time: rate and CPU per create per step. */
async function benchCurve(opts: { total: number; step: number; portQuota: number; log: (l: string) => void }): Promise<CurveResult> {
  const api = await startApi({ store: 'embedded', quiet: true })
  try {
    const pid = api.proc.pid as number
    const networkId = await setupNetwork(api.url, { portQuota: opts.portQuota, cidr: '10.64.0.0/16' })
    opts.log(`api embedded: creates/s from 0 to ${opts.total} ports, port quota ${opts.portQuota}`)
    const start = load()
    const points: CurvePoint[] = []
    for (let ports = 0; ports < opts.total; ports += opts.step) {
      const cpu0 = cpuMs(pid)
      const r = await storm(api, { networkId, clients: CONCURRENT_CLIENTS, creates: opts.step, index: 0 })
      const point = {
        ports: ports + opts.step,
        createsPerS: r.createsPerS,
        cpuMsPerCreate: round((cpuMs(pid) - cpu0) / opts.step),
        p95Ms: r.p95Ms,
      }
      points.push(point)
      opts.log(
        `  at ${point.ports} ports: ${point.createsPerS} creates/s, ${point.cpuMsPerCreate} ms CPU per create, p95 ${point.p95Ms} ms`,
      )
    }
    return { store: 'embedded', portQuota: opts.portQuota, clients: CONCURRENT_CLIENTS, points, loadavg: { start, end: load() } }
  } finally {
    await api.kill()
    removeDir(api.dataDir)
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { flags } = parseFlags(process.argv.slice(2), ['no-pubsub'])
  const only = flags.get('only')
  const log = console.log
  const startLoad = load()
  const single =
    only === undefined || only === 'single'
      ? await benchApi({ sequential: Number(flags.get('sequential') ?? 300), concurrent: Number(flags.get('concurrent') ?? 1000) })
      : []
  const multi: MultiResult[] = []
  if (only === undefined || only === 'multi') {
    const perProcess = Number(flags.get('per-process') ?? 400)
    const etcd = await startEtcd()
    try {
      for (const processes of [2, 4])
        multi.push(await benchMulti([etcd.endpoint], { store: 'etcd (1 member)', processes, perProcess, log }))
    } finally {
      await etcd.dispose()
    }
    for (const processes of [2, 4]) {
      const cluster = await startEtcdCluster(3) // a fresh cluster per case, as the fresh member above is per run
      try {
        multi.push(await benchMulti(cluster.endpoints, { store: 'etcd (3-member cluster)', processes, perProcess, log }))
      } finally {
        await cluster.dispose()
      }
    }
  }
  const curve: CurveResult[] = []
  if (only === undefined || only === 'curve') {
    const total = Number(flags.get('curve') ?? 6000)
    for (const portQuota of [-1, 100_000]) curve.push(await benchCurve({ total, step: 1000, portQuota, log }))
  }
  let pubsub: unknown = null
  if (!flags.has('no-pubsub') && only === undefined) {
    try {
      // The pub/sub bench belongs to the store; use it when it is there.
      const mod = (await import('./pubsub.js')) as { benchPubSub?: (o: { messages?: number }) => Promise<unknown> }
      pubsub = mod.benchPubSub ? await mod.benchPubSub({ messages: Number(flags.get('messages') ?? 500) }) : null
    } catch (err) {
      console.log(`pub/sub bench skipped: ${err instanceof Error ? err.message : String(err)}`)
    }
  }
  const loadavgRun = { start: startLoad, end: load() }
  const doc = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    cpu: cpus()[0]?.model ?? '',
    loadavg: loadavgRun,
    api: single,
    multi,
    curve,
    pubsub,
  }
  const dir = join(REPO, 'bench', 'results')
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'api.json'), JSON.stringify(doc, null, 2) + '\n')
  const colours = ['#1f77b4', '#d62728']
  writeFileSync(
    join(dir, 'api.svg'),
    apiSvg({
      subtitle: `${doc.date.slice(0, 16)} UTC, ${doc.cpus} cores (${doc.cpu}), load average ${loadavgRun.start.join('/')} at the start, ${loadavgRun.end.join('/')} at the end`,
      curve: curve.map((c, i) => ({
        label: c.portQuota < 0 ? 'port quota unlimited' : `port quota ${c.portQuota}`,
        colour: colours[i % 2] as string,
        points: c.points,
      })),
      multi: multi.map(m => ({ label: `${m.processes} x ${m.store}`, processes: m.perProcess })),
    }),
  )
  if (single.length) console.table(single)
  if (multi.length) {
    console.table(
      multi.flatMap(m =>
        m.perProcess.map(p => ({
          store: m.store,
          processes: m.processes,
          process: p.process,
          'creates/s': p.createsPerS,
          p50Ms: p.p50Ms,
          p95Ms: p.p95Ms,
          maxMs: p.maxMs,
          refused: JSON.stringify(p.refused),
          load: `${m.loadavg.start[0]} -> ${m.loadavg.end[0]}`,
        })),
      ),
    )
  }
  if (curve.length) console.table(curve.flatMap(c => c.points.map(p => ({ portQuota: c.portQuota, ...p }))))
  if (pubsub) console.table(pubsub)
  console.log(`load average ${loadavgRun.start.join('/')} at the start, ${loadavgRun.end.join('/')} at the end`)
  console.log(`written ${join(dir, 'api.json')} and ${join(dir, 'api.svg')}`)
}
