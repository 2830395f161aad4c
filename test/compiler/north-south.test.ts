// North-south in the compiler: provider networks and uplinks, admin state, router gateways (with the gateway
// chassis choice and its failover) and floating IPs. After every input the incremental compiler must hold what
// its deltas say and what the full compile of the same objects gives (the oracle).
import t from 'tap'
import { TopologyCompiler, compileTopology, entryKey, type ModelSnapshot } from '../../agent/compiler/index.js'
import type { Entry } from '../../datapath/host/entries.js'
import { TABLES } from '../../model/tables.js'
import type { Chassis, FloatingIp } from '../../model/types.js'
import { chassis, network, port, router, subnet } from './fixtures/model.js'

const MAPPED = { 'dragonflow:bridge-mappings': 'physnet1:br-ex' }
const UPLINK_OFPORT = 99

function floatingIp(id: string, over: Partial<FloatingIp>): FloatingIp {
  return {
    id,
    project_id: 'p1',
    description: '',
    tags: [],
    created_at: '',
    updated_at: '',
    floating_ip_address: '203.0.113.50',
    floating_network_id: 'ext',
    port_id: null,
    fixed_ip_address: null,
    router_id: 'r1',
    status: 'DOWN',
    floating_port_id: 'fp1',
    ...over,
  }
}

