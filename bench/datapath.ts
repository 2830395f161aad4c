// Datapath throughput on one core: millions of packets per second through the core WASM module.
//   npm run build && npm run bench:datapath            (writes bench/results/datapath.json)
//   node build/bench/datapath.js --runs 9 --seconds 1  (more, longer runs)
//
// Batch cases send 64-byte frames (60 bytes + the 4-byte FCS the NIC strips) as one pre-encoded batch per
// call (Datapath.encodeBatch/processEncoded), so a run measures the pipeline plus the copy into and out of
// linear memory, not building JavaScript objects. The DHCP case is the packet-in path: one call per frame
// with a full reply generated, and its frames are DHCP-sized (300-byte BOOTP minimum), not 64 bytes.
// Each case runs `runs` times for `seconds`; the median (and min/max) Mpps is reported.
// Security groups (acl-datapath.ts): established forwarding with 100 000 tracked connections and new connections
// against 1 000 rules, printed next to l2-forward (the same path without security groups) and each case's twin
// (its very frames without security groups) of the same run, with the ratios and the load average. A case with
// more frames than one batch cycles through its batches.
//   node build/bench/datapath.js --only acl            (the security-group cases, their twins and l2-forward)
// Floating IPs (fip-*): DNAT and SNAT 1:1 through the router (the issue's target: >= 8 Mpps), and SNAT with port
// translation over established connections (target >= 5 Mpps), next to l2-forward.
//   node build/bench/datapath.js --only fip
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import type { Counters, Datapath, PacketInput, VerdictName } from '../datapath/host/api.js'
import type { DhcpEntry, Entry } from '../datapath/host/entries.js'
import { BROADCAST_MAC, Ipv4Address, MacAddress } from '../datapath/host/addresses.js'
import { arp, buildFrame, dhcp, ethernet, ip4, raw, udp, type Layer } from '../datapath/host/packet-builder.js'
import { GW, RPA, RPB, TOPOLOGIES, VM1, VM1_DHCP, VM2 } from '../test/conformance/lib/topologies.js'
import { Prng } from '../test/fuzz/frame-mutator.js'
import {
  ACL_TARGETS_MPPS,
  ESTABLISHED_CONNECTIONS,
  NEW_CLOCK_STEP_MS,
  NEW_TUPLES,
  commitUdpConnections,
  defaultGroupEntries,
  newConnectionSyns,
  notForwarded,
  shuffled,
  thousandRuleEntries,
  udpConnections,
} from './acl-datapath.js'

export interface CaseResult {
  name: string
  description: string
  frameBytes: number
  batch: number
  runsMpps: number[]
  medianMpps: number
  minMpps: number
  maxMpps: number
  setupMs?: number
  /** Time to commit the connections the case starts with (prepare). */
  prepareMs?: number
  /** What the case checked after its runs (no drops, commits per packet, connections held). */
  checked?: Record<string, number | string>
  loadavg: number[]
}

interface BenchCase {
  name: string
  description: string
  /** Entries added to the routed-two-networks topology. */
  extra?: () => Entry[]
  frames: (rng: Prng) => PacketInput[]
  /** The verdict every frame must get: a bench of the wrong path measures nothing useful. */
  expect: VerdictName
  packetIn?: boolean
  /** Runs once after the entries are loaded and before the check (commits connections). */
  prepare?: (dp: Datapath) => void
  /** The clock passed to each batch: it starts at startMs and moves stepMs per batch (default 0, 0). */
  clock?: { startMs: number; stepMs: number }
  /** After the runs: throws when the path was not the one meant; returns what it checked. */
  verify?: (o: { dp: Datapath; before: Counters; after: Counters }) => Record<string, number | string>
}

const ETH_MIN = 60
const BATCH = 1024
/** Each security-group case's twin: the same frames through the pipeline without security groups. */
const TWIN_OF: Record<string, string> = { 'acl-established-100k': 'l2-stream-200k-udp', 'acl-new-1k-rules': 'l2-stream-128k-syn' }

