// The connection table through the pipeline (BEHAVIOUR.md "Security groups", "Conntrack"): the table full
// refuses new connections with ct_full, the host's clock expires connections (lazily and by the sweep),
// TCP goes through the window tracker, both lookups of one packet in one zone agree with OVS, flush and limit.
import t from 'tap'
import { createDatapath, type Entry } from '../../datapath/host/index.js'
import { icmp4, raw, tcp } from '../../datapath/host/packet-builder.js'
import {
  A,
  B,
  GROUP_A,
  GROUP_B,
  TCP_ACK,
  TCP_RST,
  TCP_SYN,
  base,
  ping,
  loaded,
  tcpFrom,
  udpFrom,
  v4,
  verdict,
} from './datapath-acl-fixture.js'

const entries: Entry[] = [
  ...base,
  { stage: 'acl_port', port: A.port, stateful: true, groups: [GROUP_A] },
  { stage: 'acl_port', port: B.port, stateful: true, groups: [GROUP_B] },
  { stage: 'acl_rule', group: GROUP_A, rule: 1, direction: 'egress', family: 4 },
  { stage: 'acl_rule', group: GROUP_B, rule: 1, direction: 'ingress', family: 4 },
]

t.test('a full table refuses new connections with ct_full, and takes them again when room is made', async t => {
  const dp = await loaded(entries)
  t.equal(dp.conntrack.setLimit(2), 2)
  t.equal(verdict(dp, udpFrom(A, B, 1, 9)), 'output 2')
  t.equal(verdict(dp, udpFrom(A, B, 2, 9)), 'output 2')
  t.equal(verdict(dp, udpFrom(A, B, 3, 9)), 'drop ct_full', 'a third connection does not fit')
  t.equal(verdict(dp, udpFrom(B, A, 9, 1)), 'output 1', 'replies of the open ones still pass')
  t.equal(verdict(dp, udpFrom(A, B, 1, 9)), 'output 2', 'and so do their next packets')
  const c = dp.counters()
  t.equal(c.reasons.ct_full, 1)
  t.same(c.conntrack, { connections: 2, limit: 2, commits: 2, expired: 0 })
  t.equal(dp.conntrack.flush(1), 2)
  t.equal(verdict(dp, udpFrom(A, B, 3, 9)), 'output 2', 'room again after the flush')
})

t.test('connections expire by the host clock with OVS timeouts', async t => {
  const dp = await loaded(entries)
  const flow = udpFrom(A, B, 7, 9)
  const back = udpFrom(B, A, 9, 7)
  // B has no egress rule: its packets pass only as replies, so they show whether the connection is there
  t.equal(verdict(dp, flow, 1_000), 'output 2', 'first packet at t=1 s: UDP first timeout 60 s')
  t.equal(verdict(dp, back, 60_999), 'output 1', 'a reply just before the 60 s are up')
  t.equal(verdict(dp, back, 60_999 + 29_999), 'output 1', 'both ways seen: 30 s from the last packet')
  t.equal(verdict(dp, back, 60_999 + 29_999 + 30_000), 'drop acl_deny', '30 s of silence: gone, the reply is a new flow of B')
  t.equal(dp.counters().conntrack.expired, 1, 'expired when the lookup found it')

  t.equal(verdict(dp, ping(A, B, 3), 200_000), 'output 2')
  t.equal(verdict(dp, ping(B, A, 3, true), 259_999), 'output 1', 'ICMP first timeout 60 s')
  t.equal(verdict(dp, ping(B, A, 3, true), 289_998), 'output 1', 'a reply seen: 30 s')
  t.equal(verdict(dp, ping(B, A, 3, true), 320_000), 'drop ct_invalid', 'expired: an echo reply cannot start a connection')
})

t.test('the sweep frees expired connections nobody looks up', async t => {
  const dp = await loaded(entries)
  dp.process(
    Array.from({ length: 50 }, (_, i) => udpFrom(A, B, 1000 + i, 9)),
    { nowMs: 0 },
  )
  t.equal(dp.conntrack.count(), 50)
  dp.process([udpFrom(A, B, 1, 9)], { nowMs: 59_000 })
  t.equal(dp.conntrack.count(), 51, 'nothing expired at 59 s')
  dp.process([], { nowMs: 61_000 })
  t.equal(dp.conntrack.count(), 51, 'an empty batch does not reach the datapath')
  dp.process([ping(A, B, 1)], { nowMs: 61_000 })
  t.equal(dp.conntrack.count(), 2, 'the 50 swept at the next batch; the 59 s one and the ping remain')
  t.equal(dp.counters().conntrack.expired, 50)
})

