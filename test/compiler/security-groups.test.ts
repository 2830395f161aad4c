// Security groups through the compiler, case by case: which ports get acl_port, how Neutron's rule fields become
// acl_rule rows, which addresses become acl_member rows, what is reported instead of compiled, and that deltas
// touch only what a change names. Every case ends equal to the full compile.
import t from 'tap'
import { TopologyCompiler, entryKey } from '../../agent/compiler/index.js'
import type { Entry } from '../../datapath/host/entries.js'
import { ACL_PORT_MAX_GROUPS } from '../../datapath/spec/entry-kinds.js'
import { TABLES } from '../../model/tables.js'
import type { Port, SecurityGroupRule } from '../../model/types.js'
import { chassis, del, network, port, put, subnet } from './fixtures/model.js'
import { group, rule } from './fixtures/security-groups.js'

const SELF = { chassisId: 'c0', chassisTunnelIp: '192.0.2.100' }
const keys = (es: Entry[]): string[] => es.map(entryKey).sort()
const acl = (es: Entry[]): Entry[] => es.filter(e => e.stage.startsWith('acl_'))

/** Network n1 (10.0.0.0/24, fd00::/64) with group g1 (key 11, one ingress rule from itself), port a plugged here. */
function base(over: Partial<Port> = {}): TopologyCompiler {
  const c = new TopologyCompiler(SELF)
  c.applyChange(put(TABLES.chassis, chassis('c1', '192.0.2.1')))
  c.applyChange(put(TABLES.networks, network('n1', 1)))
  c.applyChange(put(TABLES.subnets, subnet('s1', 'n1', '10.0.0.0/24')))
  c.applyChange(put(TABLES.subnets, subnet('s6', 'n1', 'fd00::/64')))
  c.applyChange(put(TABLES.securityGroups, group('g1', 11)))
  c.applyChange(
    put(
      TABLES.ports,
      port('a', 1, { network_id: 'n1', security_groups: ['g1'], fixed_ips: [{ subnet_id: 's1', ip_address: '10.0.0.5' }], ...over }),
    ),
  )
  c.bindLocal('a', 1)
  return c
}

const same = (t: { same: (a: unknown, b: unknown, m: string) => unknown }, c: TopologyCompiler): void => {
  t.same(keys(c.entries()), keys(c.recompute().entries), 'equals the full compile')
}

/** The acl_rule a single rule compiles to on `base()` (undefined when it is left out), with the problems. */
function compiled(r: Partial<SecurityGroupRule>): { entry: Entry | undefined; problems: string[] } {
  const c = base()
  c.applyChange(put(TABLES.securityGroups, group('g2', 12)))
  c.applyChange(put(TABLES.securityGroupRules, rule('r', 100, 'g1', r)))
  const entry = c.entries().find(e => e.stage === 'acl_rule')
  return { entry, problems: c.problems().map(p => `${p.code} ${p.object}`) }
}

