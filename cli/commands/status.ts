// `dragonflow status`: what a running node's controller knows about itself, asked over its control socket
// (agent/controller/control-server.ts, the `status` command of local-controller.ts): chassis, store, OVSDB and
// switch connections, local ports and why one is not ACTIVE, flows per stage, compile problems, the slow path's
// counters, the plan and the last errors. Text for people, `--json` for scripts.
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { type Command, type Flag, UsageError, parseFlags } from '../command.js'
import { controlRequest } from '../../agent/controller/control-server.js'
import type { NodeStatus } from '../../agent/controller/local-controller.js'
import { CONTROL_SOCKET, DEFAULT_DATA_DIR, readServeState } from './serve-state.js'

const FLAGS: readonly Flag[] = [
  {
    name: 'data-dir',
    type: 'string',
    value: 'DIR',
    description: 'data directory of the `dragonflow serve` node (default /var/lib/dragonflow)',
  },
  {
    name: 'control',
    type: 'string',
    value: 'PATH',
    description: "the agent's control socket instead of --data-dir's (`dragonflow agent --control PATH`)",
  },
  { name: 'json', type: 'boolean', description: 'print the status as one JSON object' },
  { name: 'errors', type: 'string', value: 'N', description: 'how many of the last error lines to show, 0..32 (default 10)' },
]

/** Nothing serves this directory or socket: said in words, exit 1 (main.ts prints an Error's message). */
class NoNode extends Error {
  constructor(detail: string) {
    super(`no node is running here: ${detail}`)
    this.name = 'NoNode'
  }
}

/** The control socket of the node serving `dataDir`, once its serve.json names a process that is alive. */
function controlOf(dataDir: string | undefined): string {
  const dir = resolve(dataDir ?? DEFAULT_DATA_DIR)
  let found: ReturnType<typeof readServeState>
  try {
    found = readServeState(dir)
  } catch (err) {
    if (err instanceof UsageError) throw new NoNode(`${dir} has no serve.json (start one with \`dragonflow serve --data-dir ${dir}\`)`)
    throw err
  }
  const { state } = found
  if (!alive(state.pid)) throw new NoNode(`${join(dir, 'serve.json')} is left from process ${state.pid}, which has exited`)
  return state.control ?? join(dir, CONTROL_SOCKET)
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0) // signal 0: existence and permission check only
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' // there, but someone else's
  }
}

async function ask(control: string, errors: number): Promise<NodeStatus> {
  if (!existsSync(control)) throw new NoNode(`no control socket at ${control}`)
  try {
    return (await controlRequest(control, 'status', { errors }, 30_000)) as NodeStatus
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    // a socket file with nobody listening: the process that made it died without removing it
    if (/ECONNREFUSED|ENOENT/.test(message)) throw new NoNode(`nothing answers on ${control}`)
    throw err
  }
}

const command: Command = {
  name: 'status',
  summary: 'what a running node knows: connections, local ports, flows per stage, problems, counters, plan, last errors',
  usage: 'dragonflow status [--data-dir DIR | --control PATH] [--json] [--errors N]',
  flags: FLAGS,
  async run(args) {
    const { flags, rest } = parseFlags(args, FLAGS)
    if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0] ?? ''}'`)
    if (flags.has('control') && flags.has('data-dir')) throw new UsageError('--control and --data-dir name the node twice: give one')
    const errorsText = flags.get('errors') ?? '10'
    const errors = Number(errorsText)
    if (!Number.isInteger(errors) || errors < 0 || errors > 32)
      throw new UsageError(`--errors must be a whole number in 0..32, not '${errorsText}'`)
    const control = flags.get('control') ?? controlOf(flags.get('data-dir'))
    const status = await ask(control, errors)
    process.stdout.write(flags.has('json') ? JSON.stringify(status, null, 2) + '\n' : formatStatus(status) + '\n')
    return 0
  },
}

const yes = (b: boolean, y: string, n: string): string => (b ? y : n)

/** `name n, name n` in descending count, or `none`. */
function counts(r: Record<string, number>): string {
  const rows = Object.entries(r)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
  return rows.length === 0 ? 'none' : rows.map(([k, n]) => `${k} ${n}`).join(', ')
}

