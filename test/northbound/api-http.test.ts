// The Neutron API over HTTP, for what the CLI test does not reach: error bodies, unknown attributes, bulk
// create, pagination links, the /tags subresource, quotas, extensions, subnet pools, and port address updates.
import t from 'tap'
import { api, removeDir, startApi } from './helpers/api-process.js'

t.test('Neutron API behaviours', async t => {
  const a = await startApi({ store: 'embedded', quiet: true })
  t.teardown(async () => {
    await a.kill()
    removeDir(a.dataDir)
  })
  const call = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    api(a.url, method, path, { body, headers })

  t.test('discovery and extensions', async t => {
    const root = await call('GET', '/')
    t.equal(root.body.versions[0].id, 'v2.0')
    t.equal(root.body.versions[0].links[0].href, `${a.url}/v2.0/`)
    const ext = await call('GET', '/v2.0/extensions')
    const aliases = new Set((ext.body.extensions as { alias: string }[]).map(e => e.alias))
    for (const alias of [
      'security-group',
      'router',
      'ext-gw-mode',
      'external-net',
      'extraroute',
      'quotas',
      'allowed-address-pairs',
      'extra_dhcp_opt',
      'net-mtu',
      'port-security',
      'binding',
      'standard-attr-description',
      'standard-attr-tag',
      'standard-attr-revisions',
      'standard-attr-timestamp',
      'subnet_allocation',
      'project-id',
      'pagination',
      'sorting',
      'fields',
    ])
      t.ok(aliases.has(alias), `lists ${alias}`)
    t.equal((await call('GET', '/v2.0/extensions/router')).body.extension.alias, 'router')
    t.equal((await call('GET', '/v2.0/extensions/nope')).status, 404)
  })

  t.test('errors are NeutronError bodies with the field named', async t => {
    const unknown = await call('POST', '/v2.0/networks', { network: { name: 'x', colour: 'red' } })
    t.equal(unknown.status, 400)
    t.same(unknown.body, { NeutronError: { type: 'HTTPBadRequest', message: "Unrecognized attribute(s) 'colour'", detail: '' } })
    const bad = await call('POST', '/v2.0/networks', { network: { mtu: 'big' } })
    t.equal(bad.body.NeutronError.message, "Invalid input for mtu. Reason: 'big' is not an integer.")
    t.equal((await call('POST', '/v2.0/networks', '{"network": ')).status, 400, 'malformed JSON')
    t.equal((await call('POST', '/v2.0/networks', { nets: {} })).status, 400, 'wrong wrapper')
    const missing = await call('GET', '/v2.0/networks/3d6f2ef4-9a86-4a54-8a0f-8c5e3d0f6f2a')
    t.same(missing.body.NeutronError, {
      type: 'NetworkNotFound',
      message: 'Network 3d6f2ef4-9a86-4a54-8a0f-8c5e3d0f6f2a could not be found.',
      detail: '',
    })
    t.equal((await call('PATCH', '/v2.0/networks')).status, 405)
    t.equal((await call('GET', '/v2.0/nothing')).status, 404)
    t.equal((await call('GET', '/v2.0/networks?colour=red')).status, 400, 'unknown filter')
    const mtu = await call('POST', '/v2.0/networks', { network: { name: 'm', mtu: '1400' } })
    t.equal(mtu.body.network.mtu, 1400, 'number given as a string')
    const big = await call('PUT', `/v2.0/networks/${mtu.body.network.id}`, { network: { mtu: 9000 } })
    t.match(big.body.NeutronError.message, 'Requested MTU is too big, maximum is 1442')
  })

  t.test('bulk create, partial update, revisions, pagination', async t => {
    const bulk = await call('POST', '/v2.0/networks', { networks: [1, 2, 3, 4, 5].map(i => ({ name: `bulk-${i}` })) })
    t.equal(bulk.status, 201)
    t.equal(bulk.body.networks.length, 5)
    const failed = await call('POST', '/v2.0/networks', { networks: [{ name: 'ok-1' }, { name: 'bad', mtu: 'x' }] })
    t.equal(failed.status, 400)
    t.same((await call('GET', '/v2.0/networks?name=ok-1')).body.networks, [], 'bulk create is all or nothing')
    const id = bulk.body.networks[0].id
    const put = await call('PUT', `/v2.0/networks/${id}`, { network: { description: 'd' } })
    t.equal(put.body.network.name, 'bulk-1', 'PUT leaves other attributes alone')
    t.equal(put.body.network.revision_number, 2)
    t.ok(put.body.network.updated_at >= put.body.network.created_at)
    const p1 = await call(
      'GET',
      '/v2.0/networks?name=bulk-1&name=bulk-2&name=bulk-3&name=bulk-4&name=bulk-5&sort_key=name&sort_dir=desc&limit=2',
    )
    t.same(
      p1.body.networks.map((n: { name: string }) => n.name),
      ['bulk-5', 'bulk-4'],
    )
    const next = p1.body.networks_links.find((l: { rel: string }) => l.rel === 'next').href as string
    const p2 = await call('GET', next.slice(a.url.length))
    t.same(
      p2.body.networks.map((n: { name: string }) => n.name),
      ['bulk-3', 'bulk-2'],
      'the next link continues',
    )
    const f = await call('GET', `/v2.0/networks/${id}?fields=name&fields=mtu`)
    t.same(f.body.network, { name: 'bulk-1', mtu: 1442 })
  })

  t.test('tags subresource', async t => {
    const id = (await call('POST', '/v2.0/networks', { network: { name: 'tagged', tags: ['a'] } })).body.network.id
    t.same((await call('GET', `/v2.0/networks/${id}/tags`)).body.tags, ['a'], 'tags at creation')
    t.same((await call('PUT', `/v2.0/networks/${id}/tags`, { tags: ['b', 'c'] })).body.tags, ['b', 'c'])
    t.equal((await call('PUT', `/v2.0/networks/${id}/tags/d`)).status, 201)
    t.equal((await call('GET', `/v2.0/networks/${id}/tags/d`)).status, 204)
    t.equal((await call('DELETE', `/v2.0/networks/${id}/tags/b`)).status, 204)
    t.equal((await call('GET', `/v2.0/networks/${id}/tags/b`)).status, 404)
    t.same((await call('GET', `/v2.0/networks?tags=c,d&fields=id`)).body.networks, [{ id }])
    t.equal((await call('DELETE', `/v2.0/networks/${id}/tags`)).status, 204)
    t.same((await call('GET', `/v2.0/networks/${id}`)).body.network.tags, [])
  })

  t.test('quotas are enforced and reported', async t => {
    const project = 'quota-project'
    const as = { 'X-Project-Id': project, 'X-Roles': 'member' }
    t.equal((await call('PUT', `/v2.0/quotas/${project}`, { quota: { network: 2 } })).body.quota.network, 2)
    t.equal((await call('POST', '/v2.0/networks', { network: { name: 'q1' } }, as)).status, 201)
    t.equal((await call('POST', '/v2.0/networks', { network: { name: 'q2' } }, as)).status, 201)
    const over = await call('POST', '/v2.0/networks', { network: { name: 'q3' } }, as)
    t.equal(over.status, 409)
    t.same(over.body.NeutronError, { type: 'OverQuota', message: "Quota exceeded for resources: ['network'].", detail: '' })
    const details = await call('GET', `/v2.0/quotas/${project}/details`)
    t.same(details.body.quota.network, { limit: 2, used: 2, reserved: 0 })
    t.equal((await call('GET', `/v2.0/quotas/${project}`, undefined, as)).body.quota.port, 500, 'defaults for the rest')
    t.equal((await call('DELETE', `/v2.0/quotas/${project}`)).status, 204)
    t.equal((await call('GET', `/v2.0/quotas/${project}`)).body.quota.network, 100, 'reset to the default')
    t.equal((await call('PUT', `/v2.0/quotas/${project}`, { quota: { network: 'many' } })).status, 400)
  })

  t.test("security groups: a default group per project with Neutron's rules", async t => {
    const as = { 'X-Project-Id': 'sg-project', 'X-Roles': 'member' }
    const list = await call('GET', '/v2.0/security-groups', undefined, as)
    t.equal(list.body.security_groups.length, 1)
    const def = list.body.security_groups[0]
    t.equal(def.name, 'default')
    const rules = def.security_group_rules as { direction: string; ethertype: string; remote_group_id: string | null }[]
    t.same(rules.map(r => `${r.direction}/${r.ethertype}/${r.remote_group_id ? 'group' : 'any'}`).sort(), [
      'egress/IPv4/any',
      'egress/IPv6/any',
      'ingress/IPv4/group',
      'ingress/IPv6/group',
    ])
    t.ok(
      rules.filter(r => r.direction === 'ingress').every(r => r.remote_group_id === def.id),
      'ingress only from the group itself',
    )
    t.equal((await call('GET', '/v2.0/security-groups', undefined, as)).body.security_groups.length, 1, 'created once')
    const del = await call('DELETE', `/v2.0/security-groups/${def.id}`, undefined, as)
    t.equal(del.status, 409)
    t.equal(del.body.NeutronError.type, 'SecurityGroupCannotRemoveDefault')
    const sg = (await call('POST', '/v2.0/security-groups', { security_group: { name: 'web' } }, as)).body.security_group
    const mk = (rule: Record<string, unknown>) =>
      call('POST', '/v2.0/security-group-rules', { security_group_rule: { security_group_id: sg.id, direction: 'ingress', ...rule } }, as)
    t.equal((await mk({ protocol: 'tcp', port_range_min: '80', port_range_max: '80' })).status, 201, 'ports as strings')
    t.equal((await mk({ protocol: 'tcp', port_range_min: 90, port_range_max: 80 })).body.NeutronError.type, 'SecurityGroupInvalidPortRange')
    t.equal((await mk({ port_range_min: 80, port_range_max: 80 })).body.NeutronError.type, 'SecurityGroupProtocolRequiredWithPorts')
    t.equal((await mk({ protocol: 'bogus' })).body.NeutronError.type, 'SecurityGroupRuleInvalidProtocol')
    t.equal((await mk({ ethertype: 'IPv6', remote_ip_prefix: '10.0.0.0/8' })).body.NeutronError.type, 'SecurityGroupConflictingEthertype')
    t.equal(
      (await mk({ remote_ip_prefix: '10.0.0.0/8', remote_group_id: sg.id })).body.NeutronError.type,
      'SecurityGroupRemoteGroupAndRemoteIpPrefix',
    )
    t.equal((await mk({ protocol: 'icmp', port_range_min: 8, port_range_max: 0 })).status, 201, 'ICMP type and code')
  })

  t.test('ports: address updates, DHCP port, reuse after delete, port security', async t => {
    const net = (await call('POST', '/v2.0/networks', { network: { name: 'pnet' } })).body.network
    const sub = (await call('POST', '/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: '10.50.0.0/29' } })).body.subnet
    const dhcp = (await call('GET', `/v2.0/ports?network_id=${net.id}&device_owner=network:dhcp`)).body.ports
    t.equal(dhcp.length, 1, 'a DHCP port on a DHCP-enabled subnet')
    t.equal(dhcp[0].fixed_ips[0].ip_address, '10.50.0.2')
    const p = (await call('POST', '/v2.0/ports', { port: { network_id: net.id } })).body.port
    t.equal(p.fixed_ips[0].ip_address, '10.50.0.3')
    const moved = await call('PUT', `/v2.0/ports/${p.id}`, { port: { fixed_ips: [{ subnet_id: sub.id, ip_address: '10.50.0.6' }] } })
    t.equal(moved.body.port.fixed_ips[0].ip_address, '10.50.0.6', 'address changed')
    const reuse = (await call('POST', '/v2.0/ports', { port: { network_id: net.id, fixed_ips: [{ ip_address: '10.50.0.3' }] } })).body.port
    t.equal(reuse.fixed_ips[0].ip_address, '10.50.0.3', 'the released address is free again')
    const taken = await call('POST', '/v2.0/ports', { port: { network_id: net.id, fixed_ips: [{ ip_address: '10.50.0.6' }] } })
    t.equal(taken.body.NeutronError.type, 'IpAddressAlreadyAllocated')
    const gw = await call('POST', '/v2.0/ports', { port: { network_id: net.id, fixed_ips: [{ ip_address: '10.50.0.1' }] } })
    t.equal(gw.status, 409, 'the gateway address is reserved')
    const p4 = (await call('POST', '/v2.0/ports', { port: { network_id: net.id } })).body.port
    t.equal(p4.fixed_ips[0].ip_address, '10.50.0.4')
    t.equal((await call('POST', '/v2.0/ports', { port: { network_id: net.id } })).body.port.fixed_ips[0].ip_address, '10.50.0.5')
    const full = await call('POST', '/v2.0/ports', { port: { network_id: net.id } })
    t.equal(full.body.NeutronError.type, 'IpAddressGenerationFailure', 'pool exhausted (.2-.6 used)')
    t.equal((await call('DELETE', `/v2.0/ports/${p4.id as string}`)).status, 204)
    const again = (await call('POST', '/v2.0/ports', { port: { network_id: net.id } })).body.port
    t.equal(again.fixed_ips[0].ip_address, '10.50.0.4', 'first fit again after a delete below the allocation mark')
    // room above: a released address below the mark is still the first one handed out
    const net2 = (await call('POST', '/v2.0/networks', { network: { name: 'pnet2' } })).body.network
    await call('POST', '/v2.0/subnets', { subnet: { network_id: net2.id, ip_version: 4, cidr: '10.51.0.0/28' } })
    const made = []
    for (let i = 0; i < 3; i++) made.push((await call('POST', '/v2.0/ports', { port: { network_id: net2.id } })).body.port)
    t.same(
      made.map(m => m.fixed_ips[0].ip_address),
      ['10.51.0.3', '10.51.0.4', '10.51.0.5'],
    )
    await call('DELETE', `/v2.0/ports/${made[0].id as string}`)
    t.equal(
      (await call('POST', '/v2.0/ports', { port: { network_id: net2.id } })).body.port.fixed_ips[0].ip_address,
      '10.51.0.3',
      'the lowest free address, not the next above the mark',
    )
    const ps = await call('PUT', `/v2.0/ports/${p.id}`, { port: { port_security_enabled: false } })
    t.equal(ps.body.NeutronError.type, 'PortSecurityPortHasSecurityGroup')
    const off = await call('PUT', `/v2.0/ports/${p.id}`, { port: { port_security_enabled: false, security_groups: [] } })
    t.equal(off.body.port.port_security_enabled, false)
    const pairs = await call('PUT', `/v2.0/ports/${p.id}`, { port: { allowed_address_pairs: [{ ip_address: '10.9.0.0/24' }] } })
    t.equal(pairs.body.NeutronError.type, 'AddressPairAndPortSecurityRequired')
    const opts = await call('PUT', `/v2.0/ports/${p.id}`, {
      port: { extra_dhcp_opts: [{ opt_name: 'bootfile-name', opt_value: 'pxelinux.0' }], 'binding:host_id': 'node-1' },
    })
    t.equal(opts.body.port.extra_dhcp_opts[0].opt_name, 'bootfile-name')
    t.equal(opts.body.port['binding:vif_type'], 'ovs')
    t.equal((await call('DELETE', `/v2.0/subnets/${sub.id}`)).body.NeutronError.type, 'SubnetInUse')
  })

  t.test('subnet pools hand out prefixes', async t => {
    const pool = (
      await call('POST', '/v2.0/subnetpools', { subnetpool: { name: 'pool', prefixes: ['10.60.0.0/16'], default_prefixlen: 24 } })
    ).body.subnetpool
    t.equal(pool.ip_version, 4)
    const net = (await call('POST', '/v2.0/networks', { network: { name: 'pooled' } })).body.network
    const s1 = (await call('POST', '/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 4, subnetpool_id: pool.id } })).body.subnet
    const s2 = (
      await call('POST', '/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 4, subnetpool_id: pool.id, prefixlen: 26 } })
    ).body.subnet
    t.equal(s1.cidr, '10.60.0.0/24')
    t.equal(s2.cidr, '10.60.1.0/26')
    t.equal((await call('DELETE', `/v2.0/subnetpools/${pool.id}`)).body.NeutronError.type, 'SubnetPoolInUse')
  })

  t.test('routers and floating IPs', async t => {
    const ext = (await call('POST', '/v2.0/networks', { network: { name: 'public', 'router:external': true } })).body.network
    await call('POST', '/v2.0/subnets', { subnet: { network_id: ext.id, ip_version: 4, cidr: '203.0.113.0/24', enable_dhcp: false } })
    const net = (await call('POST', '/v2.0/networks', { network: { name: 'inside' } })).body.network
    const sub = (await call('POST', '/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: '10.70.0.0/24' } })).body.subnet
    const port = (await call('POST', '/v2.0/ports', { port: { network_id: net.id } })).body.port
    const noGw = await call('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: ext.id, port_id: port.id } })
    t.equal(noGw.body.NeutronError.type, 'ExternalGatewayForFloatingIPNotFound', 'no router joins the networks yet')
    const r = (await call('POST', '/v2.0/routers', { router: { name: 'r', external_gateway_info: { network_id: ext.id } } })).body.router
    t.equal(r.external_gateway_info.external_fixed_ips[0].ip_address, '203.0.113.2')
    const intf = await call('PUT', `/v2.0/routers/${r.id}/add_router_interface`, { subnet_id: sub.id })
    t.equal(intf.body.subnet_id, sub.id)
    t.equal(
      (await call('PUT', `/v2.0/routers/${r.id}/add_router_interface`, { subnet_id: sub.id })).status,
      400,
      'one interface per subnet',
    )
    const fip = (await call('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: ext.id, port_id: port.id } })).body.floatingip
    t.equal(fip.router_id, r.id)
    t.equal(fip.status, 'DOWN', 'associated, but DOWN: no chassis installs floating IP flows yet')
    t.equal(
      (await call('PUT', `/v2.0/routers/${r.id}`, { router: { external_gateway_info: null } })).body.NeutronError.type,
      'RouterExternalGatewayInUseByFloatingIp',
    )
    t.equal(
      (await call('PUT', `/v2.0/routers/${r.id}/remove_router_interface`, { subnet_id: sub.id })).body.NeutronError.type,
      'RouterInterfaceInUseByFloatingIP',
    )
    const routes = await call('PUT', `/v2.0/routers/${r.id}/add_extraroutes`, {
      router: { routes: [{ destination: '192.0.2.0/24', nexthop: '10.70.0.9' }] },
    })
    t.same(routes.body.router.routes, [{ destination: '192.0.2.0/24', nexthop: '10.70.0.9' }])
    t.equal((await call('DELETE', `/v2.0/ports/${port.id}`)).status, 204)
    t.equal(
      (await call('GET', `/v2.0/floatingips/${fip.id}`)).body.floatingip.port_id,
      null,
      'deleting the port disassociates its floating IP',
    )
    t.equal(
      (await call('PUT', `/v2.0/routers/${r.id}/remove_router_interface`, { subnet_id: sub.id })).body.NeutronError.type,
      'RouterInterfaceInUseByRoute',
    )
    await call('PUT', `/v2.0/routers/${r.id}`, { router: { routes: [] } })
    t.equal((await call('PUT', `/v2.0/routers/${r.id}/remove_router_interface`, { subnet_id: sub.id })).status, 200)
    t.equal(
      (await call('PUT', `/v2.0/routers/${r.id}/remove_router_interface`, { subnet_id: sub.id })).body.NeutronError.type,
      'RouterInterfaceNotFoundForSubnet',
    )
  })
})
