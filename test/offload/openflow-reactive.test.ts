// Routing flows without a switch: (1) no frame rewrite before the next hop resolves (route flows write registers,
// next-hop flows rewrite), (2) reactive L3: no LPM flows, a reactive-miss punt per router port, and the cached
// exact-match flow does what the winning LPM flow does, (3) the cookie marks reactive flows so one cookie-mask
// selects them all and nothing else.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import type { Topology } from '../../datapath/host/entries.js'
import { OF_TABLE_BASE, STAGE_L3_ROUTE, STAGE_NEXTHOP, STAGE_SNAT } from '../../datapath/spec/stages.js'
import { REASON_PUNT_ICMP_ERROR, REASON_PUNT_NEXTHOP_MISS } from '../../datapath/spec/verdicts.js'
import { FlowBuilder, FlowError } from '../../offload/openflow/builder.js'
import { emitOpenFlow, emitReactiveRoute } from '../../offload/openflow/emitter.js'
import type { Flow } from '../../offload/openflow/flow.js'
import { generationMask, isReactiveCookie, makeCookie, parseCookie, reactiveSelector } from '../../offload/openflow/layout.js'
import { priorityOf } from '../../offload/openflow/priorities.js'
import { renderFlow } from '../../offload/openflow/text.js'

const topology = JSON.parse(readFileSync(join(process.cwd(), 'test', 'offload', 'topologies', 'two-networks.json'), 'utf8')) as Topology
const L3 = OF_TABLE_BASE + STAGE_L3_ROUTE
const NH = OF_TABLE_BASE + STAGE_NEXTHOP
const emit = (l3: 'proactive' | 'reactive'): Flow[] => emitOpenFlow(topology.entries, { tunnelOfport: 100, entryFlow: false, l3 })
const rewrites = (f: Flow): boolean =>
  f.actions.some(a => a.type === 'OFPAT_DEC_NW_TTL' || (a.type === 'OFPAT_SET_FIELD' && (a.field === 'eth_src' || a.field === 'eth_dst')))

t.test('no frame rewrite before the next hop resolves', async t => {
  const flows = emit('proactive')
  const routes = flows.filter(f => f.table === L3 && f.gotoTable === NH && f.match.length > 0)
  t.ok(routes.length >= 6, `${routes.length} route flows`)
  t.same(routes.filter(rewrites).map(renderFlow), [], 'no route flow touches TTL or MACs')
  t.ok(
    routes.every(f => f.actions.some(a => a.type === 'OFPAT_SET_FIELD' && a.field === 'reg3')),
    'every route flow writes the router register',
  )
  const entries = flows.filter(f => f.table === NH && f.gotoTable === OF_TABLE_BASE + STAGE_SNAT && f.match.length > 0) // next hop resolved: on to lr_out_snat
  t.equal(entries.length, 5, 'one next-hop flow per (router port on the network x next hop)')
  for (const f of entries) {
    t.ok(
      f.match.some(m => m.field === 'reg3'),
      'matches the router register',
    )
    t.same(
      f.actions.map(a => (a.type === 'OFPAT_SET_FIELD' ? a.field : a.type)),
      ['OFPAT_DEC_NW_TTL', 'eth_src', 'eth_dst'],
      'TTL, then both MACs',
    )
  }
  const toN200 = entries.find(f => renderFlow(f).includes('reg4=0xa010005'))
  t.match(
    toN200 !== undefined ? renderFlow(toN200) : '',
    /set_field:fa:16:3e:00:00:11->eth_src,set_field:fa:16:3e:00:00:04->eth_dst/,
    'the source MAC is the router port on the out network',
  )
  const punt = flows.find(f => f.table === NH && f.actions.some(a => a.type === 'OFPAT_OUTPUT'))
  t.same(
    parseCookie(punt?.cookie ?? 0n).subject,
    { reason: REASON_PUNT_NEXTHOP_MISS },
    'a routed packet without a next hop is punted as it came in',
  )
  t.notOk(punt !== undefined && rewrites(punt), 'the punt itself rewrites nothing')
})