/** The text form: one heading word per line, details indented under it. */
export function formatStatus(s: NodeStatus): string {
  const out: string[] = []
  const head = (name: string, text: string): void => {
    out.push(`${name.padEnd(11)}${text}`)
  }
  const c = s.chassis
  head(
    'chassis',
    `${c.id}, profile ${c.profile}, bridge ${c.bridge}, ` +
      (c.tunnelIp !== undefined
        ? `tunnel ${c.tunnelType} from ${c.tunnelIp}${c.tunnelOfport !== undefined ? ` (ofport ${c.tunnelOfport})` : ' (no ofport)'}`
        : 'no tunnel'),
  )
  const mappings = Object.entries(c.bridgeMappings)
  if (mappings.length > 0) {
    out.push(
      '  bridge mappings: ' +
        mappings
          .map(([physnet, bridge]) => {
            const ofport = c.uplinks[physnet]
            return `${physnet}:${bridge} ${ofport !== undefined ? `(patch ofport ${ofport})` : '(not working: see errors)'}`
          })
          .join(', '),
    )
  }
  const st = s.store
  head(
    'store',
    `${st.driver}, watch ${yes(st.watch, 'subscribed', 'NOT subscribed')}, pub/sub ${st.pubsub ?? 'none'}; ` +
      `${st.changes} changes${st.lastChangeMsAgo !== undefined ? `, last ${(st.lastChangeMsAgo / 1000).toFixed(1)} s ago` : ''}`,
  )
  head('ovsdb', yes(s.ovsdb.connected, 'connected', 'NOT connected'))
  const sw = s.switch
  const last = sw.lastInstall
  head(
    'switch',
    `${sw.connected ? `connected${sw.datapathId !== undefined ? ` (datapath ${sw.datapathId})` : ''}, ${yes(sw.inSync, 'in sync', 'installing')}` : 'NOT connected'}; ` +
      `run generation ${s.generation}; ${sw.installs} installs` +
      (last !== undefined ? `, last ${last.added} added, ${last.deleted} deleted, ${last.unchanged} kept (${last.ms.toFixed(0)} ms)` : '') +
      (sw.unsolicitedErrors > 0 ? `; ${sw.unsolicitedErrors} errors reported by the switch` : ''),
  )
  head('routing', `l3 ${s.l3}`)
  const active = s.ports.filter(p => p.active).length
  head('ports', `${s.ports.length} plugged, ${active} ACTIVE`)
  const nameWidth = Math.max(0, ...s.ports.map(p => p.name.length))
  for (const p of s.ports) {
    out.push(
      `  ofport ${String(p.ofport).padEnd(4)} ${p.name.padEnd(nameWidth)}  ${p.ifaceId}  ${p.active ? 'ACTIVE' : `DOWN (${p.why ?? '?'})`}`,
    )
  }
  const f = s.flows
  head(
    'flows',
    `${f.installed} installed, ${f.desired} desired` +
      (f.reactive.enabled ? `; reactive l3 cache ${f.reactive.live} live of at most ${f.reactive.cap}` : ''),
  )
  const stageWidth = Math.max(0, ...Object.keys(f.perStage).map(k => k.length))
  for (const [stage, n] of Object.entries(f.perStage).sort((a, b) => a[0].localeCompare(b[0])))
    out.push(`  ${stage.padEnd(stageWidth)}  ${n}`)
  head('problems', s.problems.total === 0 ? 'none' : `${s.problems.total}: ${counts(s.problems.byCode)}`)
  for (const p of s.problems.first) out.push(`  ${p.code} ${p.object}: ${p.detail}`)
  if (s.problems.total > s.problems.first.length) out.push(`  (and ${s.problems.total - s.problems.first.length} more, counted above)`)
  const n = s.neighbours
  head(
    'neighbours',
    `${n.requests} requests, ${n.repliesLearned} replies learned, ${n.rateLimited} rate-limited, ${n.unsolicited} unsolicited`,
  )
  const pi = s.packetIns
  head(
    'packet-ins',
    `${pi.received} received, ${pi.answered} answered; verdicts: ${counts(pi.verdicts)}` +
      (Object.keys(pi.bad).length > 0 ? `; malformed: ${counts(pi.bad)}` : ''),
  )
  if (s.datapath !== undefined) {
    const d = s.datapath
    head(
      'datapath',
      `${d.packets} packets through the WASM pipeline; drops and punts: ${counts(d.reasons)}; ` +
        `connections ${d.conntrack.connections} of ${d.conntrack.limit}`,
    )
  }
  if (s.plan !== undefined) {
    const p = s.plan
    head(
      'plan',
      `${p.profile}: ${p.rulesOnTarget} rules on the target, ${(p.everyPacketSlowPathShare * 100).toFixed(1)}% of packets to the slow path`,
    )
    const width = Math.max(0, ...p.stages.map(x => x.stage.length))
    for (const x of p.stages.filter(x => x.entries > 0)) {
      out.push(`  ${x.stage.padEnd(width)}  ${x.placement.padEnd(14)} ${x.entries} entries, ${x.rulesOnTarget} rules on the target`)
    }
  }
  head('errors', s.errors.length === 0 ? 'none' : `the last ${s.errors.length}`)
  for (const e of s.errors) out.push(`  ${e.at} ${e.line}`)
  return out.join('\n')
}

export default command
