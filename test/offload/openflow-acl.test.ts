// Security groups in OpenFlow (offload/openflow/stages/acl-flows.ts): the conjunctive structure OVS needs (every
// clause of every rule present, at one priority, one flow per distinct match), what a rule with M members on N
// ports costs, what a member joining or a rule changing costs incrementally (FLOW_MODs, as
// test/agent/desired-flows.test.ts counts them), the incremental table equal to a full recompute in any order,
// and the builder refusing what OVS would refuse.
import t from 'tap'
import { needTool } from '../helpers/requirements.js'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DesiredFlows, digestBodies, flowBody } from '../../agent/flows/desired-flows.js'
import type { AclMemberEntry, AclPortEntry, AclRuleEntry, Entry } from '../../datapath/host/entries.js'
import { OF_TABLE_BASE, STAGE_IN_ACL, STAGE_IN_CT, STAGE_L3_ROUTE, STAGE_OUT_ACL } from '../../datapath/spec/stages.js'
import { act, FlowBuilder } from '../../offload/openflow/builder.js'
import { emitOpenFlow } from '../../offload/openflow/emitter.js'
import type { Flow } from '../../offload/openflow/flow.js'
import { conjIdOf, sharedConjIdOf } from '../../offload/openflow/layout.js'
import { priorityOf } from '../../offload/openflow/priorities.js'
import { renderFlows } from '../../offload/openflow/text.js'
import { Key } from '../../offload/openflow/values.js'
import { TOPOLOGIES } from '../conformance/lib/topologies.js'
import { CLIENTS, WEB, aclMembers, aclPorts, aclRules, twoNetworks, withAcls } from './openflow-acl-fixture.js'

const conjOf = (f: Flow): { id: number; clause: number; nClauses: number }[] =>
  f.actions.flatMap(a => (a.type === 'NXAST_CONJUNCTION' ? [{ id: a.id, clause: a.clause, nClauses: a.nClauses }] : []))
const identity = (f: Flow): string =>
  `${f.table}/${f.priority}/${f.match
    .map(m => `${m.field}=${m.value}/${m.mask ?? ''}`)
    .sort()
    .join(',')}`
const conjIdFlows = (flows: Flow[], id: number): Flow[] =>
  flows.filter(f => f.match.some(m => m.field === 'conj_id' && m.value === BigInt(id)))

t.test('every rule is a complete conjunctive match at one priority, with its action flows', async t => {
  const flows = emitOpenFlow(withAcls(), { tunnelOfport: 100 })
  const ids = new Map<number, { n: Set<number>; clauses: Set<number>; tables: Set<number>; priorities: Set<number> }>()
  for (const f of flows) {
    const seen = new Set<number>()
    for (const c of conjOf(f)) {
      t.notOk(seen.has(c.id), `conjunction ${c.id} at most once per flow`)
      seen.add(c.id)
      const x = ids.get(c.id) ?? { n: new Set(), clauses: new Set(), tables: new Set(), priorities: new Set() }
      x.n.add(c.nClauses)
      x.clauses.add(c.clause)
      x.tables.add(f.table)
      x.priorities.add(f.priority)
      ids.set(c.id, x)
    }
    if (conjOf(f).length > 0) t.equal(f.actions.length, conjOf(f).length, 'conjunction() flows have no other action')
  }
  t.equal(ids.size, aclRules.length, 'one conjunction id per rule')
  for (const r of aclRules) {
    const id = conjIdOf(r.rule)
    const x = ids.get(id)
    const want = r.protocol === undefined ? 2 : 3
    t.same(x && [...x.n], [want], `rule ${r.group}/${r.rule}: ${want} clauses`)
    t.same(
      x && [...x.clauses].sort(),
      Array.from({ length: want }, (_, i) => i + 1),
      `rule ${r.group}/${r.rule}: every clause has a flow`,
    )
    t.same(x && [...x.tables], [OF_TABLE_BASE + (r.direction === 'egress' ? STAGE_IN_ACL : STAGE_OUT_ACL)], "in its direction's table")
    t.same(x && [...x.priorities], [priorityOf('ACL_CONJUNCTION')], 'all clauses at one priority')
    t.equal(conjIdFlows(flows, id).length, 3, 'three action flows: commit new, unblock, pass')
  }
  const idents = flows.map(identity)
  t.equal(new Set(idents).size, idents.length, 'no two flows share (table, priority, match): equal matches are merged')
})

