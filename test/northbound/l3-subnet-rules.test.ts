// Neutron's rules for routers, floating IPs and subnets that its own API tests (neutron-tempest-plugin) hold us
// to: null clears a list attribute, router interface bodies, one subnet pool per network and family, a
// subnet's filter-only `shared`, L3 ports deleted only with their owner, and floating IP (dis)association.
import t from 'tap'
import { PORT_ATTRIBUTES } from '../../model/attributes/ports.js'
import { ROUTER_ATTRIBUTES, interfaceRequest } from '../../model/attributes/routers.js'
import { SUBNET_ATTRIBUTES } from '../../model/attributes/subnets.js'
import { ApiError } from '../../model/errors.js'
import { checkSubnetPoolAffinity } from '../../model/subnet-pool-affinity.js'
import { validateCreate, validateUpdate } from '../../model/validate.js'
import { requestedPort } from '../../northbound/resources/floatingips.js'
import { api, removeDir, startApi } from './helpers/api-process.js'

function apiError(fn: () => unknown): ApiError {
  try {
    fn()
  } catch (e) {
    if (e instanceof ApiError) return e
    throw e
  }
  throw new Error('expected an ApiError')
}

const NET = '3d6f2ef4-9a86-4a54-8a0f-8c5e3d0f6f2a'
const PORT_A = '11111111-2222-3333-4444-555555555555'
const PORT_B = '66666666-7777-8888-9999-000000000000'

t.test('null clears the list attributes neutron-lib converts with convert_none_to_empty_list', async t => {
  t.same(validateUpdate(ROUTER_ATTRIBUTES, { routes: null }, { member: 'router' }).routes, [])
  const subnet = validateUpdate(SUBNET_ATTRIBUTES, { dns_nameservers: null, host_routes: null }, { member: 'subnet' })
  t.same(subnet, { dns_nameservers: [], host_routes: [] })
  const port = validateUpdate(PORT_ATTRIBUTES, { allowed_address_pairs: null, security_groups: null }, { member: 'port' })
  t.same(port, { allowed_address_pairs: [], security_groups: [] })
  t.same(
    validateCreate(PORT_ATTRIBUTES, { network_id: NET, security_groups: null }, { member: 'port' }).security_groups,
    [],
    'on create too: no groups, not the default one',
  )
  t.match(
    apiError(() => validateUpdate(ROUTER_ATTRIBUTES, { routes: 'x' }, { member: 'router' })).message,
    "Invalid input for routes. Reason: 'x' is not a list.",
    'other non-lists still refused',
  )
  t.match(
    apiError(() => validateUpdate(SUBNET_ATTRIBUTES, { allocation_pools: null }, { member: 'subnet' })).message,
    'null is not a list',
    'allocation_pools has no such converter in Neutron',
  )
})

t.test('router interface bodies: one UUID id, both only when removing', async t => {
  t.same(interfaceRequest({ subnet_id: NET }, { forRemoval: false }), { subnet_id: NET })
  const bad = apiError(() => interfaceRequest({ port_id: 'port-123' }, { forRemoval: false }))
  t.equal(bad.type, 'BadRequest')
  t.equal(bad.status, 400, 'a malformed port id is bad input, not a missing port')
  t.equal(bad.message, "Bad router request: 'port-123' is not a valid UUID.")
  t.match(apiError(() => interfaceRequest({}, { forRemoval: false })).message, 'Either subnet_id or port_id must be specified')
  t.match(
    apiError(() => interfaceRequest({ subnet_id: NET, port_id: PORT_A }, { forRemoval: false })).message,
    'Cannot specify both subnet-id and port-id',
  )
  t.same(interfaceRequest({ subnet_id: NET, port_id: PORT_A }, { forRemoval: true }), { port_id: PORT_A, subnet_id: NET })
})

