// Offload bench: per hardware profile and topology, the share of a traffic mix decided on the target, table
// occupancy, and a MODELLED forwarding rate. No NIC, DPU or P4 switch exists here: every target figure is
// MODELLED (target MODELS in offload/targets/, or the planner's placement where a kind has no MODEL); only the
// WASM rate is measured, in this run.
//   npm run build:ts && npm run bench:offload   (writes bench/results/offload.json and offload.svg)
//   node build/bench/offload.js --runs 7 --seconds 0.5
//
// modelled Mpps = 1 / (hw_share / headline_Mpps + sw_share / wasm_Mpps), wasm_Mpps = median of `runs` timed
// batch runs of the mix's software share (the frames the target traps) through createDatapath() in batch mode.
// headline_Mpps is the profile's published figure; for a profile whose figure is 'measure', the MEASURED figure
// of `npm run bench:ovs` (bench/results/ovs-forwarding.json) when that file names the profile, labelled MEASURED
// with its date, conditions and load; else n/a.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { dirname, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import type { Datapath, PacketInput } from '../datapath/host/api.js'
import type { Entry, Topology } from '../datapath/host/entries.js'
import { BROADCAST_MAC, Ipv4Address, MacAddress } from '../datapath/host/addresses.js'
import { arp, buildFrame, dhcp, ethernet, ip4, raw, udp, type Layer } from '../datapath/host/packet-builder.js'
import { planOffload, type Plan } from '../offload/planner.js'
import { loadProfile, shippedProfiles, type Profile } from '../offload/profile.js'
import { emitP4 } from '../offload/targets/p4/emit-p4.js'
import { P4Model } from '../offload/targets/p4/p4-model.js'
import { emitRteFlow } from '../offload/targets/rte/emit-rte-flow.js'
import { RteFlowModel } from '../offload/targets/rte/rte-flow-model.js'
import type { TargetOutcome } from '../offload/targets/target-outcome.js'
import { emitTc } from '../offload/targets/tc/emit-tc.js'
import { FlowerModel } from '../offload/targets/tc/flower-model.js'
import { randomTopology } from '../test/offload/targets/random-topology.js'
import { barChartSvg } from './offload-svg.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const BATCH = 1024
const OVS_RESULTS = join(ROOT, 'bench', 'results', 'ovs-forwarding.json')
const ETH_MIN = 60

/** Traffic classes of the mix and their weights (share of frames). */
const MIX = [
  { cls: 'l2-forward', weight: 0.4 },
  { cls: 'routed', weight: 0.25 },
  { cls: 'unknown-unicast-flood', weight: 0.15 },
  { cls: 'arp-request', weight: 0.15 },
  { cls: 'dhcp-discover', weight: 0.05 },
] as const
type TrafficClass = (typeof MIX)[number]['cls']

interface MixFrame {
  cls: TrafficClass
  input: PacketInput
}

interface LocalPort {
  ofport: number
  key: number
  network: number
  mac: string
  ip?: string
}

const v4 = (ip: string): boolean => !ip.includes(':')
const addrOf = (cidr: string): string => cidr.split('/')[0] ?? cidr

/** The addresses a mix needs, read from the entries (works for any topology in the entry format). */
function localPorts(entries: Entry[]): LocalPort[] {
  const out: LocalPort[] = []
  for (const e of entries) {
    if (e.stage !== 'classify' || !('in_port' in e) || e.vlan) continue // tagged trunk ports need a VLAN header; left out
    const ps = entries.find(x => x.stage === 'port_sec' && x.port === e.port)
    const l2 = entries.find(x => x.stage === 'l2' && x.port === e.port)
    const dh = entries.find(x => x.stage === 'dhcp' && x.port === e.port)
    const mac =
      (ps?.stage === 'port_sec' ? ps.mac : undefined) ??
      (l2?.stage === 'l2' ? l2.mac : undefined) ??
      (dh?.stage === 'dhcp' ? dh.mac : undefined)
    if (mac === undefined) continue
    const psIp = ps?.stage === 'port_sec' ? ps.ips?.map(addrOf).find(v4) : undefined
    const arpIp = entries.find(x => x.stage === 'arp_nd' && x.network === e.network && x.mac === mac && v4(x.ip))
    const ip = psIp ?? (dh?.stage === 'dhcp' ? dh.ip : undefined) ?? (arpIp?.stage === 'arp_nd' ? arpIp.ip : undefined)
    out.push({ ofport: e.in_port, key: e.port, network: e.network, mac, ...(ip !== undefined ? { ip } : {}) })
  }
  return out
}