t.test('a rule with a remote group of M members on N ports costs M + N + its L4 pieces', async t => {
  const base = twoNetworks()
  for (const [m, n] of [
    [3, 2],
    [40, 2],
    [3, 30],
    [40, 30],
  ] as const) {
    const ports: AclPortEntry[] = Array.from({ length: n }, (_, i) => ({ stage: 'acl_port', port: 100 + i, stateful: true, groups: [7] }))
    const members: AclMemberEntry[] = Array.from({ length: m }, (_, i) => ({
      stage: 'acl_member',
      group: 8,
      prefix: `10.9.${i >> 8}.${i & 0xff}/32`,
    }))
    const rule: AclRuleEntry = {
      stage: 'acl_rule',
      group: 7,
      rule: 1,
      direction: 'ingress',
      family: 4,
      protocol: 6,
      port_min: 8000,
      port_max: 8080,
      remote_group: 8,
    }
    const flows = emitOpenFlow([...base, ...ports, ...members, rule])
    const carrying = flows.filter(f => conjOf(f).some(c => c.id === conjIdOf(1)))
    t.equal(carrying.length, n + m + 3, `${m} members, ${n} ports: ${n} port flows + ${m} member flows + 3 port-range pieces`)
  }
})

t.test("a port's groups share one clause-1 flow; a member shared by two rules is one flow", async t => {
  const flows = emitOpenFlow(withAcls(), { tunnelOfport: 100 })
  const port1 = flows.filter(
    f =>
      f.table === OF_TABLE_BASE + STAGE_OUT_ACL &&
      conjOf(f).some(c => c.clause === 1) &&
      f.match.some(m => m.field === 'reg2' && m.value === 1n),
  )
  t.equal(port1.length, 1, 'one clause-1 flow for port 1 in ls_out_acl')
  t.same(
    conjOf(port1[0] as Flow).map(c => c.id),
    aclRules.filter(r => r.group === WEB && r.direction === 'ingress').map(r => conjIdOf(r.rule)),
    'listing every ingress rule of its group',
  )
  const member6 = flows.filter(
    f => f.table === OF_TABLE_BASE + STAGE_OUT_ACL && f.match.some(m => m.field === 'nw_src' && m.value === 0x0a000006n),
  )
  t.equal(member6.length, 1, 'one flow for member 10.0.0.6 in ls_out_acl')
  t.same(
    conjOf(member6[0] as Flow).map(c => c.id),
    [conjIdOf(1), conjIdOf(2)],
    'serving both web rules that name the clients',
  )
})

t.test('ports without an acl_port entry, and a node without any, pass everything', async t => {
  const plain = emitOpenFlow(twoNetworks(), { tunnelOfport: 100 })
  const aclTables = [STAGE_IN_CT, STAGE_IN_ACL, STAGE_IN_ACL + 4, STAGE_OUT_ACL].map(s => OF_TABLE_BASE + s)
  const inAcl = plain.filter(f => aclTables.includes(f.table))
  t.equal(inAcl.length, 4, 'no ACL entries: the four table misses only')
  t.ok(
    inAcl.every(f => f.priority === 0 && f.gotoTable === f.table + 1),
    'each goes on to the next stage',
  )
  const flows = emitOpenFlow(withAcls(), { tunnelOfport: 100 })
  const about = (port: number): Flow[] =>
    flows.filter(
      f => aclTables.includes(f.table) && f.match.some(m => (m.field === 'reg1' || m.field === 'reg2') && m.value === BigInt(port)),
    )
  t.equal(about(3).length, 0, 'remote port 3 has no flow in the ct and acl tables')
  t.ok(
    about(2).every(f => f.table !== OF_TABLE_BASE + STAGE_IN_CT),
    'stateless port 2 is never sent through conntrack',
  )
  t.equal(about(1).filter(f => f.table === OF_TABLE_BASE + STAGE_IN_CT).length, 2, 'stateful port 1: one ct lookup per family')
})

