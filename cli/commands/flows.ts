// `dragonflow flows`: br-int's flows as `ovs-ofctl dump-flows` prints them, each followed by where it came from,
// read from its cookie (offload/openflow/layout.ts): the stage name, and the Neutron object whose datapath key
// the cookie carries (network, port or router, looked up read-only in the node's embedded store) or the
// drop/punt reason.
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { type Command, type Flag, UsageError, parseFlags } from '../command.js'
import { STAGES } from '../../datapath/spec/stages.js'
import { REASON_NAMES } from '../../datapath/spec/verdicts.js'
import { TABLES } from '../../model/tables.js'
import { isReactiveCookie, parseCookie } from '../../offload/openflow/layout.js'
import { openStore } from '../../store/registry.js'
import { CONTROL_SOCKET, readServeState } from './serve-state.js'
import { controlRequest } from '../../agent/controller/control-server.js'
import type { FlowCheck } from '../../agent/controller/flow-check.js'

/** Which table's `key` a stage's cookie key names (emitter.ts: cookie({ key: e.port / e.network / r.router })). */
const KEY_TABLE: Record<string, string> = {
  ls_in_classify: TABLES.ports,
  ls_in_port_sec: TABLES.ports,
  ls_in_l2_lkup: TABLES.ports,
  ls_out_dispatch: TABLES.ports,
  ls_in_arp_nd_rsp: TABLES.networks,
  lr_in_arp_resolve: TABLES.networks,
  lr_in_ip_route: TABLES.routers,
}

export type KeyIndex = Map<string, Map<number, { id: string; name: string }>>

/**
 * Annotation for one cookie: "stage reason" or "stage table/id (name)". `flowText` tells the few flows whose
 * cookie names a network in a port stage: tunnel classification (tun_id) and flooding (no dl_dst).
 */
export function describeCookie(cookie: bigint, keys: KeyIndex, flowText = ''): string {
  const c = parseCookie(cookie)
  const stage = STAGES.find(s => s.id === c.stage)?.name ?? `stage ${c.stage}`
  const head = `gen ${c.generation} ${stage}`
  if ('reason' in c.subject) return `${head} ${REASON_NAMES[c.subject.reason] ?? `reason ${c.subject.reason}`}`
  const name = (table: string | undefined, key: number): string => {
    const obj = table !== undefined ? keys.get(table)?.get(key) : undefined
    return obj === undefined ? `key ${key}` : `${table ?? ''}/${obj.id}${obj.name !== '' ? ` (${obj.name})` : ''}`
  }
  // reactive L3 (layout.ts R/X bits): the cached flows and the punt that fills them name the router
  if ('reactive' in c.subject) {
    const idle = /idle_timeout=(\d+)/.exec(flowText)?.[1]
    return `${head} reactive ${name(TABLES.routers, c.subject.reactive)}${idle !== undefined ? `, idle timeout ${idle} s` : ''}`
  }
  if ('reactiveMiss' in c.subject) return `${head} reactive miss (punt to the slow path) ${name(TABLES.routers, c.subject.reactiveMiss)}`
  if (c.subject.key === 0) return head
  let table = KEY_TABLE[stage]
  if (stage === 'ls_in_classify' && flowText.includes('tun_id=')) table = TABLES.networks
  if (stage === 'ls_in_l2_lkup' && !flowText.includes('dl_dst=')) table = TABLES.networks
  return `${head} ${name(table, c.subject.key)}`
}

const FLAGS: readonly Flag[] = [
  {
    name: 'data-dir',
    type: 'string',
    value: 'DIR',
    description: 'data directory of the `dragonflow serve` node (default /var/lib/dragonflow)',
  },
  { name: 'bridge', type: 'string', value: 'BRIDGE', description: "bridge to dump (default the node's, br-int)" },
  { name: 'check', type: 'boolean', description: 'compare the switch with a fresh full recompute (exit 1 if they differ)' },
  { name: 'control', type: 'string', value: 'PATH', description: "with --check: the agent's control socket instead of --data-dir's" },
]

