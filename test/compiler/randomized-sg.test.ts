// The incremental contract with security groups in the mix (seeded, so a failure replays): creates, updates and
// deletes of networks, subnets, ports (group lists, port security, owners, address pairs), groups (stateful,
// re-keyed, keyless), rules (every protocol shape, prefixes, remote groups, address groups) and chassis, delivered
// out of order, interleaved with plug/unplug and full resyncs. After every step: the union of the deltas == entries()
// == the full compile of what the version rules say is held, and the problems reported == the full compile's.
import t from 'tap'
import { TopologyCompiler, compileTopology, entryKey } from '../../agent/compiler/index.js'
import { canonical } from '../../agent/compiler/entry-key.js'
import type { Entry } from '../../datapath/host/entries.js'
import { createDatapath } from '../../datapath/host/index.js'
import { encodeEntry } from '../../datapath/host/entry-codec.js'
import { EntryError } from '../../datapath/host/entry-error.js'
import { TABLES } from '../../model/tables.js'
import type { Chassis, Network, Port, SecurityGroup, SecurityGroupRule, Subnet } from '../../model/types.js'
import type { Change } from '../../store/types.js'
import { ChangeSource, Expected, rng } from './randomized-kit.js'
import { chassis, network, port, subnet } from './fixtures/model.js'
import { group, rule } from './fixtures/security-groups.js'

const NETS = 3,
  PORTS = 12,
  GROUPS = 5,
  RULES = 16,
  CHASSIS = 2
const SELF = { chassisId: 'c0', chassisTunnelIp: '192.0.2.100' }

class Generator extends ChangeSource {
  network(i: number): Network {
    return network(`n${i}`, i + 1, { port_security_enabled: this.chance(0.8) })
  }
  subnet(net: number, s: number): Subnet {
    return subnet(`s${net}-${s}`, `n${net}`, s === 0 ? `10.${net}.0.0/24` : `fd00:${net}::/64`)
  }

  port(i: number): Port {
    const net = i % NETS
    const fixed = [0, 1]
      .filter(() => this.chance(0.7))
      .map(s => ({ subnet_id: `s${net}-${s}`, ip_address: s === 0 ? `10.${net}.0.${10 + i}` : `fd00:${net}::${(10 + i).toString(16)}` }))
    const groups = Array.from({ length: GROUPS }, (_, g) => `g${g}`).filter(() => this.chance(0.3))
    const pairs = this.chance(0.3) ? [{ ip_address: this.pick([`10.${net}.0.200`, `10.${net}.7.0/24`, 'fd00:77::/64']) }] : []
    return port(`p${i}`, 100 + i, {
      network_id: `n${net}`,
      fixed_ips: fixed,
      security_groups: groups,
      allowed_address_pairs: pairs,
      device_owner: this.pick(['compute:nova', 'compute:nova', 'compute:nova', 'network:router_interface', 'network:dhcp']),
      // undefined: a record that leaves it to the network's default
      port_security_enabled: this.pick([true, true, true, false, undefined]) as boolean,
      'binding:host_id': this.pick(['', 'c0', 'c1', 'c9']),
    })
  }

  group(i: number): SecurityGroup {
    const g = group(`g${i}`, this.pick([i + 1, i + 1, i + 1, i + 40]), { stateful: this.chance(0.8) })
    return this.chance(0.05) ? ({ ...g, key: undefined } as unknown as SecurityGroup) : g
  }

  rule(i: number): SecurityGroupRule {
    const ethertype = this.pick(['IPv4', 'IPv6'] as const)
    const protocol = this.pick([null, 'tcp', 'udp', 'icmp', 'ipv6-icmp', 'gre', '17', 'any', 'dccp', 'sctp', '1'])
    const ports =
      protocol === 'tcp' || protocol === 'udp' || protocol === '17' || protocol === 'sctp' || (protocol === 'dccp' && this.chance(0.3))
        ? this.pick([
            [null, null],
            [22, 22],
            [1000, 2000],
          ] as const)
        : protocol === 'icmp' || protocol === 'ipv6-icmp' || protocol === '1'
          ? this.pick([
              [null, null],
              [8, null],
              [8, 0],
              [128, 0],
            ] as const)
          : this.chance(0.05)
            ? ([1, 2] as const)
            : ([null, null] as const)
    const remote = this.int(10)
    const r = rule(`r${i}`, i + 1, `g${this.int(GROUPS)}`, {
      direction: this.pick(['ingress', 'egress'] as const),
      ethertype,
      protocol,
      port_range_min: ports[0],
      port_range_max: ports[1],
      remote_ip_prefix:
        remote < 3
          ? this.pick(ethertype === 'IPv4' ? ['10.0.0.0/8', '10.1.2.3/16', '0.0.0.0/0', 'fd00::/8'] : ['fd00::/8', '::/0', '10.0.0.0/8'])
          : null,
      remote_group_id: remote >= 3 && remote < 7 ? `g${this.int(GROUPS + 1)}` : null, // g5 never exists
      remote_address_group_id: remote === 9 && this.chance(0.3) ? 'ag1' : null,
    })
    return this.chance(0.03) ? ({ ...r, key: undefined } as unknown as SecurityGroupRule) : r
  }