/** The desired table fed `entries` in the given order, as FLOW_MOD bodies. */
function desired(entries: Entry[], tunnelOfport = 100): DesiredFlows {
  const d = new DesiredFlows({ l3: 'proactive', tunnelOfport })
  for (const e of entries) d.applyDelta({ added: [e], removed: [] })
  d.takeChanges().done(true)
  return d
}

t.test('the incremental table equals a full recompute, whatever the order of the entries', async t => {
  const all = withAcls()
  const want = digestBodies(emitOpenFlow(all, { tunnelOfport: 100 }).map(flowBody))
  let seed = 3
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31
    return seed % n
  }
  for (let run = 0; run < 5; run++) {
    const order = [...all]
    for (let i = order.length - 1; i > 0; i--) {
      const j = rnd(i + 1)
      ;[order[i], order[j]] = [order[j] as Entry, order[i] as Entry]
    }
    t.equal(digestBodies(desired(order).bodies()), want, `shuffle ${run}: equal to emitOpenFlow`)
  }
  // and after removing a member, a rule and a port, one at a time
  const d = desired(all)
  const gone = [aclMembers[2] as Entry, aclRules[0] as Entry, aclPorts[1] as Entry]
  for (const e of gone) d.applyDelta({ added: [], removed: [e] })
  t.equal(
    digestBodies(d.bodies()),
    digestBodies(
      emitOpenFlow(
        all.filter(e => !gone.includes(e)),
        { tunnelOfport: 100 },
      ).map(flowBody),
    ),
    'after removals too',
  )
  for (const e of [...aclPorts, ...aclRules, ...aclMembers]) d.applyDelta({ added: [], removed: [e] })
  t.equal(
    digestBodies(d.bodies()),
    digestBodies(emitOpenFlow(twoNetworks(), { tunnelOfport: 100 }).map(flowBody)),
    'and with every ACL entry gone, the plain pipeline again',
  )
})

/** A node with `ports` stateful ports in group 7, whose rule 1 admits TCP 22 from group 8 (`members` members),
 * rule 2 lets anything out, rule 3 any ICMP in. */
function groupNode(ports: number, members: number): { d: DesiredFlows; rule: AclRuleEntry } {
  const rule: AclRuleEntry = {
    stage: 'acl_rule',
    group: 7,
    rule: 1,
    direction: 'ingress',
    family: 4,
    protocol: 6,
    port_min: 22,
    port_max: 22,
    remote_group: 8,
  }
  const entries: Entry[] = [
    ...twoNetworks(),
    rule,
    { stage: 'acl_rule', group: 7, rule: 2, direction: 'egress', family: 4 },
    { stage: 'acl_rule', group: 7, rule: 3, direction: 'ingress', family: 4, protocol: 1 },
    ...Array.from({ length: ports }, (_, i): Entry => ({ stage: 'acl_port', port: 1000 + i, stateful: true, groups: [7] })),
    ...Array.from({ length: members }, (_, i): Entry => ({ stage: 'acl_member', group: 8, prefix: `10.8.${i >> 8}.${i & 0xff}/32` })),
  ]
  const d = new DesiredFlows({ l3: 'proactive', tunnelOfport: 100 })
  d.applyDelta({ added: entries, removed: [] })
  d.takeChanges().done(true)
  return { d, rule }
}

