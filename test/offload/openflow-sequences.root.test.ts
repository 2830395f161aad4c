// Needs root. Conformance vectors replayed as real packets through a private OVS loaded with the emitted flows
// (test/helpers/ovs-replay.ts: packet-out through the netdev datapath, so ct() runs OVS's userspace conntrack),
// where openflow-vectors.root.test.ts can only ask ofproto/trace one packet at a time. Three checks:
//   1. the replay sees what ofproto/trace sees (same flows hit, same ports) for every vector the trace test
//      traces: that proves the replay machinery, before it judges anything conntrack decides;
//   2. state carries across packets: hand-written ct() flows commit a first packet and see its reply +est+rpl,
//      a flush forgets it, a SYN+ACK with no SYN is +inv;
//   3. every batch vector, single or sequence (`steps`), on the bridge of its topology: each step's verdict
//      (action, reason from the deciding flow's cookie, ofport, network, port, remote) against the vector's.
//      entries/remove before a step re-emit the flows and replace the bridge's flows as the agent would
//      (replace-flows, conntrack kept); conntrack is flushed before each vector; vswitchd's clock is warped
//      by each step's now_ms difference (--enable-dummy), so the expiry sequences run too, and a vector's
//      ct_limit is OVS's dpctl/ct-set-maxconns while it runs.
// Vectors OVS cannot replay are counted and listed (SKIPS); disagreements that are OpenFlow gaps are listed
// (EXCUSES, each vector by name); every other disagreement fails with the vector's intent.
import t, { type Test } from 'tap'
import { needRoot } from '../helpers/requirements.js'
import { type Excuse, ExcuseBook, MALFORMED_FRAMES, REASONS, SLOW_PATH_EXCUSES } from './openflow-excuses.js'
import type { Entry, Topology } from '../../datapath/host/entries.js'
import { IP_PROTO, VXLAN_PORT, buildFrame, ethernet, ip4, tcp, udp } from '../../datapath/host/packet-builder.js'
import { Ipv4Address, MacAddress } from '../../datapath/host/addresses.js'
import { OF_TABLE_BASE, STAGE_L2_LOOKUP } from '../../datapath/spec/stages.js'
import { REASON_NAMES } from '../../datapath/spec/verdicts.js'
import { emitOpenFlow } from '../../offload/openflow/emitter.js'
import { parseCookie } from '../../offload/openflow/layout.js'
import { priorityOf } from '../../offload/openflow/priorities.js'
import { renderFlows } from '../../offload/openflow/text.js'
import { applyEntries } from '../../offload/targets/entry-set.js'
import { loadVectors } from '../conformance/run-vectors.js'
import {
  type Expectation,
  type PacketVector,
  type SequenceStep,
  type Vector,
  type VectorInput,
  isSequence,
} from '../conformance/vector-format.js'
import { type Ovs, startOvs } from '../helpers/ovs.js'
import { type FlowHit, type Observation, Replay, hitKey, traceObservation } from '../helpers/ovs-replay.js'

const TUNNEL_OFPORT = 1000 // the tunnel port of the conformance topologies
/** lib/conntrack.c DEFAULT_N_CONN_LIMIT, restored after a vector with ct_limit */
const OVS_DEFAULT_MAXCONNS = 3_000_000
const TUN_SRC = '192.168.100.2'
const TUN_DST = '192.168.100.1'
/**
 * OVS runs with --enable-dummy (startOvs({ dummy: true })), so `time/warp` moves its clock: before each step the
 * replay warps by the step's now_ms minus the previous step's, and the expiry sequences (BEHAVIOUR.md "Security
 * groups", OVS's default timeouts) run. Set DUMMY_OVS=0 to run a stock vswitchd; clock jumps of at least the
 * shortest timeout (30 s: TCP opening and closed, UDP bidirectional, ICMP reply) are then skipped.
 */
const DUMMY = process.env.DUMMY_OVS !== '0'
const SHORTEST_CT_TIMEOUT_MS = 30_000

