// Neutron's default policy through the HTTP API, as a table: each row is one request and the status each
// persona gets (admin; `owner`, a member of the project owning a shared network; `other`, a member of another
// project; `reader`, a reader of the owner's project). Then attribute visibility on reads, a policy.yaml
// override, a bad policy.yaml refused at start, two servers of one process each with its own policy, Keystone's
// manager and service roles, and the real `openstack` CLI refused with 403.
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { Policy } from '../../northbound/policy/engine.js'
import { startApiServer } from '../../northbound/server.js'
import { openStore } from '../../store/registry.js'
import { REPO, api, cliEnv, openstack, removeDir, startApi, tempDir } from './helpers/api-process.js'
import { silentLogger } from '../../log/logger.js'

type Persona = 'admin' | 'owner' | 'other' | 'reader'
const HEADERS: Record<Persona, Record<string, string>> = {
  admin: {},
  owner: { 'X-Project-Id': 'owner', 'X-Roles': 'member' },
  other: { 'X-Project-Id': 'other', 'X-Roles': 'member' },
  reader: { 'X-Project-Id': 'owner', 'X-Roles': 'reader' },
}

interface World {
  url: string
  shared: string
  sharedSub: string
  ext: string
  extSub: string
  priv: string
  otherPort: string
  ownerRouter: string
}

async function world(url: string): Promise<World> {
  const as = (who: Persona) => (method: string, path: string, body?: unknown) => api(url, method, path, { body, headers: HEADERS[who] })
  const admin = as('admin')
  const net = async (body: object) => (await admin('POST', '/v2.0/networks', { network: body })).body.network.id as string
  const sub = async (network_id: string, cidr: string, project_id: string) =>
    (await admin('POST', '/v2.0/subnets', { subnet: { network_id, cidr, ip_version: 4, project_id } })).body.subnet.id as string
  const shared = await net({ name: 'shared', shared: true, project_id: 'owner' })
  const ext = await net({ name: 'ext', 'router:external': true })
  const priv = await net({ name: 'private', project_id: 'owner' })
  const w = {
    url,
    shared,
    ext,
    priv,
    sharedSub: await sub(shared, '10.50.0.0/24', 'owner'),
    extSub: await sub(ext, '172.24.50.0/24', 'admin'),
    otherPort: (await as('other')('POST', '/v2.0/ports', { port: { network_id: shared, name: 'others' } })).body.port.id as string,
    ownerRouter: (await as('owner')('POST', '/v2.0/routers', { router: { name: 'r' } })).body.router.id as string,
  }
  await sub(priv, '10.51.0.0/24', 'owner')
  return w
}

interface Row {
  what: string
  method: string
  path: (w: World) => string
  body?: (w: World) => unknown
  want: Partial<Record<Persona, number>>
  /** the 403's NeutronError, when not a policy rule's PolicyNotAuthorized (Neutron's ownership hook) */
  forbidden?: { type: 'HTTPForbidden'; message: string }
}

const OWNERSHIP = (resource: string) => ({
  type: 'HTTPForbidden' as const,
  message: `Tenant other not allowed to create ${resource} on this network`,
})

