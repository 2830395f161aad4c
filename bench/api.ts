// Port creates per second and their latency (p50/p95) through the Neutron API, on the embedded store and on
// etcd, with one client in sequence and with 16 concurrent clients; plus pub/sub delivery latency (MQTT and
// etcd watch) from bench/pubsub.ts. Prints a table and writes bench/results/api.json.
//   npm run bench:api                (defaults: 300 sequential, 1000 concurrent creates per store)
//   node build/bench/api.js --sequential 100 --concurrent 400 --no-pubsub
import { mkdirSync, writeFileSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { cpus } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { parseFlags } from '../cli/command.js'
import { startEtcd } from '../test/helpers/servers.js'
import { type ApiProcess, REPO, removeDir, startApi } from '../test/northbound/helpers/api-process.js'

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
    const req = request(url, { method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } }, res => {
      let text = ''
      res.on('data', (d: Buffer) => { text += d.toString() })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }))
    })
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
    store: opts.store, clients: opts.clients, creates: opts.creates, failures,
    createsPerS: round(opts.creates / seconds), p50Ms: round(percentile(latencies, 50)), p95Ms: round(percentile(latencies, 95)), maxMs: round(latencies[latencies.length - 1] ?? 0),
  }
}

async function benchStore(api: ApiProcess, store: string, counts: { sequential: number; concurrent: number }, log: (l: string) => void): Promise<CreateResult[]> {
  const agent = new Agent({ keepAlive: false })
  await new Promise<void>((resolve, reject) => {
    const req = request(`${api.url}/v2.0/quotas/admin`, { method: 'PUT', agent, headers: { 'Content-Type': 'application/json' } }, res => { res.resume(); res.on('end', resolve) })
    req.on('error', reject)
    req.end(JSON.stringify({ quota: { port: -1 } }))
  })
  const net = JSON.parse((await post(agent, `${api.url}/v2.0/networks`, { network: { name: 'bench' } })).body) as { network: { id: string } }
  await post(agent, `${api.url}/v2.0/subnets`, { subnet: { network_id: net.network.id, ip_version: 4, cidr: '10.128.0.0/16' } })
  const out: CreateResult[] = []
  for (const [clients, creates] of [[1, counts.sequential], [CONCURRENT_CLIENTS, counts.concurrent]] as const) {
    log(`api ${store}: ${creates} port creates, ${clients} client(s)`)
    const r = await run(api, { store, networkId: net.network.id, clients, creates })
    log(`  ${r.createsPerS} creates/s, p50 ${r.p50Ms} ms, p95 ${r.p95Ms} ms, max ${r.maxMs} ms, ${r.failures} failed`)
    out.push(r)
  }
  return out
}

export async function benchApi(opts: { sequential?: number; concurrent?: number; log?: (l: string) => void } = {}): Promise<CreateResult[]> {
  const log = opts.log ?? console.log
  const counts = { sequential: opts.sequential ?? 300, concurrent: opts.concurrent ?? 1000 }
  const results: CreateResult[] = []
  const embedded = await startApi({ store: 'embedded', quiet: true })
  try {
    results.push(...await benchStore(embedded, 'embedded', counts, log))
  } finally {
    await embedded.stop()
    removeDir(embedded.dataDir)
  }
  const etcd = await startEtcd()
  const onEtcd = await startApi({ store: 'etcd', etcdEndpoint: etcd.endpoint, quiet: true })
  try {
    results.push(...await benchStore(onEtcd, 'etcd', counts, log))
  } finally {
    await onEtcd.stop()
    removeDir(onEtcd.dataDir)
    await etcd.dispose()
  }
  return results
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { flags } = parseFlags(process.argv.slice(2), ['no-pubsub'])
  const api = await benchApi({ sequential: Number(flags.get('sequential') ?? 300), concurrent: Number(flags.get('concurrent') ?? 1000) })
  let pubsub: unknown = null
  if (!flags.has('no-pubsub')) {
    try {
      // The pub/sub bench belongs to the store; use it when it is there.
      const mod = await import('./pubsub.js') as { benchPubSub?: (o: { messages?: number }) => Promise<unknown> }
      pubsub = mod.benchPubSub ? await mod.benchPubSub({ messages: Number(flags.get('messages') ?? 500) }) : null
    } catch (err) {
      console.log(`pub/sub bench skipped: ${err instanceof Error ? err.message : String(err)}`)
    }
  }
  const doc = { date: new Date().toISOString(), node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model ?? '', api, pubsub }
  const dir = join(REPO, 'bench', 'results')
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'api.json'), JSON.stringify(doc, null, 2) + '\n')
  console.table(api)
  if (pubsub) console.table(pubsub)
  console.log(`written ${join(dir, 'api.json')}`)
}
