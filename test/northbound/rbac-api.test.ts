// RBAC policies of networks through the HTTP API (Neutron's rbac-policies): create/list/update/delete with
// Neutron's refusals, what a project sees and may do on a network shared with it (the network, its subnets,
// ports on it), `shared` <-> the '*' access_as_shared policy, router:external <-> access_as_external policies,
// the in-use refusal, and who may manage a network's policies. Also GET /v2.0/service-providers.
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { silentLogger } from '../../log/logger.js'
import { startApiServer } from '../../northbound/server.js'
import { openStore } from '../../store/registry.js'
import { api, removeDir, tempDir } from './helpers/api-process.js'

// Project ids are UUID-like, as target_tenant must be.
const OWNER = 'a0000000000000000000000000000001'
const FRIEND = 'b0000000000000000000000000000002'
const STRANGER = 'c0000000000000000000000000000003'
const member = (p: string): Record<string, string> => ({ 'X-Project-Id': p, 'X-Roles': 'member' })

// who: a project id, or 'admin' (no headers: the no-auth admin)
async function setup(t: Test): Promise<(who: string, method: string, path: string, body?: unknown) => ReturnType<typeof api>> {
  const dir = tempDir('df-rbac-')
  const store = await openStore({ driver: 'embedded', dir: join(dir, 'store') })
  const server = await startApiServer({ store, port: 0, auth: 'none', log: silentLogger })
  t.teardown(async () => {
    await server.close()
    await store.close()
    removeDir(dir)
  })
  return (who, method, path, body) => api(server.url, method, path, { body, headers: who === 'admin' ? {} : member(who) })
}

type Call = Awaited<ReturnType<typeof setup>>

async function ownerNetwork(call: Call): Promise<{ net: string; sub: string }> {
  const net = (await call(OWNER, 'POST', '/v2.0/networks', { network: { name: 'n' } })).body.network.id as string
  const sub = (await call(OWNER, 'POST', '/v2.0/subnets', { subnet: { network_id: net, cidr: '10.9.0.0/24', ip_version: 4 } })).body.subnet
    .id as string
  return { net, sub }
}

const share = (net: string, target: string, action = 'access_as_shared'): unknown => ({
  rbac_policy: { object_type: 'network', object_id: net, action, target_tenant: target },
})

t.test('a policy shares the network, its subnets and ports on it with its target only', async t => {
  const call = await setup(t)
  const { net, sub } = await ownerNetwork(call)
  t.equal((await call(FRIEND, 'GET', `/v2.0/networks/${net}`)).status, 404, 'not visible before the policy')
  const created = await call(OWNER, 'POST', '/v2.0/rbac-policies', share(net, FRIEND))
  t.equal(created.status, 201)
  const pol = created.body.rbac_policy
  t.same(Object.keys(pol).sort(), ['action', 'id', 'object_id', 'object_type', 'project_id', 'target_tenant', 'tenant_id'])
  t.match(pol, { project_id: OWNER, object_id: net, target_tenant: FRIEND, action: 'access_as_shared' })

  const seen = await call(FRIEND, 'GET', `/v2.0/networks/${net}`)
  t.equal(seen.status, 200)
  t.equal(seen.body.network.shared, true, 'shared as the target sees it')
  t.equal((await call(OWNER, 'GET', `/v2.0/networks/${net}`)).body.network.shared, false, 'not shared with everyone')
  t.equal((await call(FRIEND, 'GET', `/v2.0/subnets/${sub}`)).status, 200, 'its subnet is visible')
  t.ok(
    (await call(FRIEND, 'GET', '/v2.0/networks')).body.networks.some((n: { id: string }) => n.id === net),
    'listed',
  )
  t.equal((await call(STRANGER, 'GET', `/v2.0/networks/${net}`)).status, 404, 'another project still sees nothing')
  t.equal((await call(STRANGER, 'GET', `/v2.0/subnets/${sub}`)).status, 404)
  t.equal((await call(STRANGER, 'POST', '/v2.0/ports', { port: { network_id: net } })).status, 404)

  const port = await call(FRIEND, 'POST', '/v2.0/ports', { port: { network_id: net } })
  t.equal(port.status, 201, 'the target may put a port on it')
  t.equal((await call(FRIEND, 'GET', `/v2.0/ports/${port.body.port.id}`)).status, 200)
  t.equal((await call(STRANGER, 'GET', `/v2.0/ports/${port.body.port.id}`)).status, 404)

  // The policy belongs to the owner: the target does not see it.
  t.equal((await call(FRIEND, 'GET', '/v2.0/rbac-policies')).body.rbac_policies.length, 0)
  t.equal((await call(FRIEND, 'GET', `/v2.0/rbac-policies/${pol.id}`)).status, 404)
  const listed = await call(OWNER, 'GET', `/v2.0/rbac-policies?fields=id&fields=target_tenant&id=${pol.id}`)
  t.same(listed.body.rbac_policies, [{ id: pol.id, target_tenant: FRIEND }])
})

