// Chassis liveness (agent/controller/heartbeat.ts) as operators tune it, named as Neutron names it:
// --report-interval (the agents' heartbeat, agent and serve) and --agent-down-time (the API's "down" rule, api
// and serve). Seconds, like Neutron's report_interval and agent_down_time.
import { DEFAULT_AGENT_DOWN_MS, DEFAULT_HEARTBEAT_MS } from '../agent/controller/heartbeat.js'
import { type Flag, UsageError } from './command.js'

export const REPORT_INTERVAL_FLAG: Flag = {
  name: 'report-interval',
  type: 'string',
  value: 'SECONDS',
  description: `how often this node writes its heartbeat into the store (default ${DEFAULT_HEARTBEAT_MS / 1000})`,
}

export const AGENT_DOWN_TIME_FLAG: Flag = {
  name: 'agent-down-time',
  type: 'string',
  value: 'SECONDS',
  description: `a chassis whose last heartbeat is older is down and its ports DOWN (default ${DEFAULT_AGENT_DOWN_MS / 1000})`,
}

/** A positive number of seconds (fractions allowed, for tests) as ms; undefined when the flag is absent. */
function secondsFlag(flags: { get: (name: string) => string | undefined }, name: string): number | undefined {
  const text = flags.get(name)
  if (text === undefined) return undefined
  const s = Number(text)
  if (text.trim() === '' || !Number.isFinite(s) || s <= 0 || s > 86_400)
    throw new UsageError(`--${name} must be seconds in (0, 86400], not '${text}'`)
  return Math.round(s * 1000)
}

export const reportIntervalMs = (flags: { get: (name: string) => string | undefined }): number | undefined =>
  secondsFlag(flags, 'report-interval')
export const agentDownMs = (flags: { get: (name: string) => string | undefined }): number | undefined =>
  secondsFlag(flags, 'agent-down-time')