const frame = (layers: Layer[]): Uint8Array => buildFrame(layers, { padTo: ETH_MIN })
const of1 = VM1.ofport as number
/** 18 bytes of UDP payload: Ethernet 14 + IPv4 20 + UDP 8 + 18 = 60. */
const udpTo = (dstMac: typeof VM2.mac, dst: Ipv4Address): Uint8Array =>
  frame([
    ethernet({ src: VM1.mac, dst: dstMac }),
    ip4({ src: VM1.ip4, dst, ttl: 64 }),
    udp({ sport: 40000, dport: 9 }),
    raw(new Uint8Array(18)),
  ])

/** `count` random IPv4 prefixes of length 8..32 in 1.0.0.0-223.255.255.255, each with one address inside it. */
function randomRoutes(rng: Prng, count: number): { entries: Entry[]; hits: Ipv4Address[] } {
  const entries: Entry[] = []
  const hits: Ipv4Address[] = []
  const seen = new Set<string>()
  while (entries.length < count) {
    const len = 8 + rng.int(25)
    const addr = ((1 + rng.int(222)) * 2 ** 24 + rng.int(2 ** 24)) >>> 0
    const network = len === 32 ? addr : (addr & ~((1 << (32 - len)) - 1)) >>> 0
    const key = `${network}/${len}`
    if (seen.has(key)) continue
    seen.add(key)
    const text = (v: number): string => [24, 16, 8, 0].map(s => (v >>> s) & 0xff).join('.')
    entries.push({ stage: 'route', router: RPA.router, prefix: `${text(network)}/${len}`, port: RPB.key, nexthop: GW.ip4.toString() })
    const host = len === 32 ? network : (network | rng.int(2 ** (32 - len))) >>> 0
    hits.push(Ipv4Address.parse(text(host)))
  }
  return { entries, hits }
}

function routedCase(count: number): BenchCase {
  let routes: { entries: Entry[]; hits: Ipv4Address[] } | undefined
  const get = (): { entries: Entry[]; hits: Ipv4Address[] } => (routes ??= randomRoutes(new Prng(count), count))
  return {
    name: `ipv4-routed-${count >= 1000 ? `${count / 1000}k` : count}-routes`,
    description: `IPv4 through the router with ${count} random prefixes (/8../32); destinations inside them, out via the gateway`,
    extra: () => get().entries,
    frames: rng => Array.from({ length: BATCH }, () => ({ in_port: of1, data: udpTo(RPA.mac, rng.pick(get().hits)) })),
    expect: 'output',
  }
}

/** A floating IP of vm1 behind the router, with net-b as the external network (rpb its gateway port, gw the
 * outside host): the 1:1 NAT paths of BEHAVIOUR.md "Ways in and out". */
const FIP = { ip: Ipv4Address.parse('10.1.0.100'), mac: MacAddress.parse('fa:16:3e:0b:00:64') }
const fipEntries = (): Entry[] => [
  {
    stage: 'nat',
    router: RPB.router,
    network: RPB.network,
    gateway_port: RPB.key,
    mac: FIP.mac.toString(),
    external_ip: FIP.ip.toString(),
    internal_ip: VM1.ip4.toString(),
  },
  { stage: 'router_gateway', router: RPB.router, port: RPB.key, snat: true, local: true },
]
const of23 = GW.ofport as number