t.test('subnets of one network and family come from one subnet pool', async t => {
  const existing = [
    { ip_version: 4, subnetpool_id: null },
    { ip_version: 6, subnetpool_id: 'pool6' },
  ]
  t.equal(
    apiError(() => checkSubnetPoolAffinity(existing, { ip_version: 4, subnetpool_id: 'pool4' })).type,
    'NetworkSubnetPoolAffinityError',
  )
  t.equal(
    apiError(() => checkSubnetPoolAffinity(existing, { ip_version: 6, subnetpool_id: null })).status,
    400,
    'none after a pool is mixing too',
  )
  t.doesNotThrow(() => checkSubnetPoolAffinity(existing, { ip_version: 4, subnetpool_id: null }))
  t.doesNotThrow(() => checkSubnetPoolAffinity(existing, { ip_version: 6, subnetpool_id: 'pool6' }))
  t.doesNotThrow(() => checkSubnetPoolAffinity([], { ip_version: 4, subnetpool_id: 'pool4' }))
})

t.test('which port a floating IP update asks for', async t => {
  t.equal(requestedPort({}, PORT_A), null, 'an empty body disassociates (the original API)')
  t.equal(requestedPort({ port_id: null }, PORT_A), null)
  t.equal(requestedPort({ description: 'd' }, PORT_A), PORT_A, 'other attributes keep the port')
  t.equal(requestedPort({ port_id: PORT_B }, PORT_A), PORT_B)
  t.match(
    apiError(() => requestedPort({ fixed_ip_address: '10.0.0.5' }, PORT_A)).message,
    'fixed_ip_address cannot be specified without a port_id',
  )
})

