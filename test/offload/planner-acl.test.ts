// The planner on security groups: where ct / acl stages go per profile (conntrack mode), what stays in software,
// the conjunctive flow counts (per port, per group, total) and the refusal of a rule set past a profile's limit.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Entry, Topology } from '../../datapath/host/entries.js'
import { STAGE_IN_ACL, STAGE_IN_CT, STAGE_OUT_ACL, STAGE_OUT_CT, STAGES } from '../../datapath/spec/stages.js'
import { AclLimitError, type Plan, type StagePlan, planOffload } from '../../offload/planner.js'
import { type Profile, loadProfile } from '../../offload/profile.js'
import { countAcl, maskedTerms } from '../../offload/rule-count.js'
import { run } from '../../cli/main.js'

const here = join(process.cwd(), 'test', 'offload')
const topology = JSON.parse(readFileSync(join(here, 'topologies', 'two-networks.json'), 'utf8')) as Topology
const stageIn = (plan: Plan, id: number): StagePlan => {
  const s = plan.stages.find(x => x.id === id)
  if (s === undefined) throw new Error(`no ${STAGES[id]?.name} in plan`)
  return s
}

/** Group 1 on ports 1 and 2 (stateful): egress anywhere, ingress TCP 22 from group 2 and TCP 1000-1999 from a prefix. */
function withGroups(o: { stateful?: boolean; members?: number } = {}): Entry[] {
  const members: Entry[] = []
  for (let i = 0; i < (o.members ?? 3); i++) members.push({ stage: 'acl_member', group: 2, prefix: `10.9.${i >> 8}.${i & 255}/32` })
  return [
    ...topology.entries,
    { stage: 'acl_port', port: 1, stateful: o.stateful ?? true, groups: [1] },
    { stage: 'acl_port', port: 2, stateful: o.stateful ?? true, groups: [1] },
    { stage: 'acl_rule', group: 1, rule: 1, direction: 'egress', family: 4 },
    { stage: 'acl_rule', group: 1, rule: 2, direction: 'ingress', family: 4, protocol: 6, port_min: 22, port_max: 22, remote_group: 2 },
    {
      stage: 'acl_rule',
      group: 1,
      rule: 3,
      direction: 'ingress',
      family: 4,
      protocol: 6,
      port_min: 1000,
      port_max: 1999,
      remote_prefix: '192.0.2.0/24',
    },
    ...members,
  ]
}

t.test('masked terms of a port range', async t => {
  t.equal(maskedTerms(22, 22), 1)
  t.equal(maskedTerms(0, 0xffff), 1)
  t.equal(maskedTerms(1024, 2047), 1, 'an aligned power of two is one term')
  t.equal(maskedTerms(1000, 1999), 7, '1000-1023, 1024-1535, 1536-1791, 1792-1919, 1920-1983, 1984-1999 as 1984-1991 + 1992-1999')
  t.equal(maskedTerms(1, 0xfffe), 30, 'the worst case of a 16-bit field is 2 x 15')
})

t.test('flows are counted conjunctively: M members on N ports cost M + N, not M x N', async t => {
  const small = countAcl(withGroups({ members: 3 }))
  const big = countAcl(withGroups({ members: 300 }))
  const ingress = (c: ReturnType<typeof countAcl>): number => c.groups.find(g => g.group === 1 && g.direction === 'ingress')?.flows ?? -1
  // rule 2: 3 members + 1 term + 1 conj; rule 3: 1 prefix + 7 terms + 1 conj; 2 shared port flows
  t.equal(ingress(small), 3 + 1 + 1 + (1 + 7 + 1) + 2)
  t.equal(ingress(big) - ingress(small), 297, 'each extra member is one flow')
  t.equal(small.groups.find(g => g.direction === 'egress')?.flows, 2, 'a rule with neither remote nor ports is one flow per port')
  const port1 = small.ports.filter(p => p.port === 1)
  t.same(
    port1.map(p => [p.direction, p.flows, p.groups]),
    [
      ['egress', 2, [1]],
      ['ingress', ingress(small), [1]],
    ],
  )
  t.ok(small.total > ingress(small) + 2, 'the total adds the fixed flows of the ACL stages')
  t.match(small.counted, /conjunctive/)
  const empty = countAcl([...withGroups({ members: 0 })])
  t.equal(ingress(empty), 1 + 7 + 1 + 2, 'a rule naming an empty remote group matches nothing and costs nothing')
})

t.test('without security groups the four stages pass through; stateless groups need no ct', async t => {
  const none = planOffload(topology, loadProfile('connectx6dx-tc'))
  for (const id of [STAGE_IN_CT, STAGE_IN_ACL, STAGE_OUT_CT, STAGE_OUT_ACL]) t.equal(stageIn(none, id).rules, 0)
  t.equal(none.acl, undefined, 'no acl report without acl_port entries')
  const stateless = planOffload(withGroups({ stateful: false }), loadProfile('p4-pipeline'))
  t.equal(stageIn(stateless, STAGE_IN_CT).placement, 'target')
  t.match(stageIn(stateless, STAGE_IN_CT).why.join(' '), /only stateless/)
  t.equal(
    stageIn(stateless, STAGE_OUT_ACL).placement,
    'target',
    `a stateless ACL needs no conntrack: on the P4 switch (${stageIn(stateless, STAGE_OUT_ACL).why.join('; ')})`,
  )
})