t.test('acl_port: local ports with port security, groups by key (sorted), stateful from the groups', async t => {
  const c = base()
  c.applyChange(put(TABLES.securityGroups, group('g0', 5)))
  c.applyChange(put(TABLES.ports, port('b', 2, { network_id: 'n1', security_groups: ['g1', 'g0'] })))
  c.applyChange(put(TABLES.ports, port('off', 3, { network_id: 'n1', security_groups: [], port_security_enabled: false })))
  c.applyChange(put(TABLES.ports, port('rif', 4, { network_id: 'n1', security_groups: ['g1'], device_owner: 'network:router_interface' })))
  c.applyChange(put(TABLES.ports, port('dhcp', 5, { network_id: 'n1', security_groups: ['g1'], device_owner: 'network:dhcp' })))
  c.applyChange(put(TABLES.ports, port('remote', 6, { network_id: 'n1', security_groups: ['g1'], 'binding:host_id': 'c1' })))
  for (const [id, ofport] of [
    ['b', 2],
    ['off', 3],
    ['rif', 4],
    ['dhcp', 5],
  ] as const)
    c.bindLocal(id, ofport)
  t.same(
    keys(c.entries().filter(e => e.stage === 'acl_port')),
    keys([
      { stage: 'acl_port', port: 1, stateful: true, groups: [11] },
      { stage: 'acl_port', port: 2, stateful: true, groups: [5, 11] },
    ]),
    'a and b only: not port security off, not network:* ports, not a port plugged elsewhere',
  )
  t.same(c.problems(), [])
  const stateless = c.applyChange(put(TABLES.securityGroups, group('g0', 5, { stateful: false }), 2))
  t.same(stateless, { added: [], removed: [] }, 'b mixes kinds now: enforced as stateful, so its acl_port does not change')
  t.match(c.problems(), [{ code: 'acl_mixed_stateful', object: 'ports/b' }], 'and reported')
  const allStateless = c.applyChange(put(TABLES.ports, port('b', 2, { network_id: 'n1', security_groups: ['g0'] }), 2))
  t.same(keys(allStateless.added), keys([{ stage: 'acl_port', port: 2, stateful: false, groups: [5] }]))
  t.same(keys(allStateless.removed), keys([{ stage: 'acl_port', port: 2, stateful: true, groups: [5, 11] }]))
  t.same(c.problems(), [])
  same(t, c)
})

t.test("acl_port: the network's port security default when the port has no flag of its own", async t => {
  const c = base({ port_security_enabled: undefined as unknown as boolean })
  t.ok(
    c.entries().some(e => e.stage === 'acl_port'),
    'network default on: enforced',
  )
  const d = c.applyChange(put(TABLES.networks, network('n1', 1, { port_security_enabled: false }), 2))
  t.same(
    acl(d.removed).map(e => e.stage),
    ['acl_port'],
    'network default off: not enforced',
  )
  t.notOk(
    c.entries().some(e => e.stage.startsWith('acl_')),
    'and its rules are no longer needed here',
  )
  same(t, c)
})

t.test('acl_port: a port with no group passes only what is always allowed (an entry with no groups)', async t => {
  const c = base({ security_groups: [] })
  t.same(acl(c.entries()), [{ stage: 'acl_port', port: 1, stateful: true, groups: [] }])
  same(t, c)
})

t.test('acl_port: more groups than a row holds keeps the first keys and reports the rest', async t => {
  const ids = Array.from({ length: ACL_PORT_MAX_GROUPS + 2 }, (_, i) => `m${i}`)
  const c = base({ security_groups: ids })
  ids.forEach((id, i) => c.applyChange(put(TABLES.securityGroups, group(id, 100 + i))))
  const row = c.entries().find(e => e.stage === 'acl_port')
  t.same(
    row && row.stage === 'acl_port' && row.groups,
    ids.slice(0, ACL_PORT_MAX_GROUPS).map((_, i) => 100 + i),
  )
  t.match(c.problems(), [{ code: 'too_many', object: 'ports/a', detail: /m16, m17/ }])
  same(t, c)
})

t.test('parked and keyless groups: enforced without them (less allowed), reported, never a crash', async t => {
  const c = base({ security_groups: ['g1', 'late', 'old'] })
  c.applyChange(put(TABLES.securityGroups, { ...group('old', 0), key: undefined } as unknown as { id: string }))
  t.same(
    acl(c.entries()).filter(e => e.stage === 'acl_port'),
    [{ stage: 'acl_port', port: 1, stateful: true, groups: [11] }],
  )
  t.match(c.problems(), [
    { code: 'parked', object: 'ports/a', detail: /late/ },
    { code: 'bad_object', object: 'security_groups/old', detail: /no datapath key/ },
  ])
  const d = c.applyChange(put(TABLES.securityGroups, group('late', 3)))
  t.same(keys(d.added), keys([{ stage: 'acl_port', port: 1, stateful: true, groups: [3, 11] }]), 'the group arrives: the port holds it')
  c.applyChange(put(TABLES.securityGroupRules, { ...rule('oldrule', 0, 'g1'), key: undefined } as unknown as { id: string }))
  t.match(c.problems(), [{}, { code: 'bad_object', object: 'security_group_rules/oldrule' }])
  same(t, c)
})