const command: Command = {
  name: 'flows',
  summary: 'dump br-int flows annotated with their stage and the Neutron object (or reason) each came from',
  usage:
    'dragonflow flows [--data-dir DIR] [--bridge br-int]\n' +
    '       dragonflow flows --check [--data-dir DIR | --control PATH]   the switch against a fresh full recompute (exit 1 if they differ)',
  flags: FLAGS,
  async run(args) {
    const { flags, rest } = parseFlags(args, FLAGS)
    if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0] ?? ''}'`)
    if (flags.has('check')) return await check(flags.get('control') ?? controlOf(flags.get('data-dir')))
    const { dataDir, state, env } = readServeState(flags.get('data-dir'))
    const dump = await new Promise<string>((res, rej) => {
      execFile(
        'ovs-ofctl',
        ['-O', 'OpenFlow13', 'dump-flows', flags.get('bridge') ?? state.bridge],
        { env, maxBuffer: 256 << 20 },
        (err, out, stderr) => {
          if (err !== null) rej(new Error(`ovs-ofctl dump-flows: ${stderr.trim() || err.message}`))
          else res(out)
        },
      )
    })
    const keys: KeyIndex = new Map()
    const store = await openStore({ driver: 'embedded', dir: join(dataDir, 'store'), readOnly: true })
    try {
      for (const table of [TABLES.networks, TABLES.ports, TABLES.routers]) {
        const m = new Map<number, { id: string; name: string }>()
        for (const o of await store.list(table)) {
          if (typeof o.value.key === 'number') m.set(o.value.key, { id: o.id, name: typeof o.value.name === 'string' ? o.value.name : '' })
        }
        keys.set(table, m)
      }
    } finally {
      await store.close()
    }
    const out: string[] = []
    let reactive = 0
    let misses = 0
    let missFlows = 0
    for (const line of dump.split('\n')) {
      const m = /cookie=(0x[0-9a-f]+)/.exec(line)
      if (m?.[1] === undefined) {
        if (line.trim() !== '') out.push(line)
        continue
      }
      const cookie = BigInt(m[1])
      if (isReactiveCookie(cookie)) reactive++
      if ('reactiveMiss' in parseCookie(cookie).subject) {
        missFlows++
        misses += Number(/n_packets=(\d+)/.exec(line)?.[1] ?? 0)
      }
      out.push(line, `    # ${describeCookie(cookie, keys, line)}`)
    }
    // the switch's own counters: the agent's install/refusal counters live in its process (ControllerStats.reactive)
    if (missFlows > 0) {
      out.push(
        `# reactive L3: ${reactive} reactive flow(s) installed by the slow path (they leave after their idle timeout); ` +
          `${misses} packet(s) missed them and went to the slow path`,
      )
    }
    // `dragonflow flows | head` closes the pipe early: that is not an error
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err
    })
    await new Promise<void>(resolve => {
      process.stdout.write(out.join('\n') + '\n', () => {
        resolve()
      })
    })
    return 0
  },
}

function controlOf(dataDir: string | undefined): string {
  const { dataDir: dir, state } = readServeState(dataDir)
  return state.control ?? join(dir, CONTROL_SOCKET)
}

/** `flows --check`: the agent compares its switch with a fresh recompute (agent/controller/flow-check.ts). */
async function check(control: string): Promise<number> {
  const r = (await controlRequest(control, 'flows/check', {}, 120_000)) as FlowCheck & { settled: boolean }
  const out = [
    `flows: the switch holds ${r.switchFlows} flows (reactive ones aside), a fresh recompute of the store's state emits ${r.recomputedFlows}: ` +
      (r.equal ? 'equal' : `${r.counts.missing} missing, ${r.counts.extra} extra, ${r.counts.differing} differing`) +
      (r.settled ? '' : ' (the node had not settled: changes were still being installed)'),
  ]
  for (const [what, list] of [
    ['missing', r.missing],
    ['extra', r.extra],
    ['differing', r.differing],
  ] as const) {
    for (const l of list) out.push(`  ${what}: ${l}`)
  }
  process.stdout.write(out.join('\n') + '\n')
  return r.equal && r.settled ? 0 : 1
}

export default command
