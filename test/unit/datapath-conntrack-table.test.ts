// The connection table's own machinery, through the pipeline (datapath/assembly/tables/conntrack.ts): slots
// that move when others are deleted (backward shift) are still found, the sweep that is skipped while nothing
// can have expired still frees what expires later (a timeout that shrinks included), and a batch's read-ahead
// (pipeline/read-ahead.ts) never changes a verdict.
import t from 'tap'
import { type Datapath, type Entry, type PacketInput } from '../../datapath/host/index.js'
import { tcp, udp } from '../../datapath/host/packet-builder.js'
import { A, B, GROUP_A, GROUP_B, TCP_ACK, TCP_RST, TCP_SYN, base, ping, tcpFrom, udpFrom, loaded, v4, v6 } from './datapath-acl-fixture.js'

// A may open connections to B; B has no egress rule, so its packets pass only as replies: a reply shows
// whether its connection is (still) in the table.
const entries: Entry[] = [
  ...base,
  { stage: 'acl_port', port: A.port, stateful: true, groups: [GROUP_A] },
  { stage: 'acl_port', port: B.port, stateful: true, groups: [GROUP_B] },
  { stage: 'acl_rule', group: GROUP_A, rule: 1, direction: 'egress', family: 4 },
  { stage: 'acl_rule', group: GROUP_A, rule: 2, direction: 'egress', family: 6 },
  { stage: 'acl_rule', group: GROUP_B, rule: 1, direction: 'ingress', family: 4 },
  { stage: 'acl_rule', group: GROUP_B, rule: 2, direction: 'ingress', family: 6 },
]

const words = (dp: Datapath, frames: PacketInput[], nowMs: number): string[] =>
  dp.process(frames, { nowMs }).map(v => (v.action === 'output' ? `output ${v.ofport}` : `${v.action} ${v.reason}`))

/** Counts of each verdict word. */
function tally(list: string[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const w of list) out[w] = (out[w] ?? 0) + 1
  return out
}

t.test('connections moved by the deletion of others are all still found', async t => {
  const dp = await loaded(entries)
  const n = 20_000
  // ports clear of those the datapath treats apart (VXLAN 4789, Geneve 6081, DHCP), in both directions
  const flows = Array.from({ length: n }, (_, i) => udpFrom(A, B, 10_000 + i, 7000 + (i % 7)))
  const replies = Array.from({ length: n }, (_, i) => udpFrom(B, A, 7000 + (i % 7), 10_000 + i))
  t.same(tally(words(dp, flows, 0)), { 'output 2': n })
  t.equal(dp.conntrack.count(), n)
  // every third one again at 40 s (one way only: 60 s from then); the rest expire at 60 s
  const kept = flows.filter((_, i) => i % 3 === 0)
  t.same(tally(words(dp, kept, 40_000)), { 'output 2': kept.length })
  // at 70 s the replies, in an order of their own: the lookups delete the expired ones lazily (and the sweep
  // some), moving later members of their probe runs back, while the kept ones are looked up in between
  const order = replies.map((r, i) => ({ r, i })).sort((x, y) => ((x.i * 7919) % n) - ((y.i * 7919) % n))
  const got = words(
    dp,
    order.map(o => o.r),
    70_000,
  )
  const wrong = order.filter((o, k) => got[k] !== (o.i % 3 === 0 ? 'output 1' : 'drop acl_deny'))
  t.equal(wrong.length, 0, `${wrong.length} replies got the wrong verdict (first: connection ${wrong[0]?.i})`)
  t.equal(dp.conntrack.count(), kept.length, 'only the connections seen at 40 s remain')
  t.equal(dp.counters().conntrack.expired, n - kept.length)
})

t.test('the sweep, idle while nothing can have expired, frees what expires later', async t => {
  const dp = await loaded(entries)
  dp.process(
    Array.from({ length: 3000 }, (_, i) => udpFrom(A, B, 20_000 + i, 9)),
    { nowMs: 0 },
  )
  // many batches before anything expires (the sweep has nothing to do), and connections that live longer
  for (let s = 1; s <= 50; s++) dp.process([ping(A, B, s)], { nowMs: s * 1000 })
  t.equal(dp.conntrack.count(), 3050)
  // at 60.5 s the 3000 UDP ones are expired (60 s), the pings (60 s from 1..50 s) not yet
  let calls = 0
  while (dp.counters().conntrack.expired < 3000 && calls < 10) {
    dp.process([ping(A, B, 1000 + calls)], { nowMs: 60_500 })
    calls++
  }
  t.equal(dp.counters().conntrack.expired, 3000, 'the sweep freed the 3000 nobody looked up')
  t.ok(calls >= 3 && calls <= 4, `at most 1024 connections looked at per call: ${calls} calls`)
  t.equal(dp.conntrack.count(), 50 + calls)
  dp.process([udpFrom(B, A, 9, 9)], { nowMs: 200_000 })
  t.equal(dp.conntrack.count(), 0, 'and the pings later')
})