const CASES: BenchCase[] = [
  {
    name: 'l2-forward',
    description: 'UDP between two local ports on one network (classify, port security, l2, egress)',
    frames: () => Array.from({ length: BATCH }, () => ({ in_port: of1, data: udpTo(VM2.mac, VM2.ip4) })),
    expect: 'output',
  },
  routedCase(1000),
  routedCase(100_000),
  {
    name: 'fip-dnat-1to1',
    description: "UDP from the outside host to vm1's floating IP: DNAT 1:1, routed to vm1",
    extra: fipEntries,
    frames: () =>
      Array.from({ length: BATCH }, () => ({
        in_port: of23,
        data: frame([
          ethernet({ src: GW.mac, dst: FIP.mac }),
          ip4({ src: GW.ip4, dst: FIP.ip, ttl: 64 }),
          udp({ sport: 40000, dport: 9 }),
          raw(new Uint8Array(18)),
        ]),
      })),
    expect: 'output',
  },
  {
    name: 'fip-snat-1to1',
    description: 'UDP from vm1 to the outside host out of the gateway: SNAT 1:1 to its floating IP',
    extra: fipEntries,
    frames: () => Array.from({ length: BATCH }, () => ({ in_port: of1, data: udpTo(RPA.mac, GW.ip4) })),
    expect: 'output',
  },
  {
    name: 'fip-snat-pt-established-1k',
    description:
      'UDP from vm1 (no floating IP) over 1024 connections out of the gateway: SNAT with port translation, connections established',
    extra: () => [{ stage: 'router_gateway', router: RPB.router, port: RPB.key, snat: true, local: true }],
    frames: () =>
      Array.from({ length: BATCH }, (_, i) => ({
        in_port: of1,
        data: frame([
          ethernet({ src: VM1.mac, dst: RPA.mac }),
          ip4({ src: VM1.ip4, dst: GW.ip4, ttl: 64 }),
          udp({ sport: 20000 + i, dport: 9 }),
          raw(new Uint8Array(18)),
        ]),
      })),
    expect: 'output',
  },
  {
    name: 'arp-reply',
    description: 'ARP request for the gateway, answered in place by the responder',
    frames: () =>
      Array.from({ length: BATCH }, () => ({
        in_port: of1,
        data: frame([ethernet({ src: VM1.mac, dst: BROADCAST_MAC }), arp({ op: 1, sha: VM1.mac, spa: VM1.ip4, tpa: RPA.ip4 })]),
      })),
    expect: 'in_port',
  },
  {
    name: 'dhcp-request-packet-in',
    description: 'DHCP REQUEST answered with an ACK on the packet-in path (one call per frame)',
    // The highest rate an entry takes (65535/s); the clock moves 1 ms per frame, so the bucket never runs dry.
    extra: () => [{ ...VM1_DHCP, rate: 65_535 } satisfies DhcpEntry],
    frames: rng =>
      Array.from({ length: 64 }, () => ({
        in_port: of1,
        data: buildFrame([
          ethernet({ src: VM1.mac, dst: BROADCAST_MAC }),
          ip4({ src: Ipv4Address.parse('0.0.0.0'), dst: Ipv4Address.parse('255.255.255.255') }),
          udp({ sport: 68, dport: 67 }),
          dhcp({ xid: rng.int(2 ** 31), chaddr: VM1.mac, type: 'request', requestedIp: VM1.ip4, padTo: 300 }),
        ]),
      })),
    expect: 'punt',
    packetIn: true,
  },
  ...aclCases(),
]

/** Every packet of the runs forwarded (no drop reason counted), else the bench measured another path. */
function allForwarded(name: string, before: Counters, after: Counters): Record<string, number> {
  const dropped = notForwarded(before, after)
  if (Object.keys(dropped).length > 0)
    throw new Error(`${name}: packets were dropped or punted during the runs: ${JSON.stringify(dropped)}`)
  const packets = after.packets - before.packets
  return {
    packets,
    commitsPerPacket: Math.round(((after.conntrack.commits - before.conntrack.commits) / Math.max(1, packets)) * 1000) / 1000,
    connections: after.conntrack.connections,
    expired: after.conntrack.expired - before.conntrack.expired,
  }
}

