// Writes the conformance data: topologies/<name>.json and vectors/<stage>.json, from the typed topologies and
// vector groups in lib/. The JSON is committed: it is what every target reads.
//
//   npm run build && node build/test/conformance/generate.js --write    # regenerate
//   node build/test/conformance/generate.js                             # check the committed files are current
//
// Without --write it only compares; generated.test.ts runs the same comparison under tap.
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  STAGE_ARP_ND_RSP,
  STAGE_CLASSIFY,
  STAGE_DHCP,
  STAGE_DNAT,
  STAGE_EGRESS,
  STAGE_IN_ACL,
  STAGE_IN_CT,
  STAGE_L2_LOOKUP,
  STAGE_L3_ROUTE,
  STAGE_NEXTHOP,
  STAGE_OUT_ACL,
  STAGE_PORT_SEC,
  STAGE_SNAT,
} from '../../datapath/spec/stages.js'
import { isSequence, type Vector, type VectorFile } from './vector-format.js'
import { TOPOLOGIES } from './lib/topologies.js'
import { PARSE, stageName } from './lib/vector-kit.js'
import { parseVectors } from './lib/vectors-parse.js'
import { classifyVectors } from './lib/vectors-classify.js'
import { portSecVectors } from './lib/vectors-port-sec.js'
import { arpNdVectors } from './lib/vectors-arp-nd.js'
import { dhcpVectors } from './lib/vectors-dhcp.js'
import { l3RouteVectors } from './lib/vectors-l3-route.js'
import { egressVectors, l2LookupVectors, nexthopVectors } from './lib/vectors-forwarding.js'
import { inAclVectors, outAclVectors } from './lib/vectors-security-groups.js'
import { aclEdgeSequences } from './lib/vectors-acl-edges.js'
import { conntrackVectors } from './lib/vectors-conntrack.js'
import { northSouthVectors } from './lib/vectors-north-south.js'

/** The source tree's test/conformance, whether this runs from build/ (compiled) or from the source (tap). */
function conformanceDir(): string {
  const here = dirname(fileURLToPath(import.meta.url))
  return here.includes(join('build', 'test')) ? join(here, '..', '..', '..', 'test', 'conformance') : here
}

