// Neutron's rules that its own API tests (neutron-tempest-plugin) hold us to, checked here on our side: extra DHCP
// options default to IPv4, a port's groups are a list without repeats, subnet pools show their prefix lengths as
// strings, a group's rules count against the rule quota when it is created, a rule or subnet change gives its
// group or network a new revision, If-Match: revision_number=N constrains writes, and bulk items may be wrapped.
import t from 'tap'
import { PORT_ATTRIBUTES } from '../../model/attributes/ports.js'
import { SUBNETPOOL_ATTRIBUTES, showPrefixlens } from '../../model/attributes/subnetpools.js'
import { ApiError } from '../../model/errors.js'
import { fitsQuota } from '../../model/quotas.js'
import { validateCreate, validateUpdate } from '../../model/validate.js'
import { revisionConstraint } from '../../northbound/controller.js'
import { api, removeDir, startApi } from './helpers/api-process.js'

const port = (body: Record<string, unknown>) =>
  validateCreate(PORT_ATTRIBUTES, { network_id: '7b7a9f5c-52a4-4a53-8d4e-0f0e3f6b6a01', ...body }, { member: 'port' })

t.test('extra_dhcp_opts: ip_version 4 unless given', async t => {
  const p = port({
    extra_dhcp_opts: [
      { opt_name: 'bootfile-name', opt_value: 'pxe.0' },
      { opt_name: 'tftp-server', opt_value: '::1', ip_version: 6 },
      { opt_name: 'mtu', opt_value: '1400', ip_version: '4' },
    ],
  })
  t.same(p.extra_dhcp_opts, [
    { ip_version: 4, opt_name: 'bootfile-name', opt_value: 'pxe.0' },
    { ip_version: 6, opt_name: 'tftp-server', opt_value: '::1' },
    { ip_version: 4, opt_name: 'mtu', opt_value: '1400' },
  ])
  t.throws(() => port({ extra_dhcp_opts: [{ opt_name: 'mtu', ip_version: 5 }] }), ApiError, 'only 4 or 6')
})

t.test('security_groups: the same group twice is refused; null is none', async t => {
  const sg = '1c9b2f55-0d8e-4c5a-9f6e-2b7d3c4e5f60'
  t.throws(() => validateUpdate(PORT_ATTRIBUTES, { security_groups: [sg, sg] }, { member: 'port' }), /Duplicate items in the list/)
  t.same(validateUpdate(PORT_ATTRIBUTES, { security_groups: [sg] }, { member: 'port' }).security_groups, [sg])
  t.same(validateUpdate(PORT_ATTRIBUTES, { security_groups: null }, { member: 'port' }).security_groups, [])
})

t.test('subnet pools: prefix lengths converted to integers, shown as strings', async t => {
  const input = validateCreate(
    SUBNETPOOL_ATTRIBUTES,
    { prefixes: ['10.0.0.0/8'], min_prefixlen: '28', max_prefixlen: 30 },
    { member: 'subnetpool' },
  )
  t.equal(input.min_prefixlen, 28, 'stored as an integer')
  const shown: Record<string, unknown> = { default_prefixlen: 28, min_prefixlen: 28, max_prefixlen: 30, ip_version: 4 }
  showPrefixlens(shown)
  t.same(
    shown,
    { default_prefixlen: '28', min_prefixlen: '28', max_prefixlen: '30', ip_version: 4 },
    'only the three prefix lengths are strings',
  )
})

t.test('quota checks of more than one object', async t => {
  t.ok(fitsQuota(10, 8, 2))
  t.notOk(fitsQuota(10, 9, 2))
  t.notOk(fitsQuota(0, 0, 2))
  t.ok(fitsQuota(-1, 1000, 2), '-1 is unlimited')
  t.ok(fitsQuota(undefined, 1000, 2), 'no quota for the resource')
})

t.test('If-Match: revision_number=N', async t => {
  t.equal(revisionConstraint(undefined), undefined)
  t.equal(revisionConstraint('revision_number=3'), 3)
  t.equal(revisionConstraint('"revision_number=3"'), 3, 'quoted as an entity tag')
  t.equal(revisionConstraint('"abc", W/"revision_number=7"'), 7, 'other tags ignored')
  t.equal(revisionConstraint('*'), undefined)
  t.throws(() => revisionConstraint('revision_number=x'), /format of revision_number=<int>/)
  t.throws(() => revisionConstraint('revision_number=1, revision_number=2'), /Multiple revision_number/)
})