t.test('acl_rule: Neutron protocol names and numbers', async t => {
  const proto = (protocol: string | null, ethertype: 'IPv4' | 'IPv6' = 'IPv4'): number | undefined => {
    const e = compiled({ protocol, ethertype }).entry
    return e?.stage === 'acl_rule' ? e.protocol : -1
  }
  t.equal(proto('tcp'), 6)
  t.equal(proto('udp'), 17)
  t.equal(proto('sctp'), 132)
  t.equal(proto('udplite'), 136)
  t.equal(proto('ah'), 51)
  t.equal(proto('esp'), 50)
  t.equal(proto('gre'), 47)
  t.equal(proto('vrrp'), 112)
  t.equal(proto('icmp'), 1)
  t.equal(proto('icmp', 'IPv6'), 58, 'icmp in an IPv6 rule is ICMPv6')
  t.equal(proto('1', 'IPv6'), 58, 'and so is 1')
  t.equal(proto('icmpv6', 'IPv6'), 58)
  t.equal(proto('ipv6-icmp', 'IPv6'), 58)
  t.equal(proto('TCP'), 6, 'names in any case')
  t.equal(proto('0'), 0, '0 is a protocol (HOPOPT), not any')
  t.equal(proto('255'), 255)
  t.equal(proto('any'), undefined)
  t.equal(proto(null), undefined)
  const bad = compiled({ protocol: 'bogus' })
  t.equal(bad.entry, undefined)
  t.same(bad.problems, ['bad_object security_group_rules/r'])
  t.equal(compiled({ protocol: '256' }).entry, undefined)
})

t.test('acl_rule: ports, ICMP type and code, remote prefix and group', async t => {
  t.same(compiled({ direction: 'egress', protocol: 'tcp', port_range_min: 80, port_range_max: 443 }).entry, {
    stage: 'acl_rule',
    group: 11,
    rule: 100,
    direction: 'egress',
    family: 4,
    protocol: 6,
    port_min: 80,
    port_max: 443,
  })
  t.same(
    compiled({ protocol: 'udp', port_range_min: 53, port_range_max: 53, ethertype: 'IPv6', remote_ip_prefix: '2001:db8::7/32' }).entry,
    {
      stage: 'acl_rule',
      group: 11,
      rule: 100,
      direction: 'ingress',
      family: 6,
      protocol: 17,
      port_min: 53,
      port_max: 53,
      remote_prefix: '2001:db8::/32',
    },
    'the prefix normalized to its network address',
  )
  t.same(compiled({ protocol: 'icmp', port_range_min: 8, port_range_max: 0 }).entry, {
    stage: 'acl_rule',
    group: 11,
    rule: 100,
    direction: 'ingress',
    family: 4,
    protocol: 1,
    icmp_type: 8,
    icmp_code: 0,
  })
  t.same(
    compiled({ protocol: 'icmp', ethertype: 'IPv6', port_range_min: 128 }).entry,
    { stage: 'acl_rule', group: 11, rule: 100, direction: 'ingress', family: 6, protocol: 58, icmp_type: 128 },
    'a type with any code',
  )
  t.same(
    compiled({ remote_ip_prefix: '10.1.2.3' }).entry,
    { stage: 'acl_rule', group: 11, rule: 100, direction: 'ingress', family: 4, remote_prefix: '10.1.2.3/32' },
    'a bare address is a host prefix',
  )
  t.same(
    compiled({ remote_ip_prefix: '0.0.0.0/0' }).entry,
    { stage: 'acl_rule', group: 11, rule: 100, direction: 'ingress', family: 4 },
    '0.0.0.0/0 is any address',
  )
  t.same(compiled({ remote_group_id: 'g2' }).entry, {
    stage: 'acl_rule',
    group: 11,
    rule: 100,
    direction: 'ingress',
    family: 4,
    remote_group: 12,
  })
})

