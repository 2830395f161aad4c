// Datapath throughput on one core: millions of packets per second through the core WASM module.
//   npm run build && npm run bench:datapath            (writes bench/results/datapath.json)
//   node build/bench/datapath.js --runs 9 --seconds 1  (more, longer runs)
//
// Batch cases send 64-byte frames (60 bytes + the 4-byte FCS the NIC strips) as one pre-encoded batch per
// call (Datapath.encodeBatch/processEncoded), so a run measures the pipeline plus the copy into and out of
// linear memory, not building JavaScript objects. The DHCP case is the packet-in path: one call per frame
// with a full reply generated, and its frames are DHCP-sized (300-byte BOOTP minimum), not 64 bytes.
// Each case runs `runs` times for `seconds`; the median (and min/max) Mpps is reported.
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { dirname, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import type { Datapath, PacketInput, VerdictName } from '../datapath/host/api.js'
import type { DhcpEntry, Entry } from '../datapath/host/entries.js'
import { BROADCAST_MAC, Ipv4Address } from '../datapath/host/packet-addresses.js'
import { arp, buildFrame, dhcp, ethernet, ip4, raw, udp, type Layer } from '../datapath/host/packet-builder.js'
import { GW, RPA, RPB, TOPOLOGIES, VM1, VM1_DHCP, VM2 } from '../test/conformance/lib/topologies.js'
import { Prng } from '../test/fuzz/frame-mutator.js'

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
}

const ETH_MIN = 60
const BATCH = 1024
const frame = (layers: Layer[]): Uint8Array => buildFrame(layers, { padTo: ETH_MIN })
const of1 = VM1.ofport as number
/** 18 bytes of UDP payload: Ethernet 14 + IPv4 20 + UDP 8 + 18 = 60. */
const udpTo = (dstMac: typeof VM2.mac, dst: Ipv4Address): Uint8Array =>
  frame([ethernet({ src: VM1.mac, dst: dstMac }), ip4({ src: VM1.ip4, dst, ttl: 64 }), udp({ sport: 40000, dport: 9 }), raw(new Uint8Array(18))])

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

const CASES: BenchCase[] = [
  { name: 'l2-forward', description: 'UDP between two local ports on one network (classify, port security, l2, egress)',
    frames: () => Array.from({ length: BATCH }, () => ({ in_port: of1, data: udpTo(VM2.mac, VM2.ip4) })), expect: 'output' },
  routedCase(1000),
  routedCase(100_000),
  { name: 'arp-reply', description: 'ARP request for the gateway, answered in place by the responder',
    frames: () => Array.from({ length: BATCH }, () => ({ in_port: of1, data: frame([ethernet({ src: VM1.mac, dst: BROADCAST_MAC }),
      arp({ op: 1, sha: VM1.mac, spa: VM1.ip4, tpa: RPA.ip4 })]) })), expect: 'in_port' },
  { name: 'dhcp-request-packet-in', description: 'DHCP REQUEST answered with an ACK on the packet-in path (one call per frame)',
    // The highest rate an entry takes (65535/s); the clock moves 1 ms per frame, so the bucket never runs dry.
    extra: () => [{ ...VM1_DHCP, rate: 65_535 } satisfies DhcpEntry],
    frames: rng => Array.from({ length: 64 }, () => ({ in_port: of1, data: buildFrame([ethernet({ src: VM1.mac, dst: BROADCAST_MAC }),
      ip4({ src: Ipv4Address.parse('0.0.0.0'), dst: Ipv4Address.parse('255.255.255.255') }), udp({ sport: 68, dport: 67 }),
      dhcp({ xid: rng.int(2 ** 31), chaddr: VM1.mac, type: 'request', requestedIp: VM1.ip4, padTo: 300 })]) })),
    expect: 'punt', packetIn: true },
]

