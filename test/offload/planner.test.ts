// The planner's decisions on a few profiles, for a small two-network topology with a router and a remote port.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Entry, Topology } from '../../datapath/host/entries.js'
import { STAGES, STAGE_ARP_ND_RSP, STAGE_DHCP, STAGE_L2_LOOKUP, STAGE_L3_ROUTE, STAGE_NEXTHOP } from '../../datapath/spec/stages.js'
import { cacheMissShare } from '../../offload/miss-share.js'
import { type Plan, type StagePlan, planOffload } from '../../offload/planner.js'
import { type Profile, loadProfile } from '../../offload/profile.js'

const here = join(process.cwd(), 'test', 'offload')
const topology = JSON.parse(readFileSync(join(here, 'topologies', 'two-networks.json'), 'utf8')) as Topology
const nameOf = (id: number): string => STAGES[id]?.name ?? `stage ${id}`
const stageIn = (plan: Plan, id: number): StagePlan => {
  const s = plan.stages.find(x => x.id === id)
  if (s === undefined) throw new Error(`no ${nameOf(id)} in plan`)
  return s
}

t.test('a plan has one row per stage, in pipeline order, each with a reason', async t => {
  for (const p of ['ovs-userspace', 'connectx6dx-tc', 'software-only', 'p4-pipeline', 'bluefield3-doca', 'e810-switchdev-tc']) {
    const plan = planOffload(topology, loadProfile(p))
    t.same(
      plan.stages.map(s => s.stage),
      STAGES.map(s => s.name),
      `${p}: every stage`,
    )
    for (const s of plan.stages) t.ok(s.why.length > 0 && s.onMiss !== '', `${p} ${s.stage}: explained`)
  }
})

t.test('TC smart NIC keeps the ARP responder and DHCP in software, offloads the rest', async t => {
  const plan = planOffload(topology, loadProfile('connectx6dx-tc'))
  const arp = stageIn(plan, STAGE_ARP_ND_RSP)
  t.equal(arp.placement, 'software')
  t.match(arp.why.join(' '), /set_arp/, 'because TC cannot rewrite ARP fields')
  const dhcp = stageIn(plan, STAGE_DHCP)
  t.equal(dhcp.placement, 'software')
  t.match(dhcp.why.join(' '), /slow path/)
  for (const s of plan.stages.filter(x => x.id !== STAGE_ARP_ND_RSP && x.id !== STAGE_DHCP)) {
    t.equal(s.placement, 'target', `${s.stage} on the NIC`)
    t.equal(s.slowPathShare, 0)
  }
  t.match(stageIn(plan, STAGE_NEXTHOP).onMiss, /falls through to software/, 'no punt action on TC: a miss is the way out')
  t.same(stageIn(plan, STAGE_L3_ROUTE).softwareTraffic, ['echo requests to the router'], 'TC cannot rewrite ICMP (set(icmp))')
  t.equal(plan.everyPacketSlowPathShare, 0)
})

t.test('software-only keeps everything in WASM', async t => {
  const plan = planOffload(topology, loadProfile('software-only'))
  for (const s of plan.stages) {
    t.equal(s.placement, 'software', s.stage)
    t.equal(s.rulesOnTarget, 0)
  }
  t.equal(plan.rulesOnTarget, 0)
})

t.test('OVS places every stage but DHCP, with unbounded capacity', async t => {
  const plan = planOffload(topology, loadProfile('ovs-userspace'))
  for (const s of plan.stages) t.equal(s.placement, s.id === STAGE_DHCP ? 'software' : 'target', s.stage)
  t.equal(stageIn(plan, STAGE_L2_LOOKUP).capacity, 'unbounded')
})

t.test('small tables get reactive exact-match caches with the expected miss share', async t => {
  const profile = loadProfile(join(here, 'profiles', 'tiny-tables.json'))
  const plan = planOffload(topology, profile)
  // 4 TCAM tables go to the first four offloadable stages that fit there; nexthop (5 keys) and l2 (4 keys +
  // 2 flood rules) land in 4-entry exact tables.
  const nh = stageIn(plan, STAGE_NEXTHOP)
  t.equal(nh.placement, 'reactive-cache')
  t.equal(nh.rulesOnTarget, 4)
  t.equal(nh.slowPathShare, 1 - 4 / 5, 'uniform keys: 1 - C/N')
  const l2 = stageIn(plan, STAGE_L2_LOOKUP)
  t.equal(l2.placement, 'reactive-cache')
  t.equal(l2.slowPathShare, 1 - 2 / 4, 'two flood rules leave room for 2 of 4 MACs')
  t.match(l2.onMiss, /installs an exact-match entry/)
  t.equal(plan.everyPacketSlowPathShare, 0.5, "l2 is on every packet's path; the other such stages fit whole")
  t.equal(plan.installSeconds, plan.rulesOnTarget / 1000, 'install time from the insertion rate')

  const zipf = planOffload(topology, profile, { traffic: { distribution: 'zipf', s: 1 } })
  t.ok(stageIn(zipf, STAGE_NEXTHOP).slowPathShare < nh.slowPathShare, 'skewed traffic misses less')
})

