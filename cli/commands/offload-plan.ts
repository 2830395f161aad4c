// `dragonflow offload plan --profile P --topology T [--json] [--tunnel vxlan|geneve] [--zipf S]`:
// the planner's fit report for one node's pipeline entries on one hardware profile (offload/planner.ts).
import { readFileSync } from 'node:fs'
import type { Topology } from '../../datapath/host/entries.js'
import { type AclReport, type Plan, planOffload } from '../../offload/planner.js'
import { loadProfile, shippedProfiles } from '../../offload/profile.js'
import { describeNat } from '../../offload/nat-report.js'
import type { TrafficModel } from '../../offload/miss-share.js'
import { type Command, type Flag, UsageError, parseFlags } from '../command.js'

const FLAGS: readonly Flag[] = [
  { name: 'profile', type: 'string', value: 'NAME|PATH.json', description: 'the hardware profile (required)' },
  { name: 'topology', type: 'string', value: 'FILE', description: 'a topology JSON file, { "entries": [...] } (required)' },
  { name: 'json', type: 'boolean', description: 'the plan as JSON' },
  { name: 'tunnel', type: 'string', value: 'vxlan|geneve|gre', description: 'the overlay (default vxlan)' },
  { name: 'zipf', type: 'string', value: 'S', description: 'Zipf exponent of the traffic model (default uniform traffic)' },
]

const command: Command = {
  name: 'offload plan',
  summary: 'Place each pipeline stage of a topology on a hardware profile (target or WASM) and say why',
  usage:
    'dragonflow offload plan --profile <name|path.json> --topology <topology.json> [--json] ' +
    '[--tunnel vxlan|geneve|gre] [--zipf <s>]\n' +
    `  shipped profiles: ${shippedProfiles().join(', ')}`,
  flags: FLAGS,
  async run(args: string[]): Promise<number> {
    const { flags, rest } = parseFlags(args, FLAGS)
    if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0]}'`)
    const profileName = flags.get('profile')
    const topologyFile = flags.get('topology')
    if (profileName === undefined) throw new UsageError('--profile is required')
    if (topologyFile === undefined) throw new UsageError('--topology is required')
    const tunnel = flags.get('tunnel') ?? 'vxlan'
    if (tunnel !== 'vxlan' && tunnel !== 'geneve' && tunnel !== 'gre') throw new UsageError(`unknown --tunnel '${tunnel}'`)
    let traffic: TrafficModel = { distribution: 'uniform' }
    const zipf = flags.get('zipf')
    if (zipf !== undefined) {
      const s = Number(zipf)
      if (!Number.isFinite(s) || s <= 0) throw new UsageError('--zipf needs a positive number')
      traffic = { distribution: 'zipf', s }
    }
    const profile = loadProfile(profileName)
    const topology = readTopology(topologyFile)
    const plan = planOffload(topology, profile, { tunnel, traffic })
    console.log(flags.has('json') ? JSON.stringify(plan, null, 2) : renderPlan(plan))
    return 0
  },
}
export default command

function readTopology(file: string): Topology {
  let doc: unknown
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'))
  } catch (err) {
    throw new Error(`cannot read topology ${file}: ${(err as Error).message}`, { cause: err })
  }
  if (typeof doc !== 'object' || doc === null || !Array.isArray((doc as { entries?: unknown }).entries)) {
    throw new Error(`${file}: a topology is an object with an "entries" array (datapath/host/entries.ts Topology)`)
  }
  return doc as Topology // entry shapes are checked where they are consumed
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`

/** The human report: one block per stage. */
export function renderPlan(plan: Plan): string {
  const lines = [
    `profile ${plan.profile}: ${plan.summary}`,
    `  forwarding ${plan.forwarding}; insertion ${plan.insertRate}`,
    '',
    `${'stage'.padEnd(18)} ${'placed'.padEnd(14)} ${'entries'.padStart(7)} ${'rules'.padStart(6)} ${'on target'.padStart(9)}  ${'capacity'.padEnd(16)} slow path`,
  ]
  for (const s of plan.stages) {
    const cap = s.capacity === undefined ? '-' : String(s.capacity)
    lines.push(
      `${s.stage.padEnd(18)} ${s.placement.padEnd(14)} ${String(s.entries).padStart(7)} ${String(s.rules).padStart(6)} ` +
        `${String(s.rulesOnTarget).padStart(9)}  ${cap.padEnd(16)} ${pct(s.slowPathShare)}${s.verified ? '' : ' (unverified)'}`,
    )
    for (const w of s.why) lines.push(`    why: ${w}`)
    lines.push(`    miss: ${s.onMiss}`)
  }
  lines.push(
    '',
    `rules on the target: ${plan.rulesOnTarget}` +
      (plan.installSeconds !== undefined ? ` (${plan.installSeconds.toFixed(3)} s to install)` : ''),
  )
  lines.push(`share of all forwarded packets handled in software: ${pct(plan.everyPacketSlowPathShare)}`)
  if (plan.acl !== undefined) lines.push('', ...renderAcl(plan.acl))
  if (plan.nat !== undefined) lines.push('', ...describeNat(plan.nat))
  lines.push('assumptions:', ...plan.assumptions.map(a => `  - ${a}`))
  return lines.join('\n')
}

/** Security-group flows: total, per group and per port (both directions), against the profile's limits. */
function renderAcl(acl: AclReport): string[] {
  const lines = [
    `security-group flows: ${acl.total} (limit ${acl.limits.maxFlows}; per port ${acl.limits.maxFlowsPerPort})`,
    ...acl.groups.map(
      g =>
        `  group ${String(g.group).padEnd(8)} ${g.direction.padEnd(8)} ${String(g.flows).padStart(7)} flows  ${g.rules} rule(s), ${g.ports} port(s)`,
    ),
  ]
  const perPort = new Map<number, { egress: number; ingress: number }>()
  for (const p of acl.ports) {
    const row = perPort.get(p.port) ?? { egress: 0, ingress: 0 }
    row[p.direction] += p.flows
    perPort.set(p.port, row)
  }
  for (const [port, r] of perPort)
    lines.push(
      `  port  ${String(port).padEnd(8)} ${String(r.egress + r.ingress).padStart(16)} flows  (egress ${r.egress}, ingress ${r.ingress})`,
    )
  lines.push(`  counted: ${acl.counted}`)
  return lines
}