t.test('reactive mode: no LPM flows, misses punted whole to the slow path', async t => {
  const pro = emit('proactive')
  const re = emit('reactive')
  t.same(re.filter(f => f.table === L3 && f.gotoTable === NH && f.match.length > 0).map(renderFlow), [], 'no route flow')
  const misses = re.filter(f => 'reactiveMiss' in parseCookie(f.cookie).subject)
  t.equal(misses.length, 4, 'one reactive-miss punt per router port and family')
  for (const m of misses) {
    t.equal(m.priority, priorityOf('ROUTE_MISS'), 'below every cached flow, above the table miss')
    t.same(
      m.actions.map(a => a.type),
      ['OFPAT_OUTPUT'],
      'to the controller, nothing rewritten',
    )
  }
  t.notOk(
    re.some(f => f.table === L3 && f.priority === priorityOf('ROUTE_MISS_SILENT')),
    'no silent no-route drop: a later fragment may well have a route',
  )
  t.notOk(
    re.some(
      f =>
        'reason' in parseCookie(f.cookie).subject &&
        (parseCookie(f.cookie).subject as { reason: number }).reason === REASON_PUNT_ICMP_ERROR &&
        f.priority === priorityOf('ROUTE_MISS'),
    ),
    'the route miss is the reactive punt, not the ICMP-error punt',
  )
  const same = (fs: Flow[]): string[] => fs.filter(f => f.table !== L3).map(renderFlow)
  t.same(same(re), same(pro), 'every other table is the same in both modes')
  const routerOnly = (fs: Flow[]): string[] => fs.filter(f => f.table === L3 && f.priority > priorityOf('ROUTE', 128)).map(renderFlow)
  t.same(routerOnly(re), routerOnly(pro), 'router-local, echo and TTL flows are kept')
})

t.test('a reactive flow does what the winning LPM flow does, on one destination', async t => {
  const pro = emit('proactive')
  const q = { router: 1, routerMac: 'fa:16:3e:00:00:10', idleTimeout: 7 }
  const direct = emitReactiveRoute(topology.entries, { ...q, dst: '10.1.0.5' })
  const lpm = pro.find(f => f.table === L3 && renderFlow(f).includes('reg0=100,eth_dst=fa:16:3e:00:00:10,nw_dst=10.1.0.0/24'))
  if (direct === undefined || lpm === undefined) {
    t.fail('flows missing')
    return
  }
  t.same(direct.actions, lpm.actions, 'the same register writes as the /24 flow')
  t.equal(direct.gotoTable, lpm.gotoTable, 'the same next table')
  t.equal(direct.idleTimeout, 7)
  t.equal(direct.priority, priorityOf('ROUTE', 32))
  t.match(
    renderFlow(direct),
    /idle_timeout=7,ip,reg0=100,eth_dst=fa:16:3e:00:00:10,nw_dst=10\.1\.0\.5 actions/,
    'exact match on network, router MAC, eth_type, destination',
  )
  t.same(parseCookie(direct.cookie).subject, { reactive: 1 }, 'cookie: reactive, router key')
  t.ok(isReactiveCookie(direct.cookie))

  const viaDefault = emitReactiveRoute(topology.entries, { ...q, dst: '192.0.2.9' })
  const def = pro.find(f => f.table === L3 && renderFlow(f).includes('reg0=100,eth_dst=fa:16:3e:00:00:10 actions') && f.gotoTable === NH)
  t.same(
    viaDefault?.actions,
    def?.actions,
    "a destination only the default route covers gets the default route's writes (next hop 10.1.0.254)",
  )
  t.equal(
    emitReactiveRoute(topology.entries, { ...q, routerMac: 'fa:16:3e:00:00:99', dst: '10.1.0.5' }),
    undefined,
    'no flow for a MAC that is no port of the router',
  )
  t.equal(emitReactiveRoute(topology.entries, { ...q, router: 2, dst: '10.1.0.5' }), undefined, 'no flow for another router')
  const noDefault = topology.entries.filter(e => !(e.stage === 'route' && e.prefix === '0.0.0.0/0'))
  t.equal(emitReactiveRoute(noDefault, { ...q, dst: '192.0.2.9' }), undefined, 'no route: nothing is cached (the slow path answers)')
  t.throws(
    () => FlowBuilder.forStage(STAGE_L3_ROUTE, { generation: 1 }).idleTimeout(0),
    FlowError,
    'an idle timeout of 0 (never) is refused for a reactive flow',
  )
  t.throws(() => FlowBuilder.forStage(STAGE_L3_ROUTE, { generation: 1 }).idleTimeout(70_000), FlowError, 'beyond the 16-bit field')
})