t.test('over HTTP', async t => {
  const a = await startApi({ store: 'embedded', quiet: true })
  t.teardown(async () => {
    await a.kill()
    removeDir(a.dataDir)
  })
  const project = 'semantics'
  const as = { 'X-Project-Id': project, 'X-Roles': 'member' }
  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = as) =>
    api(a.url, method, path, { body, headers })
  const ok = async (method: string, path: string, body?: unknown, headers?: Record<string, string>) => {
    const r = await call(method, path, body, headers)
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`)
    return r.body
  }

  t.test('a rule added or removed bumps its group; a subnet added or removed bumps its network', async t => {
    const sg = (await ok('POST', '/v2.0/security-groups', { security_group: { name: 'rev' } })).security_group
    const rule = (
      await ok('POST', '/v2.0/security-group-rules', {
        security_group_rule: { security_group_id: sg.id, direction: 'ingress', protocol: 'tcp', port_range_min: 60, port_range_max: 70 },
      })
    ).security_group_rule
    const afterAdd = (await ok('GET', `/v2.0/security-groups/${sg.id}`)).security_group
    t.ok(afterAdd.revision_number > sg.revision_number, 'rule create')
    t.ok(afterAdd.security_group_rules.some((r: { id: string }) => r.id === rule.id))
    await ok('DELETE', `/v2.0/security-group-rules/${rule.id}`)
    const afterDelete = (await ok('GET', `/v2.0/security-groups/${sg.id}`)).security_group
    t.ok(afterDelete.revision_number > afterAdd.revision_number, 'rule delete')
    const net = (await ok('POST', '/v2.0/networks', { network: { name: 'rev' } })).network
    const subnet = (await ok('POST', '/v2.0/subnets', { subnet: { network_id: net.id, ip_version: 4, cidr: '10.77.0.0/24' } })).subnet
    const netAfterAdd = (await ok('GET', `/v2.0/networks/${net.id}`)).network
    t.ok(netAfterAdd.revision_number > net.revision_number, 'subnet create')
    await ok('DELETE', `/v2.0/subnets/${subnet.id}`)
    t.ok((await ok('GET', `/v2.0/networks/${net.id}`)).network.revision_number > netAfterAdd.revision_number, 'subnet delete')
  })

  t.test('If-Match constrains updates and deletes to a revision', async t => {
    const net = (await ok('POST', '/v2.0/networks', { network: { name: 'constrained' } })).network
    const stale = await call(
      'PUT',
      `/v2.0/networks/${net.id}`,
      { network: { name: 'x' } },
      { ...as, 'If-Match': `revision_number=${net.revision_number - 1}` },
    )
    t.equal(stale.status, 412)
    t.equal(stale.body.NeutronError.type, 'RevisionNumberConstraintFailed')
    t.equal((await ok('GET', `/v2.0/networks/${net.id}`)).network.name, 'constrained', 'nothing written')
    const current = await call(
      'PUT',
      `/v2.0/networks/${net.id}`,
      { network: { name: 'x' } },
      { ...as, 'If-Match': `revision_number=${net.revision_number}` },
    )
    t.equal(current.status, 200)
    t.equal(
      (await call('DELETE', `/v2.0/networks/${net.id}`, undefined, { ...as, 'If-Match': `revision_number=${net.revision_number}` })).status,
      412,
      'a delete too',
    )
    t.equal(
      (
        await call('DELETE', `/v2.0/networks/${net.id}`, undefined, {
          ...as,
          'If-Match': `revision_number=${current.body.network.revision_number}`,
        })
      ).status,
      204,
    )
    const ext = (await ok('GET', '/v2.0/extensions')).extensions as { alias: string }[]
    t.ok(
      ext.some(e => e.alias === 'revision-if-match'),
      'advertised',
    )
  })

  t.test('a group is refused when the rule quota cannot hold its egress rules', async t => {
    await ok('GET', '/v2.0/security-groups') // the default group and its four rules
    const admin = { 'X-Project-Id': 'admin', 'X-Roles': 'admin' }
    const rules = (await ok('GET', '/v2.0/security-group-rules')).security_group_rules.length as number
    await ok('PUT', `/v2.0/quotas/${project}`, { quota: { security_group_rule: rules + 1 } }, admin)
    const over = await call('POST', '/v2.0/security-groups', { security_group: { name: 'no-room' } })
    t.equal(over.status, 409)
    t.equal(over.body.NeutronError.type, 'OverQuota')
    t.match(over.body.NeutronError.message, /security_group_rule/)
    t.notOk((await ok('GET', '/v2.0/security-groups?name=no-room')).security_groups.length, 'no group left behind')
    await ok('PUT', `/v2.0/quotas/${project}`, { quota: { security_group_rule: rules + 2 } }, admin)
    t.equal((await call('POST', '/v2.0/security-groups', { security_group: { name: 'room' } })).status, 201, 'two free rules are enough')
    await ok('DELETE', `/v2.0/quotas/${project}`, undefined, admin)
  })

  t.test('bulk create: items may be wrapped in the member name', async t => {
    const r = await call('POST', '/v2.0/security-groups', { security_groups: [{ security_group: { name: 'bulk-a' } }, { name: 'bulk-b' }] })
    t.equal(r.status, 201)
    t.same(
      r.body.security_groups.map((g: { name: string }) => g.name),
      ['bulk-a', 'bulk-b'],
    )
  })

  t.test('pagination walks forward to an empty page and back by the links', async t => {
    for (const name of ['pg-1', 'pg-2', 'pg-3']) await ok('POST', '/v2.0/networks', { network: { name } })
    const names: string[] = []
    let page = await ok('GET', '/v2.0/networks?name=pg-1&name=pg-2&name=pg-3&sort_key=name&sort_dir=asc&limit=1')
    const follow = (rel: string) => {
      const link = (page.networks_links as { rel: string; href: string }[]).find(l => l.rel === rel)
      if (!link) throw new Error(`no ${rel} link`)
      t.ok(link.href.startsWith(`${a.url}/v2.0/networks?`), 'links are absolute')
      return ok('GET', link.href.slice(a.url.length))
    }
    while (page.networks.length) {
      names.push(page.networks[0].name)
      page = await follow('next')
    }
    t.same(names, ['pg-1', 'pg-2', 'pg-3'])
    t.notOk(
      (page.networks_links as { rel: string }[]).some(l => l.rel === 'next'),
      'the empty page has no next',
    )
    const back: string[] = []
    for (let i = 0; i < 3; i++) {
      page = await follow('previous')
      back.push(page.networks[0].name)
    }
    t.same(back, ['pg-3', 'pg-2', 'pg-1'])
  })
})