const port = (w: World, extra: object = {}) => ({ port: { network_id: w.shared, ...extra } })
const ROWS: Row[] = [
  {
    what: 'create_port on a shared network',
    method: 'POST',
    path: () => '/v2.0/ports',
    body: w => port(w),
    want: { admin: 201, owner: 201, other: 201, reader: 403 },
  },
  {
    what: 'create_port on the external network (not shared)',
    method: 'POST',
    path: () => '/v2.0/ports',
    body: w => ({ port: { network_id: w.ext } }),
    want: { admin: 201, other: 403 },
    forbidden: OWNERSHIP('port'),
  },
  {
    what: 'create_subnet on the external network (not shared)',
    method: 'POST',
    path: () => '/v2.0/subnets',
    body: w => ({ subnet: { network_id: w.ext, cidr: '172.24.51.0/24', ip_version: 4 } }),
    want: { other: 403 },
    forbidden: OWNERSHIP('subnet'),
  },
  {
    what: "create_port on another project's private network",
    method: 'POST',
    path: () => '/v2.0/ports',
    body: w => ({ port: { network_id: w.priv } }),
    want: { owner: 201, other: 404 },
  },
  {
    what: 'create_port:binding:host_id',
    method: 'POST',
    path: () => '/v2.0/ports',
    body: w => port(w, { 'binding:host_id': 'node-1' }),
    want: { admin: 201, owner: 403, other: 403 },
  },
  {
    what: 'create_port:binding:profile (service only)',
    method: 'POST',
    path: () => '/v2.0/ports',
    body: w => port(w, { 'binding:profile': { a: 1 } }),
    want: { admin: 403, other: 403 },
  },
  {
    what: 'create_port:device_owner network:router_interface',
    method: 'POST',
    path: () => '/v2.0/ports',
    body: w => port(w, { device_owner: 'network:router_interface' }),
    want: { admin: 201, owner: 201, other: 403 },
  },
  {
    what: 'create_port:device_owner network:dhcp',
    method: 'POST',
    path: () => '/v2.0/ports',
    body: w => port(w, { device_owner: 'network:dhcp' }),
    want: { owner: 201, other: 403 },
  },
  {
    what: 'create_port:device_owner compute:nova (not a network device)',
    method: 'POST',
    path: () => '/v2.0/ports',
    body: w => port(w, { device_owner: 'compute:nova' }),
    want: { other: 201 },
  },
  {
    what: 'create_port:mac_address',
    method: 'POST',
    path: () => '/v2.0/ports',
    body: w => port(w, { mac_address: 'fa:16:3e:50:00:01' }),
    want: { owner: 201, other: 403 },
  },
  {
    what: 'create_port:fixed_ips:ip_address',
    method: 'POST',
    path: () => '/v2.0/ports',
    body: w => port(w, { fixed_ips: [{ subnet_id: w.sharedSub, ip_address: '10.50.0.77' }] }),
    want: { admin: 201, other: 403 },
  },
  {
    what: 'create_port:fixed_ips:subnet_id on a shared network',
    method: 'POST',
    path: () => '/v2.0/ports',
    body: w => port(w, { fixed_ips: [{ subnet_id: w.sharedSub }] }),
    want: { other: 201 },
  },
  {
    what: 'create_port:port_security_enabled',
    method: 'POST',
    path: () => '/v2.0/ports',
    body: w => port(w, { port_security_enabled: false }),
    want: { admin: 201, owner: 201, other: 403 },
  },
  {
    what: 'update_port:device_owner network:router_gateway',
    method: 'PUT',
    path: w => `/v2.0/ports/${w.otherPort}`,
    body: () => ({ port: { device_owner: 'network:router_gateway' } }),
    want: { other: 403 },
  },
  {
    what: 'update_port:binding:host_id',
    method: 'PUT',
    path: w => `/v2.0/ports/${w.otherPort}`,
    body: () => ({ port: { 'binding:host_id': 'node-2' } }),
    want: { other: 403, admin: 200 },
  },
  {
    what: 'update_port:mac_address',
    method: 'PUT',
    path: w => `/v2.0/ports/${w.otherPort}`,
    body: () => ({ port: { mac_address: 'fa:16:3e:50:00:02' } }),
    want: { other: 403 },
  },
  {
    what: 'update_port:port_security_enabled',
    method: 'PUT',
    path: w => `/v2.0/ports/${w.otherPort}`,
    body: () => ({ port: { port_security_enabled: false, security_groups: [] } }),
    want: { other: 403 },
  },
  {
    what: 'update_port name (owner of the port)',
    method: 'PUT',
    path: w => `/v2.0/ports/${w.otherPort}`,
    body: () => ({ port: { name: 'x' } }),
    want: { other: 200, owner: 403, reader: 403 },
  },
  {
    what: 'get_port of another project on my network (network owner reads)',
    method: 'GET',
    path: w => `/v2.0/ports/${w.otherPort}`,
    want: { owner: 200, reader: 200, admin: 200 },
  },
  {
    what: 'create_floatingip',
    method: 'POST',
    path: () => '/v2.0/floatingips',
    body: w => ({ floatingip: { floating_network_id: w.ext } }),
    want: { other: 201, reader: 403 },
  },
  {
    what: 'create_floatingip:floating_ip_address',
    method: 'POST',
    path: () => '/v2.0/floatingips',
    body: w => ({ floatingip: { floating_network_id: w.ext, floating_ip_address: '172.24.50.99' } }),
    want: { other: 403, admin: 201 },
  },
  {
    what: 'create_router:external_gateway_info:network_id',
    method: 'POST',
    path: () => '/v2.0/routers',
    body: w => ({ router: { external_gateway_info: { network_id: w.ext } } }),
    want: { other: 201 },
  },
  {
    what: 'create_router:external_gateway_info:enable_snat',
    method: 'POST',
    path: () => '/v2.0/routers',
    body: w => ({ router: { external_gateway_info: { network_id: w.ext, enable_snat: false } } }),
    want: { other: 403, admin: 201 },
  },
  {
    what: 'create_router:external_gateway_info:external_fixed_ips',
    method: 'POST',
    path: () => '/v2.0/routers',
    body: w => ({ router: { external_gateway_info: { network_id: w.ext, external_fixed_ips: [{ subnet_id: w.extSub }] } } }),
    want: { other: 403, admin: 201 },
  },
  {
    what: 'update_router:external_gateway_info:enable_snat',
    method: 'PUT',
    path: w => `/v2.0/routers/${w.ownerRouter}`,
    body: w => ({ router: { external_gateway_info: { network_id: w.ext, enable_snat: false } } }),
    want: { owner: 403, other: 404, reader: 403 },
  },
  {
    what: 'create_router:distributed',
    method: 'POST',
    path: () => '/v2.0/routers',
    body: () => ({ router: { distributed: true } }),
    want: { other: 403, admin: 201 },
  },
  {
    what: 'create_network:shared',
    method: 'POST',
    path: () => '/v2.0/networks',
    body: () => ({ network: { shared: true } }),
    want: { other: 403, admin: 201 },
  },
  {
    what: 'create_network:router:external',
    method: 'POST',
    path: () => '/v2.0/networks',
    body: () => ({ network: { 'router:external': true } }),
    want: { other: 403 },
  },
  {
    what: 'create_network:provider:network_type',
    method: 'POST',
    path: () => '/v2.0/networks',
    body: () => ({ network: { 'provider:network_type': 'vxlan' } }),
    want: { other: 403, admin: 201 },
  },
  {
    what: 'create_network (reader)',
    method: 'POST',
    path: () => '/v2.0/networks',
    body: () => ({ network: { name: 'n' } }),
    want: { reader: 403, owner: 201 },
  },
  {
    what: 'update_network of a shared network not mine',
    method: 'PUT',
    path: w => `/v2.0/networks/${w.shared}`,
    body: () => ({ network: { name: 'x' } }),
    want: { other: 403, reader: 403, owner: 200 },
  },
  {
    what: 'get_network private of another project',
    method: 'GET',
    path: w => `/v2.0/networks/${w.priv}`,
    want: { other: 404, reader: 200 },
  },
  { what: 'get_subnet of the external network', method: 'GET', path: w => `/v2.0/subnets/${w.extSub}`, want: { other: 200 } },
  {
    what: 'create_subnet on a shared network not mine',
    method: 'POST',
    path: () => '/v2.0/subnets',
    body: w => ({ subnet: { network_id: w.shared, cidr: '10.52.0.0/24', ip_version: 4 } }),
    want: { other: 403 },
  },
  { what: 'delete_subnet of a shared network not mine', method: 'DELETE', path: w => `/v2.0/subnets/${w.sharedSub}`, want: { other: 403 } },
  { what: 'get_quota of another project', method: 'GET', path: () => '/v2.0/quotas/owner', want: { other: 403, owner: 200, reader: 200 } },
  {
    what: 'update_quota',
    method: 'PUT',
    path: () => '/v2.0/quotas/other',
    body: () => ({ quota: { network: 1000 } }),
    want: { other: 403, admin: 200 },
  },
  {
    what: 'update_network:tags on a shared network not mine',
    method: 'PUT',
    path: w => `/v2.0/networks/${w.shared}/tags/mine`,
    want: { other: 403, owner: 201 },
  },
]