async function runCase(dp: Datapath, c: BenchCase, o: { runs: number; seconds: number; log: (l: string) => void }): Promise<CaseResult> {
  dp.clear()
  const setupStart = performance.now()
  dp.load(TOPOLOGIES['routed-two-networks'] ?? { entries: [] })
  for (const e of c.extra?.() ?? []) dp.add(e)
  const setupMs = performance.now() - setupStart
  const frames = c.frames(new Prng(7))
  // Check the path before timing it.
  const check = c.packetIn ? frames.map(f => dp.packetIn(f, 0).verdict) : dp.process(frames)
  const wrong = check.find(v => v.action !== c.expect)
  if (wrong) throw new Error(`${c.name}: expected every frame to get ${c.expect}, one got ${wrong.action}/${wrong.reason}`)
  const batch = dp.encodeBatch(frames)
  let nowMs = 1
  const once = c.packetIn
    ? (): number => { for (const f of frames) dp.packetIn(f, nowMs++); return frames.length }
    : (): number => dp.processEncoded(batch)
  const timed = (seconds: number): number => {
    let packets = 0
    const start = performance.now()
    const end = start + seconds * 1000
    let now = start
    while (now < end) { packets += once(); now = performance.now() }
    return packets / ((now - start) / 1000) / 1e6
  }
  timed(Math.min(0.3, o.seconds)) // warm-up: let the engine tier up
  const runsMpps: number[] = []
  for (let r = 0; r < o.runs; r++) {
    runsMpps.push(timed(o.seconds))
    o.log(`  ${c.name}: run ${r + 1}/${o.runs} ${fmt(runsMpps.at(-1) ?? 0)} Mpps`)
  }
  const sorted = [...runsMpps].sort((a, b) => a - b)
  return {
    name: c.name, description: c.description, frameBytes: frames[0]?.data.length ?? 0, batch: c.packetIn ? 1 : frames.length,
    runsMpps, medianMpps: sorted[Math.floor(sorted.length / 2)] ?? 0, minMpps: sorted[0] ?? 0, maxMpps: sorted.at(-1) ?? 0,
    ...(c.extra ? { setupMs } : {}),
  }
}

const fmt = (mpps: number): string => (mpps >= 1 ? mpps.toFixed(2) : mpps.toFixed(3))

export async function benchDatapath(o: { runs?: number; seconds?: number; log?: (l: string) => void } = {}): Promise<CaseResult[]> {
  const log = o.log ?? console.log
  const { createDatapath } = await import('../datapath/host/index.js')
  const dp = await createDatapath({ backend: 'core' })
  const results: CaseResult[] = []
  for (const [i, c] of CASES.entries()) {
    log(`[${i + 1}/${CASES.length}] ${c.name}: ${c.description}`)
    results.push(await runCase(dp, c, { runs: o.runs ?? 5, seconds: o.seconds ?? 0.5, log }))
  }
  return results
}

async function main(): Promise<void> {
  const arg = (name: string): number | undefined => {
    const i = process.argv.indexOf(`--${name}`)
    return i > 0 ? Number(process.argv[i + 1]) : undefined
  }
  const results = await benchDatapath({ runs: arg('runs'), seconds: arg('seconds') })
  console.log('\ncase                          frame  median Mpps  (min - max)')
  for (const r of results) {
    console.log(`${r.name.padEnd(30)}${String(r.frameBytes).padStart(5)}  ${fmt(r.medianMpps).padStart(11)}  (${fmt(r.minMpps)} - ${fmt(r.maxMpps)})` +
      (r.setupMs !== undefined ? `  setup ${(r.setupMs / 1000).toFixed(2)} s` : ''))
  }
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
  const out = join(root, 'bench', 'results', 'datapath.json')
  mkdirSync(dirname(out), { recursive: true })
  writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model ?? 'unknown',
    unit: 'Mpps, one core', results }, null, 1)}\n`)
  console.log(`\nwrote ${out}`)
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main()
