// Security groups on the packet path allocate nothing and stay fast with large rule sets: thousands of rules
// per port, remote groups of thousands of members, a full connection table, commits, expiry and the sweep.
import t from 'tap'
import { createDatapath, type Entry } from '../../datapath/host/index.js'
import { A, B, GROUP_A, GROUP_B, TCP_ACK, TCP_SYN, base, ping, tcpFrom, udpFrom, verdict } from './datapath-acl-fixture.js'

const MEMBERS = 5000
const PORT_RULES = 3000

function bigRuleSet(): Entry[] {
  const rules: Entry[] = [
    { stage: 'acl_port', port: A.port, stateful: true, groups: [GROUP_A, 11, 12] },
    { stage: 'acl_port', port: B.port, stateful: true, groups: [GROUP_B, 21] },
    { stage: 'acl_rule', group: GROUP_A, rule: 1, direction: 'egress', family: 4 },
  ]
  // B: one UDP rule per even port 2..6000, each from a different /32, plus SSH from the members of group 30
  for (let i = 0; i < PORT_RULES; i++) {
    rules.push({
      stage: 'acl_rule',
      group: GROUP_B,
      rule: 100 + i,
      direction: 'ingress',
      family: 4,
      protocol: 17,
      port_min: 2 + 2 * i,
      port_max: 2 + 2 * i,
      remote_prefix: `172.16.${i >> 8}.${i & 255}/32`,
    })
  }
  rules.push({ stage: 'acl_rule', group: GROUP_B, rule: 2, direction: 'ingress', family: 4, protocol: 17, port_min: 7000, port_max: 7999 })
  rules.push({
    stage: 'acl_rule',
    group: 21,
    rule: 1,
    direction: 'ingress',
    family: 4,
    protocol: 6,
    port_min: 22,
    port_max: 22,
    remote_group: 30,
  })
  for (let i = 0; i < MEMBERS; i++)
    rules.push({ stage: 'acl_member', group: 30, prefix: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32` })
  rules.push({ stage: 'acl_member', group: 30, prefix: `${A.ip}/32` })
  return rules
}

t.test('large rule sets: correct answers, and a batch of mixed traffic allocates nothing', async t => {
  const dp = await createDatapath()
  const started = performance.now()
  dp.load({ entries: [...base, ...bigRuleSet()] })
  t.comment(`loaded ${PORT_RULES} rules and ${MEMBERS} members in ${(performance.now() - started).toFixed(0)} ms`)

  t.equal(verdict(dp, tcpFrom(A, B, { sport: 1000, dport: 22, flags: TCP_SYN, seq: 1 })), 'output 2', 'A is a member of group 30')
  t.equal(verdict(dp, udpFrom(A, B, 1000, 7500)), 'output 2', 'inside 7000-7999 from anywhere')
  t.equal(verdict(dp, udpFrom(A, B, 1000, 4)), 'drop acl_deny', 'port 4 only from 172.16.0.1')

  const frames = [
    tcpFrom(A, B, { sport: 1000, dport: 22, flags: TCP_ACK, seq: 2, ack: 1 }),
    udpFrom(A, B, 2000, 7001),
    udpFrom(B, A, 7001, 2000),
    udpFrom(A, B, 2001, 4),
    ping(A, B, 9),
    udpFrom(B, A, 9, 9),
  ]
  const batch = dp.encodeBatch(Array.from({ length: 12_000 }, (_, i) => frames[i % frames.length]!))
  dp.processEncoded(batch, { nowMs: 1 })
  const before = dp.heapTop()
  const t0 = performance.now()
  for (let run = 0; run < 5; run++) t.equal(dp.processEncoded(batch, { nowMs: 2 + run }), 12_000)
  const ns = ((performance.now() - t0) * 1e6) / 60_000
  t.equal(dp.heapTop(), before, 'no allocation across 60k packets through ct and acl stages')
  t.comment(`${ns.toFixed(0)} ns per packet with ${PORT_RULES} rules and ${MEMBERS} members`)
  t.ok(ns < 20_000, 'no linear scan: well under 20 us per packet even on a loaded machine')
  const c = dp.counters()
  // per six frames the port-4 flow, the ping (B has no ICMP rule) and B's own flow are refused; 6 runs of 2000,
  // plus the single port-4 packet above
  t.equal(c.reasons.acl_deny, 3 * 2000 * 6 + 1, 'refused every time: established connections are re-checked, no cache')

  // commits, a full table, expiry and the sweep: still no allocation
  dp.conntrack.setLimit(1000)
  const fresh = dp.encodeBatch(Array.from({ length: 3000 }, (_, i) => udpFrom(A, B, 10_000 + i, 7002)))
  dp.processEncoded(fresh, { nowMs: 100_000 })
  const beforeChurn = dp.heapTop()
  for (let run = 0; run < 4; run++) dp.processEncoded(fresh, { nowMs: 200_000 + run * 100_000 })
  t.equal(dp.heapTop(), beforeChurn, 'no allocation while connections are committed, refused (ct_full) and expired')
  t.ok(dp.counters().reasons.ct_full! > 0, 'the table was full at times')
  t.ok(dp.counters().conntrack.expired > 0, 'connections expired')
})

t.test('replacing and removing rules returns their memory: loading twice does not grow the heap much', async t => {
  const dp = await createDatapath()
  const rules = bigRuleSet()
  dp.load({ entries: [...base, ...rules] })
  for (const e of rules) if (e.stage === 'acl_rule' || e.stage === 'acl_member') dp.remove(e)
  const afterFirst = dp.heapTop()
  dp.load({ entries: rules })
  for (const e of rules) if (e.stage === 'acl_rule' || e.stage === 'acl_member') dp.remove(e)
  dp.load({ entries: rules })
  t.ok(
    dp.heapTop() - afterFirst < 1 << 20,
    `the second and third loads reuse the first one's blocks (grew ${dp.heapTop() - afterFirst} bytes)`,
  )
  t.equal(verdict(dp, tcpFrom(A, B, { sport: 1000, dport: 22, flags: TCP_SYN, seq: 1 })), 'output 2')
  dp.clear()
  dp.load({ entries: [...base, ...rules] })
  t.equal(verdict(dp, udpFrom(A, B, 1000, 4)), 'drop acl_deny', 'after clear() and a reload, the same answers')
  t.equal(verdict(dp, udpFrom(A, B, 1000, 7500)), 'output 2')
})