t.test('every rule, allowed and refused, by persona', async t => {
  const a = await startApi({ store: 'embedded', quiet: true })
  t.teardown(async () => {
    await a.kill()
    removeDir(a.dataDir)
  })
  const w = await world(a.url)
  for (const row of ROWS) {
    for (const [who, status] of Object.entries(row.want) as [Persona, number][]) {
      const r = await api(a.url, row.method, row.path(w), { body: row.body?.(w), headers: HEADERS[who] })
      t.equal(
        r.status,
        status,
        `${row.what}: ${who} gets ${status}${r.status !== status ? ` (got ${r.status}: ${JSON.stringify(r.body)})` : ''}`,
      )
      if (status !== 403 || r.status !== 403) continue
      if (row.forbidden) {
        t.same(
          r.body.NeutronError,
          { ...row.forbidden, detail: '' },
          `${row.what}: ${who} is refused by the ownership hook, in Neutron's words`,
        )
      } else {
        t.equal(r.body.NeutronError?.type, 'PolicyNotAuthorized', `${row.what}: a policy refusal`)
        t.match(r.body.NeutronError?.message, / is disallowed by policy$/, `${row.what}: naming the rule`)
      }
    }
  }
})

t.test('attribute visibility on reads follows get_<resource>:<attribute>', async t => {
  const a = await startApi({ store: 'embedded', quiet: true })
  t.teardown(async () => {
    await a.kill()
    removeDir(a.dataDir)
  })
  const w = await world(a.url)
  const bound = (await api(a.url, 'PUT', `/v2.0/ports/${w.otherPort}`, { body: { port: { 'binding:host_id': 'node-1' } } })).body.port
  t.equal(bound['binding:host_id'], 'node-1', 'an admin reads binding:host_id')
  t.equal(bound['binding:vif_type'], 'ovs')
  for (const read of [
    await api(a.url, 'GET', `/v2.0/ports/${w.otherPort}`, { headers: HEADERS.other }),
    await api(a.url, 'GET', '/v2.0/ports', { headers: HEADERS.other }),
  ]) {
    const p = read.body.port ?? read.body.ports.find((x: { id: string }) => x.id === w.otherPort)
    t.equal(p.id, w.otherPort, 'the member reads its own port')
    for (const k of ['binding:host_id', 'binding:profile', 'binding:vif_type', 'binding:vif_details']) t.notOk(k in p, `but not ${k}`)
    t.ok('binding:vnic_type' in p, 'binding:vnic_type has no rule: shown')
  }
  const net = (await api(a.url, 'GET', `/v2.0/networks/${w.shared}`, { headers: HEADERS.owner })).body.network
  t.notOk('provider:network_type' in net, 'provider attributes are for admins')
  t.ok('provider:network_type' in (await api(a.url, 'GET', `/v2.0/networks/${w.shared}`)).body.network)
  const listed = (await api(a.url, 'GET', '/v2.0/ports', { headers: HEADERS.owner })).body.ports.map((p: { id: string }) => p.id)
  t.ok(listed.includes(w.otherPort), "the network owner lists other projects' ports on its network")
  const others = (await api(a.url, 'GET', '/v2.0/networks', { headers: HEADERS.other })).body.networks.map((n: { id: string }) => n.id)
  t.ok(others.includes(w.shared) && others.includes(w.ext), 'shared and external networks are listed for everyone')
  t.notOk(others.includes(w.priv), "another project's private network is not")
})

