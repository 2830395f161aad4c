// The policy engine on its own: oslo.policy's rule language (precedence, parentheses, @ and !), owner checks
// through a parent, field checks, implied roles, Neutron's request check with attribute rules, and policy.yaml
// errors that name the bad rule and its line.
import t from 'tap'
import { expandRoles } from '../../northbound/policy/credentials.js'
import { Policy, PolicyError, type Target } from '../../northbound/policy/engine.js'
import { parsePolicyText } from '../../northbound/policy/file.js'
import { formatCheck, parseRule } from '../../northbound/policy/syntax.js'

const creds = (projectId: string, ...roles: string[]) => ({ projectId, userId: 'u', roles: expandRoles(roles) })
const target = (object: Record<string, unknown>, network?: Record<string, unknown>): Target => ({
  object,
  parents: network ? { network } : {},
})

t.test('rule language: not > and > or, parentheses glued to checks', async t => {
  t.equal(formatCheck(parseRule('role:a or role:b and not role:c')), '(role:a or (role:b and not role:c))')
  t.equal(formatCheck(parseRule('(role:a or role:b) and role:c')), '((role:a or role:b) and role:c)')
  t.equal(formatCheck(parseRule('NOT rule:x')), 'not rule:x', 'keywords in any case')
  t.equal(formatCheck(parseRule('')), '@', 'an empty rule always passes')
  for (const bad of ['role:a or', '(role:a', 'role:a)', 'rule', 'http://x', 'role:a role:b', 'field:networks:shared']) {
    t.throws(() => parseRule(bad), `'${bad}' is refused`)
  }
})

t.test('checks: roles with implications, owners through parents, fields, @ and !', async t => {
  const p = Policy.create([
    { name: 'r_owner', check: 'project_id:%(network:project_id)s' },
    { name: 'r_shared', check: 'field:networks:shared=True' },
    { name: 'r_dev', check: 'field:port:device_owner=~^network:' },
    { name: 'r_never', check: '!' },
    { name: 'r_always', check: '@' },
  ])
  const port = target({ project_id: 'b', device_owner: 'network:dhcp' }, { project_id: 'a', shared: true })
  t.ok(p.allows('r_owner', port, creds('a')), 'network owner of the port')
  t.notOk(p.allows('r_owner', port, creds('b')), 'the port owner is not the network owner')
  t.ok(p.allows('r_shared', port, creds('b')), "shared is read from the port's network")
  t.notOk(p.allows('r_shared', target({}, { shared: false }), creds('b')))
  t.ok(p.allows('r_dev', port, creds('b')))
  t.notOk(p.allows('r_dev', target({ device_owner: 'compute:nova' }), creds('b')))
  t.notOk(p.allows('r_never', port, creds('a', 'admin')))
  t.ok(p.allows('r_always', port, creds('x')))
  t.ok(p.allows('get_network', target({ project_id: 'a' }), creds('a', 'member')), 'member implies reader')
  t.notOk(p.allows('get_network', target({ project_id: 'a' }), creds('a')), 'no role, no access (new defaults)')
  t.ok(p.allows('context_is_admin', target({}), creds('x', 'ADMIN')), 'roles compare case-insensitively')
  t.notOk(p.allows('update_network', target({ project_id: 'a' }), creds('a', 'reader')), 'a reader does not write')
  t.ok(p.allows('no_such_rule', target({ project_id: 'a' }), creds('a')), 'an unknown name falls back to default (admin_or_owner)')
  t.notOk(p.allows('no_such_rule', target({ project_id: 'a' }), creds('b')))
})