/** `BATCH` frames in the MIX proportions, cycling over the topology's local ports. */
function buildMix(entries: Entry[]): MixFrame[] {
  const ports = localPorts(entries).filter(p => p.ip !== undefined)
  if (ports.length === 0) throw new Error('topology has no untagged local port with an address')
  const routerPorts = entries.flatMap(e => (e.stage === 'router_port' ? [e] : []))
  const routerKeys = new Set(routerPorts.map(r => r.port))
  const frame = (layers: Layer[]): Uint8Array => buildFrame(layers, { padTo: ETH_MIN })
  const udpFrame = (p: LocalPort, dstMac: string, dst: string): Uint8Array =>
    frame([
      ethernet({ src: MacAddress.parse(p.mac), dst: MacAddress.parse(dstMac) }),
      ip4({ src: Ipv4Address.parse(p.ip ?? '0.0.0.0'), dst: Ipv4Address.parse(dst), ttl: 64 }),
      udp({ sport: 40000, dport: 9 }),
      raw(new Uint8Array(18)),
    ])
  const makers: Record<TrafficClass, (i: number) => { port: LocalPort; data: Uint8Array } | undefined> = {
    'l2-forward': i => {
      // (port, peer on its network) pairs: a port alone on its network sends no L2 traffic
      const pairs = ports.flatMap(p =>
        entries.flatMap(e =>
          e.stage === 'l2' && e.network === p.network && e.port !== p.key && !routerKeys.has(e.port) ? [{ p, peer: e }] : [],
        ),
      )
      const pair = pairs[i % Math.max(1, pairs.length)]
      if (pair === undefined) return undefined
      const peerIp = entries.find(e => e.stage === 'arp_nd' && e.mac === pair.peer.mac && v4(e.ip))
      return { port: pair.p, data: udpFrame(pair.p, pair.peer.mac, peerIp?.stage === 'arp_nd' ? peerIp.ip : (pair.p.ip ?? '0.0.0.0')) }
    },
    routed: i => {
      // (port, host on another network behind its router) pairs
      const pairs = ports.flatMap(p => {
        const rp = routerPorts.find(r => r.network === p.network)
        if (rp === undefined) return []
        return entries.flatMap(e =>
          e.stage === 'arp_nd' && e.network !== p.network && v4(e.ip) && !routerPorts.some(r => r.mac === e.mac) ? [{ p, rp, dst: e }] : [],
        )
      })
      const pair = pairs[i % Math.max(1, pairs.length)]
      if (pair === undefined) return undefined
      return { port: pair.p, data: udpFrame(pair.p, pair.rp.mac, pair.dst.ip) }
    },
    'unknown-unicast-flood': i => {
      const p = ports[i % ports.length] as LocalPort
      return { port: p, data: udpFrame(p, 'fa:16:3e:77:77:77', p.ip ?? '0.0.0.0') }
    },
    'arp-request': i => {
      const p = ports[i % ports.length] as LocalPort
      const rp = routerPorts.find(r => r.network === p.network)
      const tpa = rp ? addrOf(rp.ips.find(c => v4(addrOf(c))) ?? '') : p.ip
      if (!tpa) return undefined
      return {
        port: p,
        data: frame([
          ethernet({ src: MacAddress.parse(p.mac), dst: BROADCAST_MAC }),
          arp({ op: 1, sha: MacAddress.parse(p.mac), spa: Ipv4Address.parse(p.ip ?? '0.0.0.0'), tpa: Ipv4Address.parse(tpa) }),
        ]),
      }
    },
    'dhcp-discover': i => {
      const served = ports.filter(p => entries.some(e => e.stage === 'dhcp' && e.port === p.key))
      const p = served[i % Math.max(1, served.length)]
      if (p === undefined) return undefined
      return {
        port: p,
        data: buildFrame([
          ethernet({ src: MacAddress.parse(p.mac), dst: BROADCAST_MAC }),
          ip4({ src: Ipv4Address.parse('0.0.0.0'), dst: Ipv4Address.parse('255.255.255.255') }),
          udp({ sport: 68, dport: 67 }),
          dhcp({ xid: 0x1000 + i, chaddr: MacAddress.parse(p.mac), type: 'discover', padTo: 300 }),
        ]),
      }
    },
  }
  const out: MixFrame[] = []
  for (const [mi, { cls, weight }] of MIX.entries()) {
    // the last class takes the rounding remainder, so the mix is exactly BATCH frames
    const n = mi === MIX.length - 1 ? BATCH - out.length : Math.round(weight * BATCH)
    for (let i = 0; i < n; i++) {
      const made = makers[cls](i)
      if (made === undefined) throw new Error(`topology cannot produce ${cls} frames`)
      out.push({ cls, input: { in_port: made.port.ofport, data: made.data } })
    }
  }
  return out
}

