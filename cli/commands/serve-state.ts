// <data-dir>/serve.json: where a running `dragonflow serve` keeps things, read by `dragonflow plug` and
// `dragonflow flows` (kept apart from serve.ts so that those commands do not load the API and the agent).
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { UsageError } from '../command.js'

/** What `serve` writes to <data-dir>/serve.json. */
export interface ServeState {
  pid: number
  api: string
  /** the API's authentication: with keystone, `plug` needs credentials (cli/credentials.ts) */
  auth?: 'none' | 'keystone'
  ovsdb: string
  /** OVS_RUNDIR of the private OVS (absent when --ovsdb named an external one) */
  ovsRundir?: string
  /** namespace of ovs-vswitchd: bridge ends of workload veths go there; null = root namespace */
  netns: string | null
  ofSocket: string
  bridge: string
  chassisId: string
  /** the agent's control socket (control-server.ts) */
  control?: string
}

export const SERVE_STATE = 'serve.json'
export const CONTROL_SOCKET = 'agent.ctl'
export const DEFAULT_DATA_DIR = '/var/lib/dragonflow'

/** The state of the node serving `dataDir`, and the environment that points OVS tools at its OVS. */
export function readServeState(dataDir = DEFAULT_DATA_DIR): { dataDir: string; state: ServeState; env: NodeJS.ProcessEnv } {
  const dir = resolve(dataDir)
  let state: ServeState
  try {
    state = JSON.parse(readFileSync(join(dir, SERVE_STATE), 'utf8')) as ServeState
  } catch {
    throw new UsageError(`no ${SERVE_STATE} in ${dir}: is \`dragonflow serve --data-dir ${dir}\` running?`)
  }
  const env = { ...process.env, ...(state.ovsRundir !== undefined ? { OVS_RUNDIR: state.ovsRundir } : {}) }
  return { dataDir: dir, state, env }
}