function aclCases(): BenchCase[] {
  let established: PacketInput[] | undefined
  let rules: ReturnType<typeof thousandRuleEntries> | undefined
  const getRules = (): ReturnType<typeof thousandRuleEntries> => (rules ??= thousandRuleEntries())
  const stream = (): PacketInput[] => {
    const { requests, replies } = udpConnections(ESTABLISHED_CONNECTIONS)
    return (established ??= shuffled([...requests, ...replies], 11))
  }
  return [
    // the same frames without security groups: what many distinct batches cost on their own (copy, caches)
    {
      name: TWIN_OF['acl-established-100k'] as string,
      description: 'the frames of acl-established-100k (200k distinct, 196 batches) without security groups',
      frames: stream,
      expect: 'output',
      verify: ({ before, after }) => allForwarded(TWIN_OF['acl-established-100k'] as string, before, after),
    },
    {
      name: 'acl-established-100k',
      description: `security groups, ${ESTABLISHED_CONNECTIONS / 1000}k tracked UDP connections: both directions, shuffled (default group on both ports)`,
      extra: defaultGroupEntries,
      prepare: dp => {
        commitUdpConnections(dp, ESTABLISHED_CONNECTIONS, 1, BATCH)
      },
      frames: stream,
      // the connections stay within UDP's 30 s bidirectional timeout: the clock stands at 2 ms
      clock: { startMs: 2, stepMs: 0 },
      expect: 'output',
      verify: ({ dp, before, after }) => {
        const r = allForwarded('acl-established-100k', before, after)
        if (dp.conntrack.count() < ESTABLISHED_CONNECTIONS)
          throw new Error(`acl-established-100k: ${dp.conntrack.count()} connections left, not ${ESTABLISHED_CONNECTIONS}`)
        return r
      },
    },
    {
      name: TWIN_OF['acl-new-1k-rules'] as string,
      description: 'the frames of acl-new-1k-rules (128 batches of distinct SYNs) without security groups',
      frames: newConnectionSyns,
      expect: 'output',
      verify: ({ before, after }) => allForwarded(TWIN_OF['acl-new-1k-rules'] as string, before, after),
    },
    {
      name: 'acl-new-1k-rules',
      description: `security groups, ${getRulesDescription()}: every packet a new allowed TCP 5-tuple (lookup, rules, commit)`,
      extra: () => getRules().entries,
      frames: newConnectionSyns,
      clock: { startMs: 1, stepMs: NEW_CLOCK_STEP_MS },
      expect: 'output',
      verify: ({ before, after }) => {
        const r = allForwarded('acl-new-1k-rules', before, after)
        // a packet that found its connection still there would be a lookup, not a new connection
        if ((r.commitsPerPacket ?? 0) < 0.99)
          throw new Error(`acl-new-1k-rules: ${r.commitsPerPacket ?? 0} commits per packet: packets were not all new connections`)
        return r
      },
    },
  ]
}

function getRulesDescription(): string {
  return `1000 rules per port (TCP ports, prefixes /8../32) and a remote group of 1000 members, ${NEW_TUPLES / 1024}k 5-tuples, clock +${NEW_CLOCK_STEP_MS} ms per batch`
}

