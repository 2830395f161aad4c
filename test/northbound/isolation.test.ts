// Project isolation through Keystone tokens: project B cannot read or change project A's network, port or router
// (404, as Neutron hides others' objects), gets 403 where Neutron's policy says so (a shared network it can see
// but does not own, admin-only attributes), and an admin sees everything.
import t from 'tap'
import { api, removeDir, startApi } from './helpers/api-process.js'

const ADMIN = 'admin-secret'

t.test('a project sees and changes only its own objects', async t => {
  const a = await startApi({ store: 'embedded', auth: 'keystone', adminToken: ADMIN, quiet: true })
  t.teardown(async () => {
    await a.kill()
    removeDir(a.dataDir)
  })
  const admin = { 'X-Auth-Token': ADMIN }
  const call = (method: string, path: string, token: string, body?: unknown) =>
    api(a.url, method, path, { body, headers: { 'X-Auth-Token': token } })

  // Identity: two projects with a member each.
  const roles = await api(a.url, 'GET', '/v3/roles?name=member', { headers: admin })
  const member = roles.body.roles[0].id as string
  const tokens: Record<string, string> = {}
  const projects: Record<string, string> = {}
  for (const name of ['alpha', 'beta']) {
    const p = await api(a.url, 'POST', '/v3/projects', { body: { project: { name, domain_id: 'default' } }, headers: admin })
    t.equal(p.status, 201)
    const u = await api(a.url, 'POST', '/v3/users', {
      body: { user: { name: `${name}-user`, password: `${name}-pw`, domain_id: 'default' } },
      headers: admin,
    })
    t.equal(
      (await api(a.url, 'PUT', `/v3/projects/${p.body.project.id}/users/${u.body.user.id}/roles/${member}`, { headers: admin })).status,
      204,
    )
    const tok = await api(a.url, 'POST', '/v3/auth/tokens', {
      body: {
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: `${name}-user`, domain: { name: 'Default' }, password: `${name}-pw` } },
          },
          scope: { project: { name, domain: { name: 'Default' } } },
        },
      },
    })
    t.equal(tok.status, 201)
    t.equal(
      tok.body.token.catalog.find((s: { type: string }) => s.type === 'network').endpoints[0].url,
      a.url,
      'the catalog names this API as the network endpoint',
    )
    tokens[name] = tok.headers['x-subject-token'] as string
    projects[name] = p.body.project.id
  }
  const A = tokens.alpha as string,
    B = tokens.beta as string
  t.equal((await api(a.url, 'GET', '/v2.0/networks')).status, 401, 'no token, no access')
  t.equal((await call('GET', '/v2.0/networks', 'forged.token')).status, 401)
  const validated = await api(a.url, 'GET', '/v3/auth/tokens', { headers: { 'X-Auth-Token': A, 'X-Subject-Token': A } })
  t.equal(validated.body.token.project.id, projects.alpha, 'token validation')

  // Project A's objects.
  const net = (await call('POST', '/v2.0/networks', A, { network: { name: 'a-net' } })).body.network
  t.equal(net.project_id, projects.alpha)
  const sub = (await call('POST', '/v2.0/subnets', A, { subnet: { network_id: net.id, ip_version: 4, cidr: '10.40.0.0/24' } })).body.subnet
  const port = (await call('POST', '/v2.0/ports', A, { port: { network_id: net.id } })).body.port
  const router = (await call('POST', '/v2.0/routers', A, { router: { name: 'a-router' } })).body.router
  t.ok(net.id && sub.id && port.id && router.id, 'A created a network, subnet, port and router')

  // Project B: 404 for all of them, on read and on write; they are absent from its lists.
  for (const [kind, id] of [
    ['networks', net.id],
    ['subnets', sub.id],
    ['ports', port.id],
    ['routers', router.id],
  ] as const) {
    const member = kind.slice(0, -1)
    t.equal((await call('GET', `/v2.0/${kind}/${id}`, B)).status, 404, `B cannot read A's ${member}`)
    const put = await call('PUT', `/v2.0/${kind}/${id}`, B, { [member]: { name: 'stolen' } })
    t.equal(put.status, 404, `B cannot update A's ${member}`)
    t.equal(put.body.NeutronError.type, `${member[0]!.toUpperCase()}${member.slice(1)}NotFound`)
    t.equal((await call('DELETE', `/v2.0/${kind}/${id}`, B)).status, 404, `B cannot delete A's ${member}`)
    t.same(
      (await call('GET', `/v2.0/${kind}`, B)).body[kind].filter((o: { project_id: string }) => o.project_id === projects.alpha),
      [],
      `A's ${kind} are not listed for B`,
    )
  }
  const onA = await call('POST', '/v2.0/ports', B, { port: { network_id: net.id } })
  t.equal(onA.status, 404, "B cannot put a port on A's network")
  t.equal(onA.body.NeutronError.message, `Network ${net.id} could not be found.`)
  t.equal(
    (await call('PUT', `/v2.0/routers/${router.id}/add_router_interface`, B, { subnet_id: sub.id })).status,
    404,
    "B cannot attach to A's router",
  )
  t.equal((await call('GET', `/v2.0/networks/${net.id}/tags`, B)).status, 404)
  const spoof = await call('POST', '/v2.0/networks', B, { network: { name: 'x', project_id: projects.alpha } })
  t.equal(spoof.status, 400, "B cannot create in A's project")
  const provider = await call('POST', '/v2.0/networks', B, { network: { name: 'x', 'provider:network_type': 'vlan' } })
  t.equal(provider.status, 403, 'provider attributes are admin only')
  t.equal(provider.body.NeutronError.type, 'PolicyNotAuthorized')
  t.equal((await call('PUT', `/v2.0/quotas/${projects.beta}`, B, { quota: { network: 1000 } })).status, 403, 'B cannot raise its quota')
  t.equal((await call('GET', `/v2.0/quotas/${projects.alpha}`, B)).status, 403, "B cannot read A's quota")
  t.equal((await call('POST', '/v3/projects', B, { project: { name: 'mine' } })).status, 403, 'identity changes need admin')

  // A shared network is visible to B, but only its owner (or an admin) may change it: 403.
  const shared = (
    await api(a.url, 'POST', '/v2.0/networks', {
      body: { network: { name: 'shared', shared: true, project_id: projects.alpha } },
      headers: admin,
    })
  ).body.network
  t.equal((await call('GET', `/v2.0/networks/${shared.id}`, B)).status, 200, 'B sees a shared network')
  const sharedSub = (
    await api(a.url, 'POST', '/v2.0/subnets', {
      body: { subnet: { network_id: shared.id, ip_version: 4, cidr: '10.41.0.0/24', project_id: projects.alpha } },
      headers: admin,
    })
  ).body.subnet
  t.equal((await call('GET', `/v2.0/subnets/${sharedSub.id}`, B)).status, 200, 'and its subnets')
  t.equal((await call('DELETE', `/v2.0/subnets/${sharedSub.id}`, B)).status, 403, 'but cannot delete them')
  const onShared = await call('POST', '/v2.0/ports', B, { port: { network_id: shared.id } })
  t.equal(onShared.status, 201, 'B can plug a port into a shared network')
  t.equal(onShared.body.port.project_id, projects.beta)
  t.equal((await call('PUT', `/v2.0/networks/${shared.id}`, B, { network: { name: 'mine' } })).status, 403, 'B cannot change it')
  t.equal((await call('POST', '/v2.0/networks', A, { network: { name: 'x', shared: true } })).status, 403, 'sharing needs admin')

  // Admin sees all projects' objects; provider attributes only show to admins.
  const all = await api(a.url, 'GET', '/v2.0/networks', { headers: admin })
  t.ok(
    all.body.networks.some((n: { id: string }) => n.id === net.id),
    "admin sees A's network",
  )
  t.ok('provider:network_type' in all.body.networks[0], 'admin sees provider attributes')
  t.notOk('provider:network_type' in (await call('GET', `/v2.0/networks/${net.id}`, A)).body.network, 'members do not')
  t.equal(
    (await api(a.url, 'PUT', `/v2.0/ports/${port.id}`, { body: { port: { name: 'by-admin' } }, headers: admin })).status,
    200,
    'admin changes any port',
  )
})