t.test('a port of the target holds its policy: delete and retarget are refused (409) until it goes', async t => {
  const call = await setup(t)
  const { net } = await ownerNetwork(call)
  const pol = (await call('admin', 'POST', '/v2.0/rbac-policies', share(net, FRIEND))).body.rbac_policy
  const port = (await call(FRIEND, 'POST', '/v2.0/ports', { port: { network_id: net } })).body.port
  const del = await call('admin', 'DELETE', `/v2.0/rbac-policies/${pol.id}`)
  t.equal(del.status, 409)
  t.equal(del.body.NeutronError.type, 'RbacPolicyInUse')
  t.match(del.body.NeutronError.message, `tenant_id=${FRIEND}`)
  t.equal((await call('admin', 'PUT', `/v2.0/rbac-policies/${pol.id}`, { rbac_policy: { target_tenant: STRANGER } })).status, 409)
  // A '*' policy covers the port, so the project's own policy may go.
  const all = (await call('admin', 'POST', '/v2.0/rbac-policies', share(net, '*'))).body.rbac_policy
  t.equal((await call('admin', 'DELETE', `/v2.0/rbac-policies/${pol.id}`)).status, 204)
  t.equal((await call('admin', 'DELETE', `/v2.0/rbac-policies/${all.id}`)).status, 409, "now the '*' policy holds the port")
  t.equal((await call(FRIEND, 'DELETE', `/v2.0/ports/${port.id}`)).status, 204)
  t.equal((await call('admin', 'DELETE', `/v2.0/rbac-policies/${all.id}`)).status, 204)
  t.equal((await call(FRIEND, 'GET', `/v2.0/networks/${net}`)).status, 404, 'access is gone with the policies')
})

t.test("shared is the '*' access_as_shared policy, both ways", async t => {
  const call = await setup(t)
  const net = (await call('admin', 'POST', '/v2.0/networks', { network: { name: 's', shared: true } })).body.network
  const wild = async (): Promise<{ id: string }[]> =>
    (await call('admin', 'GET', `/v2.0/rbac-policies?object_id=${net.id}&action=access_as_shared&target_tenant=*`)).body.rbac_policies
  t.equal((await wild()).length, 1, 'creating a shared network makes the policy')
  t.equal((await call('admin', 'PUT', `/v2.0/networks/${net.id}`, { network: { shared: false } })).body.network.shared, false)
  t.equal((await wild()).length, 0, 'shared=false removes it')
  const before = (await call('admin', 'GET', `/v2.0/networks/${net.id}`)).body.network.revision_number as number
  await call('admin', 'POST', '/v2.0/rbac-policies', share(net.id, '*'))
  const after = (await call('admin', 'GET', `/v2.0/networks/${net.id}`)).body.network
  t.equal(after.shared, true, "a '*' policy makes the network shared")
  t.ok(after.revision_number > before, 'and bumps its revision')
  t.equal((await call('admin', 'GET', `/v2.0/networks?shared=true&id=${net.id}`)).body.networks.length, 1)
  t.equal((await call('admin', 'POST', '/v2.0/rbac-policies', share(net.id, '*'))).body.NeutronError.type, 'DuplicateRbacPolicy')
  t.equal((await call('admin', 'DELETE', `/v2.0/rbac-policies/${(await wild())[0]?.id}`)).status, 204)
  t.equal((await call('admin', 'GET', `/v2.0/networks/${net.id}`)).body.network.shared, false)
})