/** ext (flat, physnet1) --gw-- r1 -- n1 (vxlan: web here, db on ch2); pv (VLAN 100 on physnet1: pvl here, pvr on ch2). */
function objects(): Map<string, { table: string; value: { id: string } }> {
  const list: [string, { id: string }][] = [
    [TABLES.chassis, chassis('ch1', '192.168.100.1', { external_ids: MAPPED })],
    [TABLES.chassis, chassis('ch2', '192.168.100.2', { external_ids: MAPPED })],
    [TABLES.chassis, chassis('ch3', '192.168.100.3')],
    [TABLES.networks, network('n1', 1)],
    [
      TABLES.networks,
      network('ext', 9, {
        'router:external': true,
        'provider:network_type': 'flat',
        'provider:physical_network': 'physnet1',
        'provider:segmentation_id': null,
      }),
    ],
    [
      TABLES.networks,
      network('pv', 5, { 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet1', 'provider:segmentation_id': 100 }),
    ],
    [TABLES.subnets, subnet('s1', 'n1', '10.0.0.0/24')],
    [TABLES.subnets, subnet('sext', 'ext', '203.0.113.0/24', { enable_dhcp: false })],
    [TABLES.subnets, subnet('sext6', 'ext', '2001:db8:ff::/64')],
    [TABLES.subnets, subnet('spv', 'pv', '10.5.0.0/24')],
    [
      TABLES.ports,
      port('web', 1, { network_id: 'n1', fixed_ips: [{ subnet_id: 's1', ip_address: '10.0.0.5' }], 'binding:host_id': 'ch1' }),
    ],
    [TABLES.ports, port('db', 2, { network_id: 'n1', fixed_ips: [{ subnet_id: 's1', ip_address: '10.0.0.6' }], 'binding:host_id': 'ch2' })],
    [
      TABLES.ports,
      port('rp1', 10, {
        network_id: 'n1',
        fixed_ips: [{ subnet_id: 's1', ip_address: '10.0.0.1' }],
        device_owner: 'network:router_interface',
        device_id: 'r1',
        port_security_enabled: false,
      }),
    ],
    [
      TABLES.ports,
      port('gw1', 40, {
        network_id: 'ext',
        device_owner: 'network:router_gateway',
        device_id: 'r1',
        port_security_enabled: false,
        fixed_ips: [
          { subnet_id: 'sext', ip_address: '203.0.113.10' },
          { subnet_id: 'sext6', ip_address: '2001:db8:ff::10' },
        ],
      }),
    ],
    [
      TABLES.ports,
      port('fp1', 50, {
        network_id: 'ext',
        device_owner: 'network:floatingip',
        device_id: 'fip1',
        fixed_ips: [{ subnet_id: 'sext', ip_address: '203.0.113.50' }],
      }),
    ],
    [
      TABLES.ports,
      port('fp2', 51, {
        network_id: 'ext',
        device_owner: 'network:floatingip',
        device_id: 'fip2',
        fixed_ips: [{ subnet_id: 'sext', ip_address: '203.0.113.51' }],
      }),
    ],
    [
      TABLES.ports,
      port('pvl', 60, { network_id: 'pv', fixed_ips: [{ subnet_id: 'spv', ip_address: '10.5.0.5' }], 'binding:host_id': 'ch1' }),
    ],
    [
      TABLES.ports,
      port('pvr', 61, { network_id: 'pv', fixed_ips: [{ subnet_id: 'spv', ip_address: '10.5.0.6' }], 'binding:host_id': 'ch2' }),
    ],
    [
      TABLES.routers,
      router('r1', 1, {
        interfaces: [{ port_id: 'rp1', subnet_id: 's1', network_id: 'n1' }],
        gw_port_id: 'gw1',
        external_gateway_info: {
          network_id: 'ext',
          enable_snat: true,
          external_fixed_ips: [{ subnet_id: 'sext', ip_address: '203.0.113.10' }],
        },
      }),
    ],
    [TABLES.floatingips, floatingIp('fip1', { port_id: 'web', fixed_ip_address: '10.0.0.5' })],
    [
      TABLES.floatingips,
      floatingIp('fip2', { floating_ip_address: '203.0.113.51', floating_port_id: 'fp2', port_id: 'db', fixed_ip_address: '10.0.0.6' }),
    ],
  ]
  return new Map(list.map(([table, value]) => [`${table}/${value.id}`, { table, value }]))
}

const keys = (es: Entry[]): string[] => es.map(entryKey).sort()

/** A compiler fed change by change, the objects it was fed (for the full compile) and the union of its deltas. */
class Harness {
  readonly objects = new Map<string, { table: string; value: { id: string } }>()
  private readonly versions = new Map<string, number>()
  readonly bindings = new Map<string, number>()
  readonly uplinks = new Map<string, number>()
  readonly compiler: TopologyCompiler
  private readonly self: { chassisId: string; chassisTunnelIp?: string }
  private readonly installed = new Map<string, Entry>()
  constructor(
    readonly chassisId: string,
    from = objects(),
    bind: Record<string, number> = { web: 1, pvl: 6 },
    uplinks: Record<string, number> = { physnet1: UPLINK_OFPORT },
  ) {
    const tunnelIp = (from.get(`chassis/${chassisId}`)?.value as Chassis | undefined)?.tunnel_ip
    this.self = tunnelIp === undefined ? { chassisId } : { chassisId, chassisTunnelIp: tunnelIp }
    this.compiler = new TopologyCompiler(this.self)
    for (const [p, o] of Object.entries(uplinks)) this.uplink(p, o)
    for (const [id, ofport] of Object.entries(bind)) this.bind(id, ofport)
    for (const { table, value } of from.values()) this.put(table, value)
  }
  private apply(d: { added: Entry[]; removed: Entry[] }): { added: Entry[]; removed: Entry[] } {
    for (const e of d.removed) this.installed.delete(entryKey(e))
    for (const e of d.added) this.installed.set(entryKey(e), e)
    return d
  }
  put<T extends { id: string }>(table: string, value: T): { added: Entry[]; removed: Entry[] } {
    const key = `${table}/${value.id}`
    const version = (this.versions.get(key) ?? 0) + 1
    this.versions.set(key, version)
    this.objects.set(key, { table, value })
    return this.apply(
      this.compiler.applyChange({ table, id: value.id, version, action: version === 1 ? 'create' : 'update', topics: [], value }),
    )
  }
  del(table: string, id: string): { added: Entry[]; removed: Entry[] } {
    const key = `${table}/${id}`
    this.objects.delete(key)
    const version = this.versions.get(key) ?? 1
    this.versions.delete(key)
    return this.apply(this.compiler.applyChange({ table, id, version, action: 'delete', topics: [] }))
  }
  get<T>(table: string, id: string): T {
    return this.objects.get(`${table}/${id}`)?.value as T
  }
  bind(portId: string, ofport: number | undefined): { added: Entry[]; removed: Entry[] } {
    if (ofport === undefined) this.bindings.delete(portId)
    else this.bindings.set(portId, ofport)
    return this.apply(this.compiler.bindLocal(portId, ofport))
  }
  uplink(physnet: string, ofport: number | undefined): { added: Entry[]; removed: Entry[] } {
    if (ofport === undefined) this.uplinks.delete(physnet)
    else this.uplinks.set(physnet, ofport)
    return this.apply(this.compiler.bindUplink(physnet, ofport))
  }
  snapshot(): ModelSnapshot {
    const of = <T>(table: string): T[] => [...this.objects.values()].filter(o => o.table === table).map(o => o.value as unknown as T)
    return {
      networks: of(TABLES.networks),
      subnets: of(TABLES.subnets),
      ports: of(TABLES.ports),
      routers: of(TABLES.routers),
      chassis: of(TABLES.chassis),
      floatingips: of(TABLES.floatingips),
      bindings: new Map(this.bindings),
      uplinks: new Map(this.uplinks),
    }
  }
  full(): ReturnType<typeof compileTopology> {
    return compileTopology(this.snapshot(), this.self)
  }
  /** incremental == its deltas == the full compile; problems too */
  check(t: Tap, what: string): Entry[] {
    const entries = this.compiler.entries()
    const full = this.full()
    t.same(keys(entries), keys(full.entries), `${what}: incremental == full compile`)
    t.same(keys([...this.installed.values()]), keys(entries), `${what}: the deltas add up to the entries`)
    t.same(
      this.compiler
        .problems()
        .map(p => `${p.code} ${p.object}`)
        .sort(),
      full.problems.map(p => `${p.code} ${p.object}`).sort(),
      `${what}: same problems`,
    )
    return entries
  }
}
type Tap = { same: (a: unknown, b: unknown, m: string) => unknown }

const has = (es: Entry[], e: Entry): boolean => es.some(x => entryKey(x) === entryKey(e))
const stage = <S extends Entry['stage']>(es: Entry[], s: S): Extract<Entry, { stage: S }>[] =>
  es.filter((e): e is Extract<Entry, { stage: S }> => e.stage === s)

t.test('provider networks: an uplink instead of a tunnel key, remote ports through the uplink', async t => {
  const h = new Harness('ch1')
  const es = h.check(t, 'loaded')
  t.ok(has(es, { stage: 'uplink', network: 5, ofport: UPLINK_OFPORT, vlan: 100 }), 'VLAN network: uplink with its VID')
  t.ok(has(es, { stage: 'uplink', network: 9, ofport: UPLINK_OFPORT }), 'flat network: untagged uplink')
  t.notOk(
    stage(es, 'uplink').some(e => e.network === 9 && e.vlan !== undefined),
    'no VLAN on a flat uplink',
  )
  t.notOk(
    stage(es, 'classify').some(e => 'tunnel_key' in e && (e.network === 5 || e.network === 9)),
    'no tunnel key for provider networks',
  )
  t.ok(has(es, { stage: 'classify', tunnel_key: 1, network: 1 }), 'the vxlan network keeps its tunnel key')
  t.ok(has(es, { stage: 'egress', port: 61, uplink: true }), 'remote port of the VLAN network: egress uplink')
  t.notOk(
    stage(es, 'egress').some(e => e.port === 61 && e.remote !== undefined),
    'not a tunnel',
  )
  t.ok(has(es, { stage: 'egress', port: 2, remote: '192.168.100.2' }), 'remote port of the vxlan network: still a tunnel')
  t.ok(has(es, { stage: 'egress', port: 60, local: 6 }), 'local port on the provider network: local')
  t.same(h.compiler.problems(), [])

  const gone = h.uplink('physnet1', undefined)
  t.same(
    keys(gone.removed),
    keys([
      { stage: 'uplink', network: 5, ofport: UPLINK_OFPORT, vlan: 100 },
      { stage: 'uplink', network: 9, ofport: UPLINK_OFPORT },
    ]),
    'unbinding the uplink removes exactly the uplink rows',
  )
  t.same(gone.added, [])
  const es2 = h.check(t, 'no uplink')
  t.ok(
    has(es2, { stage: 'egress', port: 61, uplink: true }),
    'without an uplink remote ports still say uplink (the datapath drops egress_no_port)',
  )
  t.same(
    h.compiler
      .problems()
      .filter(p => p.code === 'no_uplink')
      .map(p => p.object)
      .sort(),
    ['networks/ext', 'networks/pv'],
  )
  t.match(
    h.compiler.problems().find(p => p.object === 'networks/pv'),
    { detail: /physnet1/ },
    'the problem names the physnet',
  )
  h.uplink('physnet1', 7)
  t.ok(has(h.check(t, 'uplink on another ofport'), { stage: 'uplink', network: 5, ofport: 7, vlan: 100 }))
  t.same(h.compiler.problems(), [])
})

t.test('admin state: a port or network down compiles to nothing, up again gives back exactly the entries', async t => {
  const h = new Harness('ch1')
  const before = keys(h.check(t, 'up'))
  const web = h.get<ReturnType<typeof port>>(TABLES.ports, 'web')
  const down = h.put(TABLES.ports, { ...web, admin_state_up: false })
  t.same(down.added, [], 'nothing added')
  const removedStages = new Set(down.removed.map(e => e.stage))
  for (const s of ['classify', 'egress', 'l2', 'arp_nd', 'nexthop', 'dhcp', 'port_sec', 'acl_port', 'nat'] as const)
    t.ok(removedStages.has(s), `port down: its ${s} goes`)
  const es = h.check(t, 'web down')
  t.notOk(
    es.some(e => ('port' in e && e.port === 1 && e.stage !== 'route') || ('mac' in e && e.mac === web.mac_address)),
    'nothing of web is left',
  )
  h.put(TABLES.ports, { ...web, admin_state_up: true })
  t.same(keys(h.check(t, 'web up')), before, 'up again: exactly the entries of before')

  // the port bound elsewhere is gone on this chassis too
  const db = h.get<ReturnType<typeof port>>(TABLES.ports, 'db')
  const dbDown = h.put(TABLES.ports, { ...db, admin_state_up: false })
  t.ok(
    dbDown.removed.some(e => e.stage === 'egress' && e.port === 2),
    'a remote port down: its egress goes',
  )
  h.put(TABLES.ports, { ...db, admin_state_up: true })

  const pv = h.get<ReturnType<typeof network>>(TABLES.networks, 'pv')
  h.put(TABLES.networks, { ...pv, admin_state_up: false })
  const es2 = h.check(t, 'network pv down')
  t.notOk(
    es2.some(e => 'network' in e && e.network === 5),
    'no entry of the network',
  )
  t.notOk(
    es2.some(e => 'port' in e && (e.port === 60 || e.port === 61)),
    'none of its ports',
  )
  h.put(TABLES.networks, { ...pv, admin_state_up: true })
  t.same(keys(h.check(t, 'network pv up')), before, 'network up again: exactly the entries of before')

  const n1 = h.get<ReturnType<typeof network>>(TABLES.networks, 'n1')
  h.put(TABLES.networks, { ...n1, admin_state_up: false })
  const es3 = h.check(t, 'network n1 down')
  t.notOk(
    es3.some(e => e.stage === 'classify' && 'tunnel_key' in e && e.tunnel_key === 1),
    'no tunnel key',
  )
  t.notOk(
    stage(es3, 'router_port').some(e => e.network === 1),
    'the router interface on it is down too',
  )
  t.same(stage(es3, 'nat'), [], 'the floating IP of a port on a down network is not translated')
  h.put(TABLES.networks, { ...n1, admin_state_up: true })
  t.same(keys(h.check(t, 'network n1 up')), before)
})

t.test('router gateway: router port, routes, one gateway chassis', async t => {
  const local: Record<string, boolean> = {}
  for (const ch of ['ch1', 'ch2', 'ch3']) {
    const h = new Harness(ch, objects(), ch === 'ch1' ? { web: 1, pvl: 6 } : ch === 'ch2' ? { db: 1, pvr: 6 } : {})
    if (ch === 'ch3') h.bind('web', 1) // ch3 advertises no physnet: it follows r1 but can never be its gateway chassis
    const es = h.check(t, ch)
    const gws = stage(es, 'router_gateway')
    t.equal(gws.length, 1, `${ch}: one router_gateway`)
    t.match(gws[0], { router: 1, port: 40, snat: true })
    local[ch] = gws[0]?.local === true
    t.ok(
      has(es, {
        stage: 'router_port',
        port: 40,
        router: 1,
        network: 9,
        mac: 'fa:16:3e:00:00:28',
        ips: ['203.0.113.10/24', '2001:db8:ff::10/64'],
      }),
      `${ch}: gateway router port`,
    )
    t.ok(has(es, { stage: 'route', router: 1, prefix: '203.0.113.0/24', port: 40 }), `${ch}: direct route to the external subnet`)
    t.ok(has(es, { stage: 'route', router: 1, prefix: '2001:db8:ff::/64', port: 40 }), `${ch}: and to the IPv6 one`)
    t.ok(
      has(es, { stage: 'route', router: 1, prefix: '0.0.0.0/0', port: 40, nexthop: '203.0.113.1' }),
      `${ch}: default route via the external gateway`,
    )
    t.ok(has(es, { stage: 'route', router: 1, prefix: '::/0', port: 40, nexthop: '2001:db8:ff::1' }), `${ch}: IPv6 default route`)
    const gwArp = has(es, { stage: 'arp_nd', network: 9, ip: '203.0.113.10', mac: 'fa:16:3e:00:00:28' })
    const gwL2 = has(es, { stage: 'l2', network: 9, mac: 'fa:16:3e:00:00:28', port: 40 })
    t.equal(gwArp, local[ch], `${ch}: answers ARP for the gateway IP only if it is the gateway chassis`)
    t.equal(gwL2, local[ch], `${ch}: l2 for the gateway MAC only there`)
    t.ok(
      has(es, { stage: 'router_port', port: 10, router: 1, network: 1, mac: 'fa:16:3e:00:00:0a', ips: ['10.0.0.1/24'] }),
      `${ch}: routing from inside still enters r1`,
    )
    t.ok(h.compiler.followed().has('networks/ext'), `${ch}: the gateway pulls in the external network`)
  }
  t.equal(Object.values(local).filter(Boolean).length, 1, 'exactly one gateway chassis')
  t.equal(local.ch3, false, 'never a chassis without the physnet')
})

t.test('router gateway: failover when the gateway chassis row goes, back when it returns', async t => {
  const h1 = new Harness('ch1')
  const h2 = new Harness('ch2', objects(), { db: 1 })
  const localOf = (h: Harness): boolean | undefined => stage(h.compiler.entries(), 'router_gateway')[0]?.local
  const winner = localOf(h1) === true ? 'ch1' : 'ch2'
  const loser = winner === 'ch1' ? h2 : h1
  t.equal(localOf(loser), false)
  const row = h1.get<Chassis>(TABLES.chassis, winner)
  for (const h of [h1, h2]) h.del(TABLES.chassis, winner)
  t.equal(localOf(loser), true, 'the other chassis takes over')
  loser.check(t, 'after failover')
  t.ok(has(loser.compiler.entries(), { stage: 'arp_nd', network: 9, ip: '203.0.113.10', mac: 'fa:16:3e:00:00:28' }), 'and answers ARP now')
  for (const h of [h1, h2]) h.put(TABLES.chassis, row)
  t.equal(localOf(loser), false, 'the winner is back')
  loser.check(t, 'winner back')
  // a chassis that stops advertising the physnet is no candidate; a change of updated_at moves nothing
  const touch = loser.put(TABLES.chassis, { ...row, updated_at: 'later' })
  t.same(touch, { added: [], removed: [] }, 'a chassis row touched: no delta')
  loser.put(TABLES.chassis, { ...row, external_ids: {} })
  t.equal(localOf(loser), true, 'the winner without the mapping is no candidate')
  loser.check(t, 'winner unmapped')
})

t.test(
  'router gateway: the gateway chassis follows the router with no port of its own; elsewhere traffic without a floating IP is redirected to it',
  async t => {
    // who wins with web on ch1 and db on ch2? the test reads the choice, then asks the loser for the redirect
    const h1 = new Harness('ch1')
    const h2 = new Harness('ch2', objects(), { db: 1 })
    const winner = stage(h1.compiler.entries(), 'router_gateway')[0]?.local === true ? 'ch1' : 'ch2'
    const loser = winner === 'ch1' ? h2 : h1
    const tunnelOf = (ch: string): string => (objects().get(`chassis/${ch}`)?.value as Chassis).tunnel_ip
    t.match(
      stage(loser.compiler.entries(), 'router_gateway')[0],
      { local: false, snat: true, redirect: tunnelOf(winner) },
      "not the gateway chassis: traffic without a floating IP is redirected to the winner's tunnel endpoint",
    )
    loser.check(t, 'loser')
    // the winner with none of its ports plugged still follows r1, n1 and ext
    const bare = new Harness(winner, objects(), {})
    const es = bare.check(t, 'gateway chassis without local ports')
    t.match(stage(es, 'router_gateway')[0], { local: true, snat: true }, 'the gateway chassis compiles r1 with no local port')
    t.notOk('redirect' in (stage(es, 'router_gateway')[0] ?? {}), 'and redirects nothing')
    t.ok(bare.compiler.followed().has('routers/r1') && bare.compiler.followed().has('networks/n1'), 'it follows r1 and its inside network')
    t.ok(
      stage(es, 'egress').some(e => e.port === (winner === 'ch1' ? 2 : 1) && e.remote !== undefined),
      'and reaches inside ports on other chassis through the tunnel',
    )
    // SNAT off: still redirected (only floating IPs leave the gateway port off the gateway chassis)
    const r1 = loser.get<{ id: string; external_gateway_info: Record<string, unknown> }>(TABLES.routers, 'r1')
    loser.put(TABLES.routers, { ...r1, external_gateway_info: { ...r1.external_gateway_info, enable_snat: false } })
    t.match(
      stage(loser.compiler.entries(), 'router_gateway')[0],
      { snat: false, redirect: tunnelOf(winner) },
      'SNAT off: redirected all the same',
    )
    loser.check(t, 'snat off')
    // the winner's row goes: the loser becomes the gateway chassis and redirects nothing
    loser.put(TABLES.routers, r1)
    loser.del(TABLES.chassis, winner)
    t.match(stage(loser.compiler.entries(), 'router_gateway')[0], { local: true }, 'the other chassis takes over')
    loser.check(t, 'takeover')
  },
)

t.test('router gateway: enable_snat, a gateway set and cleared, parked without its port', async t => {
  const h = new Harness('ch1')
  const r1 = h.get<ReturnType<typeof router>>(TABLES.routers, 'r1')
  const before = keys(h.check(t, 'loaded'))
  h.put(TABLES.routers, { ...r1, external_gateway_info: { network_id: 'ext', enable_snat: false, external_fixed_ips: [] } })
  t.match(stage(h.check(t, 'snat off'), 'router_gateway'), [{ snat: false }])
  h.put(TABLES.routers, { ...r1, external_gateway_info: null, gw_port_id: null })
  const es = h.check(t, 'no gateway')
  t.same(stage(es, 'router_gateway'), [])
  t.notOk(
    stage(es, 'route').some(e => e.port === 40),
    'no route out of the gateway',
  )
  t.notOk(h.compiler.followed().has('networks/ext'), 'the external network is no longer followed')
  t.ok(
    h.compiler.problems().some(p => p.code === 'parked' && p.object === 'floatingips/fip1' && /gateway/.test(p.detail)),
    'a floating IP of a router without gateway is parked',
  )
  t.same(stage(es, 'nat'), [])
  h.put(TABLES.routers, r1)
  t.same(keys(h.check(t, 'gateway back')), before)
  // the gateway port found by device_id when gw_port_id is not set; parked while it is missing
  h.put(TABLES.routers, { ...r1, gw_port_id: null })
  t.same(keys(h.check(t, 'gateway port by device_id')), before)
  h.del(TABLES.ports, 'gw1')
  t.ok(
    h.compiler.problems().some(p => p.code === 'parked' && p.object === 'routers/r1'),
    'gateway waits for its port',
  )
  t.same(stage(h.check(t, 'no gateway port'), 'router_gateway'), [])
  h.put(TABLES.ports, objects().get('ports/gw1')?.value as { id: string })
  t.same(keys(h.check(t, 'gateway port back')), before)
})

t.test('floating IPs: nat and arp_nd only where the port is plugged; disassociate, re-associate, move', async t => {
  const h1 = new Harness('ch1')
  const h2 = new Harness('ch2', objects(), { db: 1, pvr: 6 })
  const nat1: Entry = {
    stage: 'nat',
    router: 1,
    network: 9,
    gateway_port: 40,
    mac: 'fa:16:3e:00:00:32',
    external_ip: '203.0.113.50',
    internal_ip: '10.0.0.5',
  }
  const arp1: Entry = { stage: 'arp_nd', network: 9, ip: '203.0.113.50', mac: 'fa:16:3e:00:00:32' }
  const nat2: Entry = {
    stage: 'nat',
    router: 1,
    network: 9,
    gateway_port: 40,
    mac: 'fa:16:3e:00:00:33',
    external_ip: '203.0.113.51',
    internal_ip: '10.0.0.6',
  }
  const es1 = h1.check(t, 'ch1')
  const es2 = h2.check(t, 'ch2')
  t.same(keys(stage(es1, 'nat')), keys([nat1]), 'ch1 translates only the floating IP of its own port')
  t.ok(has(es1, arp1), 'and answers ARP for it')
  t.notOk(
    es1.some(e => e.stage === 'arp_nd' && e.ip === '203.0.113.51'),
    'not for the floating IP of a port elsewhere',
  )
  t.same(keys(stage(es2, 'nat')), keys([nat2]))
  t.ok(h1.compiler.followed().has('floatingips/fip1'))
  t.notOk(h1.compiler.followed().has('floatingips/fip2'))

  const fip1 = h1.get<FloatingIp>(TABLES.floatingips, 'fip1')
  const off = h1.put(TABLES.floatingips, { ...fip1, port_id: null, fixed_ip_address: null })
  t.same(keys(off.removed), keys([nat1, arp1]), 'disassociate: both go at once')
  t.same(off.added, [])
  h1.check(t, 'disassociated')
  t.same(h1.compiler.problems(), [], 'an unassociated floating IP is no problem')
  const on = h1.put(TABLES.floatingips, fip1)
  t.same(keys(on.added), keys([nat1, arp1]), 're-associate: both come back at once')
  // moved to the port on ch2: leaves ch1, arrives on ch2
  const moved = { ...fip1, port_id: 'db', fixed_ip_address: '10.0.0.6' }
  t.same(keys(h1.put(TABLES.floatingips, moved).removed), keys([nat1, arp1]), 'moved away from ch1')
  const arrived = h2.put(TABLES.floatingips, moved)
  t.same(keys(arrived.added), keys([{ ...nat1, internal_ip: '10.0.0.6' }, arp1]), 'arrives on ch2')
  h1.check(t, 'moved, ch1')
  h2.check(t, 'moved, ch2')
  // unplugging the port takes its NAT with it; plugging brings it back
  t.ok(
    h2.bind('db', undefined).removed.some(e => e.stage === 'nat'),
    'unplugged: nat goes',
  )
  h2.check(t, 'db unplugged')
  t.ok(
    h2.bind('db', 1).added.some(e => e.stage === 'nat'),
    'plugged: nat back',
  )
  h2.check(t, 'db plugged')
  // the floating IP port's own address is not answered by its port unit anywhere
  t.notOk(
    h2.compiler.entries().some(e => e.stage === 'arp_nd' && e.ip === '203.0.113.51' && e.mac === 'fa:16:3e:00:00:33' && !has(es2, e)),
    'no stray arp_nd',
  )
})

t.test('floating IPs and gateways: arrival in any order ends in the full compile', async t => {
  // objects in reverse order: everything parks first, then resolves
  const all = [...objects().values()].reverse()
  const h = new Harness('ch1', new Map())
  for (const { table, value } of all) h.put(table, value)
  h.check(t, 'reverse order')
  t.same(h.compiler.problems(), [])
  t.equal(stage(h.compiler.entries(), 'nat').length, 1)
})

t.test('datapath: the compiled entries carry a floating IP out and in, and answer ARP for it from the uplink', async t => {
  const { createDatapath } = await import('../../datapath/host/index.js')
  const { ipv4, mac } = await import('../../datapath/host/addresses.js')
  const { arp, buildFrame, echo4, ethernet, ip4 } = await import('../../datapath/host/packet-builder.js')
  const { decodeFrame } = await import('../../datapath/host/packet-decoder.js')
  const h = new Harness('ch1')
  // no security group here (a port with port security and no group allows nothing out)
  h.put(TABLES.ports, { ...h.get<ReturnType<typeof port>>(TABLES.ports, 'web'), port_security_enabled: false })
  const dp = await createDatapath()
  // the upstream gateway's MAC, as the slow path would have learned it
  const upstream = 'fa:16:3e:99:00:01'
  dp.load({ entries: [...h.check(t, 'loaded'), { stage: 'nexthop', network: 9, ip: '203.0.113.1', mac: upstream }] })
  const web = h.get<ReturnType<typeof port>>(TABLES.ports, 'web')
  const out = buildFrame([
    ethernet({ src: mac(web.mac_address), dst: mac('fa:16:3e:00:00:0a') }),
    ip4({ src: ipv4('10.0.0.5'), dst: ipv4('198.51.100.7'), ttl: 64 }),
    echo4({ id: 1, seq: 1 }),
  ])
  const [sent] = dp.process([{ in_port: 1, data: out }])
  // the upstream MAC is in no l2 entry (it is outside the cloud): flooded on the external network, which the
  // target sends out of the uplink (BEHAVIOUR.md "Uplinks")
  t.match(sent, { action: 'flood' }, 'routed out of the gateway onto the external network')
  t.match(
    decodeFrame(sent!.packet),
    { ip_src: '203.0.113.50', ip_dst: '198.51.100.7', eth_src: 'fa:16:3e:00:00:32', eth_dst: upstream, ttl: 63 },
    'source translated to the floating IP and its MAC',
  )
  const reply = buildFrame([
    ethernet({ src: mac(upstream), dst: mac('fa:16:3e:00:00:32') }),
    ip4({ src: ipv4('198.51.100.7'), dst: ipv4('203.0.113.50'), ttl: 60 }),
    echo4({ id: 1, seq: 1, reply: true }),
  ])
  const [back] = dp.process([{ in_port: UPLINK_OFPORT, data: reply }])
  t.match(back, { action: 'output', ofport: 1 }, 'the reply to the floating IP reaches web')
  t.match(decodeFrame(back!.packet), { ip_dst: '10.0.0.5', eth_dst: web.mac_address })
  const who = buildFrame([
    ethernet({ src: mac(upstream), dst: mac('ff:ff:ff:ff:ff:ff') }),
    arp({ op: 1, sha: mac(upstream), spa: ipv4('203.0.113.1'), tpa: ipv4('203.0.113.50') }),
  ])
  const [answer] = dp.process([{ in_port: UPLINK_OFPORT, data: who }])
  t.match(answer, { action: 'in_port', ofport: UPLINK_OFPORT }, 'ARP for the floating IP from the physical network: answered here')
  t.match(decodeFrame(answer!.packet), { arp_op: 2, arp_sha: 'fa:16:3e:00:00:32', arp_spa: '203.0.113.50' })
})
