// The process's Prometheus metrics: one prom-client Registry shared by the API and the agent (in `serve` both
// show on the API's /metrics), scraped through metricsText().
//
// Names are dragonflow_* with the unit in the name (Prometheus naming: _total for counters, _seconds for
// durations). A thing is counted where it happens (a histogram observed at the install, a counter at the store
// call); counters that a component already keeps (the WASM datapath's per-reason counters, the packet-in
// verdicts, the reactive L3 cache) are not counted twice: a source registers itself and the collect() callback
// of its gauge/counter reads it at scrape time.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

export const registry = new Registry()
// the default names already start with process_ or nodejs_: dragonflow_process_cpu_seconds_total, ...
collectDefaultMetrics({ register: registry, prefix: 'dragonflow_' })

/** What the agent offers the scrape (LocalController registers one per running controller). */
export interface MetricsSource {
  /** the WASM datapath's counters: reason name -> packets (drops and punts) */
  datapathReasons(): Record<string, number>
  /** the slow path's verdicts, `action/reason` -> packet-ins */
  packetInVerdicts(): ReadonlyMap<string, number>
  /** the reactive L3 cache's own counters */
  reactive(): { enabled: boolean; live: number; cap: number } & Record<string, number | boolean>
  /** flow installs (bundle commits and resyncs) so far */
  flowInstalls(): number
}

const sources = new Set<MetricsSource>()

/** Offer `source` to every scrape until the returned function is called. */
export function registerMetricsSource(source: MetricsSource): () => void {
  sources.add(source)
  return () => {
    sources.delete(source)
  }
}

function sum(read: (s: MetricsSource) => Iterable<[string, number]>): Map<string, number> {
  const out = new Map<string, number>()
  for (const s of sources) {
    for (const [k, v] of read(s)) out.set(k, (out.get(k) ?? 0) + v)
  }
  return out
}

// A punt reason sends the packet to the slow path; every other reason is a drop (datapath/spec/verdicts.ts).
const reasonKind = (reason: string): 'punt' | 'drop' => (reason.startsWith('punt_') ? 'punt' : 'drop')

new Counter({
  name: 'dragonflow_datapath_packets_total',
  help: 'Packets the WASM datapath dropped or punted, per reason (read from its own counters)',
  labelNames: ['kind', 'reason'] as const,
  registers: [registry],
  collect() {
    this.reset()
    for (const [reason, n] of sum(s => Object.entries(s.datapathReasons()))) this.inc({ kind: reasonKind(reason), reason }, n)
  },
})

new Counter({
  name: 'dragonflow_packet_ins_total',
  help: 'Packet-ins handled by the slow path, per verdict (action/reason)',
  labelNames: ['verdict'] as const,
  registers: [registry],
  collect() {
    this.reset()
    for (const [verdict, n] of sum(s => s.packetInVerdicts())) this.inc({ verdict }, n)
  },
})

new Counter({
  name: 'dragonflow_flow_installs_total',
  help: 'Flow installs on the switch (bundle commits and resyncs)',
  registers: [registry],
  collect() {
    this.reset()
    let n = 0
    for (const s of sources) n += s.flowInstalls()
    this.inc(n)
  },
})

export const flowInstallSeconds = new Histogram({
  name: 'dragonflow_flow_install_duration_seconds',
  help: "Time of one flow install on the switch (bundle or resync), from its start to the switch's commit",
  buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
})

export const flowModsTotal = new Counter({
  name: 'dragonflow_flow_mods_total',
  help: 'Flows the installs added or replaced, and deleted',
  labelNames: ['op'] as const,
  registers: [registry],
})

export const portUpSeconds = new Histogram({
  name: 'dragonflow_port_up_duration_seconds',
  help: 'From the agent first seeing a port in the store to its flows committed on the switch (the port ACTIVE)',
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  registers: [registry],
})

export const storeOperationsTotal = new Counter({
  name: 'dragonflow_store_operations_total',
  help: 'Calls into the NB store, per driver and operation',
  labelNames: ['driver', 'op'] as const,
  registers: [registry],
})

export const storeErrorsTotal = new Counter({
  name: 'dragonflow_store_errors_total',
  help: 'NB store calls that failed, per driver, operation and error code',
  labelNames: ['driver', 'op', 'code'] as const,
  registers: [registry],
})

export const pubsubLagSeconds = new Histogram({
  name: 'dragonflow_pubsub_lag_seconds',
  help: "From a change committed in the store (the object's updated_at) to the agent receiving it",
  labelNames: ['feed'] as const,
  buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10],
  registers: [registry],
})

const reactiveCounters = ['misses', 'installs', 'reinstalls', 'refusedFull', 'refusedRate', 'notRouted', 'flushes', 'expired'] as const

new Counter({
  name: 'dragonflow_reactive_l3_events_total',
  help: 'The reactive L3 cache: misses, installs, refusals (cap full, rate), flushes and expiries (read from its own counters)',
  labelNames: ['event'] as const,
  registers: [registry],
  collect() {
    this.reset()
    for (const event of reactiveCounters) {
      let n = 0
      for (const s of sources) {
        const v = s.reactive()[event]
        if (typeof v === 'number') n += v
      }
      this.inc({ event }, n)
    }
  },
})

new Gauge({
  name: 'dragonflow_reactive_l3_flows',
  help: 'Reactive L3 flows live on the switch, and the cap',
  labelNames: ['what'] as const,
  registers: [registry],
  collect() {
    let live = 0
    let cap = 0
    for (const s of sources) {
      const r = s.reactive()
      if (r.enabled) {
        live += r.live
        cap += r.cap
      }
    }
    this.set({ what: 'live' }, live)
    this.set({ what: 'cap' }, cap)
  },
})

/** The text exposition of every metric, and its content type. */
export async function metricsText(): Promise<{ contentType: string; body: string }> {
  return { contentType: registry.contentType, body: await registry.metrics() }
}