type Model = { run(p: PacketInput): TargetOutcome }

/** The executable MODEL of a profile's kind, if one exists. */
function modelFor(entries: Entry[], profile: Profile): { label: string; model: Model } | undefined {
  switch (profile.kind) {
    case 'tc-flower':
      return { label: 'TC flower MODEL', model: new FlowerModel(emitTc(entries, profile)) }
    case 'doca-flow':
    case 'rte-flow':
      return { label: 'rte_flow/DOCA pipes MODEL', model: new RteFlowModel(emitRteFlow(entries, profile)) }
    case 'p4':
      return { label: 'P4 tables MODEL', model: new P4Model(emitP4(entries, profile)) }
    default:
      return undefined
  }
}

/**
 * Share of each frame decided on the target. With a MODEL: 1 when the MODEL decides, 0 when it traps.
 * Without one (OVS OpenFlow, software): from the plan, via the stages the WASM trace shows the frame crossing:
 * 0 if one is in software or the frame is punted (controller path), else the product of (1 - slow-path share)
 * over reactive-cache stages (a cache miss goes to the WASM slow path).
 */
function classify(frames: MixFrame[], plan: Plan, model: Model | undefined, dp: Datapath, software: boolean): number[] {
  if (software) return frames.map(() => 0)
  if (model) return frames.map(f => (model.run(f.input).verdict !== undefined ? 1 : 0))
  const byName = new Map(plan.stages.map(s => [s.stage, s]))
  return frames.map(f => {
    const tr = dp.trace(f.input, 1)
    if (tr.verdict.action === 'punt') return 0
    let share = 1
    for (const step of tr.steps) {
      if (step.outcome === 'skip') continue
      const s = byName.get(step.stage)
      if (s === undefined) continue
      if (s.placement === 'software') return 0
      if (s.placement === 'reactive-cache') share *= 1 - s.slowPathShare
    }
    return share
  })
}

export function measureWasm(dp: Datapath, frames: PacketInput[], o: { runs: number; seconds: number }): number[] {
  const batch = dp.encodeBatch(frames)
  const timed = (seconds: number): number => {
    let packets = 0
    const start = performance.now()
    const end = start + seconds * 1000
    let now = start
    while (now < end) {
      packets += dp.processEncoded(batch)
      now = performance.now()
    }
    return packets / ((now - start) / 1000) / 1e6
  }
  timed(Math.min(0.2, o.seconds)) // warm-up: let the engine tier up
  return Array.from({ length: o.runs }, () => timed(o.seconds))
}

/** A MEASURED headline from bench:ovs's results, for the profile it ran with. */
interface MeasuredHeadline {
  mpps: number
  date: string
  conditions: string
  note: string
}

