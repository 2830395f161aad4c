// Which credentials a command uses against a Keystone node: the openstack CLI's flags and OS_* variables.
import t from 'tap'
import { UsageError } from '../../cli/command.js'
import { credentialsFrom } from '../../cli/credentials.js'

const API = 'http://127.0.0.1:9696'

t.test('a token wins over a password; flags win over the environment', async t => {
  t.same(credentialsFrom(new Map(), API, {}), { kind: 'none' }, 'nothing given: no token sent')
  t.same(credentialsFrom(new Map(), API, { OS_TOKEN: 'env-tok', OS_USERNAME: 'u', OS_PASSWORD: 'p' }), { kind: 'token', token: 'env-tok' })
  t.same(credentialsFrom(new Map([['os-token', 'flag-tok']]), API, { OS_TOKEN: 'env-tok' }), { kind: 'token', token: 'flag-tok' })
  const c = credentialsFrom(new Map([['os-username', 'alice']]), API, { OS_USERNAME: 'bob', OS_PASSWORD: 'pw', OS_PROJECT_NAME: 'demo' })
  t.same(
    c,
    {
      kind: 'password',
      authUrl: `${API}/v3`,
      username: 'alice',
      password: 'pw',
      project: 'demo',
      userDomain: 'Default',
      projectDomain: 'Default',
    },
    "the node's own Keystone by default, the flag's user, the environment's password and project",
  )
  const d = credentialsFrom(new Map(), API, {
    OS_USERNAME: 'u',
    OS_PASSWORD: 'p',
    OS_AUTH_URL: 'http://ks:5000/v3/',
    OS_USER_DOMAIN_NAME: 'Corp',
  })
  t.match(
    d,
    { authUrl: 'http://ks:5000/v3', project: 'admin', userDomain: 'Corp' },
    'OS_AUTH_URL and the domains as the openstack CLI reads them',
  )
  t.same(credentialsFrom(new Map(), API, { OS_TOKEN: '' }), { kind: 'none' }, 'an empty variable counts as unset')
})

t.test('half a password login is a usage error', async t => {
  t.throws(() => credentialsFrom(new Map([['os-username', 'u']]), API, {}), UsageError)
  t.throws(() => credentialsFrom(new Map(), API, { OS_PASSWORD: 'p' }), /--os-password needs --os-username/)
})