/** A step as this test replays it: a packet vector is one step after its `before` frames. */
type Step = Pick<SequenceStep, 'entries' | 'remove' | 'input' | 'expect' | 'note'> & { now_ms?: number }

/**
 * Vectors on which OpenFlow cannot do what the WASM pipeline does, each by name, and why (openflow-excuses.ts:
 * an excuse for a vector not replayed here, or for one whose every step agrees now, fails the test). Not the
 * trace test's list: the replay runs conntrack and entries-carrying vectors, and skips frames OVS refuses.
 */
const EXCUSES: Excuse[] = [
  ...SLOW_PATH_EXCUSES,
  { reason: REASONS.ctFull, vectors: ['ct/table-full'] },
  { reason: REASONS.ndTargetMask, vectors: ['port_sec/na-own-target-from-other-global'] },
  {
    reason: REASONS.malformed,
    vectors: [
      ...MALFORMED_FRAMES,
      // OVS reads an ICMPv6 message under 8 bytes as having no ICMPv6 type, so the RS punt flow cannot match it
      'ra/rs-shorter-than-8-bytes/batch',
    ],
  },
]

interface Seen {
  action: string
  reason: string
  ofport?: number
  network?: number
  port?: number
  remote?: string
}

if (needRoot('private OVS in a network namespace', { wholeFile: true }) === false) {
  t.test("conformance vectors replayed through OVS's datapath and conntrack", async t => {
    const started = Date.now()
    const ovs = await startOvs({ dummy: DUMMY })
    const replays: Replay[] = []
    t.teardown(async () => {
      for (const r of replays) r.close()
      await ovs.stop()
    })
    const { files, topologies } = loadVectors()
    const all = files.flatMap(f => f.vectors)
    const batch = all.filter(v => v.mode === 'batch')
    const bridges = new Map<string, { replay: Replay; flows: string; entries: Entry[] }>()
    for (const name of new Set(batch.map(v => v.topology))) {
      const topo = topologies.get(name)
      if (topo === undefined) {
        t.fail(`unknown topology ${name}`)
        continue
      }
      const replay = await topologyBridge(
        ovs,
        topo,
        batch.filter(v => v.topology === name),
      )
      replays.push(replay)
      bridges.set(name, { replay, flows: flowsOf(topo.entries), entries: topo.entries })
    }

    // One pass: every vector replayed; a vector the trace test traces is also traced first (on the same flows;
    // a trace executes nothing), so the replay is checked against the trace without sending anything twice.
    const cross = { same: 0, compared: 0, differ: [] as string[], guessed: [] as string[], refused: [] as string[] }
    const skips: string[] = []
    const gaps: string[] = []
    const excuses = new ExcuseBook(EXCUSES)
    const failures: string[] = []
    let steps = 0
    let agree = 0
    for (const v of batch) {
      const b = bridges.get(v.topology)
      if (b === undefined) continue
      const skip = skipReason(v)
      if (skip !== undefined) {
        skips.push(`${v.name}: ${skip}`)
        continue
      }
      await b.replay.flushConntrack()
      const limit = isSequence(v) ? v.ct_limit : undefined
      if (limit !== undefined) await b.replay.appctl.call('dpctl/ct-set-maxconns', String(limit))
      const trace = traceable(v) ? await traceOf(b.replay, v.input) : undefined
      let entries = applyEntries(b.entries, v.entries, v.remove)
      let changed = v.entries !== undefined || v.remove !== undefined
      if (changed) await b.replay.replaceFlows(flowsOf(entries))
      for (const f of beforeOf(v)) await b.replay.send(f)
      const seq = stepsOf(v)
      let clock = seq[0]?.now_ms
      for (const [i, s] of seq.entries()) {
        if (DUMMY && s.now_ms !== undefined && clock !== undefined) await b.replay.warp(s.now_ms - clock)
        clock = s.now_ms ?? clock
        if (s.entries !== undefined || s.remove !== undefined) {
          entries = applyEntries(entries, s.entries, s.remove)
          await b.replay.replaceFlows(flowsOf(entries))
          changed = true
        }
        const observed = await b.replay.send(s.input)
        if (trace === undefined) {
          /* not traceable */
        } else if (trace === 'refused') cross.refused.push(v.name)
        // a trace resumes each recirculation with a ct_state it guesses (trk|new): only a real conntrack knows
        else if (/^recirc\(/m.test(trace)) cross.guessed.push(v.name)
        else {
          cross.compared++
          const diff = observationDiff(traceObservation(trace, b.replay.bridge, s.input.in_port), observed)
          if (diff === '') cross.same++
          else cross.differ.push(`${v.name}: the replay and ofproto/trace differ: ${diff}`)
        }
        const seen = verdictOf(observed, s.input.in_port)
        steps++
        const diff = compare(s.expect, seen)
        const label = isSequence(v) ? `${v.name} step ${i + 1}/${seq.length}${s.note !== undefined ? ` (${s.note})` : ''}` : v.name
        if (diff === '') {
          agree++
          excuses.agreed(v.name)
          continue
        }
        const excuse = excuses.disagreed(v.name)
        if (excuse !== undefined) {
          gaps.push(`${label}: ${excuse.reason}`)
          continue
        }
        failures.push(
          `${label}: ${v.intent}\n  expected ${JSON.stringify({ ...s.expect, packet: undefined, replies: undefined })}\n  OVS: ${JSON.stringify(seen)}\n  ${diff}`,
        )
      }
      if (changed) await b.replay.replaceFlows(b.flows)
      if (limit !== undefined) await b.replay.appctl.call('dpctl/ct-set-maxconns', String(OVS_DEFAULT_MAXCONNS))
    }

    await t.test('the replay sees what ofproto/trace sees', async t => {
      for (const d of cross.differ) t.fail(d)
      t.equal(
        cross.same,
        cross.compared,
        `${cross.same}/${cross.compared} traced vectors hit the same flows and ports in the replay and the trace`,
      )
      t.ok(cross.compared > 150, 'the vectors the trace test traces were compared')
      if (cross.guessed.length > 0)
        t.comment(`not compared, they pass ct() and the trace guesses the state: ${cross.guessed.length} vectors`)
      if (cross.refused.length > 0) t.comment(`not compared, ofproto/trace refuses the frame: ${cross.refused.join(', ')}`)
    })

    await t.test('conntrack state carries across packets and a flush forgets it', async t => {
      await conntrackCheck(t, ovs)
    })

    await t.test('every batch vector, single or sequence, step by step', async t => {
      for (const f of failures) t.fail(f)
      const sequences = batch.filter(isSequence).length
      t.comment(
        `${agree}/${steps} steps agree (${batch.length} batch vectors, ${sequences} of them sequences; ` +
          `${all.length - batch.length} packet_in vectors are the slow path's, not OVS's); ${gaps.length} documented OpenFlow gaps; ` +
          `${skips.length} vectors skipped; ${((Date.now() - started) / 1000).toFixed(1)} s`,
      )
      for (const s of skips) t.comment(`skipped: ${s}`)
      for (const g of gaps) t.comment(`gap: ${g}`)
      t.ok(agree > 100, 'vectors were replayed and agreed')
      excuses.check(t)
    })
  })
}

/** ofproto/trace of one input on a replay's bridge ('refused' when OVS does not take the frame). */
async function traceOf(replay: Replay, input: VectorInput): Promise<string> {
  const flow =
    input.tunnel_key !== undefined
      ? `in_port=${input.in_port},tun_id=${input.tunnel_key},tun_src=${TUN_SRC},tun_dst=${TUN_DST}`
      : `in_port=${input.in_port}`
  try {
    return await replay.appctl.call('ofproto/trace', replay.bridge, flow, input.hex)
  } catch {
    return 'refused'
  }
}

/** Vectors the trace test traces: batch, the topology as shipped, frames not still encapsulated. */
function traceable(v: Vector): v is PacketVector {
  return (
    !isSequence(v) &&
    v.entries === undefined &&
    v.remove === undefined &&
    v.before === undefined &&
    !(v.input.in_port === TUNNEL_OFPORT && v.input.tunnel_key === undefined)
  )
}

function stepsOf(v: Vector): Step[] {
  if (isSequence(v)) return v.steps
  return [{ ...(v.now_ms !== undefined ? { now_ms: v.now_ms } : {}), input: v.input, expect: v.expect }]
}

const beforeOf = (v: Vector): VectorInput[] => (isSequence(v) ? [] : (v.before ?? []))

/** Why OVS cannot replay a vector, or undefined. */
function skipReason(v: Vector): string | undefined {
  const steps = stepsOf(v)
  const inputs = [...beforeOf(v), ...steps.map(s => s.input)]
  if (inputs.some(i => i.in_port === TUNNEL_OFPORT && i.tunnel_key === undefined)) {
    return 'a frame still VXLAN/Geneve-encapsulated on the tunnel port: in OVS the tunnel netdev decapsulates before any flow'
  }
  // ETH_HLEN (IEEE 802.3 3.1.1): ovs-ofctl refuses a packet-out shorter ("Packet data too short for Ethernet")
  if (inputs.some(i => i.hex.length < 2 * 14)) return 'a frame shorter than an Ethernet header: OVS refuses it as a packet-out'
  if (DUMMY) return undefined
  const clock = steps.map(s => s.now_ms ?? 0)
  const first = clock[0] ?? 0
  const jump = clock.findIndex(ms => ms - first >= SHORTEST_CT_TIMEOUT_MS)
  if (jump >= 0) {
    return `step ${jump + 1} is ${((clock[jump] ?? 0) - first) / 1000} s after the first: OVS's conntrack runs on the wall clock (no time/warp without --enable-dummy)`
  }
  return undefined
}

const flowsOf = (entries: readonly Entry[]): string => renderFlows(emitOpenFlow(entries, { tunnelOfport: TUNNEL_OFPORT }))

let tunnelPorts = 0

/** A bridge with an internal port per ofport the topology's vectors use and the flow-based tunnel port. */
async function topologyBridge(ovs: Ovs, topo: Topology, vectors: Vector[]): Promise<Replay> {
  const br = ovs.name('br')
  await ovs.addBridge(br)
  const ofports = new Set<number>()
  const note = (e: Entry): void => {
    if (e.stage === 'classify' && 'in_port' in e) ofports.add(e.in_port)
    if (e.stage === 'egress' && e.local !== undefined) ofports.add(e.local)
    if (e.stage === 'uplink') ofports.add(e.ofport) // a provider network's patch port
  }
  topo.entries.forEach(note)
  for (const v of vectors) {
    for (const e of [...(v.entries ?? []), ...stepsOf(v).flatMap(s => s.entries ?? [])]) note(e)
    for (const i of [...beforeOf(v), ...stepsOf(v).map(s => s.input)]) ofports.add(i.in_port)
  }
  ofports.delete(TUNNEL_OFPORT)
  for (const n of [...ofports].sort((a, b) => a - b)) {
    const p = ovs.name('p')
    await ovs.vsctl('add-port', br, p, '--', 'set', 'Interface', p, 'type=internal', `ofport_request=${n}`)
  }
  // One flow-based VXLAN port per UDP port in a datapath: a second bridge's would conflict and never send
  // (its tx counter stays 0), so each bridge gets its own destination port.
  const tun = ovs.name('vx')
  await ovs.vsctl(
    'add-port',
    br,
    tun,
    '--',
    'set',
    'Interface',
    tun,
    'type=vxlan',
    'options:remote_ip=flow',
    'options:key=flow',
    `options:dst_port=${VXLAN_PORT + tunnelPorts++}`,
    `ofport_request=${TUNNEL_OFPORT}`,
  )
  const replay = await Replay.on(ovs, br, { tunnelSrc: TUN_SRC, tunnelDst: TUN_DST })
  await replay.replaceFlows(flowsOf(topo.entries))
  return replay
}

const FLOOD_PRIORITIES = [priorityOf('FLOOD'), priorityOf('FLOOD_FROM_TUNNEL'), priorityOf('FLOOD_CHUNK')]

/** The verdict of an observation: the deciding flow's cookie gives the reason, the tx counters the ports. */
function verdictOf(o: Observation, inPort: number): Seen {
  const cookieOf = (h: FlowHit | undefined): ReturnType<typeof parseCookie> | undefined => h && parseCookie(h.cookie)
  const reasonOf = (h: FlowHit | undefined): string => {
    const c = cookieOf(h)
    return c !== undefined && 'reason' in c.subject ? (REASON_NAMES[c.subject.reason] ?? '?') : 'none'
  }
  const keyOf = (h: FlowHit | undefined): number | undefined => {
    const c = cookieOf(h)
    return c !== undefined && 'key' in c.subject ? c.subject.key : undefined
  }
  const punt = o.hits.find(h => /controller/i.test(h.actions))
  if (punt) return { action: 'punt', reason: reasonOf(punt) }
  const ports = [...o.tx.keys()]
  // the network's flood flow (l2-flows.ts) names the network in its cookie; with no other port it sends nothing
  const flood = o.hits.find(h => h.table === OF_TABLE_BASE + STAGE_L2_LOOKUP && FLOOD_PRIORITIES.includes(h.priority))
  if (flood !== undefined || ports.length > 1) {
    const net = keyOf(
      o.hits.find(
        h =>
          h.table === OF_TABLE_BASE + STAGE_L2_LOOKUP &&
          (h.priority === priorityOf('FLOOD') || h.priority === priorityOf('FLOOD_FROM_TUNNEL')),
      ) ?? flood,
    )
    return net === undefined ? { action: 'flood', reason: 'none' } : { action: 'flood', reason: 'none', network: net }
  }
  if (ports.length === 1 && ports[0] === inPort) return { action: 'in_port', reason: 'none', ofport: inPort }
  if (o.tx.has(TUNNEL_OFPORT)) {
    const out = o.hits.find(h => new RegExp(`output:${TUNNEL_OFPORT}\\b`).test(h.actions))
    const s: Seen = { action: 'tunnel', reason: 'none' }
    const remote = out !== undefined ? /set_field:([0-9.]+)->tun_dst/.exec(out.actions)?.[1] : undefined
    const port = keyOf(out)
    if (remote !== undefined) s.remote = remote
    if (port !== undefined) s.port = port
    return s
  }
  if (ports.length === 1) return { action: 'output', reason: 'none', ofport: ports[0] as number }
  const decider = [...o.hits].reverse().find(h => reasonOf(h) !== 'none')
  return { action: 'drop', reason: reasonOf(decider) }
}

/** '' when OVS agrees with the expectation; else what differs, in words. */
function compare(e: Expectation, s: Seen): string {
  const out: string[] = []
  if (e.action !== s.action) out.push(`action ${s.action} instead of ${e.action}`)
  else {
    if ((e.action === 'drop' || e.action === 'punt') && e.reason !== s.reason) out.push(`reason ${s.reason} instead of ${e.reason}`)
    for (const k of ['ofport', 'network', 'port', 'remote'] as const) {
      if (e[k] !== undefined && s[k] !== undefined && e[k] !== s[k]) out.push(`${k} ${s[k]} instead of ${e[k]}`)
    }
  }
  return out.join('; ')
}

/** '' when two observations hit the same flows the same number of times and sent to the same ports. */
function observationDiff(a: Observation, b: Observation): string {
  const hits = (o: Observation): Map<string, number> => new Map(o.hits.map(h => [`${hitKey(h)} cookie ${h.cookie.toString(16)}`, h.count]))
  const [ha, hb] = [hits(a), hits(b)]
  const out: string[] = []
  for (const [k, n] of ha) if (hb.get(k) !== n) out.push(`trace hit ${k} x${n}, replay x${hb.get(k) ?? 0}`)
  for (const [k, n] of hb) if (!ha.has(k)) out.push(`replay hit ${k} x${n}, trace did not`)
  const ports = (o: Observation): string =>
    [...o.tx]
      .sort(([x], [y]) => x - y)
      .map(([p, n]) => `${p}x${n}`)
      .join(',')
  if (ports(a) !== ports(b)) out.push(`trace sent to [${ports(a)}], replay to [${ports(b)}]`)
  return out.join('; ')
}

/** Hand-written ct() flows on their own bridge: conntrack state must carry from one packet to the next. */
async function conntrackCheck(t: Test, ovs: Ovs): Promise<void> {
  const br = ovs.name('brct')
  await ovs.addBridge(br)
  for (const n of [1, 2]) {
    const p = ovs.name('p')
    await ovs.vsctl('add-port', br, p, '--', 'set', 'Interface', p, 'type=internal', `ofport_request=${n}`)
  }
  const replay = await Replay.on(ovs, br)
  t.teardown(() => {
    replay.close()
  })
  // cookies name the outcome; zone 5 as in ENVIRONMENT.md's check
  await replay.replaceFlows(
    [
      'table=0,priority=10,ip,ct_state=-trk,cookie=0x1,actions=ct(table=1,zone=5)',
      'table=1,priority=20,ip,ct_state=+trk+inv,cookie=0x2,actions=drop',
      'table=1,priority=10,ip,ct_state=+trk+new,in_port=1,cookie=0x3,actions=ct(commit,zone=5),output:2',
      'table=1,priority=10,ip,ct_state=+trk+est-rpl,in_port=1,cookie=0x4,actions=output:2',
      'table=1,priority=10,ip,ct_state=+trk+est+rpl,in_port=2,cookie=0x5,actions=output:1',
      'table=1,priority=10,ip,ct_state=+trk+new,in_port=2,cookie=0x6,actions=drop',
    ].join('\n') + '\n',
  )
  const [a, b] = [MacAddress.parse('02:00:00:00:00:01'), MacAddress.parse('02:00:00:00:00:02')]
  const [ia, ib] = [Ipv4Address.parse('10.0.0.1'), Ipv4Address.parse('10.0.0.2')]
  const frame = (from: 1 | 2, l4: ReturnType<typeof udp> | ReturnType<typeof tcp>): string =>
    Buffer.from(
      buildFrame([
        ethernet(from === 1 ? { src: a, dst: b } : { src: b, dst: a }),
        ip4({ src: from === 1 ? ia : ib, dst: from === 1 ? ib : ia, protocol: l4.kind === 'udp' ? IP_PROTO.UDP : IP_PROTO.TCP }),
        l4,
      ]),
    ).toString('hex')
  const decided = (o: Observation): string => {
    const h = o.hits.filter(x => x.table === 1)
    return `${h.map(x => `0x${x.cookie.toString(16)}`).join('+')} -> [${[...o.tx.keys()].join(',')}]`
  }
  await replay.flushConntrack()
  const ask = udp({ sport: 1000, dport: 2000 })
  const answer = udp({ sport: 2000, dport: 1000 })
  t.equal(decided(await replay.send({ in_port: 1, hex: frame(1, ask) })), '0x3 -> [2]', 'a first UDP packet is +new and committed')
  t.equal(decided(await replay.send({ in_port: 2, hex: frame(2, answer) })), '0x5 -> [1]', 'its reply is +est+rpl')
  t.equal(decided(await replay.send({ in_port: 1, hex: frame(1, ask) })), '0x4 -> [2]', 'the next packet out is +est-rpl')
  await replay.flushConntrack()
  t.equal(decided(await replay.send({ in_port: 2, hex: frame(2, answer) })), '0x6 -> []', 'after a flush the reply is +new again')
  const synAck = tcp({ sport: 80, dport: 40000, flags: 0x12, seq: 1, ack: 1 })
  t.equal(decided(await replay.send({ in_port: 1, hex: frame(1, synAck) })), '0x2 -> []', 'a SYN+ACK opening nothing is +inv')
}