t.test('policy.yaml overrides, `dragonflow policy list`, and a bad file refused at start', async t => {
  const dir = tempDir('df-policy-')
  t.teardown(() => removeDir(dir))
  const file = join(dir, 'policy.yaml')
  writeFileSync(
    file,
    [
      '# compute hosts bind ports',
      '"create_port:binding:host_id": "rule:admin_only or role:compute"',
      'get_port:binding:host_id: "rule:admin_only or role:compute"',
      'create_network: "rule:admin_only"',
    ].join('\n'),
  )
  const a = await startApi({ store: 'embedded', quiet: true, policyFile: file })
  t.teardown(async () => {
    await a.kill()
    removeDir(a.dataDir)
  })
  const w = await world(a.url)
  const compute = { 'X-Project-Id': 'other', 'X-Roles': 'member,compute' }
  const made = await api(a.url, 'POST', '/v2.0/ports', {
    body: { port: { network_id: w.shared, 'binding:host_id': 'node-9' } },
    headers: compute,
  })
  t.equal(made.status, 201, 'the override lets the compute role bind')
  t.equal(made.body.port['binding:host_id'], 'node-9', 'and read the binding')
  t.equal(
    (
      await api(a.url, 'POST', '/v2.0/ports', {
        body: { port: { network_id: w.shared, 'binding:host_id': 'node-9' } },
        headers: HEADERS.other,
      })
    ).status,
    403,
    'a plain member still cannot',
  )
  const net = await api(a.url, 'POST', '/v2.0/networks', { body: { network: { name: 'n' } }, headers: HEADERS.owner })
  t.equal(net.status, 403, 'create_network is admin only now')
  t.equal(net.body.NeutronError.message, 'rule:create_network is disallowed by policy')

  const cli = join(REPO, 'bin/dragonflow.js')
  const listed = execFileSync(process.execPath, [cli, 'policy', 'list', '--policy-file', file], { encoding: 'utf8' })
  t.match(listed, `"create_network": "rule:admin_only"  # override (${file}:4)`)
  t.match(
    listed,
    '"get_port": "((rule:admin_only) or (rule:service_api)) or (role:reader and rule:network_owner) or (role:reader and project_id:%(project_id)s)"',
  )
  t.equal(
    listed.split('\n').filter(Boolean).length,
    JSON.parse(execFileSync(process.execPath, [cli, 'policy', 'list', '--json'], { encoding: 'utf8' })).length,
    'every rule, once',
  )

  const bad = join(dir, 'bad.yaml')
  writeFileSync(bad, 'get_port: "rule:admin_only"\ncreate_port: "rule:admin_only or (role:member"\n')
  const started = await startApi({ store: 'embedded', quiet: true, policyFile: bad }).then(
    async p => {
      await p.kill()
      removeDir(p.dataDir)
      return 'started'
    },
    (err: Error) => err.message,
  )
  t.match(started, `--policy-file: ${bad}:2: rule 'create_port': missing ')'`, 'the API does not start, and says which rule on which line')
})

