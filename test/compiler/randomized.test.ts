// The incremental contract under random inputs (seeded, so a failure replays): creates, updates and deletes of
// networks, subnets, ports, routers and chassis, delivered out of order (stale versions, references before the
// objects they name), interleaved with plug/unplug and full resyncs from the store's current state. After every
// step: the union of the deltas applied so far == entries() == the full compile of the state the version rules
// say should be held. The same deltas drive the agent's incremental flow table (agent/flows/desired-flows.ts):
// after every step its flows equal the flows of the full compile emitted at once, and the stage-ordered
// emitter's (offload/openflow/emitter.ts), also across a switch of the routing mode.
import t from 'tap'
import { TopologyCompiler, compileTopology, entryKey } from '../../agent/compiler/index.js'
import type { Entry } from '../../datapath/host/entries.js'
import { createDatapath } from '../../datapath/host/index.js'
import { DesiredFlows, digestBodies } from '../../agent/flows/desired-flows.js'
import { emitOpenFlow, type L3Mode } from '../../offload/openflow/emitter.js'
import { TABLES } from '../../model/tables.js'
import type { Chassis, Network, Port, Router, Subnet } from '../../model/types.js'
import type { Change } from '../../store/types.js'
import { ChangeSource, Expected, rng } from './randomized-kit.js'
import { chassis, network, port, router, subnet } from './fixtures/model.js'

const NETS = 4,
  SUBNETS_PER_NET = 2,
  PORTS = 14,
  ROUTERS = 3,
  CHASSIS = 3
const SELF = { chassisId: 'c0', chassisTunnelIp: '192.0.2.100' }

class Generator extends ChangeSource {
  subnetId(net: number, s: number): string {
    return `s${net}-${s}`
  }
  subnetCidr(net: number, s: number): string {
    return s === 0 ? `10.${net}.${s}.0/24` : `fd00:${net}:${s}::/64`
  }
  portNet(i: number): number {
    return i % NETS
  }
  addressOn(net: number, s: number, host: number): string {
    return s === 0 ? `10.${net}.${s}.${host}` : `fd00:${net}:${s}::${host.toString(16)}`
  }

  network(i: number): Network {
    return network(`n${i}`, i + 1, { mtu: this.pick([1450, 1500, 9000]), port_security_enabled: this.chance(0.8) })
  }

  subnet(net: number, s: number): Subnet {
    const cidr = this.subnetCidr(net, s)
    return subnet(this.subnetId(net, s), `n${net}`, cidr, {
      enable_dhcp: s === 0 && this.chance(0.8),
      gateway_ip: this.chance(0.8) ? this.addressOn(net, s, 1) : null,
      dns_nameservers: this.chance(0.5) ? ['192.0.2.53'] : [],
      host_routes: this.chance(0.3) ? [{ destination: '172.16.0.0/12', nexthop: this.addressOn(net, 0, 254) }] : [],
    })
  }

  port(i: number): Port {
    const net = this.portNet(i)
    const fixed = [0, 1]
      .filter(() => this.chance(0.7))
      .map(s => ({ subnet_id: this.subnetId(net, s), ip_address: this.addressOn(net, s, 10 + i) }))
    const owner = this.pick(['compute:nova', 'compute:nova', 'compute:nova', 'network:dhcp', 'network:router_interface'])
    const security = this.chance(0.8)
    const pairs =
      security && this.chance(0.4)
        ? [
            {
              ip_address: this.pick([this.addressOn(net, 0, 200), `10.${net}.7.0/24`]),
              mac_address: this.pick([undefined, 'fa:16:3e:aa:00:01']),
            },
          ]
        : []
    return port(`p${i}`, 100 + i, {
      network_id: `n${net}`,
      mac_address: this.chance(0.9) ? `fa:16:3e:00:00:${(i + 16).toString(16)}` : `fa:16:3e:00:01:${(i + 16).toString(16)}`,
      fixed_ips: fixed,
      device_owner: owner,
      port_security_enabled: security,
      allowed_address_pairs: pairs.map(p =>
        p.mac_address ? { ip_address: p.ip_address, mac_address: p.mac_address } : { ip_address: p.ip_address },
      ),
      extra_dhcp_opts: this.chance(0.3)
        ? [{ opt_name: this.pick(['mtu', 'bootfile-name', 'no-such-option', '150']), opt_value: this.pick(['1400', 'pxe.0']) }]
        : [],
      'binding:host_id': this.pick(['', 'c0', 'c1', 'host-c2', 'c9']),
    })
  }

  router(i: number): Router {
    const ports = Array.from({ length: PORTS }, (_, k) => k).filter(() => this.chance(0.25))
    const interfaces = ports.flatMap(k =>
      [0, 1]
        .filter(() => this.chance(0.7))
        .map(s => ({ port_id: `p${k}`, subnet_id: this.subnetId(this.portNet(k), s), network_id: `n${this.portNet(k)}` })),
    )
    const routes = this.chance(0.5)
      ? [{ destination: this.pick(['192.168.0.0/16', '10.1.0.0/24']), nexthop: this.addressOn(this.int(NETS), 0, 10 + this.int(PORTS)) }]
      : []
    return router(`r${i}`, 1 + i, { interfaces, routes })
  }

