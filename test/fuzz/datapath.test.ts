// Fuzzing the core datapath: a million random and mutated frames through batch mode (process) and packet-in
// mode (packetIn). The datapath must never throw or trap, must give every frame exactly one well-formed
// verdict, and its per-reason drop/punt counters must add up to the drops and punts it returned. The packet
// path must not allocate (CONVENTIONS 7): the WASM heap top stays put.
//
// Deterministic by default; FUZZ_SEED=<n> or FUZZ_SEED=random picks another run, FUZZ_FRAMES=<n> its size.
// A failure prints the seed and the frame (in_port + hex), enough to replay it with `dragonflow trace --hex`.
import t from 'tap'
import type { Datapath, PacketInput, Verdict } from '../../datapath/host/api.js'
import { bytesOfHex } from '../../datapath/host/addresses.js'
import { REASON_NAMES, VERDICT_NAMES } from '../../datapath/spec/verdicts.js'
import { loadVectors } from '../conformance/run-vectors.js'
import { isSequence } from '../conformance/vector-format.js'
import { FrameMutator, Prng, describeFrame, type FuzzFrame } from './frame-mutator.js'

const seedText = process.env.FUZZ_SEED ?? '20261125'
const SEED = seedText === 'random' ? Math.floor(Math.random() * 2 ** 32) : Number(seedText) >>> 0
const FRAMES = Number(process.env.FUZZ_FRAMES ?? 1_000_000)
/** One frame in PACKET_IN_EVERY goes through packetIn as well; the rest only through batches. */
const PACKET_IN_EVERY = 5
const BATCH = 256
const MAX_REPORTED = 10

t.comment(`fuzz seed ${SEED} (FUZZ_SEED=${SEED} replays this run), ${FRAMES} frames`)

const { createDatapath } = await import('../../datapath/host/index.js')
const dp: Datapath = await createDatapath({ backend: 'core' })
const { files, topologies } = loadVectors()
// Three topologies with disjoint ports, networks and keys, loaded together so every vector input means something.
// security-groups is routed-two-networks (as routes is) plus ACL entries: mutated frames run through conntrack too.
for (const name of ['routes', 'dhcp-options', 'vlan', 'security-groups']) {
  const topology = topologies.get(name)
  if (!topology) throw new Error(`conformance topology ${name} is missing`)
  dp.load(topology)
}
const seeds = files
  .flatMap(f => f.vectors)
  .flatMap(v => (isSequence(v) ? v.steps.map(s => s.input) : [v.input]))
  .map(input => ({ in_port: input.in_port, tunnel_key: input.tunnel_key, data: bytesOfHex(input.hex) }))
const ports = [...new Set(seeds.map(s => s.in_port))]
const mutator = new FrameMutator(new Prng(SEED), seeds, ports)

const tally = new Map<string, number>()
const failures: string[] = []
let frames = 0
let drops = 0
let packetIns = 0

function fail(what: string, f: FuzzFrame, mode: string): void {
  if (failures.length < MAX_REPORTED) failures.push(`${what} [seed ${SEED}, ${mode}] ${describeFrame(f)}`)
}

/** A verdict is one of the six actions; drops and punts carry a reason, forwarding verdicts carry 'none'. */
function checkVerdict(v: Verdict | undefined, f: FuzzFrame, mode: string): void {
  if (!v) return fail('no verdict', f, mode)
  if (!VERDICT_NAMES.includes(v.action)) return fail(`unknown action ${String(v.action)}`, f, mode)
  if (!REASON_NAMES.includes(v.reason)) return fail(`unknown reason ${String(v.reason)}`, f, mode)
  const stops = v.action === 'drop' || v.action === 'punt'
  if (stops === (v.reason === 'none')) return fail(`${v.action} with reason ${v.reason}`, f, mode)
  if (!(v.packet instanceof Uint8Array)) return fail('verdict without a packet', f, mode)
  if ((v.action === 'output' || v.action === 'in_port') && !Number.isInteger(v.ofport))
    return fail(`${v.action} without an ofport`, f, mode)
  if (stops) {
    tally.set(v.reason, (tally.get(v.reason) ?? 0) + 1)
    drops++
  }
}