function files(): Map<string, string> {
  const out = new Map<string, string>()
  const json = (v: unknown): string => `${JSON.stringify(v, null, 1)}\n`
  for (const [name, topology] of Object.entries(TOPOLOGIES)) out.set(join('topologies', `${name}.json`), json(topology))
  const groups: [string, string, () => Vector[]][] = [
    [PARSE, 'Input validation before the first stage: malformed frames are dropped with the most specific reason.', parseVectors],
    [stageName(STAGE_CLASSIFY), 'Ingress classification: ports, VLANs, tunnel keys, VXLAN/Geneve decapsulation.', classifyVectors],
    [
      stageName(STAGE_PORT_SEC),
      'Port security: MACs, fixed IPs, allowed address pairs, ARP spoofing, DHCP/DAD before an address.',
      portSecVectors,
    ],
    [stageName(STAGE_ARP_ND_RSP), 'ARP and neighbour discovery responder.', arpNdVectors],
    [
      stageName(STAGE_DHCP),
      'DHCPv4: punts in batch mode, replies in packet-in mode, options, rate limits, malformed messages.',
      dhcpVectors,
    ],
    [stageName(STAGE_L3_ROUTE), 'Routing: forwarding, echo to the router, ICMP errors, longest prefix match.', l3RouteVectors],
    [stageName(STAGE_NEXTHOP), 'Next-hop resolution.', nexthopVectors],
    [stageName(STAGE_L2_LOOKUP), 'MAC lookup, floods, hairpin.', l2LookupVectors],
    [stageName(STAGE_EGRESS), 'Egress dispatch to local ports and remote chassis.', egressVectors],
    [
      stageName(STAGE_IN_CT),
      'Connection tracking (one table per network zone, read by both ct stages): TCP windows and flags, ' +
        'UDP and ICMP replies, related ICMP errors, timeouts, a full table.',
      conntrackVectors,
    ],
    [
      stageName(STAGE_IN_ACL),
      "Security groups, the source port's egress rules: no groups, always-allowed DHCP/ND/MLD, prefixes, " +
        'a stateless group, replies past the egress rules, a rule removed mid-connection.',
      inAclVectors,
    ],
    [
      stageName(STAGE_OUT_ACL),
      "Security groups, the destination port's ingress rules: remote groups and members, ranges, ICMP " +
        'type/code, IPv6, tunnels, remote ports, routing, overlap, rules/members/groups changing while connections are open.',
      () => [...outAclVectors(), ...aclEdgeSequences()],
    ],
    [
      stageName(STAGE_DNAT),
      'Floating IPs on the way in: destination to the fixed IP, checksums, ICMP errors, hairpin, ' + 'association changes.',
      () => [],
    ],
    [
      stageName(STAGE_SNAT),
      'Floating IPs on the way out: source to the floating IP and MAC, no_snat, a router without snat, ' +
        'ICMP errors, association changes.',
      () => [],
    ],
  ]
  const names = new Set<string>()
  // The north-south vectors ("Ways in and out") span stages: each joins the group of the stage it tests.
  const northSouth = northSouthVectors()
  const unfiled = northSouth.filter(v => !groups.some(([stage]) => stage === v.stage))
  if (unfiled.length > 0) throw new Error(`north-south vectors with no group: ${unfiled.map(v => v.name).join(', ')}`)
  for (const [stage, description, make] of groups) {
    const vectors = [...make(), ...northSouth.filter(v => v.stage === stage)]
    for (const v of vectors) {
      if (names.has(v.name)) throw new Error(`duplicate vector name ${v.name}`)
      if (!(v.topology in TOPOLOGIES)) throw new Error(`${v.name}: unknown topology ${v.topology}`)
      for (const e of isSequence(v) ? v.steps.map(s => s.expect) : [v.expect]) {
        if (!e.because) throw new Error(`${v.name}: an expectation without a because`)
      }
      names.add(v.name)
    }
    const file: VectorFile = { stage, description, vectors }
    out.set(join('vectors', `${stage}.json`), json(file))
  }
  return out
}

/** The generated files whose committed copy differs from what the generator makes now (none = current). */
export function staleFiles(): { stale: string[]; vectors: number } {
  const root = conformanceDir()
  const stale: string[] = []
  let vectors = 0
  for (const [path, text] of files()) {
    if (path.startsWith('vectors')) vectors += (JSON.parse(text) as VectorFile).vectors.length
    const full = join(root, path)
    if (!existsSync(full) || readFileSync(full, 'utf8') !== text) stale.push(path)
  }
  return { stale, vectors }
}

function write(): void {
  const root = conformanceDir()
  let count = 0
  for (const [path, text] of files()) {
    if (path.startsWith('vectors')) count += (JSON.parse(text) as VectorFile).vectors.length
    mkdirSync(dirname(join(root, path)), { recursive: true })
    writeFileSync(join(root, path), text)
  }
  console.log(`generate: wrote ${count} vectors and ${Object.keys(TOPOLOGIES).length} topologies under ${root}`)
}

// Run as a program (node build/test/conformance/generate.js), not when imported by generated.test.ts.
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url).replace(/\.ts$/, '.js') === process.argv[1].replace(/\.ts$/, '.js')) {
  if (process.argv.includes('--write')) write()
  else {
    const { stale, vectors } = staleFiles()
    console.log(
      stale.length === 0
        ? `generate: ${vectors} vectors and the topologies are current`
        : `generate: stale (run with --write): ${stale.join(', ')}`,
    )
    process.exitCode = stale.length === 0 ? 0 : 1
  }
}