t.test('TCP: the window tracker decides validity, a RST closes, a SYN|ACK cannot open', async t => {
  const dp = await loaded(entries)
  const a = (flags: number, seq: number, ack = 0) => tcpFrom(A, B, { sport: 5555, dport: 80, flags, seq, ack })
  const b = (flags: number, seq: number, ack = 0) => tcpFrom(B, A, { sport: 80, dport: 5555, flags, seq, ack })
  t.equal(verdict(dp, b(TCP_SYN | TCP_ACK, 10, 11)), 'drop ct_invalid', 'a SYN|ACK with no connection is not a reply, and cannot open one')
  t.equal(
    verdict(dp, tcpFrom(A, B, { sport: 6666, dport: 80, flags: TCP_SYN | TCP_ACK, seq: 1, ack: 1 })),
    'drop ct_invalid',
    'a SYN|ACK cannot start a connection',
  )
  t.equal(verdict(dp, a(TCP_SYN, 100)), 'output 2')
  t.equal(verdict(dp, b(TCP_SYN | TCP_ACK, 900, 101)), 'output 1')
  t.equal(verdict(dp, a(TCP_ACK, 101, 901)), 'output 2')
  const data = (seq: number) =>
    v4(B, A, tcp({ sport: 80, dport: 5555, flags: TCP_ACK, seq, ack: 101, window: 65535 }), raw(new Uint8Array(100)))
  t.equal(verdict(dp, data(901 + 5_000_000)), 'drop ct_invalid', '100 bytes far outside the window')
  t.equal(verdict(dp, b(TCP_ACK, 901 + 5_000_000, 101)), 'output 1', "a bare ACK is judged at the sender's edge (pf, OVS)")
  t.equal(verdict(dp, data(901)), 'output 1', 'data inside the window')
  t.equal(verdict(dp, a(TCP_SYN | 0x01, 101)), 'drop ct_invalid', 'SYN|FIN is never valid')
  t.equal(verdict(dp, b(TCP_RST, 1001)), 'output 1', "a RST at the sender's edge")
  t.equal(dp.conntrack.count(), 1, 'the connection stays (closed) until its timeout')
})

t.test('two lookups of one packet in one zone: the second sees what the commit made, as OVS does', async t => {
  const dp = await loaded(entries)
  const tr = dp.trace(udpFrom(A, B, 1, 2), 0)
  t.match(
    tr.steps.find(s => s.stage === 'ls_in_ct'),
    { outcome: 'hit', detail: 'zone 1, state +trk+new' },
  )
  t.match(
    tr.steps.find(s => s.stage === 'ls_in_acl'),
    { outcome: 'hit', detail: 'port 1 egress rules, to 10.0.0.6, allowed by rule 1' },
  )
  t.match(
    tr.steps.find(s => s.stage === 'ls_out_ct'),
    { outcome: 'hit', detail: 'zone 1, state +trk+new' },
    "the packet keeps the state of its commit (OVS's fast path: the connection is not updated twice)",
  )
  t.equal(dp.counters().conntrack.commits, 1, 'one commit for both pairs')
  const again = dp.trace(udpFrom(A, B, 1, 2), 0)
  t.match(
    again.steps.find(s => s.stage === 'ls_in_ct'),
    { detail: 'zone 1, state +trk+new' },
    'one way only: still new (OVS: VALID_NEW)',
  )
  const reply = dp.trace(udpFrom(B, A, 2, 1), 0)
  t.match(
    reply.steps.find(s => s.stage === 'ls_in_ct'),
    { detail: 'zone 1, state +trk+est+rpl' },
  )
  t.match(
    reply.steps.find(s => s.stage === 'ls_out_ct'),
    { detail: 'zone 1, state +trk+est+rpl' },
  )
  t.equal(reply.verdict.action, 'output')
  const after = dp.trace(udpFrom(A, B, 1, 2), 0)
  t.match(
    after.steps.find(s => s.stage === 'ls_in_ct'),
    { detail: 'zone 1, state +trk+est' },
    'both ways seen: established',
  )
})