  chassis(i: number): Chassis {
    return chassis(`c${i}`, this.pick([`192.0.2.${i + 1}`, `192.0.2.${i + 50}`]), { hostname: `host-c${i}` })
  }

  /** One store change to a random object: mostly writes, sometimes a delete. */
  change(): Change {
    const kind = this.int(5)
    const [table, id, make] = ((): [string, string, () => { id: string }] => {
      switch (kind) {
        case 0: {
          const i = this.int(NETS)
          return [TABLES.networks, `n${i}`, () => this.network(i)]
        }
        case 1: {
          const n = this.int(NETS),
            s = this.int(SUBNETS_PER_NET)
          return [TABLES.subnets, this.subnetId(n, s), () => this.subnet(n, s)]
        }
        case 2: {
          const i = this.int(PORTS)
          return [TABLES.ports, `p${i}`, () => this.port(i)]
        }
        case 3: {
          const i = this.int(ROUTERS)
          return [TABLES.routers, `r${i}`, () => this.router(i)]
        }
        default: {
          const i = this.int(CHASSIS)
          return [TABLES.chassis, `c${i}`, () => this.chassis(i)]
        }
      }
    })()
    return this.versioned(table, id, make)
  }
}

const sortedKeys = (entries: Iterable<Entry>): string[] => [...entries].map(entryKey).sort()

for (const seed of [1, 2, 3, 4, 5, 6]) {
  t.test(`seed ${seed}: incremental == full recompute after every step`, async t => {
    const g = new Generator(rng(seed))
    const compiler = new TopologyCompiler(SELF)
    const expected = new Expected()
    const installed = new Map<string, Entry>()
    const pending: Change[] = []
    let failures = 0
    let nonEmpty = 0
    let l3: L3Mode = 'proactive'
    const TUNNEL = 100
    const flows = new DesiredFlows({ l3, tunnelOfport: TUNNEL })
    let flowChecks = 0
    for (let step = 0; step < 600 && failures === 0; step++) {
      let what: string
      let delta
      const roll = g.int(10)
      if (roll === 9 && g.chance(0.1)) {
        const objects = [...g.store.values()]
        what = `resync (${objects.length} objects)`
        expected.resync(objects)
        delta = compiler.resync(objects)
      } else if (roll < 2) {
        const i = g.int(PORTS)
        const ofport = g.chance(0.7) ? 1 + i : undefined
        what = `bindLocal p${i} ${ofport}`
        if (ofport === undefined) expected.bindings.delete(`p${i}`)
        else expected.bindings.set(`p${i}`, ofport)
        delta = compiler.bindLocal(`p${i}`, ofport)
      } else {
        // Changes wait in a small buffer and leave it in random order: stale versions and late references.
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
      }
      if (delta.added.length + delta.removed.length > 0) nonEmpty++
      flows.applyDelta(delta)
      if (step % 97 === 96) {
        l3 = l3 === 'proactive' ? 'reactive' : 'proactive'
        flows.reconfigure({ l3 })
      }
      const full = sortedKeys(compileTopology(expected.snapshot(), SELF).entries)
      const union = [...installed.keys()].sort()
      const held = sortedKeys(compiler.entries())
      if (full.join('\n') !== union.join('\n') || held.join('\n') !== union.join('\n')) {
        failures++
        t.same(union, full, `step ${step} (${what}): the union of deltas equals the full compile`)
        t.same(held, full, `step ${step} (${what}): entries() equals the full compile`)
      }
      if (step % 3 === 0) {
        flowChecks++
        const all = compiler.entries()
        const atOnce = new DesiredFlows({ l3, tunnelOfport: TUNNEL })
        atOnce.applyDelta({ added: all, removed: [] })
        const staged = DesiredFlows.ofFlows(emitOpenFlow(all, { tunnelOfport: TUNNEL, l3 }))
        const [inc, once, stage] = [flows, atOnce, staged].map(d => digestBodies(d.bodies()))
        if (inc !== once || once !== stage) {
          failures++
          t.fail(
            `step ${step} (${what}): incremental flows (${flows.size}) == full emit (${atOnce.size}) == stage emitter (${staged.size})`,
          )
        }
      }
    }
    t.equal(failures, 0, 'no step diverged')
    t.ok(flowChecks > 100 && flows.size > 20, `the flow table was checked ${flowChecks} times (${flows.size} flows at the end)`)
    t.ok(nonEmpty > 50, `deltas were not trivially empty (${nonEmpty} non-empty)`)
    t.ok(installed.size > 0, `something was compiled at the end (${installed.size} entries)`)
    // Every compiled entry is one the datapath accepts (addresses, option codes, limits).
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