t.test('two servers in one process each enforce their own policy', async t => {
  const dir = tempDir('df-policy-servers-')
  t.teardown(() => removeDir(dir))
  const start = async (name: string, policy?: Policy) => {
    const store = await openStore({ driver: 'embedded', dir: join(dir, name) })
    const server = await startApiServer({ store, port: 0, auth: 'none', policy, log: silentLogger })
    t.teardown(async () => {
      await server.close()
      await store.close()
    })
    return server
  }
  const strict = await start('strict', Policy.create([{ name: 'create_network', check: 'rule:admin_only', origin: 'test' }]))
  const plain = await start('plain')
  const create = (url: string) => api(url, 'POST', '/v2.0/networks', { body: { network: { name: 'n' } }, headers: HEADERS.owner })
  const refused = await create(strict.url)
  t.equal(refused.status, 403, 'the server given the override refuses a member')
  t.equal(refused.body.NeutronError.message, 'rule:create_network is disallowed by policy')
  t.equal((await create(plain.url)).status, 201, "the other server, started after it, keeps Neutron's defaults")
  t.equal((await create(strict.url)).status, 403, 'and starting it changed nothing for the first')
})

t.test("Keystone's manager and service roles exist and imply as Keystone's defaults", async t => {
  const a = await startApi({ store: 'embedded', auth: 'keystone', adminToken: 'tok-admin', adminPassword: 'adminpw', quiet: true })
  t.teardown(async () => {
    await a.kill()
    removeDir(a.dataDir)
  })
  const admin = { 'X-Auth-Token': 'tok-admin' }
  const adm = (method: string, path: string, body?: unknown) => api(a.url, method, path, { body, headers: admin })
  const roles = new Map(((await adm('GET', '/v3/roles')).body.roles as { id: string; name: string }[]).map(r => [r.name, r.id]))
  t.same(
    [...roles.keys()].sort(),
    ['admin', 'manager', 'member', 'reader', 'service'],
    'the bootstrap roles, as keystone-manage bootstrap makes them',
  )
  const ext = (await adm('POST', '/v2.0/networks', { network: { name: 'public', 'router:external': true } })).body.network.id as string
  await adm('POST', '/v2.0/subnets', { subnet: { network_id: ext, cidr: '172.24.70.0/24', ip_version: 4 } })
  const shared = (await adm('POST', '/v2.0/networks', { network: { name: 'shared', shared: true } })).body.network.id as string
  /** A token of a new user holding only `role` on a new project. */
  const tokenWith = async (role: string): Promise<string> => {
    const project = (await adm('POST', '/v3/projects', { project: { name: `p-${role}`, domain_id: 'default' } })).body.project.id as string
    const user = (await adm('POST', '/v3/users', { user: { name: `u-${role}`, password: 'pw', domain_id: 'default' } })).body.user
      .id as string
    t.equal(
      (await adm('PUT', `/v3/projects/${project}/users/${user}/roles/${roles.get(role) ?? 'missing'}`)).status,
      204,
      `${role} assigned`,
    )
    const tok = await api(a.url, 'POST', '/v3/auth/tokens', {
      body: {
        auth: {
          identity: { methods: ['password'], password: { user: { name: `u-${role}`, domain: { name: 'Default' }, password: 'pw' } } },
          scope: { project: { id: project } },
        },
      },
    })
    t.equal(tok.status, 201, `a token for ${role}`)
    return tok.headers['x-subject-token'] as string
  }
  const as = (token: string) => (method: string, path: string, body?: unknown) =>
    api(a.url, method, path, { body, headers: { 'X-Auth-Token': token } })
  const fip = (address: string) => ({ floatingip: { floating_network_id: ext, floating_ip_address: address } })
  const manager = as(await tokenWith('manager')),
    member = as(await tokenWith('member')),
    service = as(await tokenWith('service'))
  // create_floatingip needs a member, its floating_ip_address a manager: a manager alone has both.
  t.equal(
    (await manager('POST', '/v2.0/floatingips', fip('172.24.70.50'))).status,
    201,
    'a manager picks a floating IP address (manager implies member)',
  )
  t.equal((await member('POST', '/v2.0/floatingips', fip('172.24.70.51'))).status, 403, 'a member may not')
  t.equal((await manager('GET', '/v2.0/networks')).status, 200, 'a manager reads (member implies reader)')
  // binding:host_id is for admins and the service role; the service role implies no project role.
  const bound = await service('POST', '/v2.0/ports', { port: { network_id: shared, 'binding:host_id': 'node-7' } })
  t.equal(bound.status, 201, `the service role binds a port${bound.status === 201 ? '' : ` (${JSON.stringify(bound.body)})`}`)
  t.equal(bound.body.port?.['binding:host_id'], 'node-7', 'and reads the binding')
  t.equal(
    (await manager('POST', '/v2.0/ports', { port: { network_id: shared, 'binding:host_id': 'node-7' } })).status,
    403,
    'a manager does not',
  )
  t.equal(
    (await service('POST', '/v2.0/networks', { network: { name: 'n' } })).status,
    403,
    'service is not member: it creates no network of its own',
  )
})

