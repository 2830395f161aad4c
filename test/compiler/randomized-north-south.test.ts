// The incremental contract under random north-south inputs (seeded, so a failure replays): provider (flat,
// VLAN) and tunnelled networks, admin state up and down, routers with and without external gateways, gateway
// ports, floating IPs associated, moved and cleared, chassis advertising physical networks or not, uplinks
// bound and unbound, ports plugged and unplugged, all delivered out of order, with resyncs. After every step:
// the union of the deltas == entries() == the full compile of what the version rules say is held, with the
// same problems; at the end the datapath accepts every entry.
import t from 'tap'
import { TopologyCompiler, compileTopology, entryKey } from '../../agent/compiler/index.js'
import type { Entry } from '../../datapath/host/entries.js'
import { createDatapath } from '../../datapath/host/index.js'
import { TABLES } from '../../model/tables.js'
import type { Chassis, FloatingIp, Network, Port, Router, Subnet } from '../../model/types.js'
import type { Change } from '../../store/types.js'
import { ChangeSource, Expected, rng } from './randomized-kit.js'
import { chassis, network, port, router, subnet } from './fixtures/model.js'

/** networks 0..1 internal (vxlan), 2..3 external candidates (flat, VLAN or vxlan), ports spread over all */
const NETS = 4,
  PORTS = 12,
  ROUTERS = 3,
  CHASSIS = 3,
  FIPS = 4
const PHYSNETS = ['physnet1', 'physnet2']
const SELF = { chassisId: 'c0', chassisTunnelIp: '192.0.2.100' }

class Generator extends ChangeSource {
  subnetId(net: number): string {
    return `s${net}`
  }
  address(net: number, host: number): string {
    return `10.${net}.0.${host}`
  }

  network(i: number): Network {
    const kind = i < 2 ? 'vxlan' : this.pick(['flat', 'vlan', 'vxlan'])
    return network(`n${i}`, i + 1, {
      admin_state_up: this.chance(0.85),
      'router:external': i >= 2,
      'provider:network_type': kind,
      'provider:physical_network': kind === 'vxlan' ? null : this.pick(PHYSNETS),
      'provider:segmentation_id': kind === 'flat' ? null : 100 + i,
    })
  }

  subnet(net: number): Subnet {
    return subnet(this.subnetId(net), `n${net}`, `10.${net}.0.0/24`, { gateway_ip: this.chance(0.8) ? this.address(net, 1) : null })
  }

  port(i: number): Port {
    const net = i % NETS
    const owner =
      net >= 2
        ? this.pick(['compute:nova', 'network:router_gateway', 'network:floatingip'])
        : this.pick(['compute:nova', 'compute:nova', 'network:router_interface'])
    return port(`p${i}`, 100 + i, {
      network_id: `n${net}`,
      admin_state_up: this.chance(0.85),
      fixed_ips: this.chance(0.9) ? [{ subnet_id: this.subnetId(net), ip_address: this.address(net, 10 + i) }] : [],
      device_owner: owner,
      device_id: owner === 'network:router_gateway' ? `r${this.int(ROUTERS)}` : '',
      'binding:host_id': this.pick(['', 'c0', 'c1', 'host-c2']),
    })
  }

  router(i: number): Router {
    const interfaces = Array.from({ length: PORTS }, (_, k) => k)
      .filter(k => k % NETS < 2 && this.chance(0.3))
      .map(k => ({ port_id: `p${k}`, subnet_id: this.subnetId(k % NETS), network_id: `n${k % NETS}` }))
    const ext = 2 + this.int(2)
    const gwPort = Array.from({ length: PORTS }, (_, k) => k).filter(k => k % NETS === ext)
    const gateway = this.chance(0.7)
    return router(`r${i}`, 1 + i, {
      interfaces,
      external_gateway_info: gateway ? { network_id: `n${ext}`, enable_snat: this.chance(0.7), external_fixed_ips: [] } : null,
      gw_port_id: gateway && this.chance(0.5) ? `p${this.pick(gwPort)}` : null,
    })
  }

  chassis(i: number): Chassis {
    const mapped = PHYSNETS.filter(() => this.chance(0.5))
    return chassis(`c${i}`, `192.0.2.${i + 1}`, {
      hostname: `host-c${i}`,
      updated_at: String(this.int(3)),
      external_ids: mapped.length > 0 ? { 'dragonflow:bridge-mappings': mapped.map(p => `${p}:br-${p}`).join(',') } : {},
    })
  }

  floatingIp(i: number): FloatingIp {
    const ext = 2 + this.int(2)
    const target = this.chance(0.7) ? this.int(PORTS) : undefined
    return {
      id: `f${i}`,
      project_id: 'p1',
      description: '',
      tags: [],
      created_at: '',
      updated_at: '',
      status: 'DOWN',
      floating_ip_address: this.address(ext, 200 + i),
      floating_network_id: `n${ext}`,
      port_id: target === undefined ? null : `p${target}`,
      fixed_ip_address: target === undefined ? null : this.address(target % NETS, 10 + target),
      router_id: this.chance(0.9) ? `r${this.int(ROUTERS)}` : null,
      floating_port_id: `p${ext + NETS * this.int(PORTS / NETS)}`,
    }
  }

