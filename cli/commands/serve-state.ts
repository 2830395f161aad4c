// <data-dir>/serve.json: where a running `dragonflow serve` keeps things, read by `dragonflow plug` and
// `dragonflow flows` (kept apart from serve.ts so that those commands do not load the API and the agent).
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { UsageError } from '../command.js'
import { SERVE_STATE, type ServeState } from '../../agent/node-state.js'

export { SERVE_STATE, type ServeState } from '../../agent/node-state.js'

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
