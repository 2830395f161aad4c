// Bad input never crashes the API: malformed bodies, wrong types in every attribute, odd URLs and queries get
// a 4xx NeutronError, never a 500, and the process keeps serving. Also the command line: usage errors and
// a JSON config file.
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { NETWORK_ATTRIBUTES } from '../../model/attributes/networks.js'
import { PORT_ATTRIBUTES } from '../../model/attributes/ports.js'
import { ROUTER_ATTRIBUTES } from '../../model/attributes/routers.js'
import { SECURITY_GROUP_RULE_ATTRIBUTES } from '../../model/attributes/security-groups.js'
import { SUBNET_ATTRIBUTES } from '../../model/attributes/subnets.js'
import { REPO, api, removeDir, startApi, tempDir } from './helpers/api-process.js'

/** A small deterministic generator (xorshift32) so a failure can be replayed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x / 0x100000000 }
}

const ODD_VALUES: unknown[] = [null, true, false, 0, -1, 1e308, 'x', '', '💥', '10.0.0.1', '10.0.0.0/33', 'fa:16:3e:00:00:00', [], [null], [{}], [1, 2],
  {}, { a: 1 }, { start: '10.0.0.9', end: '10.0.0.1' }, [{ subnet_id: 'nope' }], [{ ip_address: '999.1.1.1' }], [{ destination: 'x', nexthop: 'y' }], 'a'.repeat(5000)]

t.test('malformed and mistyped requests get 4xx answers', async t => {
  const a = await startApi({ store: 'embedded', quiet: true })
  t.teardown(async () => { await a.kill(); removeDir(a.dataDir) })
  const net = (await api(a.url, 'POST', '/v2.0/networks', { body: { network: { name: 'fuzz' } } })).body.network
  await api(a.url, 'POST', '/v2.0/subnets', { body: { subnet: { network_id: net.id, ip_version: 4, cidr: '10.80.0.0/24' } } })
  const port = (await api(a.url, 'POST', '/v2.0/ports', { body: { port: { network_id: net.id } } })).body.port
  const router = (await api(a.url, 'POST', '/v2.0/routers', { body: { router: { name: 'fuzz' } } })).body.router
  const random = rng(20261125)
  const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)] as T
  const targets: [string, string, Record<string, unknown>][] = [
    ['networks', 'network', NETWORK_ATTRIBUTES], ['subnets', 'subnet', SUBNET_ATTRIBUTES], ['ports', 'port', PORT_ATTRIBUTES],
    ['routers', 'router', ROUTER_ATTRIBUTES], ['security-group-rules', 'security_group_rule', SECURITY_GROUP_RULE_ATTRIBUTES],
  ]
  const errors: string[] = []
  const check = async (method: string, path: string, body?: unknown): Promise<void> => {
    const r = await api(a.url, method, path, { body })
    if (r.status >= 500 || r.status === 0) errors.push(`${method} ${path} ${JSON.stringify(body)?.slice(0, 200)} -> ${r.status} ${JSON.stringify(r.body)?.slice(0, 200)}`)
  }
  for (const raw of ['', 'null', '[]', '"x"', '{', '{"network": {"name": "x"}', '\u0000', '{"network": {"name": "x"}}garbage']) {
    await check('POST', '/v2.0/networks', raw || undefined)
    await check('PUT', `/v2.0/networks/${net.id}`, raw || undefined)
  }
  for (let i = 0; i < 400; i++) {
    const [collection, member, attrs] = pick(targets)
    const body: Record<string, unknown> = {}
    for (let k = 0; k < 1 + Math.floor(random() * 3); k++) body[pick(Object.keys(attrs))] = pick(ODD_VALUES)
    if (random() < 0.5) body.network_id = net.id
    const wrapped = random() < 0.9 ? { [member]: body } : pick(ODD_VALUES)
    const id = collection === 'ports' ? port.id : collection === 'routers' ? router.id : collection === 'networks' ? net.id : 'nope'
    if (random() < 0.5) await check('POST', `/v2.0/${collection}`, wrapped)
    else await check('PUT', `/v2.0/${collection}/${id}`, wrapped)
  }
  for (const path of ['/v2.0/networks/%E0%A4%A', '/v2.0/networks?limit=abc', '/v2.0/networks?sort_key=', '/v2.0/networks?marker=nope&limit=1',
    `/v2.0/routers/${router.id}/add_router_interface`, '/v2.0/../../etc/passwd', '/v2.0/networks/x/y/z/w', '/v3/auth/tokens', '/v2.0/quotas/x/details']) {
    await check('GET', path)
    await check('PUT', path, { nonsense: true })
  }
  for (const action of ['add_router_interface', 'remove_router_interface', 'add_extraroutes']) {
    for (const v of ODD_VALUES) await check('PUT', `/v2.0/routers/${router.id}/${action}`, v)
  }
  await check('POST', '/v3/auth/tokens', { auth: { identity: { methods: ['password'], password: { user: null } } } })
  t.same(errors, [], 'no 5xx answer')
  t.equal((await api(a.url, 'GET', '/')).status, 200, 'still serving')
  t.notMatch(a.log(), /internal error/, 'no internal error logged')
})

t.test('a body over the limit gets 413 with a NeutronError; long values are cut in messages', async t => {
  const a = await startApi({ store: 'embedded', quiet: true })
  t.teardown(async () => { await a.kill(); removeDir(a.dataDir) })
  const huge = JSON.stringify({ network: { name: 'x'.repeat(5 * 1024 * 1024) } })
  const declared = await fetch(`${a.url}/v2.0/networks`, { method: 'POST', body: huge, headers: { 'content-type': 'application/json' } })
  t.equal(declared.status, 413, 'Content-Length over 4 MiB: 413, answered (not a reset connection)')
  const body = await declared.json() as { NeutronError: { type: string, message: string } }
  t.equal(body.NeutronError.type, 'HTTPRequestEntityTooLarge')
  t.match(body.NeutronError.message, /at most 4194304 bytes/)
  // chunked (no Content-Length): the limit is found while reading
  const chunks = new ReadableStream({
    start (c) { for (let i = 0; i < 6; i++) c.enqueue(new TextEncoder().encode('x'.repeat(1024 * 1024))); c.close() },
  })
  const streamed = await fetch(`${a.url}/v2.0/networks`, { method: 'POST', body: chunks, duplex: 'half', headers: { 'content-type': 'application/json' } } as RequestInit)
  t.equal(streamed.status, 413, 'a chunked body passing 4 MiB: 413 too')
  const long = await api(a.url, 'POST', '/v2.0/networks', { body: { network: { name: 'y'.repeat(1024 * 1024) } } })
  t.equal(long.status, 400, 'a 1 MiB name is refused')
  const message = JSON.stringify(long.body)
  t.ok(message.length < 4096, `and the error does not echo it back (${message.length} bytes)`)
  t.match(message, /characters cut/, 'it says the value was cut')
  t.equal((await api(a.url, 'GET', '/v2.0/networks')).status, 200, 'still serving')
})

t.test('the command line: usage errors and a config file', async t => {
  const bin = join(REPO, 'bin/dragonflow.js')
  const bad = spawnSync(process.execPath, [bin, 'api', '--store', 'nosuch'], { encoding: 'utf8' })
  t.equal(bad.status, 2)
  t.match(bad.stderr, /unknown driver 'nosuch'/)
  const noDir = spawnSync(process.execPath, [bin, 'api', '--store', 'embedded'], { encoding: 'utf8' })
  t.equal(noDir.status, 2)
  t.match(noDir.stderr, /--data-dir/)
  const dir = tempDir('df-apicfg-')
  t.teardown(() => removeDir(dir))
  const cfg = join(dir, 'api.json')
  writeFileSync(cfg, JSON.stringify({ store: { driver: 'embedded', dir: join(dir, 'store') }, api: { listen: '127.0.0.1:0', auth: 'keystone', adminToken: 'cfg-token' } }))
  const { spawn } = await import('node:child_process')
  const p = spawn(process.execPath, [bin, 'api', '--config', cfg], { stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { if (p.exitCode === null) p.kill('SIGKILL') })
  const url = await new Promise<string>((resolve, reject) => {
    let out = ''
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); const m = /listening on (\S+)/.exec(out); if (m?.[1]) resolve(m[1]) })
    p.on('exit', code => reject(new Error(`exited ${code}: ${out}`)))
  })
  t.equal((await api(url, 'GET', '/v2.0/networks')).status, 401, 'keystone mode from the config file')
  t.equal((await api(url, 'GET', '/v2.0/networks', { headers: { 'X-Auth-Token': 'cfg-token' } })).status, 200, 'admin token from the config file')
  const code = await new Promise<number | null>(resolve => { p.once('exit', c => resolve(c)); p.kill('SIGTERM') })
  t.equal(code, 0, 'graceful exit on SIGTERM')
})