async function runCase(dp: Datapath, c: BenchCase, o: { runs: number; seconds: number; log: (l: string) => void }): Promise<CaseResult> {
  dp.clear()
  const setupStart = performance.now()
  dp.load(TOPOLOGIES['routed-two-networks'] ?? { entries: [] })
  for (const e of c.extra?.() ?? []) dp.add(e)
  const setupMs = performance.now() - setupStart
  const prepareStart = performance.now()
  c.prepare?.(dp)
  const prepareMs = performance.now() - prepareStart
  const frames = c.frames(new Prng(7))
  const chunks: PacketInput[][] = []
  for (let i = 0; i < frames.length; i += BATCH) chunks.push(frames.slice(i, i + BATCH))
  let clockMs = c.clock?.startMs ?? 0
  const stepMs = c.clock?.stepMs ?? 0
  // Check the path before timing it (every frame, with the case's clock: a new-connection case commits here, and
  // its clock then moves on past the expiry, so the timed runs see new connections again).
  for (const chunk of c.packetIn ? [frames] : chunks) {
    const check = c.packetIn ? chunk.map(f => dp.packetIn(f, 0).verdict) : dp.process(chunk, { nowMs: clockMs })
    clockMs += stepMs
    const wrong = check.find(v => v.action !== c.expect)
    if (wrong) throw new Error(`${c.name}: expected every frame to get ${c.expect}, one got ${wrong.action}/${wrong.reason}`)
  }
  const batches = chunks.map(f => dp.encodeBatch(f))
  let next = 0
  let nowMs = 1
  const once = c.packetIn
    ? (): number => {
        for (const f of frames) dp.packetIn(f, nowMs++)
        return frames.length
      }
    : batches.length === 1 && stepMs === 0
      ? (): number => dp.processEncoded(batches[0] as (typeof batches)[0], { nowMs: clockMs })
      : (): number => {
          const n = dp.processEncoded(batches[next] as (typeof batches)[0], { nowMs: clockMs })
          next = next + 1 === batches.length ? 0 : next + 1
          clockMs += stepMs
          return n
        }
  const timed = (seconds: number): number => {
    let packets = 0
    const start = performance.now()
    const end = start + seconds * 1000
    let now = start
    while (now < end) {
      packets += once()
      now = performance.now()
    }
    return packets / ((now - start) / 1000) / 1e6
  }
  timed(Math.min(0.3, o.seconds)) // warm-up: let the engine tier up
  const before = dp.counters()
  const runsMpps: number[] = []
  for (let r = 0; r < o.runs; r++) {
    runsMpps.push(timed(o.seconds))
    o.log(`  ${c.name}: run ${r + 1}/${o.runs} ${fmt(runsMpps.at(-1) ?? 0)} Mpps`)
  }
  const checked = c.verify?.({ dp, before, after: dp.counters() })
  const sorted = [...runsMpps].sort((a, b) => a - b)
  return {
    name: c.name,
    description: c.description,
    frameBytes: frames[0]?.data.length ?? 0,
    batch: c.packetIn ? 1 : Math.min(BATCH, frames.length),
    runsMpps,
    medianMpps: sorted[Math.floor(sorted.length / 2)] ?? 0,
    minMpps: sorted[0] ?? 0,
    maxMpps: sorted.at(-1) ?? 0,
    ...(c.extra ? { setupMs } : {}),
    ...(c.prepare ? { prepareMs } : {}),
    ...(checked ? { checked } : {}),
    loadavg: loadavg().map(r2),
  }
}

const fmt = (mpps: number): string => (mpps >= 1 ? mpps.toFixed(2) : mpps.toFixed(3))
const r2 = (x: number): number => Math.round(x * 100) / 100

export async function benchDatapath(
  o: {
    runs?: number | undefined
    seconds?: number | undefined
    only?: string[] | undefined
    log?: (l: string) => void
  } = {},
): Promise<CaseResult[]> {
  const log = o.log ?? console.log
  const { createDatapath } = await import('../datapath/host/index.js')
  const dp = await createDatapath({ backend: 'core' })
  const results: CaseResult[] = []
  // --only keeps the baseline: a figure with security groups is read against it
  const cases =
    o.only === undefined
      ? CASES
      : CASES.filter(
          c =>
            c.name === 'l2-forward' ||
            (o.only ?? []).some(
              p => c.name.startsWith(p) || Object.entries(TWIN_OF).some(([acl, twin]) => twin === c.name && acl.startsWith(p)),
            ),
        )
  for (const [i, c] of cases.entries()) {
    log(`[${i + 1}/${cases.length}] ${c.name}: ${c.description}`)
    results.push(await runCase(dp, c, { runs: o.runs ?? 5, seconds: o.seconds ?? 0.5, log }))
  }
  return results
}