t.test('established-offload NICs: ct and acl on the target, new connections and TCP state changes in software', async t => {
  for (const p of ['connectx6dx-tc', 'bluefield3-doca']) {
    const plan = planOffload(withGroups(), loadProfile(p))
    for (const id of [STAGE_IN_CT, STAGE_OUT_CT]) {
      const s = stageIn(plan, id)
      t.equal(s.placement, 'target', `${p} ${s.stage}`)
      t.ok(
        s.softwareTraffic.includes('TCP SYN') && s.softwareTraffic.includes('TCP FIN') && s.softwareTraffic.includes('TCP RST'),
        `${p} ${s.stage}: TCP state changes in software`,
      )
      t.ok(
        s.softwareTraffic.some(x => /^new connections/.test(x)),
        `${p} ${s.stage}: new connections in software`,
      )
      t.ok(
        s.softwareTraffic.some(x => /other than tcp \/ udp/.test(x)),
        `${p} ${s.stage}: ICMP connections in software`,
      )
    }
    const acl = stageIn(plan, STAGE_OUT_ACL)
    t.equal(acl.placement, 'target')
    t.same(acl.softwareTraffic.filter(x => /commits/.test(x)).length, 1, `${p}: the software path commits`)
    t.ok(plan.acl !== undefined && plan.acl.total > 0)
  }
})

t.test('no conntrack on the target: stateful ports stay in software (P4, E810); OVS tracks in the datapath', async t => {
  for (const p of ['p4-pipeline', 'e810-switchdev-tc']) {
    const plan = planOffload(withGroups(), loadProfile(p))
    const ct = stageIn(plan, STAGE_IN_CT)
    t.equal(ct.placement, 'software', `${p} ls_in_ct`)
    t.match(ct.why.join(' '), /connection tracking/, `${p}: says why`)
  }
  const ovs = planOffload(withGroups(), loadProfile('ovs-userspace'))
  for (const id of [STAGE_IN_CT, STAGE_IN_ACL, STAGE_OUT_CT, STAGE_OUT_ACL]) {
    t.equal(stageIn(ovs, id).placement, 'target')
    t.same(stageIn(ovs, id).softwareTraffic, [], 'the datapath commits itself: nothing to software')
  }
})

/** connectx6dx-tc with numeric ACL limits (the shipped one says "measure"). */
function limited(perPort: number, total: number): Profile {
  const p = loadProfile('connectx6dx-tc')
  return {
    ...p,
    acl: {
      maxFlows: { value: total, unit: 'flows', source: 'test' },
      maxFlowsPerPort: { value: perPort, unit: 'flows', source: 'test' },
      source: 'test',
    },
  }
}

const caught = (f: () => unknown): Error | undefined => {
  try {
    f()
  } catch (e) {
    return e as Error
  } // whatever was thrown is checked by the caller
  return undefined
}

t.test('a rule set past the profile limit is refused, naming the port and the group', async t => {
  t.doesNotThrow(() => planOffload(withGroups({ members: 10 }), limited(100, 1000)))
  const perPort = caught(() => planOffload(withGroups({ members: 200 }), limited(100, 100000)))
  t.ok(perPort instanceof AclLimitError && perPort.limit === 'maxFlowsPerPort', 'refused on the per-port limit')
  t.match(
    perPort?.message,
    /port 1 needs \d+ security-group flows, more than acl.maxFlowsPerPort \(100\) \(and 1 other port\(s\) too\); largest: group 1 \(ingress: \d+ flows for 2 rule\(s\) on 2 port\(s\)\)/,
  )
  const total = caught(() => planOffload(withGroups({ members: 200 }), limited(1000, 150)))
  t.ok(total instanceof AclLimitError && total.limit === 'maxFlows', 'refused on the total')
  t.match(total?.message, /\d+ security-group flows in total, more than acl.maxFlows \(150\); largest: group 1/)
  t.doesNotThrow(() => planOffload(withGroups({ members: 5000 }), loadProfile('connectx6dx-tc')), 'limits to be measured do not refuse')
})

t.test('dragonflow offload plan reports ACL flows, and exits non-zero past a limit', async t => {
  const { mkdtempSync, writeFileSync } = await import('node:fs')
  const { tmpdir } = await import('node:os')
  const dir = mkdtempSync(join(tmpdir(), 'df-plan-acl-'))
  const topo = join(dir, 'topology.json')
  writeFileSync(topo, JSON.stringify({ entries: withGroups({ members: 50 }) }))
  const profile = join(dir, 'limited.json')
  writeFileSync(profile, JSON.stringify({ ...limited(20, 1000), id: 'limited' }))
  const out: string[] = []
  const err: string[] = []
  const log = console.log
  const error = console.error
  console.log = (...a: unknown[]) => {
    out.push(a.join(' '))
  }
  console.error = (...a: unknown[]) => {
    err.push(a.join(' '))
  }
  let ok: number
  let refused: number
  try {
    ok = await run(['offload', 'plan', '--profile', 'connectx6dx-tc', '--topology', topo])
    refused = await run(['offload', 'plan', '--profile', profile, '--topology', topo])
  } finally {
    console.log = log
    console.error = error
  }
  t.equal(ok, 0, err.join('\n'))
  t.match(out.join('\n'), /security-group flows: \d+ \(limit to be measured/)
  t.match(out.join('\n'), /group 1\s+ingress\s+\d+ flows/)
  t.match(out.join('\n'), /port {2}1\s+\d+ flows {2}\(egress 2, ingress \d+\)/)
  t.equal(refused, 1, 'a refused rule set exits non-zero')
  t.match(err.join('\n'), /security groups do not fit limited: port 1 needs \d+ security-group flows, more than acl.maxFlowsPerPort \(20\)/)
})