t.test('acl_rule: what the datapath cannot enforce exactly is left out and reported, never widened', async t => {
  const cases: [string, Partial<SecurityGroupRule>, string][] = [
    ['remote address group', { remote_address_group_id: 'ag1' }, 'acl_unsupported'],
    ['DCCP ports', { protocol: 'dccp', port_range_min: 1, port_range_max: 2 }, 'acl_unsupported'],
    ['ports on GRE', { protocol: 'gre', port_range_min: 1, port_range_max: 2 }, 'bad_object'],
    ['ports without a protocol', { port_range_min: 1, port_range_max: 2 }, 'bad_object'],
    ['a port range upside down', { protocol: 'tcp', port_range_min: 9, port_range_max: 2 }, 'bad_object'],
    ['half a port range', { protocol: 'tcp', port_range_min: 9 }, 'bad_object'],
    ['an ICMP code without a type', { protocol: 'icmp', port_range_max: 1 }, 'bad_object'],
    ['an ICMP type above 255', { protocol: 'icmp', port_range_min: 256 }, 'bad_object'],
    ['an IPv6 prefix on an IPv4 rule', { remote_ip_prefix: 'fd00::/8' }, 'bad_object'],
    ['both a prefix and a group', { remote_ip_prefix: '10.0.0.0/8', remote_group_id: 'g2' }, 'bad_object'],
    ['an unknown direction', { direction: 'sideways' as 'ingress' }, 'bad_object'],
  ]
  for (const [what, r, code] of cases) {
    const { entry, problems } = compiled(r)
    t.equal(entry, undefined, `${what}: no acl_rule`)
    t.same(problems, [`${code} security_group_rules/r`], `${what}: reported as ${code}`)
  }
  const dccp = compiled({ protocol: 'dccp' }).entry
  t.equal(dccp?.stage === 'acl_rule' && dccp.protocol, 33, 'DCCP without ports is enforced')
  const parked = compiled({ remote_group_id: 'nowhere' })
  t.equal(parked.entry, undefined)
  t.same(parked.problems, ['parked security_group_rules/r'], 'a remote group not here yet parks the rule')
})

t.test('acl_rule: only the rules of groups that some local port holds', async t => {
  const c = base({ security_groups: [] })
  c.applyChange(put(TABLES.securityGroups, group('g2', 12)))
  c.applyChange(put(TABLES.securityGroupRules, rule('r1', 101, 'g1')))
  c.applyChange(put(TABLES.securityGroupRules, rule('r2', 102, 'g2', { direction: 'egress' })))
  c.applyChange(put(TABLES.ports, port('far', 9, { network_id: 'n1', security_groups: ['g1', 'g2'], 'binding:host_id': 'c1' })))
  t.notOk(
    c.entries().some(e => e.stage === 'acl_rule'),
    'no local port holds g1 or g2: no rules here',
  )
  const join = c.applyChange(
    put(
      TABLES.ports,
      port('a', 1, { network_id: 'n1', security_groups: ['g2'], fixed_ips: [{ subnet_id: 's1', ip_address: '10.0.0.5' }] }),
      2,
    ),
  )
  t.same(
    keys(join.added),
    keys([
      { stage: 'acl_port', port: 1, stateful: true, groups: [12] },
      { stage: 'acl_rule', group: 12, rule: 102, direction: 'egress', family: 4 },
    ]),
    "a's group list changes: its acl_port, and the rules of the group it now uses",
  )
  t.same(keys(join.removed), keys([{ stage: 'acl_port', port: 1, stateful: true, groups: [] }]))
  const unplug = c.bindLocal('a', undefined)
  t.ok(
    unplug.removed.some(e => e.stage === 'acl_rule' && e.rule === 102),
    'unplugged: the rules go with the last port holding the group',
  )
  t.notOk(c.entries().some(e => e.stage.startsWith('acl_')))
  same(t, c)
})

