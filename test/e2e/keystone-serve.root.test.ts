// A node with Keystone on, as an operator runs it (needs root): `serve --auth keystone` refuses a store nobody
// could log in to, bootstraps its admin from --admin-password, the real `openstack` CLI authenticates with a
// password, and `dragonflow plug` reads the port through the API with the same credentials (flags or the OS_*
// variables), failing in words without them. `flows`, `status` and `db` go through root-only local channels
// (the control socket, the store directory) and work unchanged beside it.
import { join } from 'node:path'
import t from 'tap'
import { needRoot } from '../helpers/requirements.js'
import { REPO, cliEnv, jsonDocuments, openstack } from '../northbound/helpers/api-process.js'
import { ServeNode, exec, startNode, until } from './serve-node.js'

const skip = needRoot('network namespaces, Open vSwitch')

type Obj = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any -- CLI JSON output

const dragonflow = (args: string[], env: NodeJS.ProcessEnv = cliEnv({})) =>
  exec(process.execPath, [join(REPO, 'bin/dragonflow.js'), ...args], { env })

t.test('serve --auth keystone on a fresh store without an admin password is refused', { timeout: 120_000, skip }, async t => {
  const tag = process.pid.toString(36)
  const node = new ServeNode(`ka${tag}`)
  t.teardown(async () => {
    await node.cleanup()
  })
  const env = cliEnv({})
  delete env.DRAGONFLOW_ADMIN_PASSWORD
  const r = await exec(
    process.execPath,
    [
      join(REPO, 'bin/dragonflow.js'),
      'serve',
      '--data-dir',
      node.dir,
      '--listen',
      '127.0.0.1:0',
      '--netns',
      node.netns,
      '--auth',
      'keystone',
    ],
    { env, timeoutMs: 90_000 },
  )
  t.equal(r.code, 1, `serve exits 1 (exit ${r.code})`)
  t.match(r.stderr, /no admin user yet: give --admin-password/, `in words: ${r.stderr.trim().split('\n').pop() ?? ''}`)
  t.notMatch(r.stdout, /listening on/, 'it never listened')
})

t.test("a Keystone node: admin bootstrapped by serve, plug with the openstack CLI's credentials", { timeout: 300_000, skip }, async t => {
  const tag = process.pid.toString(36)
  const node = await startNode(t, `ks${tag}`, ['--auth', 'keystone', '--admin-password', 'adminpw'])
  const creds = (password: string): NodeJS.ProcessEnv =>
    cliEnv({
      OS_AUTH_URL: `${node.url}/v3`,
      OS_USERNAME: 'admin',
      OS_PASSWORD: password,
      OS_PROJECT_NAME: 'admin',
      OS_USER_DOMAIN_NAME: 'Default',
      OS_PROJECT_DOMAIN_NAME: 'Default',
      OS_IDENTITY_API_VERSION: '3',
    })
  const unauthenticated = await fetch(`${node.url}/v2.0/networks`)
  t.equal(unauthenticated.status, 401, 'the API refuses a request without a token')

  const made = await openstack(
    creds('adminpw'),
    [],
    [
      'network create ksn -f json',
      'subnet create kss --network ksn --subnet-range 10.72.0.0/24 -f json',
      'port create ksp1 --network ksn -f json',
      'port create ksp2 --network ksn -f json',
      'token issue -f json',
    ].join('\n') + '\n',
  )
  const docs = jsonDocuments(made.stdout) as Obj[]
  if (docs.length !== 5) node.fail(`openstack with the bootstrapped admin printed ${docs.length} of 5 objects: ${made.stderr}`)
  t.pass('the openstack CLI logs in as the admin serve bootstrapped')
  const [, , p1, p2, token] = docs as [Obj, Obj, Obj, Obj, Obj]

  const bare = await dragonflow(['plug', '--data-dir', node.dir, '--port', p1.id, '--netns', `nsk1${tag}`])
  t.equal(bare.code, 1, 'plug without credentials fails')
  t.match(
    bare.stderr,
    /has Keystone on: give --os-token TOKEN, or --os-username and --os-password/,
    `and says what to give: ${bare.stderr.trim()}`,
  )

  const wrong = await dragonflow(['plug', '--data-dir', node.dir, '--port', p1.id, '--netns', `nsk1${tag}`], creds('wrong'))
  t.equal(wrong.code, 1, 'plug with a wrong password fails')
  t.match(wrong.stderr, /refused admin \(project admin\): HTTP 401/, `in words: ${wrong.stderr.trim()}`)

  node.workloads.push(`nsk1${tag}`, `nsk2${tag}`)
  const byEnv = await dragonflow(['plug', '--data-dir', node.dir, '--port', p1.id, '--netns', `nsk1${tag}`], creds('adminpw'))
  t.equal(byEnv.code, 0, `plug with OS_USERNAME / OS_PASSWORD works ${byEnv.stderr.trim()}`)
  const byToken = await dragonflow([
    'plug',
    '--data-dir',
    node.dir,
    '--port',
    p2.id,
    '--netns',
    `nsk2${tag}`,
    '--os-token',
    String(token.id),
  ])
  t.equal(byToken.code, 0, `plug with --os-token works ${byToken.stderr.trim()}`)
  const link = await exec('ip', ['netns', 'exec', `nsk2${tag}`, 'ip', '-o', 'link', 'show', 'eth0'])
  t.match(link.stdout, new RegExp(`link/ether ${String(p2.mac_address)}`), "the workload has the port's MAC, read through the API")

  let seen = ''
  const active = await until(
    'both ports ACTIVE',
    async () => {
      const r = await openstack(creds('adminpw'), ['port', 'list', '--network', 'ksn', '-f', 'json'])
      seen = r.stdout + r.stderr
      const ports = (JSON.parse(r.stdout) as Obj[]).filter(p => String(p.Name).startsWith('ksp'))
      return ports.length === 2 && ports.every(p => p.Status === 'ACTIVE') ? ports : undefined
    },
    60_000,
  ).catch(() => node.fail(`the plugged ports did not become ACTIVE: ${seen}`))
  t.equal(active.length, 2, 'both plugged ports are ACTIVE')

  const status = await dragonflow(['status', '--data-dir', node.dir, '--json'])
  t.equal(status.code, 0, 'status works beside Keystone (control socket)')
  t.equal((JSON.parse(status.stdout) as Obj).ports?.length, 2, 'and lists the two ports')
  await node.checkFlows(t, 'with Keystone on')
  const tables = await dragonflow(['db', 'tables', '--dir', join(node.dir, 'store')])
  t.equal(tables.code, 0, 'db reads the store beside Keystone')
  t.match(tables.stdout, /^ports$/m, 'and lists the ports table')

  // the admin exists now: a restart needs no password
  await node.stop()
  await node.start(['--auth', 'keystone'])
  const again = await openstack(creds('adminpw'), ['network', 'show', 'ksn', '-f', 'json'])
  t.equal(again.code, 0, `after a restart without --admin-password the admin still logs in ${again.stderr.trim()}`)
})