t.test("Neutron's request check: one rule per explicit attribute and sub-attribute", async t => {
  const p = Policy.create()
  const member = creds('b', 'member')
  const net = { project_id: 'a', shared: true }
  const port = target({ project_id: 'b', network_id: 'n', device_owner: '' }, net)
  t.equal(p.enforce('create_port', port, member), undefined, 'a plain port on a shared network')
  t.equal(p.enforce('create_port', port, member, { 'binding:host_id': 'h1' }), '(rule:create_port and rule:create_port:binding:host_id)')
  t.equal(p.enforce('create_port', port, member, { fixed_ips: [{ subnet_id: 's' }] }), undefined, 'a subnet of a shared network')
  t.equal(
    p.enforce('create_port', port, member, { fixed_ips: [{ subnet_id: 's', ip_address: '10.0.0.9' }] }),
    '(rule:create_port and (rule:create_port:fixed_ips and (rule:create_port:fixed_ips:subnet_id and rule:create_port:fixed_ips:ip_address)))',
  )
  const own = target({ project_id: 'a', network_id: 'n', device_owner: '' }, net)
  t.equal(
    p.enforce('create_port', own, creds('a', 'member'), { fixed_ips: [{ ip_address: '10.0.0.9' }] }),
    undefined,
    'the network owner chooses addresses',
  )
  t.equal(p.enforce('create_port', own, creds('a', 'reader'), {}), 'rule:create_port', 'a reader creates nothing')
  const gw = target({ project_id: 'b' })
  t.equal(p.enforce('create_router', gw, member, { external_gateway_info: { network_id: 'e' } }), undefined)
  t.match(
    p.enforce('create_router', gw, member, { external_gateway_info: { network_id: 'e', enable_snat: false } }) ?? '',
    /create_router:external_gateway_info:enable_snat/,
  )
  t.equal(
    p.enforce('create_router', gw, creds('b', 'admin'), { external_gateway_info: { network_id: 'e', enable_snat: false } }),
    undefined,
  )
})

t.test('policy.yaml: overrides merged, errors name the rule and line', async t => {
  const text = [
    '# operator overrides',
    '"create_port:binding:host_id": "rule:admin_only or role:compute"',
    "get_port:binding:host_id: 'rule:admin_only or role:compute'  # trailing comment",
    'netops: role:netops',
  ].join('\n')
  const rules = parsePolicyText(text, 'policy.yaml')
  t.same(
    rules.map(r => [r.name, r.origin]),
    [
      ['create_port:binding:host_id', 'policy.yaml:2'],
      ['get_port:binding:host_id', 'policy.yaml:3'],
      ['netops', 'policy.yaml:4'],
    ],
  )
  const p = Policy.create(rules)
  const listed = p.list()
  t.match(
    listed.find(r => r.name === 'create_port:binding:host_id'),
    { source: 'override', origin: 'policy.yaml:2', check: 'rule:admin_only or role:compute' },
  )
  t.match(
    listed.find(r => r.name === 'netops'),
    { source: 'custom' },
  )
  t.match(
    listed.find(r => r.name === 'get_network'),
    { source: 'default' },
  )
  const port = target({ project_id: 'b', network_id: 'n' }, { project_id: 'b' })
  t.equal(p.enforce('create_port', port, creds('b', 'member', 'compute'), { 'binding:host_id': 'h' }), undefined, 'the override applies')

  const error = (text: string): string => {
    try {
      Policy.create(parsePolicyText(text, 'p.yaml'))
      return 'no error'
    } catch (err) {
      t.type(err, PolicyError)
      return (err as Error).message
    }
  }
  t.equal(error('a: role:x\nget_port: "rule:a or"'), "p.yaml:2: rule 'get_port': the rule ends where a check was expected")
  t.equal(error('get_port: rule:nope'), "p.yaml:1: rule 'get_port': refers to rule 'nope', which is not defined")
  t.match(error('a: rule:b\nb: rule:a'), /p\.yaml:1: rule 'a': rules refer to each other in a cycle: a -> b -> a/)
  t.match(error('x: role:a\nx: role:b'), /p\.yaml:2: rule 'x': defined twice \(first at p\.yaml:1\)/)
  t.match(error('x:\n  - role:a'), /p\.yaml:1: rule 'x': no check string/)
  t.match(error('x: project_id:%(router:project_id)s'), /p\.yaml:1: rule 'x'.*unknown parent 'router'/)
  t.match(error('x: http://example'), /p\.yaml:1: rule 'x'.*unsupported check kind 'http'/)
  t.match(error('{"x": "role:a", "y": "rule:z"}'), /p\.yaml:1: rule 'y': refers to rule 'z'/, 'policy.json too')
})