t.test('acl_member: addresses of every member port anywhere, for groups named as remote', async t => {
  const c = base()
  // n2 is followed by nobody here; its port is a member all the same
  c.applyChange(put(TABLES.networks, network('n2', 2)))
  c.applyChange(
    put(
      TABLES.ports,
      port('b', 2, {
        network_id: 'n2',
        security_groups: ['g1'],
        'binding:host_id': 'c1',
        fixed_ips: [
          { subnet_id: 'x', ip_address: '10.9.0.7' },
          { subnet_id: 'y', ip_address: 'FD00:9::7' },
        ],
        allowed_address_pairs: [{ ip_address: '192.168.7.0/24' }, { ip_address: '10.9.0.7' }],
      }),
    ),
  )
  c.applyChange(
    put(
      TABLES.ports,
      port('unbound', 3, { network_id: 'n2', security_groups: ['g1'], fixed_ips: [{ subnet_id: 'x', ip_address: '10.9.0.8' }] }),
    ),
  )
  c.applyChange(
    put(
      TABLES.ports,
      port('rif', 4, {
        network_id: 'n2',
        security_groups: ['g1'],
        device_owner: 'network:router_interface',
        fixed_ips: [{ subnet_id: 'x', ip_address: '10.9.0.1' }],
      }),
    ),
  )
  t.notOk(
    c.entries().some(e => e.stage === 'acl_member'),
    'no rule names g1 as remote yet: no members',
  )
  const d = c.applyChange(put(TABLES.securityGroupRules, rule('self', 101, 'g1', { remote_group_id: 'g1' })))
  const member = (prefix: string): Entry => ({ stage: 'acl_member', group: 11, prefix })
  t.same(
    keys(d.added),
    keys([
      { stage: 'acl_rule', group: 11, rule: 101, direction: 'ingress', family: 4, remote_group: 11 },
      member('10.0.0.5/32'),
      member('10.9.0.7/32'),
      member('fd00:9::7/128'),
      member('192.168.7.0/24'),
      member('10.9.0.8/32'),
    ]),
    'fixed IPs as host prefixes, pairs as given, duplicates once, remote and unbound ports too, no network:* port',
  )
  // Two members sharing a pair prefix: it stays until the last one leaves.
  c.applyChange(
    put(
      TABLES.ports,
      port('c', 5, { network_id: 'n2', security_groups: ['g1'], allowed_address_pairs: [{ ip_address: '192.168.7.0/24' }] }),
    ),
  )
  const leave = c.applyChange(
    put(
      TABLES.ports,
      port('b', 2, {
        network_id: 'n2',
        security_groups: [],
        'binding:host_id': 'c1',
        fixed_ips: [
          { subnet_id: 'x', ip_address: '10.9.0.7' },
          { subnet_id: 'y', ip_address: 'fd00:9::7' },
        ],
        allowed_address_pairs: [{ ip_address: '192.168.7.0/24' }, { ip_address: '10.9.0.7' }],
      }),
      2,
    ),
  )
  t.same(
    keys(leave.removed),
    keys([member('10.9.0.7/32'), member('fd00:9::7/128')]),
    'b leaves: its own addresses go, the shared pair stays',
  )
  t.same(leave.added, [])
  const gone = c.applyChange(del(TABLES.securityGroupRules, 'self'))
  t.same(
    new Set(gone.removed.map(e => e.stage)),
    new Set(['acl_rule', 'acl_member']),
    'the rule goes: its group has no members here any more',
  )
  t.notOk(c.entries().some(e => e.stage === 'acl_member'))
  same(t, c)
})