t.test('access_as_external makes the network external for its target, and the last one takes it back', async t => {
  const call = await setup(t)
  const net = (await call('admin', 'POST', '/v2.0/networks', { network: { name: 'e' } })).body.network.id as string
  await call('admin', 'POST', '/v2.0/subnets', { subnet: { network_id: net, cidr: '172.30.0.0/24', ip_version: 4, enable_dhcp: false } })
  const gw = { router: { name: 'r', external_gateway_info: { network_id: net } } }
  t.equal((await call(FRIEND, 'POST', '/v2.0/routers', gw)).status, 404, 'not usable before a policy')
  const pol = (await call('admin', 'POST', '/v2.0/rbac-policies', share(net, FRIEND, 'access_as_external'))).body.rbac_policy
  t.equal((await call('admin', 'GET', `/v2.0/networks/${net}`)).body.network['router:external'], true, 'the policy converts it')
  t.equal((await call(STRANGER, 'GET', `/v2.0/networks/${net}`)).status, 404, 'external for the target only')
  const router = await call(FRIEND, 'POST', '/v2.0/routers', gw)
  t.equal(router.status, 201)
  t.equal(
    (await call('admin', 'DELETE', `/v2.0/rbac-policies/${pol.id}`)).body.NeutronError?.type,
    'RbacPolicyInUse',
    'the gateway holds it',
  )
  t.equal((await call(FRIEND, 'DELETE', `/v2.0/routers/${router.body.router.id}`)).status, 204)
  t.equal((await call('admin', 'DELETE', `/v2.0/rbac-policies/${pol.id}`)).status, 204)
  t.equal((await call('admin', 'GET', `/v2.0/networks/${net}`)).body.network['router:external'], false)
  // router:external through the network API is the '*' access_as_external policy.
  await call('admin', 'PUT', `/v2.0/networks/${net}`, { network: { 'router:external': true } })
  const q = `/v2.0/rbac-policies?object_id=${net}&action=access_as_external&target_tenant=*`
  t.equal((await call('admin', 'GET', q)).body.rbac_policies.length, 1)
  t.equal((await call(STRANGER, 'GET', `/v2.0/networks/${net}`)).status, 200, 'external to everyone')
  await call('admin', 'PUT', `/v2.0/networks/${net}`, { network: { 'router:external': false } })
  t.equal((await call('admin', 'GET', q)).body.rbac_policies.length, 0)
})