const input = (f: FuzzFrame): PacketInput => ({ in_port: f.in_port, ...(f.tunnel_key ? { tunnel_key: f.tunnel_key } : {}), data: f.data })

t.test(`${FRAMES} frames: no trap, one well-formed verdict each`, async t => {
  const started = Date.now()
  let nowMs = 0
  while (frames < FRAMES) {
    const batch: FuzzFrame[] = []
    for (let i = 0; i < BATCH && frames + batch.length < FRAMES; i++) batch.push(mutator.next())
    let verdicts: Verdict[] = []
    try {
      verdicts = dp.process(batch.map(input))
    } catch (err) {
      // Find the frame that throws, one at a time.
      for (const f of batch) {
        try {
          dp.process([input(f)])
        } catch (e) {
          fail(`process threw ${e instanceof Error ? e.message : String(e)}`, f, 'batch')
          break
        }
      }
      if (failures.length === 0) failures.push(`process threw on a batch but on no single frame: ${String(err)}`)
      break
    }
    if (verdicts.length !== batch.length) failures.push(`process returned ${verdicts.length} verdicts for ${batch.length} frames`)
    batch.forEach((f, i) => checkVerdict(verdicts[i], f, 'batch'))
    frames += batch.length
    for (let i = 0; i < batch.length; i += PACKET_IN_EVERY) {
      const f = batch[i] as FuzzFrame
      nowMs += 7 // rate-limit buckets refill as the clock moves, so slow-path replies keep being generated
      try {
        const r = dp.packetIn(input(f), nowMs)
        checkVerdict(r.verdict, f, 'packet_in')
        if (!Array.isArray(r.replies) || r.replies.some(x => !(x.packet instanceof Uint8Array) || !Number.isInteger(x.ofport))) {
          fail('malformed replies', f, 'packet_in')
        }
        if (r.replies.length > 0 && r.verdict.action !== 'punt') fail(`replies with a ${r.verdict.action} verdict`, f, 'packet_in')
      } catch (e) {
        fail(`packetIn threw ${e instanceof Error ? e.message : String(e)}`, f, 'packet_in')
      }
      packetIns++
      frames++
    }
    if (failures.length >= MAX_REPORTED) break
  }
  t.comment(`${frames} frames (${packetIns} through packetIn) in ${((Date.now() - started) / 1000).toFixed(1)} s, ${drops} drops and punts`)
  t.same(failures, [], 'no throws, every verdict well-formed')
  t.ok(frames >= FRAMES || failures.length > 0, `ran ${frames} frames`)
})

t.test('the counters add up to the verdicts', async t => {
  const c = dp.counters()
  t.equal(c.packets, frames, 'one packet counted per frame')
  for (const name of new Set([...Object.keys(c.reasons), ...tally.keys()])) {
    t.equal(c.reasons[name] ?? 0, tally.get(name) ?? 0, `reason ${name}: counter vs drops and punts returned`)
  }
  const perPort = Object.values(c.perPort).reduce((n, byReason) => n + Object.values(byReason).reduce((a, b) => a + b, 0), 0)
  t.equal(perPort, drops, 'per-port counters sum to the drops and punts')
})

t.test('no allocation on the packet path', async t => {
  // After a warm-up, neither path may allocate, also for frames from ports never seen before (one in ten).
  const mutated = new FrameMutator(new Prng(SEED ^ 0x5a5a5a5a), seeds, ports)
  const run = (n: number, from: number): void => {
    for (let i = 0; i < n; i++) {
      const f = mutated.next()
      dp.process([input(f)])
      dp.packetIn(input(f), from + i)
    }
  }
  run(20_000, 10_000_000)
  const top = dp.heapTop()
  run(50_000, 20_000_000)
  t.equal(dp.heapTop(), top, `the heap top stayed at ${top} over 50000 frames through process and packetIn`)
})