t.test('a routed packet is looked up in the zone of each network', async t => {
  const dp = await createDatapath()
  const R1 = 'fa:16:3e:00:01:01'
  dp.load({
    entries: [
      ...entries.filter(e => !((e.stage === 'l2' || e.stage === 'classify') && 'port' in e && e.port === B.port)),
      { stage: 'classify', in_port: B.ofport, network: 2, port: B.port },
      { stage: 'l2', network: 2, mac: B.mac, port: B.port },
      { stage: 'router_port', port: 100, router: 1, network: 1, mac: R1, ips: ['10.0.0.1/24'] },
      { stage: 'router_port', port: 101, router: 1, network: 2, mac: 'fa:16:3e:00:01:02', ips: ['10.0.1.1/24'] },
      { stage: 'route', router: 1, prefix: '10.0.1.0/24', port: 101 },
      { stage: 'nexthop', network: 2, ip: '10.0.1.6', mac: B.mac },
    ],
  })
  const frame = udpFrom(A, B, 1, 2)
  // A -> router MAC, B's address on the second network
  frame.data.set([0xfa, 0x16, 0x3e, 0x00, 0x01, 0x01], 0)
  frame.data.set([10, 0, 1, 6], 14 + 16)
  const view = new DataView(frame.data.buffer, frame.data.byteOffset)
  view.setUint16(14 + 10, 0)
  let sum = 0
  for (let i = 0; i < 20; i += 2) sum += view.getUint16(14 + i)
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16)
  view.setUint16(14 + 10, ~sum & 0xffff)
  const tr = dp.trace(frame, 0)
  t.equal(tr.verdict.action, 'output', 'routed to B on network 2')
  t.match(
    tr.steps.find(s => s.stage === 'ls_in_ct'),
    { detail: 'zone 1, state +trk+new' },
  )
  t.match(
    tr.steps.find(s => s.stage === 'ls_out_ct'),
    { detail: 'zone 2, state +trk+new' },
    'a new lookup in zone 2',
  )
  t.equal(dp.conntrack.count(), 2, 'one connection per zone')
})

t.test('mangled frames through the ct and acl stages never throw and always get a verdict', async t => {
  const dp = await loaded(entries)
  dp.add({ stage: 'acl_rule', group: GROUP_B, rule: 2, direction: 'egress', family: 4, protocol: 1 })
  const seeds = [
    udpFrom(A, B, 1, 2),
    ping(A, B, 1),
    ping(B, A, 1, true),
    tcpFrom(A, B, { sport: 1, dport: 2, flags: TCP_SYN, seq: 1 }),
    v4(B, A, icmp4({ type: 3, code: 3, rest: new Uint8Array(4), payload: udpFrom(A, B, 1, 2).data.subarray(14, 14 + 28) })),
    v4(B, A, icmp4({ type: 11, code: 0, rest: new Uint8Array(4), payload: ping(A, B, 1).data.subarray(14, 14 + 28) })),
  ]
  let seed = 12345
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) >>> 0
    return seed % n
  }
  const frames = Array.from({ length: 20_000 }, (_, i) => {
    const s = seeds[i % seeds.length]!
    const data = Uint8Array.from(s.data)
    // keep Ethernet and the IPv4 header intact (or the frame stops at parse); mangle what the ct stage reads
    for (let k = 0; k < 1 + rand(4); k++) data[34 + rand(Math.max(1, data.length - 34))] = rand(256)
    return { in_port: s.in_port, data: data.subarray(0, 34 + rand(data.length - 33)) }
  })
  const verdicts = dp.process(frames, { nowMs: 7 })
  t.equal(verdicts.length, frames.length)
  const reasons = new Set(verdicts.map(v => `${v.action} ${v.reason}`))
  t.ok(
    [...reasons].every(r => /^(output none|drop [a-z_0-9]+)$/.test(r)),
    [...reasons].join(', '),
  )
  t.ok(reasons.has('drop ct_invalid'), 'some mangled frames were invalid for conntrack')
})