t.test('who may manage a network policy, and bad input', async t => {
  const call = await setup(t)
  const { net } = await ownerNetwork(call)
  const post = (who: string, body: unknown): ReturnType<typeof api> => call(who, 'POST', '/v2.0/rbac-policies', body)
  const typeOf = async (p: ReturnType<typeof api>): Promise<[number, string]> => {
    const r = await p
    return [r.status, r.body?.NeutronError?.type]
  }
  t.same(await typeOf(post(FRIEND, share(net, FRIEND))), [400, 'InvalidInput'], "not the owner: Neutron's 400")
  t.same(await typeOf(post(OWNER, share(net, '*'))), [403, 'PolicyNotAuthorized'], "only an admin shares with '*'")
  t.same(await typeOf(post(OWNER, share(net, FRIEND, 'access_as_wizard'))), [400, 'InvalidActionForType'])
  t.same(await typeOf(post(OWNER, share('d0000000-0000-0000-0000-000000000009', FRIEND))), [404, 'NetworkNotFound'])
  t.equal(
    (await post(OWNER, { rbac_policy: { object_type: 'qos_policy', object_id: net, action: 'access_as_shared', target_tenant: FRIEND } }))
      .status,
    400,
  )
  t.equal((await post(OWNER, share(net, 'not-a-project'))).status, 400)
  t.equal(
    (await post(OWNER, { rbac_policy: { object_type: 'network', object_id: net, action: 'access_as_shared', target_tenant: null } }))
      .status,
    400,
  )
  t.equal((await post(OWNER, { rbac_policy: { object_type: 'network', object_id: net, action: 'access_as_shared' } })).status, 400)

  const pol = (await post(OWNER, share(net, FRIEND))).body.rbac_policy
  t.equal((await call(OWNER, 'PUT', `/v2.0/rbac-policies/${pol.id}`, { rbac_policy: { target_tenant: '*' } })).status, 403)
  t.equal(
    (await call(OWNER, 'PUT', `/v2.0/rbac-policies/${pol.id}`, { rbac_policy: { action: 'access_as_external' } })).status,
    400,
    'only target_tenant changes',
  )
  const moved = await call(OWNER, 'PUT', `/v2.0/rbac-policies/${pol.id}`, { rbac_policy: { target_tenant: STRANGER } })
  t.same(moved.body.rbac_policy, { ...pol, target_tenant: STRANGER }, 'the rest stays as it was')
  t.equal((await call(STRANGER, 'GET', `/v2.0/networks/${net}`)).status, 200)
  t.equal((await call(FRIEND, 'GET', `/v2.0/networks/${net}`)).status, 404)
  t.equal((await call(STRANGER, 'DELETE', `/v2.0/rbac-policies/${pol.id}`)).status, 404, "the target cannot remove the owner's policy")
  t.equal((await call('admin', 'DELETE', `/v2.0/rbac-policies/${pol.id}`)).status, 204)
  t.equal((await call('admin', 'GET', `/v2.0/rbac-policies/${pol.id}`)).body.NeutronError.type, 'RbacPolicyNotFound')
  // Deleting the network takes its policies with it.
  await post(OWNER, share(net, FRIEND))
  t.equal((await call(OWNER, 'DELETE', `/v2.0/networks/${net}`)).status, 204)
  t.same((await call('admin', 'GET', '/v2.0/rbac-policies')).body.rbac_policies, [])
})

t.test('service providers: an empty list, with fields and filters checked as in other lists', async t => {
  const call = await setup(t)
  const r = await call(FRIEND, 'GET', '/v2.0/service-providers?service_type=L3_ROUTER_NAT&fields=name')
  t.equal(r.status, 200)
  t.same(r.body, { service_providers: [] })
  t.equal((await call(FRIEND, 'GET', '/v2.0/service-providers?bogus=1')).status, 400, 'an unknown filter is refused')
  t.equal((await call('admin', 'POST', '/v2.0/service-providers', {})).status, 405)
  const aliases = (await call(FRIEND, 'GET', '/v2.0/extensions')).body.extensions.map((e: { alias: string }) => e.alias)
  t.ok(aliases.includes('rbac-policies') && aliases.includes('service-type'), 'both extensions are advertised')
})

t.test('a policy lets its target allocate a floating IP; deleting the network takes the unused one along', async t => {
  const call = await setup(t)
  const net = (await call('admin', 'POST', '/v2.0/networks', { network: { name: 'e' } })).body.network.id as string
  await call('admin', 'POST', '/v2.0/subnets', { subnet: { network_id: net, cidr: '172.31.0.0/24', ip_version: 4, enable_dhcp: false } })
  await call('admin', 'POST', '/v2.0/rbac-policies', share(net, OWNER, 'access_as_external'))
  const fip = { floatingip: { floating_network_id: net } }
  t.equal((await call(FRIEND, 'POST', '/v2.0/floatingips', fip)).status, 404, 'not granted: not found')
  await call('admin', 'POST', '/v2.0/rbac-policies', share(net, FRIEND, 'access_as_external'))
  const made = await call(FRIEND, 'POST', '/v2.0/floatingips', fip)
  t.equal(made.status, 201)
  t.equal((await call('admin', 'DELETE', `/v2.0/networks/${net}`)).status, 204, 'an unassociated floating IP does not hold the network')
  t.equal((await call('admin', 'GET', `/v2.0/floatingips/${made.body.floatingip.id}`)).status, 404)
  t.same((await call('admin', 'GET', `/v2.0/ports?network_id=${net}`)).body.ports, [])
})