t.test('a timeout that shrinks (a RST on an established TCP connection) is seen by the idle sweep', async t => {
  const dp = await loaded(entries)
  const flow = (flags: number, seq: number, ack = 0) => tcpFrom(A, B, { sport: 7000, dport: 80, flags, seq, ack })
  const back = (flags: number, seq: number, ack = 0) => tcpFrom(B, A, { sport: 80, dport: 7000, flags, seq, ack })
  t.same(words(dp, [flow(TCP_SYN, 100), back(TCP_SYN | TCP_ACK, 500, 101), flow(TCP_ACK, 101, 501)], 0), [
    'output 2',
    'output 1',
    'output 2',
  ])
  // established: 24 h. Past the SYN's 30 s, batches that do not touch it let the sweep go round the table,
  // find nothing to do, and go idle until the 24 h are up.
  const stranger = udpFrom(B, A, 9, 9) // refused (B has no egress rule), commits nothing
  for (let i = 1; i <= 5; i++) t.equal(words(dp, [stranger], 31_000 + i)[0], 'drop acl_deny')
  t.equal(dp.conntrack.count(), 1)
  t.equal(words(dp, [back(TCP_RST, 501)], 40_000)[0], 'output 1', "a RST at the sender's edge: closed, 30 s")
  dp.process([stranger], { nowMs: 69_000 })
  t.equal(dp.conntrack.count(), 1, 'not yet at 69 s')
  dp.process([stranger], { nowMs: 70_000 })
  t.equal(dp.conntrack.count(), 0, 'swept at 70 s, nobody having looked it up')
  t.equal(dp.counters().conntrack.expired, 1)
})

t.test('a batch gets the verdicts its frames get one at a time (read-ahead changes nothing)', async t => {
  const frames: PacketInput[] = []
  for (let i = 0; i < 300; i++) {
    frames.push(udpFrom(A, B, 3000 + i, 53), udpFrom(B, A, 53, 3000 + i))
    frames.push(tcpFrom(A, B, { sport: 4000 + i, dport: 443, flags: TCP_SYN, seq: i }))
    frames.push(tcpFrom(B, A, { sport: 443, dport: 4000 + i, flags: TCP_SYN | TCP_ACK, seq: 9, ack: i + 1 }))
    frames.push(ping(A, B, i), ping(B, A, i, true))
    frames.push(v6(A, B, udp({ sport: 3000 + i, dport: 53 })), v6(B, A, udp({ sport: 53, dport: 3000 + i })))
    frames.push(v6(B, A, tcp({ sport: 443, dport: 4000 + i, flags: TCP_SYN, seq: 1, window: 1000 })))
    // cut short anywhere, and B's unsolicited traffic
    const whole = udpFrom(A, B, 5000 + i, 53)
    frames.push({ in_port: whole.in_port, data: whole.data.subarray(0, 14 + (i % 40)) })
    frames.push(udpFrom(B, A, 6000 + i, 53), v4(B, A, udp({ sport: 7, dport: 0 })))
  }
  const together = await loaded(entries)
  const alone = await loaded(entries)
  // first some connections, so that the batch reads ahead
  for (const dp of [together, alone]) words(dp, frames.slice(0, 50), 0)
  const batch = words(together, frames, 1)
  const single = frames.map(f => words(alone, [f], 1)[0])
  const differ = batch.findIndex((w, i) => w !== single[i])
  t.equal(differ, -1, differ < 0 ? 'same verdicts' : `frame ${differ}: ${batch[differ]} in the batch, ${single[differ]} alone`)
  t.ok(new Set(batch).size >= 4, `the frames took several paths: ${[...new Set(batch)].join(', ')}`)
  t.equal(together.conntrack.count(), alone.conntrack.count())
})
