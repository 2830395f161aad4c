// Token revocation (northbound/keystone/revocations.ts) through the real `openstack` CLI and raw HTTP: a revoked
// token stops working at once, on every API process sharing the store, and after a restart; disabling a user,
// changing its password or removing its role ends its older tokens; revocation events that cannot be read are
// counted, never fatal.
import t from 'tap'
import { TABLES } from '../../model/tables.js'
import { Db } from '../../northbound/db.js'
import { Revocations } from '../../northbound/keystone/revocations.js'
import { openStore } from '../../store/registry.js'
import { startEtcd } from '../helpers/servers.js'
import { type ApiProcess, api, cliEnv, jsonDocuments, openstack, removeDir, startApi, tempDir } from './helpers/api-process.js'

type Obj = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any -- CLI JSON output

const creds = (a: ApiProcess, user: string, password: string, project: string): NodeJS.ProcessEnv =>
  cliEnv({
    OS_AUTH_URL: `${a.url}/v3`,
    OS_USERNAME: user,
    OS_PASSWORD: password,
    OS_PROJECT_NAME: project,
    OS_USER_DOMAIN_NAME: 'Default',
    OS_PROJECT_DOMAIN_NAME: 'Default',
    OS_IDENTITY_API_VERSION: '3',
  })

/** A password token for `user` on `project`, straight from POST /v3/auth/tokens. */
async function passwordToken(a: ApiProcess, user: string, password: string, project: string): Promise<string> {
  const r = await api(a.url, 'POST', '/v3/auth/tokens', {
    body: {
      auth: {
        identity: { methods: ['password'], password: { user: { name: user, domain: { id: 'default' }, password } } },
        scope: { project: { name: project, domain: { id: 'default' } } },
      },
    },
  })
  if (r.status !== 201) throw new Error(`no token for ${user}: ${r.status} ${JSON.stringify(r.body)}`)
  return r.headers['x-subject-token'] as string
}

const networks = async (a: ApiProcess, token: string): Promise<number> =>
  (await api(a.url, 'GET', '/v2.0/networks', { headers: { 'X-Auth-Token': token } })).status

t.test('a revoked token is refused by the CLI and the API, also after a restart', async t => {
  const dir = tempDir('df-revoke-')
  let a = await startApi({ store: 'embedded', dataDir: dir, auth: 'keystone', adminPassword: 'adminpw', quiet: true })
  t.teardown(async () => {
    await a.kill()
    removeDir(dir)
  })
  const admin = creds(a, 'admin', 'adminpw', 'admin')

  const issued = await openstack(admin, ['token', 'issue', '-f', 'json'])
  const token = (jsonDocuments(issued.stdout)[0] as Obj | undefined)?.id as string | undefined
  if (token === undefined) throw new Error(`token issue failed: ${issued.stderr}`)
  const kept = await passwordToken(a, 'admin', 'adminpw', 'admin')
  t.equal(await networks(a, token), 200, 'the fresh token works')

  const revoke = await openstack(admin, ['token', 'revoke', token])
  t.equal(revoke.code, 0, `openstack token revoke succeeds ${revoke.stderr}`)
  t.equal(await networks(a, token), 401, 'the revoked token gets 401 from Neutron')
  const validate = await api(a.url, 'GET', '/v3/auth/tokens', { headers: { 'X-Auth-Token': kept, 'X-Subject-Token': token } })
  t.equal(validate.status, 404, 'Keystone validation says the revoked token does not exist')
  const rescope = await api(a.url, 'POST', '/v3/auth/tokens', {
    body: { auth: { identity: { methods: ['token'], token: { id: token } } } },
  })
  t.equal(rescope.status, 401, 'a revoked token cannot be exchanged for a new one')
  const withIt = await openstack(
    cliEnv({
      OS_AUTH_TYPE: 'token',
      OS_TOKEN: token,
      OS_AUTH_URL: `${a.url}/v3`,
      OS_PROJECT_NAME: 'admin',
      OS_PROJECT_DOMAIN_NAME: 'Default',
    }),
    ['network', 'list'],
  )
  t.not(withIt.code, 0, 'the CLI cannot use the revoked token')
  t.match(withIt.stderr, /401|authenticat|Unauthorized/i, 'and says it was refused')
  t.equal(await networks(a, kept), 200, 'another token of the same user still works')
  const twice = await api(a.url, 'DELETE', '/v3/auth/tokens', { headers: { 'X-Auth-Token': kept, 'X-Subject-Token': token } })
  t.equal(twice.status, 404, 'revoking it again: not found')

  await a.stop()
  a = await startApi({ store: 'embedded', dataDir: dir, auth: 'keystone', adminPassword: 'adminpw', quiet: true })
  t.equal(await networks(a, token), 401, 'still refused after the API restarts (the event is in the store)')
  t.equal(await networks(a, kept), 200, 'the other token survives the restart')
})