async function main(): Promise<void> {
  const arg = (name: string): number | undefined => {
    const i = process.argv.indexOf(`--${name}`)
    return i > 0 ? Number(process.argv[i + 1]) : undefined
  }
  const onlyAt = process.argv.indexOf('--only')
  const only = onlyAt > 0 ? (process.argv[onlyAt + 1] ?? '').split(',').filter(s => s !== '') : undefined
  const loadBefore = loadavg().map(r2)
  const results = await benchDatapath({ runs: arg('runs'), seconds: arg('seconds'), only })
  console.log('\ncase                          frame  median Mpps  (min - max)')
  for (const r of results) {
    console.log(
      `${r.name.padEnd(30)}${String(r.frameBytes).padStart(5)}  ${fmt(r.medianMpps).padStart(11)}  (${fmt(r.minMpps)} - ${fmt(r.maxMpps)})` +
        (r.setupMs !== undefined ? `  setup ${(r.setupMs / 1000).toFixed(2)} s` : '') +
        (r.prepareMs !== undefined ? `, commit ${(r.prepareMs / 1000).toFixed(2)} s` : ''),
    )
  }
  const securityGroups = aclSummary(results)
  if (securityGroups.length > 0) {
    console.log('\nsecurity groups against the baseline of this run (l2-forward: the same vm1 -> vm2 path, no security groups)')
    for (const s of securityGroups) {
      console.log(
        `${s.name.padEnd(30)}${fmt(s.medianMpps).padStart(7)} Mpps  = ${s.ofBaseline} x baseline ${fmt(s.baselineMpps)} Mpps, ${s.ofTwin} x ${s.twin} ${fmt(s.twinMpps)} Mpps;` +
          ` target >= ${s.targetMpps} Mpps: ${s.meetsTarget ? 'met' : 'NOT met'}\n${' '.repeat(30)}checked: ${Object.entries(
            s.checked ?? {},
          )
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')}`,
      )
    }
  }
  const loadAfter = loadavg().map(r2)
  console.log(
    `load average (1/5/15 min) ${loadBefore.join(' ')} before, ${loadAfter.join(' ')} after: one core of a shared machine; a quiet machine gives other figures`,
  )
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
  const out = join(root, 'bench', 'results', 'datapath.json')
  mkdirSync(dirname(out), { recursive: true })
  writeFileSync(
    out,
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        node: process.version,
        cpu: cpus()[0]?.model ?? 'unknown',
        unit: 'Mpps, one core',
        loadavg: { before: loadBefore, after: loadAfter },
        securityGroups,
        results,
      },
      null,
      1,
    )}\n`,
  )
  console.log(`\nwrote ${out}`)
}

interface AclFigure {
  name: string
  medianMpps: number
  baselineMpps: number
  ofBaseline: number
  /** the same frames without security groups (the twin case): what the security groups alone cost */
  twin: string
  twinMpps: number
  ofTwin: number
  targetMpps: number
  meetsTarget: boolean
  checked?: Record<string, number | string>
}

/** The security-group cases next to l2-forward of the same run (their ratio), and the brief's targets. */
function aclSummary(results: CaseResult[]): AclFigure[] {
  const base = results.find(r => r.name === 'l2-forward')
  return results
    .filter(r => ACL_TARGETS_MPPS[r.name] !== undefined)
    .map(r => {
      const twin = results.find(t => t.name === TWIN_OF[r.name])
      return {
        name: r.name,
        medianMpps: r.medianMpps,
        baselineMpps: base?.medianMpps ?? NaN,
        ofBaseline: base === undefined ? NaN : r2(r.medianMpps / base.medianMpps),
        twin: TWIN_OF[r.name] ?? '',
        twinMpps: twin?.medianMpps ?? NaN,
        ofTwin: twin === undefined ? NaN : r2(r.medianMpps / twin.medianMpps),
        targetMpps: ACL_TARGETS_MPPS[r.name] as number,
        meetsTarget: r.medianMpps >= (ACL_TARGETS_MPPS[r.name] as number),
        ...(r.checked ? { checked: r.checked } : {}),
      }
    })
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main()