t.test('a member joining a remote group changes O(1) flows, whatever the group and port counts', async t => {
  const costs: number[] = []
  for (const [ports, members] of [
    [5, 5],
    [200, 5],
    [5, 300],
    [200, 300],
  ] as const) {
    const { d } = groupNode(ports, members)
    const joining: Entry = { stage: 'acl_member', group: 8, prefix: '10.99.0.1/32' }
    d.applyDelta({ added: [joining], removed: [] })
    const c = d.takeChanges()
    t.equal(c.deleted, 0, `${ports} ports, ${members} members: nothing deleted`)
    costs.push(c.added)
    c.done(true)
    d.applyDelta({ added: [], removed: [joining] })
    const back = d.takeChanges()
    t.equal(back.added + back.deleted, 1, 'leaving again: its one flow deleted')
    back.done(true)
  }
  t.same(costs, [1, 1, 1, 1], "one FLOW_MOD: the new member's clause-2 flow in ls_out_acl")
})

t.test("a rule change touches that rule's flows and the clause-1 flows of its group's ports", async t => {
  for (const [ports, members] of [
    [5, 5],
    [50, 5],
    [5, 50],
  ] as const) {
    const { d, rule } = groupNode(ports, members)
    const changed: AclRuleEntry = { ...rule, port_min: 8000, port_max: 8080 } // 3 pieces instead of 1
    d.applyDelta({ added: [changed], removed: [rule] })
    const c = d.takeChanges()
    // clause 1: one flow per port (its actions change: 1/3 stays, but the flow is re-sent only if its bytes change)
    // clause 2: one per member, unchanged bytes (same id, same 2/3): not re-sent; clause 3: the old piece deleted,
    // three new ones; the rule's action flows keep their bytes
    t.equal(c.deleted, 1, `${ports} ports, ${members} members: the old port piece deleted`)
    t.equal(c.added, 3, 'the three new port pieces added; nothing else changed bytes')
    c.done(true)
    d.applyDelta({ added: [], removed: [changed] })
    const r = d.takeChanges()
    t.equal(r.deleted, 3 + 3 + members, `removing it: its 3 action flows, 3 pieces and ${members} member flows deleted`)
    t.equal(r.added, ports, `and the ${ports} clause-1 flows re-sent without it`)
  }
})

t.test('the emitted text is accepted by ovs-ofctl as written', { skip: needTool('ovs-ofctl') }, async t => {
  const file = join(mkdtempSync(join(tmpdir(), 'acl-')), 'acl.flows')
  writeFileSync(file, renderFlows(emitOpenFlow(withAcls(), { tunnelOfport: 100 })))
  const r = spawnSync('ovs-ofctl', ['-O', 'OpenFlow13', 'parse-flows', file], { encoding: 'utf8' })
  t.equal(r.status, 0, r.stderr)
  t.notMatch(r.stderr, /normalization changed/, 'no field was dropped or rewritten by ovs-ofctl')
})