  chassis(i: number): Chassis {
    return chassis(`c${i}`, this.pick([`192.0.2.${i + 1}`, `192.0.2.${i + 50}`]))
  }

  change(): Change {
    const kind = this.pick([0, 1, 2, 2, 2, 3, 3, 4, 4, 4, 5])
    const [table, id, make] = ((): [string, string, () => { id: string }] => {
      switch (kind) {
        case 0: {
          const i = this.int(NETS)
          return [TABLES.networks, `n${i}`, () => this.network(i)]
        }
        case 1: {
          const n = this.int(NETS),
            s = this.int(2)
          return [TABLES.subnets, `s${n}-${s}`, () => this.subnet(n, s)]
        }
        case 2: {
          const i = this.int(PORTS)
          return [TABLES.ports, `p${i}`, () => this.port(i)]
        }
        case 3: {
          const i = this.int(GROUPS)
          return [TABLES.securityGroups, `g${i}`, () => this.group(i)]
        }
        case 4: {
          const i = this.int(RULES)
          return [TABLES.securityGroupRules, `r${i}`, () => this.rule(i)]
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
const sortedProblems = (ps: unknown[]): string[] => ps.map(canonical).sort()

for (const seed of [11, 12, 13, 14, 15, 16]) {
  t.test(`seed ${seed}: incremental == full recompute after every step, security groups included`, async t => {
    const g = new Generator(rng(seed))
    const compiler = new TopologyCompiler(SELF)
    const expected = new Expected()
    const installed = new Map<string, Entry>()
    const pending: Change[] = []
    let failures = 0
    const seen = new Map<string, number>()
    const problemCodes = new Set<string>()
    for (let step = 0; step < 800 && failures === 0; step++) {
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
      for (const e of installed.values()) if (e.stage.startsWith('acl_')) seen.set(e.stage, (seen.get(e.stage) ?? 0) + 1)
      const full = compileTopology(expected.snapshot(), SELF)
      const fullKeys = sortedKeys(full.entries)
      const union = [...installed.keys()].sort()
      const held = sortedKeys(compiler.entries())
      if (fullKeys.join('\n') !== union.join('\n') || held.join('\n') !== union.join('\n')) {
        failures++
        t.same(union, fullKeys, `step ${step} (${what}): the union of deltas equals the full compile`)
        t.same(held, fullKeys, `step ${step} (${what}): entries() equals the full compile`)
      }
      const problems = sortedProblems(compiler.problems())
      if (problems.join('\n') !== sortedProblems(full.problems).join('\n')) {
        failures++
        t.same(problems, sortedProblems(full.problems), `step ${step} (${what}): the problems equal the full compile's`)
      }
      for (const p of compiler.problems()) problemCodes.add(p.code)
    }
    t.equal(failures, 0, 'no step diverged')
    // The mix really exercised security groups: every acl entry kind was installed at some point, and the
    // reported cases happened.
    for (const stage of ['acl_port', 'acl_rule', 'acl_member'])
      t.ok((seen.get(stage) ?? 0) > 50, `${stage} installed in many steps (${seen.get(stage) ?? 0})`)
    for (const code of ['parked', 'bad_object', 'acl_mixed_stateful', 'acl_unsupported'])
      t.ok(problemCodes.has(code), `${code} was reported at some step`)
    // Every compiled entry is one the datapath accepts (addresses, keys, limits).
    const dp = await createDatapath()
    const refused = (es: Entry[]): string[] =>
      es.flatMap(e => {
        try {
          dp.add(e)
          return []
        } catch (err) {
          return [`${entryKey(e)}: ${String(err)}`]
        }
      })
    const all = [...installed.values()]
    t.same(refused(all.filter(e => !e.stage.startsWith('acl_'))), [], 'the datapath accepts every entry')
    if (codecKnowsAcl()) t.same(refused(all.filter(e => e.stage.startsWith('acl_'))), [], 'the datapath accepts every acl entry')
    else
      t.ok(true, 'the datapath accepts every acl entry', {
        skip: 'the host codec does not encode acl_* entries yet (datapath/host/entry-codec.ts)',
      })
  })
}

function codecKnowsAcl(): boolean {
  try {
    encodeEntry({ stage: 'acl_port', port: 1, stateful: true, groups: [] })
    return true
  } catch (err) {
    return !(err instanceof EntryError && err.code === 'bad_stage')
  }
}
