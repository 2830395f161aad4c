// Chassis liveness: every agent stamps the time into its chassis row every `intervalMs` (default 10 s); the API
// calls a chassis down once its last stamp is older than agent_down_time (default 3 x the default interval, so
// two lost beats are tolerated). The stamp lives in external_ids, beside the run generation: the compiler reads
// neither (topology-compiler.ts chassisDependents), so a beat moves no flow.
//
// What a down chassis keeps (the rule the API and the agents follow):
// - its ports read DOWN in the API (northbound/resources/ports.ts), whatever they last reported;
// - tunnels to it stay, and so do the flows that point at it on every other node: "down" means only that the
//   chassis stopped writing to the store. A node cut off from the store (or whose agent process died) keeps
//   forwarding on its installed flows, and removing its tunnels would cut that traffic for nothing. Tunnels
//   go when its row goes: DELETE /v2.0/agents/{id} of a down agent (the operator says the node is gone).
import type { Chassis } from '../../model/types.js'
import type { Store } from '../../store/types.js'
import { HEARTBEAT_ID, editChassisIds } from './chassis.js'

export const DEFAULT_HEARTBEAT_MS = 10_000
/** Neutron's agent_down_time counterpart: three default intervals */
export const DEFAULT_AGENT_DOWN_MS = 3 * DEFAULT_HEARTBEAT_MS

/** The last heartbeat of a chassis row, ms since the epoch; a row from before heartbeats falls back to updated_at. */
export function lastHeartbeat(c: Pick<Chassis, 'external_ids' | 'updated_at'>): number | undefined {
  const t = Date.parse(c.external_ids?.[HEARTBEAT_ID] ?? c.updated_at ?? '')
  return Number.isFinite(t) ? t : undefined
}

/** Up when its last heartbeat is at most `downMs` old. */
export function chassisAlive(c: Pick<Chassis, 'external_ids' | 'updated_at'>, opts: { now: number; downMs: number }): boolean {
  const t = lastHeartbeat(c)
  return t !== undefined && opts.now - t <= opts.downMs
}

/** Write one heartbeat (CAS, re-read on conflict); false when the row is gone (deleted by an operator). */
export function beat(store: Store, chassisId: string, at: Date): Promise<boolean> {
  return editChassisIds(store, chassisId, 'write a heartbeat', ids => ({ ...ids, [HEARTBEAT_ID]: at.toISOString() }))
}

export interface HeartbeatOptions {
  store: Store
  chassisId: string
  intervalMs?: number | undefined
  /** the first failed beat of an outage (store unreachable; logged once): the next ticks keep trying */
  onError?: (err: unknown) => void
  /** the row was deleted while this agent runs (the beats stop) */
  onMissing?: () => void
  clock?: () => Date
}

/** The timer of one agent's heartbeats; one beat at a time, none after stop(). */
export class Heartbeat {
  private timer: NodeJS.Timeout | undefined
  private inFlight: Promise<void> | undefined
  private stopped = false
  /** beats failed since the last one written */
  failures = 0
  private readonly intervalMs: number

  constructor(private readonly opts: HeartbeatOptions) {
    this.intervalMs = opts.intervalMs ?? DEFAULT_HEARTBEAT_MS
    if (!(this.intervalMs > 0)) throw new RangeError(`heartbeat interval must be > 0 ms, not ${this.intervalMs}`)
  }

  start(): void {
    if (this.timer !== undefined || this.stopped) return
    this.timer = setInterval(() => {
      void this.tick()
    }, this.intervalMs)
  }

  /** One beat now (also what each tick does); a beat still in flight is not doubled. */
  tick(): Promise<void> {
    if (this.stopped) return Promise.resolve()
    if (this.inFlight !== undefined) return this.inFlight
    const o = this.opts
    this.inFlight = beat(o.store, o.chassisId, o.clock?.() ?? new Date())
      .then(
        present => {
          this.failures = 0
          if (!present) this.missing()
        },
        (err: unknown) => {
          if (this.failures++ === 0) o.onError?.(err)
        },
      )
      .finally(() => {
        this.inFlight = undefined
      })
    return this.inFlight
  }

  /** No row to stamp: beating again would only fail the same way; a restart registers the node again. */
  private missing(): void {
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
    this.opts.onMissing?.()
  }

  async stop(): Promise<void> {
    this.stopped = true
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
    await this.inFlight
  }
}