t.test('over the API', async t => {
  const a = await startApi({ store: 'embedded', quiet: true })
  t.teardown(async () => {
    await a.kill()
    removeDir(a.dataDir)
  })
  const as = (project: string) => (method: string, path: string, body?: unknown) =>
    api(a.url, method, path, { body, headers: project === 'admin' ? {} : { 'X-Project-Id': project, 'X-Roles': 'member' } })
  const admin = as('admin'),
    alice = as('alice')

  const ext = (await admin('POST', '/v2.0/networks', { network: { name: 'ext', 'router:external': true } })).body.network.id as string
  await admin('POST', '/v2.0/subnets', { subnet: { network_id: ext, cidr: '172.24.60.0/24', ip_version: 4 } })
  const shared = (await admin('POST', '/v2.0/networks', { network: { name: 'shared', shared: true, project_id: 'alice' } })).body.network
    .id as string
  const sharedSub = (
    await alice('POST', '/v2.0/subnets', { subnet: { network_id: shared, cidr: '10.60.0.0/24', ip_version: 4, name: 'on-shared' } })
  ).body.subnet
  const net = (await alice('POST', '/v2.0/networks', { network: { name: 'own' } })).body.network.id as string
  const ownSub = (await alice('POST', '/v2.0/subnets', { subnet: { network_id: net, cidr: '10.61.0.0/24', ip_version: 4, name: 'own' } }))
    .body.subnet

  t.test("subnets filter on their network's shared, which they do not show", async t => {
    const names = async (q: string) => ((await alice('GET', `/v2.0/subnets?${q}`)).body.subnets as { id: string }[]).map(s => s.id)
    t.same(await names('shared=True'), [sharedSub.id])
    t.ok((await names('shared=False')).includes(ownSub.id))
    t.notOk((await names('shared=false')).includes(sharedSub.id))
    t.notOk('shared' in sharedSub, 'not in a create reply')
    t.notOk('shared' in (await alice('GET', `/v2.0/subnets/${sharedSub.id}`)).body.subnet, 'nor in a show')
    t.notOk(
      (await alice('GET', '/v2.0/subnets?shared=True')).body.subnets.some((s: object) => 'shared' in s),
      'nor in a list',
    )
  })

  t.test('a second subnet from another pool on the same network is refused', async t => {
    const pool = (
      await admin('POST', '/v2.0/subnetpools', {
        subnetpool: { name: 'p', prefixes: ['192.168.0.0/16'], default_prefixlen: 24, shared: true },
      })
    ).body.subnetpool.id as string
    const r = await alice('POST', '/v2.0/subnets', { subnet: { network_id: net, ip_version: 4, subnetpool_id: pool } })
    t.equal(r.status, 400)
    t.equal(r.body.NeutronError.type, 'NetworkSubnetPoolAffinityError')
  })

  const router = (await alice('POST', '/v2.0/routers', { router: { name: 'r', external_gateway_info: { network_id: ext } } })).body.router
    .id as string
  await alice('PUT', `/v2.0/routers/${router}/add_router_interface`, { subnet_id: ownSub.id })

  t.test('routes: null clears the routes', async t => {
    const set = await alice('PUT', `/v2.0/routers/${router}`, {
      router: { routes: [{ destination: '10.99.0.0/24', nexthop: '10.61.0.50' }] },
    })
    t.equal(set.body.router.routes.length, 1)
    const cleared = await alice('PUT', `/v2.0/routers/${router}`, { router: { routes: null } })
    t.equal(cleared.status, 200)
    t.same(cleared.body.router.routes, [])
  })

  t.test('a malformed port id in add_router_interface is a 400', async t => {
    const r = await alice('PUT', `/v2.0/routers/${router}/add_router_interface`, { port_id: 'port-123' })
    t.equal(r.status, 400)
    t.equal(r.body.NeutronError.type, 'BadRequest')
  })

  t.test('router ports are not deleted through /ports, by admins either', async t => {
    const routerPorts = (await admin('GET', `/v2.0/ports?device_id=${router}`)).body.ports as { id: string; device_owner: string }[]
    t.same(routerPorts.map(p => p.device_owner).sort(), ['network:router_gateway', 'network:router_interface'])
    for (const p of routerPorts) {
      const r = await admin('DELETE', `/v2.0/ports/${p.id}`)
      t.equal(r.status, 409, p.device_owner)
      t.equal(r.body.NeutronError.type, 'ServicePortInUse')
    }
  })

  t.test('floating IP association as Neutron updates it', async t => {
    const port = (await alice('POST', '/v2.0/ports', { port: { network_id: net } })).body.port.id as string
    const fip = (await alice('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: ext, port_id: port, description: 'd1' } }))
      .body.floatingip
    t.equal(fip.port_id, port)
    const described = await alice('PUT', `/v2.0/floatingips/${fip.id}`, { floatingip: { description: 'd2' } })
    t.equal(described.body.floatingip.port_id, port, 'another attribute keeps the association')
    const again = await alice('PUT', `/v2.0/floatingips/${fip.id}`, { floatingip: { port_id: port } })
    t.equal(again.status, 200, 'the same port again is no change, not a clash with itself')
    const blank = await alice('PUT', `/v2.0/floatingips/${fip.id}`, { floatingip: {} })
    t.equal(blank.body.floatingip.port_id, null, 'an empty update disassociates')
    t.equal(blank.body.floatingip.fixed_ip_address, null)
    t.equal(blank.body.floatingip.description, 'd2')
    const fip2 = (await alice('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: ext, port_id: port } })).body.floatingip
    t.equal(fip2.port_id, port, 'the port is free for another floating IP')
    const clash = await alice('PUT', `/v2.0/floatingips/${fip.id}`, { floatingip: { port_id: port } })
    t.equal(clash.status, 409)
    t.equal(clash.body.NeutronError.type, 'FloatingIPPortAlreadyAssociated')
    const fipPort = (await admin('GET', `/v2.0/ports?device_id=${fip.id}`)).body.ports[0].id as string
    t.equal((await admin('DELETE', `/v2.0/ports/${fipPort}`)).body.NeutronError.type, 'ServicePortInUse', "nor a floating IP's port")

    const bobsPort = (await admin('POST', '/v2.0/ports', { port: { network_id: net, project_id: 'bob' } })).body.port.id as string
    const foreign = await alice('PUT', `/v2.0/floatingips/${fip.id}`, { floatingip: { port_id: bobsPort } })
    t.equal(foreign.status, 400, 'a port of another project, although its network owner sees it')
    t.match(foreign.body.NeutronError.message, 'owned by a different project')
    const byAdmin = await admin('PUT', `/v2.0/floatingips/${fip.id}`, { floatingip: { port_id: bobsPort } })
    t.equal(byAdmin.status, 200, 'an admin may')
  })
})