t.test('deltas touch only what a change names', async t => {
  const c = base()
  c.applyChange(put(TABLES.securityGroups, group('web', 20)))
  c.applyChange(
    put(
      TABLES.securityGroupRules,
      rule('from-web', 200, 'g1', { protocol: 'tcp', port_range_min: 22, port_range_max: 22, remote_group_id: 'web' }),
    ),
  )
  for (let i = 0; i < 20; i++)
    c.applyChange(
      put(
        TABLES.ports,
        port(`w${i}`, 100 + i, {
          network_id: 'n1',
          security_groups: ['web'],
          fixed_ips: [{ subnet_id: 's1', ip_address: `10.0.0.${100 + i}` }],
          'binding:host_id': 'c1',
        }),
      ),
    )
  const added = c.applyChange(
    put(TABLES.securityGroupRules, rule('http', 201, 'g1', { protocol: 'tcp', port_range_min: 80, port_range_max: 80 })),
  )
  t.same(
    keys(added.added),
    keys([{ stage: 'acl_rule', group: 11, rule: 201, direction: 'ingress', family: 4, protocol: 6, port_min: 80, port_max: 80 }]),
    'a rule added: its entry only',
  )
  t.same(added.removed, [])
  const removed = c.applyChange(del(TABLES.securityGroupRules, 'http'))
  t.same(keys(removed.removed), keys(added.added), 'a rule removed: its entry only')
  t.same(removed.added, [])
  const joins = c.applyChange(
    put(
      TABLES.ports,
      port('w-new', 150, {
        network_id: 'n1',
        security_groups: ['web'],
        fixed_ips: [
          { subnet_id: 's1', ip_address: '10.0.0.150' },
          { subnet_id: 's6', ip_address: 'fd00::150' },
        ],
        'binding:host_id': 'c1',
      }),
    ),
  )
  t.same(
    acl(joins.added),
    [
      { stage: 'acl_member', group: 20, prefix: '10.0.0.150/32' },
      { stage: 'acl_member', group: 20, prefix: 'fd00::150/128' },
    ],
    'a port joining a remote group: its addresses only',
  )
  const renamed = c.applyChange(put(TABLES.securityGroups, group('web', 20, { name: 'www', description: 'renamed' }), 2))
  t.same(renamed, { added: [], removed: [] }, 'a group renamed: nothing')
  const rekeyed = c.applyChange(put(TABLES.securityGroups, group('web', 21), 3))
  t.equal(acl(rekeyed.added).filter(e => e.stage === 'acl_member').length, 22, 'a remote group re-keyed (re-created): its members move')
  same(t, c)
})

t.test('resync with security groups: the store wins, a second one changes nothing', async t => {
  const c = base()
  c.applyChange(put(TABLES.securityGroupRules, rule('self', 101, 'g1', { remote_group_id: 'g1' })))
  const stored = <T extends { id: string }>(table: string, value: T, version = 1) => ({
    table,
    id: value.id,
    version,
    topics: [],
    value: value as unknown as Record<string, unknown>,
  })
  const objects = [
    stored(TABLES.chassis, chassis('c1', '192.0.2.1')),
    stored(TABLES.networks, network('n1', 1)),
    stored(TABLES.subnets, subnet('s1', 'n1', '10.0.0.0/24')),
    stored(TABLES.securityGroups, group('g1', 11, { stateful: false }), 2),
    stored(
      TABLES.ports,
      port('a', 1, { network_id: 'n1', security_groups: ['g1'], fixed_ips: [{ subnet_id: 's1', ip_address: '10.0.0.5' }] }),
    ),
    stored(TABLES.securityGroupRules, rule('ssh', 102, 'g1', { protocol: 'tcp', port_range_min: 22, port_range_max: 22 })),
  ]
  const d = c.resync(objects)
  t.same(
    keys(acl(d.removed)),
    keys([
      { stage: 'acl_port', port: 1, stateful: true, groups: [11] },
      { stage: 'acl_rule', group: 11, rule: 101, direction: 'ingress', family: 4, remote_group: 11 },
      { stage: 'acl_member', group: 11, prefix: '10.0.0.5/32' },
    ]),
  )
  t.same(
    keys(acl(d.added)),
    keys([
      { stage: 'acl_port', port: 1, stateful: false, groups: [11] },
      { stage: 'acl_rule', group: 11, rule: 102, direction: 'ingress', family: 4, protocol: 6, port_min: 22, port_max: 22 },
    ]),
  )
  t.same(c.resync(objects), { added: [], removed: [] })
  same(t, c)
})