t.test('a profile without ARP rewrite, dec_ttl or tunnels leaves most stages in software (E810 regression)', async t => {
  const plan = planOffload(topology, loadProfile('e810-switchdev-tc'))
  const onTarget = plan.stages.filter(s => s.placement !== 'software').map(s => s.stage)
  t.ok(onTarget.length <= 2, `only ${onTarget.join(', ')} on the NIC`)
  t.equal(plan.everyPacketSlowPathShare, 1)
  const classify = plan.stages[0] as StagePlan
  t.same(classify.softwareTraffic, ['tunnel ingress'], 'tunnel ingress needs tun_id + decap the NIC lacks')
})

t.test('capacities still to be measured are flagged unverified', async t => {
  const plan = planOffload(topology, loadProfile('bluefield3-doca'))
  const l2 = stageIn(plan, STAGE_L2_LOOKUP)
  t.equal(l2.placement, 'target')
  t.equal(l2.verified, false)
  t.equal(l2.capacity, 'to be measured')
})

t.test('the P4 lookup budget pushes stages to software when exceeded', async t => {
  const p4 = loadProfile('p4-pipeline')
  const tight: Profile = { ...p4, tables: { ...p4.tables, lookupBudget: { value: 3, unit: 'stages', source: 'test' } } }
  const plan = planOffload(topology, tight)
  const placed = plan.stages.filter(s => s.placement !== 'software')
  t.ok(placed.length <= 3)
  t.match(plan.stages.find(s => s.why.some(w => /budget/.test(w)))?.why.join(' ') ?? '', /exceed the target's budget of 3/)
})

t.test('an IPv6 responder entry sends neighbour solicitations to software where set_nd is missing', async t => {
  const entries: Entry[] = [...topology.entries, { stage: 'arp_nd', network: 100, ip: '2001:db8::5', mac: 'fa:16:3e:00:00:01' }]
  const plan = planOffload(entries, loadProfile('p4-pipeline'))
  const arp = stageIn(plan, STAGE_ARP_ND_RSP)
  t.equal(arp.placement, 'target')
  // replies to a router MAC are punted for learning on every profile (punt_neighbour)
  t.same(arp.softwareTraffic, ['IPv6 neighbour solicitations', 'ARP replies and neighbour advertisements to a router MAC (punt_neighbour)'])
})

t.test('cache miss share', async t => {
  t.equal(cacheMissShare(10, 10, { distribution: 'uniform' }), 0)
  t.equal(cacheMissShare(0, 10, { distribution: 'uniform' }), 1)
  t.equal(cacheMissShare(1, 4, { distribution: 'uniform' }), 0.75)
  // Zipf s=1, 1 of 2 keys: H(1)/H(2) = 1/1.5
  t.ok(Math.abs(cacheMissShare(1, 2, { distribution: 'zipf', s: 1 }) - (1 - 1 / 1.5)) < 1e-12)
})

t.test('a flood wider than the action limit goes to software, the rest of L2 stays on the NIC', async t => {
  const entries: Entry[] = []
  for (let p = 1; p <= 20; p++) {
    entries.push(
      { stage: 'classify', in_port: p, network: 7, port: p },
      { stage: 'egress', port: p, local: p },
      { stage: 'l2', network: 7, mac: `fa:16:3e:00:01:${p.toString(16).padStart(2, '0')}`, port: p },
    )
  }
  const plan = planOffload(entries, loadProfile('connectx6dx-tc'))
  const l2 = stageIn(plan, STAGE_L2_LOOKUP)
  t.equal(l2.placement, 'target')
  t.same(l2.softwareTraffic, ['flooding network 7'])
  t.match(l2.why.join(' '), /20 actions in one entry \(at most 16\)/)
})