t.test('cookie marking: reactive flows, their punt and everything else', async t => {
  const reactive = makeCookie({ generation: 9, stage: STAGE_L3_ROUTE, subject: { reactive: 42 } })
  const miss = makeCookie({ generation: 9, stage: STAGE_L3_ROUTE, subject: { reactiveMiss: 42 } })
  const plain = makeCookie({ generation: 9, stage: STAGE_L3_ROUTE, subject: { key: 42 } })
  const punt = makeCookie({ generation: 9, stage: STAGE_L3_ROUTE, subject: { reason: REASON_PUNT_ICMP_ERROR } })
  t.same(parseCookie(reactive), { generation: 9, stage: STAGE_L3_ROUTE, subject: { reactive: 42 } })
  t.same(parseCookie(miss), { generation: 9, stage: STAGE_L3_ROUTE, subject: { reactiveMiss: 42 } })
  t.same(parseCookie(plain).subject, { key: 42 })
  t.same(parseCookie(punt).subject, { reason: REASON_PUNT_ICMP_ERROR })
  const sel = reactiveSelector(STAGE_L3_ROUTE)
  const selected = (c: bigint, s = sel): boolean => (c & s.mask) === s.cookie
  t.ok(selected(reactive), 'the selector takes a reactive flow')
  t.ok(selected(makeCookie({ generation: 1, stage: STAGE_L3_ROUTE, subject: { reactive: 7 } })), 'of any generation and router')
  t.notOk(selected(miss), 'not the reactive-miss punt (it must stay)')
  t.notOk(selected(plain), 'not a proactive flow')
  t.notOk(selected(punt), 'not a punt')
  t.notOk(selected(makeCookie({ generation: 9, stage: STAGE_NEXTHOP, subject: { reactive: 42 } })), "not another stage's")
  t.ok(
    selected(makeCookie({ generation: 9, stage: STAGE_NEXTHOP, subject: { reactive: 42 } }), reactiveSelector()),
    "the all-stage selector (resync) takes any stage's",
  )
  t.notOk(isReactiveCookie(miss) || isReactiveCookie(plain) || isReactiveCookie(punt), 'only cached flows are reactive cookies')
  t.equal(
    reactive & generationMask(),
    plain & generationMask(),
    'the generation sits where it always did (stale-generation cleanup still works)',
  )
  t.throws(() => makeCookie({ generation: 1, stage: 1, subject: { key: 2 ** 38 } }), /out of range/, 'object keys are 38 bits now')
})

t.test('IPv6: the reactive flow matches ipv6_dst exactly and writes the IPv6 next hop like the LPM flow', async t => {
  const entries: Topology['entries'] = [
    { stage: 'router_port', port: 10, router: 1, network: 100, mac: 'fa:16:3e:00:00:10', ips: ['2001:db8:1::1/64'] },
    { stage: 'router_port', port: 11, router: 1, network: 200, mac: 'fa:16:3e:00:00:11', ips: ['2001:db8:2::1/64'] },
    { stage: 'route', router: 1, prefix: '2001:db8:1::/64', port: 10 },
    { stage: 'route', router: 1, prefix: '2001:db8:2::/64', port: 11 },
    { stage: 'route', router: 1, prefix: '2001:db8:2:0:8000::/65', port: 11, nexthop: '2001:db8:2::fe' },
  ]
  const flows = emitOpenFlow(entries, { entryFlow: false })
  const q = { router: 1, routerMac: 'fa:16:3e:00:00:10', idleTimeout: 30 }
  const longer = emitReactiveRoute(entries, { ...q, dst: '2001:db8:2::8000:0:0:5' })
  const lpm65 = flows.find(f => renderFlow(f).includes('eth_dst=fa:16:3e:00:00:10,ipv6_dst=2001:db8:2:0:8000::/65'))
  t.same(longer?.actions, lpm65?.actions, 'the /65 wins over the /64, as the LPM flows would decide')
  t.match(
    longer !== undefined ? renderFlow(longer) : '',
    /ipv6,reg0=100,eth_dst=fa:16:3e:00:00:10,ipv6_dst=2001:db8:2:0:8000::5 actions=.*->xxreg2/,
    'exact ipv6_dst; the next hop goes to xxreg2',
  )
  t.equal(longer?.priority, priorityOf('ROUTE', 128))
  const direct = emitReactiveRoute(entries, { ...q, dst: '2001:db8:2::5' })
  t.match(direct !== undefined ? renderFlow(direct) : '', /move:ipv6_dst->xxreg2/, 'directly connected: the destination is the next hop')
  t.equal(emitReactiveRoute(entries, { ...q, dst: '2001:db8:3::5' }), undefined, 'no route, nothing cached')
})
