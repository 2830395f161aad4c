// Security groups over HTTP, for what the datapath needs from the northbound: every group and rule gets a
// datapath key (unique, never shown or filterable through the API), and Neutron's refusals that keep the stored
// model enforceable: one kind of group per port, no groups without port security, no ports on a protocol without
// ports, no IPv6-only protocol in an IPv4 rule, no stateful flip of a group in use.
import t from 'tap'
import { join } from 'node:path'
import { TABLES } from '../../model/tables.js'
import { openStore } from '../../store/registry.js'
import { api, removeDir, startApi } from './helpers/api-process.js'

t.test('security groups and the datapath', async t => {
  const a = await startApi({ store: 'embedded', quiet: true })
  t.teardown(async () => {
    await a.kill()
    removeDir(a.dataDir)
  })
  const as = { 'X-Project-Id': 'sg-keys', 'X-Roles': 'member' }
  const call = (method: string, path: string, body?: unknown) => api(a.url, method, path, { body, headers: as })
  const ok = async (method: string, path: string, body?: unknown) => {
    const r = await call(method, path, body)
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`)
    return r.body
  }
  const error = async (method: string, path: string, body: unknown) => {
    const r = await call(method, path, body)
    return {
      status: r.status,
      type: r.body?.NeutronError?.type as string | undefined,
      message: r.body?.NeutronError?.message as string | undefined,
    }
  }
  const net = (await ok('POST', '/v2.0/networks', { network: { name: 'sgnet' } })).network
  await ok('POST', '/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: '10.60.0.0/24' } })
  const stateful = (await ok('POST', '/v2.0/security-groups', { security_group: { name: 'sf' } })).security_group
  const stateless = (await ok('POST', '/v2.0/security-groups', { security_group: { name: 'sl', stateful: false } })).security_group
  const stateless2 = (await ok('POST', '/v2.0/security-groups', { security_group: { name: 'sl2', stateful: false } })).security_group
  const def = (await ok('GET', '/v2.0/security-groups?name=default')).security_groups[0]

  t.test('keys: every group and rule has one, unique, and the API never shows it', async t => {
    const rule = (
      await ok('POST', '/v2.0/security-group-rules', {
        security_group_rule: {
          security_group_id: stateful.id,
          direction: 'ingress',
          protocol: 'tcp',
          port_range_min: 22,
          port_range_max: 22,
        },
      })
    ).security_group_rule
    t.notOk('key' in rule, 'a created rule shows no key')
    t.notOk('key' in stateful, 'a created group shows no key')
    const listed = (await ok('GET', '/v2.0/security-groups')).security_groups as Record<string, unknown>[]
    t.ok(
      listed.every(g => !('key' in g) && (g.security_group_rules as Record<string, unknown>[]).every(r => !('key' in r))),
      'listed groups and their rules show none',
    )
    t.equal(
      (await call('GET', `/v2.0/security-groups/${stateful.id}?fields=key`)).body.security_group.key,
      undefined,
      'not even when asked for',
    )
    t.equal((await call('GET', '/v2.0/security-groups?key=1')).status, 400, 'and it is no filter')
    t.equal((await call('GET', '/v2.0/security-group-rules?key=1')).status, 400)
    const store = await openStore({ driver: 'embedded', dir: join(a.dataDir, 'store'), readOnly: true })
    try {
      const groups = await store.list(TABLES.securityGroups)
      const rules = await store.list(TABLES.securityGroupRules)
      const keyOf = (o: { value: Record<string, unknown> }): unknown => o.value.key
      t.equal(groups.length, 4, 'default, sf, sl, sl2')
      t.ok(
        groups.every(g => Number.isInteger(keyOf(g)) && (keyOf(g) as number) > 0),
        'every stored group has a positive integer key (the default one too)',
      )
      t.equal(new Set(groups.map(keyOf)).size, groups.length, 'group keys are unique')
      t.equal(rules.length, 4 + 2 * 3 + 1, "the default group's 4 rules, 2 egress rules per new group, and one more")
      t.ok(
        rules.every(r => Number.isInteger(keyOf(r)) && (keyOf(r) as number) > 0),
        'every stored rule has a positive integer key',
      )
      t.equal(new Set(rules.map(keyOf)).size, rules.length, 'rule keys are unique')
      const again = (await ok('PUT', `/v2.0/security-groups/${stateful.id}`, { security_group: { description: 'renamed' } })).security_group
      t.notOk('key' in again)
    } finally {
      await store.close()
    }
    const store2 = await openStore({ driver: 'embedded', dir: join(a.dataDir, 'store'), readOnly: true })
    try {
      const before = (await store2.list(TABLES.securityGroups)).find(g => g.id === stateful.id)
      t.ok(Number.isInteger(before?.value.key), 'an update keeps the key')
    } finally {
      await store2.close()
    }
  })

  t.test('a port cannot mix stateful and stateless groups (409, as Neutron)', async t => {
    const mixed = await error('POST', '/v2.0/ports', { port: { network_id: net.id, security_groups: [stateful.id, stateless.id] } })
    t.equal(mixed.status, 409)
    t.match(mixed.message, 'Cannot apply both stateful and stateless security groups on the same port at the same time')
    const p = (await ok('POST', '/v2.0/ports', { port: { network_id: net.id, security_groups: [stateless.id, stateless2.id] } })).port
    t.same(p.security_groups.sort(), [stateless.id, stateless2.id].sort(), 'two stateless groups are fine')
    const upd = await error('PUT', `/v2.0/ports/${p.id}`, { port: { security_groups: [stateless.id, def.id] } })
    t.equal(upd.status, 409, 'nor on update')
    t.same(
      (await ok('GET', `/v2.0/ports/${p.id}`)).port.security_groups.sort(),
      [stateless.id, stateless2.id].sort(),
      'the port kept its groups',
    )
    t.equal(
      (await call('PUT', `/v2.0/ports/${p.id}`, { port: { security_groups: [def.id, stateful.id] } })).status,
      200,
      'all stateful is fine',
    )
  })

  t.test("a group's kind cannot change while a port uses it (409 SecurityGroupInUse)", async t => {
    const g = (await ok('POST', '/v2.0/security-groups', { security_group: { name: 'flip' } })).security_group
    t.equal(
      (await ok('PUT', `/v2.0/security-groups/${g.id}`, { security_group: { stateful: false } })).security_group.stateful,
      false,
      'unused: it may flip',
    )
    const p = (await ok('POST', '/v2.0/ports', { port: { network_id: net.id, security_groups: [g.id] } })).port
    const flip = await error('PUT', `/v2.0/security-groups/${g.id}`, { security_group: { stateful: true } })
    t.equal(flip.status, 409)
    t.equal(flip.type, 'SecurityGroupInUse')
    t.equal(
      (await call('PUT', `/v2.0/security-groups/${g.id}`, { security_group: { stateful: false, description: 'same kind' } })).status,
      200,
      'the same kind again is no flip',
    )
    await ok('PUT', `/v2.0/ports/${p.id}`, { port: { security_groups: [] } })
    t.equal(
      (await call('PUT', `/v2.0/security-groups/${g.id}`, { security_group: { stateful: true } })).status,
      200,
      'unused again: it may flip',
    )
  })

  t.test('no groups without port security: 400 when asked for, 409 when the port keeps them', async t => {
    const off = await error('POST', '/v2.0/ports', {
      port: { network_id: net.id, port_security_enabled: false, security_groups: [def.id] },
    })
    t.equal(off.status, 400)
    t.equal(off.message, 'Port security must be enabled and port must have an IP address in order to use security groups.')
    const bare = (await ok('POST', '/v2.0/ports', { port: { network_id: net.id, port_security_enabled: false } })).port
    t.same(bare.security_groups, [], 'port security off: no default group')
    t.equal((await error('PUT', `/v2.0/ports/${bare.id}`, { port: { security_groups: [def.id] } })).status, 400, 'adding a group while off')
    t.equal(
      (await error('PUT', `/v2.0/ports/${bare.id}`, { port: { port_security_enabled: false, security_groups: [def.id] } })).status,
      400,
    )
    const on = (await ok('PUT', `/v2.0/ports/${bare.id}`, { port: { port_security_enabled: true, security_groups: [def.id] } })).port
    t.same(on.security_groups, [def.id], 'on again, with a group')
    const keeps = await error('PUT', `/v2.0/ports/${bare.id}`, { port: { port_security_enabled: false } })
    t.equal(keeps.status, 409)
    t.equal(keeps.type, 'PortSecurityPortHasSecurityGroup')
    t.equal(
      (await call('PUT', `/v2.0/ports/${bare.id}`, { port: { port_security_enabled: false, security_groups: [] } })).status,
      200,
      'off, dropping the groups',
    )
    const pairs = await error('POST', '/v2.0/ports', {
      port: {
        network_id: net.id,
        port_security_enabled: false,
        security_groups: [def.id],
        allowed_address_pairs: [{ ip_address: '10.9.9.9' }],
      },
    })
    t.equal(pairs.type, 'AddressPairAndPortSecurityRequired', 'address pairs are checked first, as ML2 does')
  })

  t.test("rules: ports only on protocols with ports, IPv6-only protocols only in IPv6 rules, the prefix's family", async t => {
    const mk = (r: Record<string, unknown>) =>
      call('POST', '/v2.0/security-group-rules', { security_group_rule: { security_group_id: stateful.id, direction: 'ingress', ...r } })
    const gre = await mk({ protocol: 'gre', port_range_min: 1, port_range_max: 2 })
    t.equal(gre.status, 400)
    t.equal(
      gre.body.NeutronError.message,
      'Ports cannot be specified for protocol 47. Ports are only supported for DCCP, SCTP, TCP, UDP, UDPLITE.',
    )
    t.equal((await mk({ protocol: '112', port_range_min: 1, port_range_max: 1 })).status, 400, 'a number without ports (VRRP)')
    t.equal((await mk({ protocol: 'esp', port_range_min: 1, port_range_max: 1 })).status, 400)
    const zero = await mk({ protocol: 'tcp', port_range_min: 0, port_range_max: 80 })
    t.equal(zero.status, 400)
    t.equal(zero.body.NeutronError.message, 'Invalid value for port 0')
    for (const protocol of ['udp', 'sctp', 'udplite', 'dccp', '6']) {
      t.equal((await mk({ protocol, port_range_min: 1000, port_range_max: 1001 })).status, 201, `${protocol} takes ports`)
    }
    const v6only = await mk({ protocol: 'ipv6-icmp', ethertype: 'IPv4' })
    t.equal(v6only.status, 400)
    t.equal(v6only.body.NeutronError.message, 'Invalid ethertype IPv4 for protocol ipv6-icmp.')
    t.equal((await mk({ protocol: '58' })).status, 400, 'ICMPv6 by number in an IPv4 rule')
    t.equal((await mk({ protocol: 'ipv6-frag' })).status, 400)
    t.equal(
      (await mk({ protocol: 'ipv6-icmp', ethertype: 'IPv6', port_range_min: 128, port_range_max: 0 })).status,
      201,
      'ICMPv6 in an IPv6 rule',
    )
    t.equal((await mk({ protocol: 'icmp', ethertype: 'IPv6' })).status, 201, "'icmp' in an IPv6 rule is ICMPv6 (Neutron accepts it)")
    t.equal(
      (await mk({ ethertype: 'IPv4', remote_ip_prefix: 'fd00::/8' })).body.NeutronError.type,
      'SecurityGroupConflictingEthertype',
      'the prefix family (already checked)',
    )
  })
})