t.test('the builder refuses what OVS would refuse', async t => {
  const b = (): FlowBuilder => FlowBuilder.forStage(STAGE_IN_CT, { generation: 1 }).priority('ENTRY').cookie({ key: 1 })
  t.throws(
    () => b().match('eth_type', 0x0800).apply(act.ctLookup(STAGE_L3_ROUTE)).build(),
    /may not recirculate/,
    'ct(table=) only into a next stage',
  )
  t.throws(() => b().apply(act.ctLookup(STAGE_IN_ACL)).build(), /needs eth_type/, 'ct without an IP match')
  t.throws(
    () => b().match('eth_type', 0x0800).apply(act.ctLookup(STAGE_IN_ACL)).goto(STAGE_IN_ACL).build(),
    /no goto as well/,
    'ct(table=) and a goto',
  )
  t.doesNotThrow(() => b().match('eth_type', 0x86dd).apply(act.ctLookup(STAGE_IN_ACL)).build(), 'ct(table=ls_in_acl) from ls_in_ct')
  const acl = (): FlowBuilder => FlowBuilder.forStage(STAGE_IN_ACL, { generation: 1 }).priority('ACL_CONJUNCTION').cookie({ key: 1 })
  t.throws(
    () =>
      acl()
        .apply(act.conjunction(5, 1, 1))
        .build(),
    /clauses 2\.\.64/,
    'a one-clause conjunction',
  )
  t.throws(
    () =>
      acl()
        .apply(act.conjunction(5, 3, 2))
        .build(),
    /clause 1\.\.n/,
    'a clause beyond n',
  )
  t.throws(
    () =>
      acl()
        .apply(act.conjunction(5, 1, 2), act.conjunction(5, 2, 2))
        .build(),
    /twice/,
    'one id twice in a flow',
  )
  t.throws(
    () =>
      acl()
        .apply(act.conjunction(5, 1, 2))
        .goto(STAGE_IN_ACL + 1)
        .build(),
    /no other action/,
    'conjunction with a goto',
  )
  t.throws(
    () =>
      acl()
        .match('conj_id', Key.of(1))
        .match('eth_type', 0x0800)
        .apply(act.ctCommit(0))
        .goto(STAGE_IN_ACL + 1)
        .build() && FlowBuilder.forStage(STAGE_L3_ROUTE, { generation: 1 }).match('conj_id', Key.of(1)),
    /may not match conj_id/,
    'conj_id outside the acl stages',
  )
  t.throws(() => conjIdOf(0), /rule key 0/, 'rule key 0 has no conjunction id')
  t.throws(() => conjIdOf(2 ** 32), /rule key/, 'a rule key beyond 32 bits is refused')
})

// The conformance topology numbers rules per group (rule 1 of default, rule 1 of web, ...), as the datapath allows:
// it keys a rule by (group, rule). One conjunction id for two rules would merge their clauses.
const SG = (TOPOLOGIES['security-groups'] as { entries: Entry[] }).entries
const SG_TUNNEL = 1000
const isRule = (e: Entry): e is AclRuleEntry => e.stage === 'acl_rule'
const stageOfRule = (r: AclRuleEntry): number => OF_TABLE_BASE + (r.direction === 'egress' ? STAGE_IN_ACL : STAGE_OUT_ACL)

t.test('rules of several groups carrying one key get one conjunction id each', async t => {
  const rules = SG.filter(isRule)
  const shared = (r: AclRuleEntry): boolean =>
    rules.some(o => o !== r && o.rule === r.rule && o.group !== r.group && stageOfRule(o) === stageOfRule(r))
  t.ok(rules.some(shared), 'the topology has rule keys several groups carry in one direction')
  const flows = emitOpenFlow(SG, { tunnelOfport: SG_TUNNEL })
  for (const r of rules) {
    const id = shared(r) ? sharedConjIdOf(r.group, r.rule) : conjIdOf(r.rule)
    const carrying = flows.filter(f => conjOf(f).some(c => c.id === id))
    const want = r.protocol === undefined ? 2 : 3
    t.same(
      [
        ...new Set(
          carrying.flatMap(f =>
            conjOf(f)
              .filter(c => c.id === id)
              .map(c => c.nClauses),
          ),
        ),
      ],
      [want],
      `rule ${r.group}/${r.rule}: ${want} clauses`,
    )
    t.same([...new Set(carrying.map(f => f.table))], [stageOfRule(r)], `rule ${r.group}/${r.rule}: in its direction's table only`)
    t.same(
      [
        ...new Set(
          carrying.flatMap(f =>
            conjOf(f)
              .filter(c => c.id === id)
              .map(c => c.clause),
          ),
        ),
      ].sort(),
      Array.from({ length: want }, (_, i) => i + 1),
      `rule ${r.group}/${r.rule}: every clause has a flow`,
    )
    // clause 1: exactly the ports of its group
    const ports = SG.filter((e): e is AclPortEntry => e.stage === 'acl_port' && e.groups.includes(r.group))
      .map(e => BigInt(e.port))
      .sort()
    const clause1 = carrying
      .filter(f => conjOf(f).some(c => c.id === id && c.clause === 1))
      .map(f => f.match.find(m => m.field === 'reg1' || m.field === 'reg2')?.value ?? -1n)
      .sort()
    t.same(clause1, ports, `rule ${r.group}/${r.rule}: clause 1 lists the ports of group ${r.group} only`)
    t.equal(conjIdFlows(flows, id).length, 3, `rule ${r.group}/${r.rule}: its three action flows`)
  }
})