t.test('disabling a user, changing its password or removing its role ends its older tokens', async t => {
  const a = await startApi({ store: 'embedded', auth: 'keystone', adminPassword: 'adminpw', quiet: true })
  t.teardown(async () => {
    await a.kill()
    removeDir(a.dataDir)
  })
  const admin = creds(a, 'admin', 'adminpw', 'admin')
  const setup = await openstack(
    admin,
    [],
    [
      'project create demo -f json',
      'user create --password demopw --project demo demo -f json',
      'user create --password otherpw --project demo other -f json',
      'role add --project demo --user demo member',
      'role add --project demo --user other member',
    ].join('\n') + '\n',
  )
  t.equal(jsonDocuments(setup.stdout).length, 3, `demo project and users created ${setup.stderr}`)

  const before = await passwordToken(a, 'demo', 'demopw', 'demo')
  const bystander = await passwordToken(a, 'other', 'otherpw', 'demo')
  t.equal(await networks(a, before), 200, "the demo user's token works")
  const disable = await openstack(admin, ['user', 'set', '--disable', 'demo'])
  t.equal(disable.code, 0, `user set --disable ${disable.stderr}`)
  t.equal(await networks(a, before), 401, 'disabling the user ends its token')
  t.equal(await networks(a, bystander), 200, "another user's token is untouched")
  const refused = await openstack(creds(a, 'demo', 'demopw', 'demo'), ['network', 'list'])
  t.not(refused.code, 0, 'a disabled user cannot log in')

  t.equal((await openstack(admin, ['user', 'set', '--enable', '--password', 'newpw', 'demo'])).code, 0, 'enabled again with a new password')
  t.equal(await networks(a, before), 401, 'the old token stays revoked')
  const fresh = await passwordToken(a, 'demo', 'newpw', 'demo')
  t.equal(await networks(a, fresh), 200, 'a token issued after the revocation works')

  t.equal((await openstack(admin, ['role', 'remove', '--project', 'demo', '--user', 'demo', 'member'])).code, 0, 'role removed')
  t.equal(await networks(a, fresh), 401, 'a token carrying a removed role is refused')
  t.equal(await networks(a, bystander), 200, 'the other user keeps its role and its token')

  const notMine = await api(a.url, 'DELETE', '/v3/auth/tokens', {
    headers: { 'X-Auth-Token': bystander, 'X-Subject-Token': await passwordToken(a, 'admin', 'adminpw', 'admin') },
  })
  t.equal(notMine.status, 403, "a user cannot revoke another user's token")
  const own = await api(a.url, 'DELETE', '/v3/auth/tokens', { headers: { 'X-Auth-Token': bystander, 'X-Subject-Token': bystander } })
  t.equal(own.status, 204, 'a user can revoke its own token')
  t.equal(await networks(a, bystander), 401, 'which then stops working')
})

t.test('a revocation reaches every API process sharing an etcd store', async t => {
  const etcd = await startEtcd()
  const one = await startApi({ store: 'etcd', etcdEndpoint: etcd.endpoint, auth: 'keystone', adminPassword: 'adminpw', quiet: true })
  const two = await startApi({ store: 'etcd', etcdEndpoint: etcd.endpoint, auth: 'keystone', adminPassword: 'adminpw', quiet: true })
  t.teardown(async () => {
    await one.kill()
    await two.kill()
    removeDir(one.dataDir)
    removeDir(two.dataDir)
    await etcd.dispose()
  })
  const token = await passwordToken(one, 'admin', 'adminpw', 'admin')
  const admin = await passwordToken(one, 'admin', 'adminpw', 'admin')
  t.equal(await networks(two, token), 200, 'a token issued by one process works on the other (shared secret)')
  const del = await api(one.url, 'DELETE', '/v3/auth/tokens', { headers: { 'X-Auth-Token': admin, 'X-Subject-Token': token } })
  t.equal(del.status, 204, 'revoked on the first process')
  let status = 200
  for (let i = 0; i < 100 && status !== 401; i++) {
    status = await networks(two, token)
    if (status !== 401) await new Promise(resolve => setTimeout(resolve, 100))
  }
  t.equal(status, 401, 'the second process refuses it (through the store watch)')
  t.equal(await networks(two, admin), 200, 'and still accepts the other token')
})

t.test('unreadable revocation events are counted and skipped; expired ones are deleted', async t => {
  const dir = tempDir('df-revoke-unit-')
  const store = await openStore({ driver: 'embedded', dir })
  t.teardown(async () => {
    await store.close()
    removeDir(dir)
  })
  const db = new Db(store)
  await db.create(TABLES.keystoneRevocations, 'garbage', { kind: 'token', token: 7 }, ['keystone'])
  await db.create(TABLES.keystoneRevocations, 'old', { kind: 'user', user: 'u1', issued_before: 1, expires: 2 }, ['keystone'])
  const r = await Revocations.open(db)
  t.teardown(() => r.close())
  t.equal(r.badEvents, 1, 'the malformed event is counted')
  t.equal(await db.get(TABLES.keystoneRevocations, 'old'), undefined, 'the expired event is deleted')
  const payload = { u: 'u1', p: 'p', r: [], i: 3, e: Date.now() / 1000 + 60, m: ['password'] }
  t.equal(r.isRevoked('tok', payload), false, 'the expired user event no longer matches')
  await r.revokeUser('u1')
  t.equal(r.isRevoked('tok', payload), true, 'a new user event matches tokens issued before it')
  t.equal(r.isRevoked('tok', { ...payload, i: Date.now() / 1000 + 1 }), false, 'but not tokens issued after it')
})