/** bench/results/ovs-forwarding.json's headline for `profileId`, or why there is none (missing, other profile, malformed). */
export function measuredHeadline(file: string, profileId: string): MeasuredHeadline | string {
  let doc: unknown
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'))
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT'
      ? `no ${file} (run npm run bench:ovs)`
      : `unreadable ${file}: ${(err as Error).message}`
  }
  const d = doc as {
    profile?: unknown
    measured?: unknown
    date?: unknown
    conditions?: unknown
    headline?: { mpps64B?: unknown; lossPct?: unknown; noLossMpps64B?: unknown; noLossGeneratorBound?: unknown; case?: unknown } | null
    cases?: { name?: unknown; loadavg?: { after?: unknown } }[]
  }
  if (d.profile !== profileId) return `${file} is for profile ${String(d.profile)}`
  const h = d.headline
  if (
    d.measured !== true ||
    typeof d.date !== 'string' ||
    typeof d.conditions !== 'string' ||
    typeof h?.mpps64B !== 'number' ||
    !(h.mpps64B > 0)
  )
    return `${file} holds no usable 64-byte headline`
  const load = d.cases?.find(c => c.name === h.case)?.loadavg?.after
  const noLoss =
    typeof h.noLossMpps64B === 'number'
      ? `; no-loss rate ${h.noLossGeneratorBound === true ? '>= ' : ''}${h.noLossMpps64B.toFixed(3)} Mpps`
      : ''
  return {
    mpps: h.mpps64B,
    date: d.date,
    conditions: d.conditions,
    note:
      `MEASURED ${h.mpps64B.toFixed(3)} Mpps delivered (${String(h.case)}, loss ${typeof h.lossPct === 'number' ? h.lossPct.toFixed(1) : '?'}% under overload${noLoss}) ` +
      `by bench:ovs on ${d.date}${Array.isArray(load) ? `, load ${load.join(' ')}` : ''}: ${d.conditions}`,
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0
const fmt = (x: number | undefined, d = 2): string => (x === undefined ? '-' : x.toFixed(d))

interface Row {
  topology: string
  profile: string
  kind: string
  classifiedBy: string
  hwShareModelled: number
  swShare: number
  perClassHwShare: Record<string, number>
  occupancy: { stage: string; placement: string; rulesOnTarget: number; rules: number; capacity: number | string | null }[]
  headlineMpps: number | null
  /** where headlineMpps comes from: the profile's published figure, bench:ovs's MEASURED figure, or none */
  headlineKind: 'published' | 'measured' | 'none'
  headlineNote: string
  wasmMppsMeasured: number | null
  wasmRunsMpps: number[]
  modelledMpps: number | null
  modelledNote: string
}

async function main(): Promise<void> {
  const arg = (name: string, dflt: number): number => {
    const i = process.argv.indexOf(`--${name}`)
    return i > 0 ? Number(process.argv[i + 1]) : dflt
  }
  const runs = arg('runs', 5)
  const seconds = arg('seconds', 0.3)
  const log = console.log
  const sample = JSON.parse(readFileSync(join(ROOT, 'examples', 'sample-topology.json'), 'utf8')) as Topology // an example file in the entry format
  const SEED = 1
  const topologies: { name: string; topology: Topology }[] = [
    { name: 'sample-topology', topology: sample },
    { name: `random-seed-${SEED}`, topology: randomTopology(SEED).topology },
  ]
  const profiles = shippedProfiles().map(n => loadProfile(n)) // loadProfile validates against hw-profiles/schema.json
  const { createDatapath } = await import('../datapath/host/index.js')
  const dp = await createDatapath({ backend: 'core' })
  log(
    `offload bench: ${topologies.length} topologies x ${profiles.length} profiles; mix of ${BATCH} frames: ${MIX.map(m => `${m.cls} ${(m.weight * 100).toFixed(0)}%`).join(', ')}`,
  )
  log('All target figures are MODELLED (no NIC here); WASM Mpps is measured in this run, one core, batch mode.')
  const rows: Row[] = []
  for (const [ti, t] of topologies.entries()) {
    const entries = t.topology.entries
    const frames = buildMix(entries)
    dp.clear()
    dp.load(t.topology)
    const verdicts = dp.process(frames.map(f => f.input))
    const tally = new Map<string, number>()
    frames.forEach((f, i) => {
      const k = `${f.cls}->${verdicts[i]?.action ?? '?'}`
      tally.set(k, (tally.get(k) ?? 0) + 1)
    })
    log(
      `[topology ${ti + 1}/${topologies.length}] ${t.name}: ${entries.length} entries; WASM verdicts of the mix: ${[...tally].map(([k, n]) => `${k} ${n}`).join(', ')}`,
    )
    const wasmCache = new Map<string, number[]>() // same software share -> one measurement
    for (const [pi, profile] of profiles.entries()) {
      const plan = planOffload(entries, profile)
      const m = modelFor(entries, profile)
      const software = profile.kind === 'software'
      dp.clear()
      dp.load(t.topology)
      const share = classify(frames, plan, m?.model, dp, software)
      const hw = share.reduce((a, b) => a + b, 0) / frames.length
      const perClass: Record<string, number> = {}
      for (const { cls } of MIX) {
        const idx = frames.flatMap((f, i) => (f.cls === cls ? [i] : []))
        perClass[cls] = idx.reduce((a, i) => a + (share[i] ?? 0), 0) / Math.max(1, idx.length)
      }
      // the software share: frames the target traps (wholly, or the miss fraction of a cache, rounded to frames)
      const swFrames = frames.filter((_, i) => (share[i] ?? 0) < 0.5).map(f => f.input)
      const key = frames.map((_, i) => ((share[i] ?? 0) < 0.5 ? '1' : '0')).join('')
      let wasmRuns: number[] = []
      if (swFrames.length > 0) {
        wasmRuns = wasmCache.get(key) ?? measureWasm(dp, swFrames, { runs, seconds })
        wasmCache.set(key, wasmRuns)
      }
      const wasm = wasmRuns.length > 0 ? median(wasmRuns) : undefined
      const q = profile.forwarding.mpps64B
      // a figure to measure: use bench:ovs's when it measured this profile (never unlabelled: headlineKind, note)
      const meas = q.value === undefined && q.measure !== undefined ? measuredHeadline(OVS_RESULTS, profile.id) : undefined
      const measured = typeof meas === 'object' ? meas : undefined
      const headline = q.value ?? measured?.mpps
      const headlineKind: Row['headlineKind'] = q.value !== undefined ? 'published' : measured ? 'measured' : 'none'
      const headlineNote =
        q.value !== undefined
          ? `${q.value} Mpps published (${q.source})`
          : measured
            ? measured.note
            : `not published: 'measure' (${q.measure ?? q.unbounded ?? ''})${typeof meas === 'string' ? `; ${meas}` : ''}`
      let modelled: number | undefined
      let note: string
      if (hw === 0 && wasm !== undefined) {
        modelled = wasm
        note = 'no hardware share: the measured WASM rate'
      } else if (headline === undefined) {
        note = 'left out: headline rate is to be measured (not published)'
      } else if (wasm === undefined || hw >= 1) {
        modelled = headline
        note = `all on target: the ${headlineKind === 'measured' ? 'MEASURED ' : ''}headline rate`
      } else {
        modelled = 1 / (hw / headline + (1 - hw) / wasm)
        note = `1 / (hw/${headlineKind === 'measured' ? 'MEASURED ' : ''}headline + sw/wasm)`
      }
      const row: Row = {
        topology: t.name,
        profile: profile.id,
        kind: profile.kind,
        classifiedBy: software
          ? 'software target (nothing offloaded)'
          : m
            ? m.label
            : 'planner placement + WASM trace (no MODEL for this kind)',
        hwShareModelled: hw,
        swShare: 1 - hw,
        perClassHwShare: perClass,
        occupancy: plan.stages.map(s => ({
          stage: s.stage,
          placement: s.placement,
          rulesOnTarget: s.rulesOnTarget,
          rules: s.rules,
          capacity: s.capacity ?? null,
        })),
        headlineMpps: headline ?? null,
        headlineKind,
        headlineNote,
        wasmMppsMeasured: wasm ?? null,
        wasmRunsMpps: wasmRuns,
        modelledMpps: modelled ?? null,
        modelledNote: note,
      }
      rows.push(row)
      log(
        `  [${pi + 1}/${profiles.length}] ${profile.id}: hw share ${(hw * 100).toFixed(1)}% MODELLED (${row.classifiedBy}); ` +
          `WASM ${fmt(wasm)} Mpps measured on ${swFrames.length} frames; modelled ${fmt(modelled)} Mpps (${note})`,
      )
    }
  }
  log('\nMODELLED figures (no NIC here); WASM Mpps measured, one core, batch mode')
  log(
    `${'topology'.padEnd(17)}${'profile'.padEnd(19)}${'hw share'.padStart(9)}${'headline'.padStart(12)}${'WASM Mpps'.padStart(11)}${'MODELLED Mpps'.padStart(15)}  table occupancy (rules on target / capacity, per stage)`,
  )
  for (const r of rows) {
    const occ = r.occupancy
      .filter(o => o.rules > 0 || o.rulesOnTarget > 0)
      .map(
        o =>
          `${o.stage} ${o.placement === 'software' ? 'sw' : `${o.rulesOnTarget}/${typeof o.capacity === 'number' ? o.capacity : (o.capacity ?? '?')}${o.placement === 'reactive-cache' ? ' cache' : ''}`}`,
      )
      .join(', ')
    const head =
      r.headlineMpps === null ? 'measure' : r.headlineKind === 'measured' ? `${r.headlineMpps.toFixed(3)} MEAS` : String(r.headlineMpps)
    log(
      `${r.topology.padEnd(17)}${r.profile.padEnd(19)}${`${(r.hwShareModelled * 100).toFixed(1)}%`.padStart(9)}${head.padStart(12)}` +
        `${fmt(r.wasmMppsMeasured ?? undefined).padStart(11)}${(r.modelledMpps === null ? 'n/a' : r.modelledMpps.toFixed(2)).padStart(15)}  ${occ}`,
    )
  }
  log(
    'headline: published figure of the profile; MEAS = MEASURED on this machine by npm run bench:ovs; measure = not published, not measured (n/a)',
  )
  for (const r of rows.filter((r, i) => r.headlineKind === 'measured' && rows.findIndex(x => x.profile === r.profile) === i))
    log(`  ${r.profile}: ${r.headlineNote}`)
  const outDir = join(ROOT, 'bench', 'results')
  mkdirSync(outDir, { recursive: true })
  const json = join(outDir, 'offload.json')
  writeFileSync(
    json,
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        node: process.version,
        cpu: cpus()[0]?.model ?? 'unknown',
        note:
          'Target figures are MODELLED: no NIC, DPU or P4 switch exists here. wasmMppsMeasured is measured in this run (one core, batch mode, median of runs). ' +
          'headlineKind says where headlineMpps comes from: published (the profile), measured (bench:ovs on this machine, see headlineNote), none.',
        formula: 'modelledMpps = 1 / (hwShare / headlineMpps + swShare / wasmMpps)',
        mix: MIX,
        batch: BATCH,
        runs,
        seconds,
        rows,
      },
      null,
      1,
    )}\n`,
  )
  const svg = join(outDir, 'offload.svg')
  writeFileSync(
    svg,
    barChartSvg({
      title: 'Dragonflow Edge offload: MODELLED forwarding rate per profile',
      subtitle: `MODELLED (no NIC here); WASM share measured on one core; n/a = headline rate not published${rows.some(r => r.headlineKind === 'measured') ? `; ${[...new Set(rows.filter(r => r.headlineKind === 'measured').map(r => r.profile))].join(', ')}: headline MEASURED by bench:ovs` : ''}`,
      yLabel: 'MODELLED Mpps (64 B mix)',
      xLabel: 'hardware profile',
      series: topologies.map(t => t.name),
      groups: profiles.map(p => ({
        label: p.id,
        values: topologies.map(t => rows.find(r => r.topology === t.name && r.profile === p.id)?.modelledMpps ?? undefined),
      })),
    }),
  )
  log(`\nwrote ${json}\nwrote ${svg}`)
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main()