  change(): Change {
    const [table, id, make] = ((): [string, string, () => { id: string }] => {
      switch (this.int(6)) {
        case 0: {
          const i = this.int(NETS)
          return [TABLES.networks, `n${i}`, () => this.network(i)]
        }
        case 1: {
          const n = this.int(NETS)
          return [TABLES.subnets, this.subnetId(n), () => this.subnet(n)]
        }
        case 2: {
          const i = this.int(PORTS)
          return [TABLES.ports, `p${i}`, () => this.port(i)]
        }
        case 3: {
          const i = this.int(ROUTERS)
          return [TABLES.routers, `r${i}`, () => this.router(i)]
        }
        case 4: {
          const i = this.int(CHASSIS)
          return [TABLES.chassis, `c${i}`, () => this.chassis(i)]
        }
        default: {
          const i = this.int(FIPS)
          return [TABLES.floatingips, `f${i}`, () => this.floatingIp(i)]
        }
      }
    })()
    return this.versioned(table, id, make)
  }
}

const sortedKeys = (entries: Iterable<Entry>): string[] => [...entries].map(entryKey).sort()
const problemKeys = (ps: { code: string; object: string; detail: string }[]): string[] =>
  ps.map(p => `${p.code} ${p.object} ${p.detail}`).sort()

/** what the runs compiled, over all seeds: the inputs must reach every north-south entry kind */
const seenAll = new Set<string>()

for (const seed of [11, 12, 13, 14, 15, 16]) {
  t.test(`seed ${seed}: north-south, incremental == full recompute after every step`, async t => {
    const g = new Generator(rng(seed))
    const compiler = new TopologyCompiler(SELF)
    const expected = new Expected()
    const installed = new Map<string, Entry>()
    const pending: Change[] = []
    const seen = new Set<string>()
    let failures = 0
    for (let step = 0; step < 700 && failures === 0; step++) {
      let what: string
      let delta
      const roll = g.int(20)
      if (roll === 19 && g.chance(0.2)) {
        const objects = [...g.store.values()]
        what = `resync (${objects.length} objects)`
        expected.resync(objects)
        delta = compiler.resync(objects)
      } else if (roll < 3) {
        const i = g.int(PORTS)
        const ofport = g.chance(0.7) ? 1 + i : undefined
        what = `bindLocal p${i} ${ofport}`
        if (ofport === undefined) expected.bindings.delete(`p${i}`)
        else expected.bindings.set(`p${i}`, ofport)
        delta = compiler.bindLocal(`p${i}`, ofport)
      } else if (roll === 3) {
        const physnet = g.pick(PHYSNETS)
        const ofport = g.chance(0.7) ? 50 + g.int(3) : undefined
        what = `bindUplink ${physnet} ${ofport}`
        if (ofport === undefined) expected.uplinks.delete(physnet)
        else expected.uplinks.set(physnet, ofport)
        delta = compiler.bindUplink(physnet, ofport)
      } else {
        pending.push(g.change())
        if (pending.length < 4 && g.chance(0.5)) continue
        const change = pending.splice(g.int(pending.length), 1)[0] as Change
        what = `${change.action} ${change.table}/${change.id} v${change.version}`
        expected.apply(change)
        delta = compiler.applyChange(change)
      }
      for (const e of delta.removed) {
        if (!installed.delete(entryKey(e))) {
          failures++
          t.fail(`step ${step} (${what}): removed an entry that was not there: ${entryKey(e)}`)
        }
      }
      for (const e of delta.added) {
        if (installed.has(entryKey(e))) {
          failures++
          t.fail(`step ${step} (${what}): added an entry twice: ${entryKey(e)}`)
        }
        installed.set(entryKey(e), e)
        seen.add(
          e.stage === 'router_gateway' ? `router_gateway local=${e.local}` : e.stage === 'egress' && e.uplink ? 'egress uplink' : e.stage,
        )
      }
      const full = compileTopology(expected.snapshot(), SELF)
      const union = [...installed.keys()].sort()
      if (sortedKeys(full.entries).join('\n') !== union.join('\n') || sortedKeys(compiler.entries()).join('\n') !== union.join('\n')) {
        failures++
        t.same(union, sortedKeys(full.entries), `step ${step} (${what}): the union of deltas equals the full compile`)
      }
      if (problemKeys(compiler.problems()).join('\n') !== problemKeys(full.problems).join('\n')) {
        failures++
        t.same(problemKeys(compiler.problems()), problemKeys(full.problems), `step ${step} (${what}): same problems`)
      }
    }
    t.equal(failures, 0, 'no step diverged')
    for (const s of seen) seenAll.add(s)
    const dp = await createDatapath()
    const refused = [...installed.values()].flatMap(e => {
      try {
        dp.add(e)
        return []
      } catch (err) {
        return [`${entryKey(e)}: ${String(err)}`]
      }
    })
    t.same(refused, [], 'the datapath accepts every entry')
  })
}

t.test('the runs reached every north-south entry kind', async t => {
  for (const s of ['uplink', 'nat', 'router_gateway local=true', 'router_gateway local=false', 'egress uplink'])
    t.ok(seenAll.has(s), `compiled ${s}`)
})