t.test('with shared rule keys the incremental table still equals a full recompute', async t => {
  const want = digestBodies(emitOpenFlow(SG, { tunnelOfport: SG_TUNNEL }).map(flowBody))
  let seed = 11
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31
    return seed % n
  }
  for (let run = 0; run < 4; run++) {
    const order = [...SG]
    for (let i = order.length - 1; i > 0; i--) {
      const j = rnd(i + 1)
      ;[order[i], order[j]] = [order[j] as Entry, order[i] as Entry]
    }
    t.equal(digestBodies(desired(order, SG_TUNNEL).bodies()), want, `shuffle ${run}: equal to emitOpenFlow`)
  }
  // removing rules one at a time: a key shared by two groups becomes one group's own again (its id changes back)
  const d = desired(SG, SG_TUNNEL)
  let left = [...SG]
  const rules = SG.filter(isRule)
  for (let i = 0; i < rules.length; i += 3) {
    const gone = rules[i] as AclRuleEntry
    d.applyDelta({ added: [], removed: [gone] })
    left = left.filter(e => e !== gone)
    t.equal(
      digestBodies(d.bodies()),
      digestBodies(emitOpenFlow(left, { tunnelOfport: SG_TUNNEL }).map(flowBody)),
      `without rule ${gone.group}/${gone.rule}`,
    )
  }
  // and back, in another order
  for (let i = rules.length - 1; i >= 0; i -= 3) {
    const back = rules[i - ((rules.length - 1) % 3)] as AclRuleEntry
    if (left.includes(back)) continue
    d.applyDelta({ added: [back], removed: [] })
    left.push(back)
    t.equal(
      digestBodies(d.bodies()),
      digestBodies(emitOpenFlow(left, { tunnelOfport: SG_TUNNEL }).map(flowBody)),
      `rule ${back.group}/${back.rule} back`,
    )
  }
})

t.test('a member prefix a rule names as its remote too is one clause-2 flow', async t => {
  // an allowed address pair of 0.0.0.0/0 makes the member prefix the whole space, which an ingress rule with no
  // remote also stands for
  const all: Entry[] = [...withAcls(), { stage: 'acl_member', group: CLIENTS, prefix: '0.0.0.0/0' }]
  const flows = emitOpenFlow(all, { tunnelOfport: 100 })
  const idents = flows.map(identity)
  t.equal(new Set(idents).size, idents.length, 'no flow twice')
  const any4 = (stage: number): Flow[] =>
    flows.filter(
      f =>
        f.table === OF_TABLE_BASE + stage &&
        f.priority === priorityOf('ACL_CONJUNCTION') &&
        f.match.length === 1 &&
        f.match[0]?.field === 'eth_type' &&
        f.match[0]?.value === 0x0800n,
    )
  const ids = (fs: Flow[]): number[] =>
    fs
      .flatMap(conjOf)
      .map(c => c.id)
      .sort((a, b) => a - b)
  t.same(ids(any4(STAGE_IN_ACL)), [5, 13, 14].map(conjIdOf), 'ls_in_acl: one IPv4 any-remote flow, for the egress rules with no remote')
  t.same(ids(any4(STAGE_OUT_ACL)), [conjIdOf(1), conjIdOf(2)], 'ls_out_acl: one, for the rules whose remote group has the /0 member')
  t.equal(digestBodies(desired([...all].reverse()).bodies()), digestBodies(flows.map(flowBody)), 'incremental equals full')
})