t.test('the openstack CLI is refused with 403 where the policy says so', async t => {
  const a = await startApi({ store: 'embedded', auth: 'keystone', adminToken: 'tok-admin', adminPassword: 'adminpw', quiet: true })
  t.teardown(async () => {
    await a.kill()
    removeDir(a.dataDir)
  })
  const env = (user: string, password: string, project: string): NodeJS.ProcessEnv =>
    cliEnv({
      OS_AUTH_URL: `${a.url}/v3`,
      OS_USERNAME: user,
      OS_PASSWORD: password,
      OS_PROJECT_NAME: project,
      OS_USER_DOMAIN_NAME: 'Default',
      OS_PROJECT_DOMAIN_NAME: 'Default',
      OS_IDENTITY_API_VERSION: '3',
    })
  const admin = { 'X-Auth-Token': 'tok-admin' }
  const adm = (method: string, path: string, body?: unknown) => api(a.url, method, path, { body, headers: admin })
  const project = (await adm('POST', '/v3/projects', { project: { name: 'demo', domain_id: 'default' } })).body.project.id as string
  const user = (await adm('POST', '/v3/users', { user: { name: 'demo', password: 'demopw', domain_id: 'default' } })).body.user.id as string
  const member = (await adm('GET', '/v3/roles?name=member')).body.roles[0].id as string
  t.equal((await adm('PUT', `/v3/projects/${project}/users/${user}/roles/${member}`)).status, 204)
  const shared = (await adm('POST', '/v2.0/networks', { network: { name: 'shared', shared: true } })).body.network.id as string
  await adm('POST', '/v2.0/subnets', { subnet: { network_id: shared, cidr: '10.60.0.0/24', ip_version: 4 } })
  const ext = (await adm('POST', '/v2.0/networks', { network: { name: 'public', 'router:external': true } })).body.network.id as string
  await adm('POST', '/v2.0/subnets', { subnet: { network_id: ext, cidr: '172.24.60.0/24', ip_version: 4 } })
  const demo = env('demo', 'demopw', 'demo')
  const cases: [string, string[], RegExp][] = [
    [
      'binding:host_id on a port',
      ['port', 'create', '--network', shared, '--host', 'node-1', 'p1'],
      /create_port:binding:host_id\) is disallowed by policy/,
    ],
    [
      'a chosen floating IP address',
      ['floating', 'ip', 'create', '--floating-ip-address', '172.24.60.50', ext],
      /create_floatingip:floating_ip_address\) is disallowed by policy/,
    ],
    [
      'a gateway without SNAT',
      ['router', 'create', '--external-gateway', ext, '--disable-snat', 'r1'],
      /create_router:external_gateway_info:enable_snat\)+ is disallowed by policy/,
    ],
    ['a port on the external network', ['port', 'create', '--network', ext, 'p2'], /not allowed to create port on this network/],
  ]
  for (const [what, args, message] of cases) {
    const r = await openstack(demo, args)
    t.not(r.code, 0, `${what}: refused`)
    t.match(r.stderr, /403|Forbidden|disallowed|not allowed/i, `${what}: 403`)
    t.match(r.stderr, message, `${what}: the policy's words`)
  }
  const ok = await openstack(demo, ['port', 'create', '--network', shared, 'p3', '-f', 'json'])
  t.equal(ok.code, 0, `a plain port on the shared network is allowed (${ok.stderr.trim()})`)
  const shown = JSON.parse(ok.stdout || '{}') as Record<string, unknown>
  t.ok(shown.binding_host_id === undefined || shown.binding_host_id === null, 'and the member is not shown binding:host_id')
})
