// Pub/sub delivery latency and store write throughput, on real servers (a private mosquitto and etcd, started
// and stopped here). `npm run bench:api` calls benchPubSub/benchStorePuts; alone: `node build/bench/pubsub.js [N]`.
//
// Latency is measured one message in flight (an unloaded system: what an agent waits for one change):
//   mqtt:       publish() call -> subscriber handler (broker round trip, QoS 1)
//   etcd-watch: store.update() call -> watch handler (includes the etcd commit, since the write is the publication)
// Throughput sends N messages / writes with many in flight.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { openPubSub, openStore, type StoreConfig } from '../store/registry.js'
import type { Change, PubSub, Store } from '../store/types.js'
import { startEtcd, startMosquitto } from '../test/helpers/servers.js'

export interface LatencyResult {
  driver: string
  messages: number
  p50Ms: number
  p95Ms: number
  maxMs: number
  /** Messages per second with `messages` in flight at once. */
  throughputPerS: number
}

export interface PutResult {
  driver: string
  puts: number
  concurrency: number
  putsPerS: number
}

export interface BenchOptions {
  /** Messages (latency and throughput runs each); default 1000. */
  messages?: number
  /** Progress lines; default console.log. */
  log?: (line: string) => void
}

/** Latency and throughput of the mqtt and etcd-watch pub/sub drivers. */
export async function benchPubSub(opts: BenchOptions = {}): Promise<LatencyResult[]> {
  const n = opts.messages ?? 1000
  const log = opts.log ?? console.log
  const results: LatencyResult[] = []

  const broker = await startMosquitto()
  try {
    const pub = await openPubSub({ driver: 'mqtt', url: broker.url })
    const sub = await openPubSub({ driver: 'mqtt', url: broker.url })
    try {
      log(`pubsub mqtt: ${n} messages via mosquitto at ${broker.url}`)
      const send = async (id: string, version: number): Promise<void> => {
        await pub.publish({ table: 'bench', id, version, action: 'update', topics: ['project:bench'] })
      }
      results.push(await measure(sub, { driver: 'mqtt', n, send, log }))
    } finally {
      await pub.close()
      await sub.close()
    }
  } finally {
    await broker.dispose()
  }

  const etcd = await startEtcd()
  try {
    const store = await openStore({ driver: 'etcd', endpoints: [etcd.endpoint], prefix: 'bench/' })
    const sub = await openPubSub({ driver: 'etcd-watch', endpoints: [etcd.endpoint], prefix: 'bench/' })
    try {
      log(`pubsub etcd-watch: ${n} writes via etcd at ${etcd.endpoint}`)
      const send = async (id: string): Promise<void> => {
        await store.create('bench', id, {}, ['project:bench'])
      }
      results.push(await measure(sub, { driver: 'etcd-watch', n, send, log }))
    } finally {
      await sub.close()
      await store.close()
    }
  } finally {
    await etcd.dispose()
  }
  return results
}

/** `send(id)` makes one change with that id; the subscriber times its arrival. */
async function measure(
  sub: PubSub,
  run: { driver: string; n: number; send: (id: string, version: number) => Promise<void>; log: (line: string) => void },
): Promise<LatencyResult> {
  const { driver, n, send, log } = run
  const sentAt = new Map<string, number>()
  const latencies: number[] = []
  let waiting: { id: string; done: () => void } | undefined
  let arrived = 0
  let allArrived: (() => void) | undefined
  const stop = await sub.subscribe('project:bench', (c: Change) => {
    const t0 = sentAt.get(c.id)
    if (t0 !== undefined) latencies.push(performance.now() - t0)
    arrived++
    if (waiting?.id === c.id) waiting.done()
    if (allArrived && arrived >= 2 * n) allArrived()
  })
  try {
    for (let i = 0; i < n; i++) {
      const id = `lat${i}`
      const got = new Promise<void>(resolve => {
        waiting = { id, done: resolve }
      })
      sentAt.set(id, performance.now())
      await send(id, i + 1)
      await got
      if ((i + 1) % Math.max(1, Math.floor(n / 4)) === 0) log(`  ${driver}: latency ${i + 1}/${n}`)
    }
    const t0 = performance.now()
    const all = new Promise<void>(resolve => {
      allArrived = resolve
    })
    await Promise.all(Array.from({ length: n }, (_, i) => send(`tput${i}`, i + 1)))
    await all
    const seconds = (performance.now() - t0) / 1000
    latencies.sort((a, b) => a - b)
    const pick = (q: number): number => round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0)
    const result = { driver, messages: n, p50Ms: pick(0.5), p95Ms: pick(0.95), maxMs: pick(1), throughputPerS: Math.round(n / seconds) }
    log(
      `  ${driver}: p50 ${result.p50Ms} ms, p95 ${result.p95Ms} ms, max ${result.maxMs} ms; ${result.throughputPerS} msg/s with ${n} in flight`,
    )
    return result
  } finally {
    await stop()
  }
}

/** Create throughput of a store: `puts` creates with `concurrency` in flight. */
export async function benchStorePuts(
  config: StoreConfig,
  opts: { puts?: number; concurrency?: number; log?: (line: string) => void } = {},
): Promise<PutResult> {
  const puts = opts.puts ?? 2000
  const concurrency = opts.concurrency ?? 64
  const log = opts.log ?? console.log
  const store: Store = await openStore(config)
  try {
    log(`store ${config.driver}: ${puts} creates, ${concurrency} in flight`)
    let next = 0
    const t0 = performance.now()
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let i = next++; i < puts; i = next++) await store.create('bench', `o${i}`, { i, pad: 'x'.repeat(100) }, ['project:bench'])
      }),
    )
    const putsPerS = Math.round(puts / ((performance.now() - t0) / 1000))
    log(`  store ${config.driver}: ${putsPerS} creates/s`)
    return { driver: config.driver, puts, concurrency, putsPerS }
  } finally {
    await store.close()
  }
}

/** Both store drivers on private servers / a temp dir. */
export async function benchStores(opts: { puts?: number; concurrency?: number; log?: (line: string) => void } = {}): Promise<PutResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'df-bench-'))
  const etcd = await startEtcd()
  try {
    return [
      await benchStorePuts({ driver: 'embedded', dir }, opts),
      await benchStorePuts({ driver: 'etcd', endpoints: [etcd.endpoint], prefix: 'bench/' }, opts),
    ]
  } finally {
    await etcd.dispose()
    rmSync(dir, { recursive: true, force: true })
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const n = Number(process.argv[2] ?? 1000)
  const pubsub = await benchPubSub({ messages: n })
  const stores = await benchStores({ puts: 2 * n })
  console.log(JSON.stringify({ pubsub, stores }, null, 2))
}
