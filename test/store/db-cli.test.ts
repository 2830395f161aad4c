// `dragonflow db` run as a user runs it: the built CLI (`npm run build` first), against an embedded store that
// another handle holds open, and against etcd.
import t from 'tap'
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { openStore } from '../../store/registry.js'
import { startEtcd } from '../helpers/servers.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const bin = join(root, 'bin', 'dragonflow.js')
if (!existsSync(join(root, 'build', 'cli', 'commands', 'db.js'))) throw new Error('build/ has no db command: run `npm run build` first')

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise(resolve => {
    execFile(process.execPath, [bin, 'db', ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0
      resolve({ code, stdout, stderr })
    })
  })
}

async function fill(config: Parameters<typeof openStore>[0]) {
  const s = await openStore(config)
  await s.create('network', 'n1', { name: 'blue', mtu: 1450 }, ['project:p1', 'network:n1'])
  await s.create('network', 'n2', { name: 'red' }, ['project:p2', 'network:n2'])
  await s.create('port', 'a', { mac: 'fa:16:3e:00:00:01' }, ['project:p1', 'network:n1'])
  await s.create('port', 'b', { mac: 'fa:16:3e:00:00:02' }, ['project:p2', 'network:n2'])
  await s.update('port', 'b', { mac: 'fa:16:3e:00:00:03' }, 1, ['project:p2', 'network:n2'])
  return s
}

t.test('embedded, while another handle holds the store open', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'df-dbcli-'))
  const writer = await fill({ driver: 'embedded', dir })
  t.teardown(async () => {
    await writer.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const at = ['--store', 'embedded', '--dir', dir]

  const tables = await cli('tables', ...at)
  t.equal(tables.code, 0, tables.stderr)
  t.equal(tables.stdout, 'network\nport\n')

  const list = await cli('list', 'port', ...at)
  t.equal(list.stdout, 'a\tv1\tproject:p1,network:n1\nb\tv2\tproject:p2,network:n2\n', 'id, version, topics')
  const byTopic = await cli('list', 'network', '--topic', 'project:p2', ...at)
  t.equal(byTopic.stdout, 'n2\tv1\tproject:p2,network:n2\n')

  const show = await cli('show', 'network', 'n1', ...at)
  t.match(JSON.parse(show.stdout), { table: 'network', id: 'n1', version: 1, value: { name: 'blue', mtu: 1450 } })
  const missing = await cli('show', 'network', 'nope', ...at)
  t.equal(missing.code, 1)
  t.match(missing.stderr, 'network/nope not found')

  const dump = await cli('dump', ...at)
  const all = JSON.parse(dump.stdout) as Record<string, { id: string }[]>
  t.same(Object.keys(all), ['network', 'port'])
  t.same(
    all.port?.map(o => o.id),
    ['a', 'b'],
  )
})

t.test('usage errors exit 2 and say what is wrong', async t => {
  const noDir = await cli('tables')
  t.equal(noDir.code, 2)
  t.match(noDir.stderr, '--store embedded needs --dir DIR')
  const bad = await cli('frobnicate', '--dir', '/nonexistent')
  t.equal(bad.code, 2)
  t.match(bad.stderr, "unknown subcommand 'frobnicate'")
  const arity = await cli('show', 'network', '--dir', '/nonexistent')
  t.equal(arity.code, 2)
  const absent = await cli('tables', '--dir', join(tmpdir(), 'df-dbcli-does-not-exist'))
  t.equal(absent.code, 1, 'a missing store is an error, not an empty store')
  t.match(absent.stderr, 'no store at')
})

t.test('etcd', async t => {
  const etcd = await startEtcd()
  t.teardown(() => etcd.dispose())
  const writer = await fill({ driver: 'etcd', endpoints: [etcd.endpoint], prefix: 'cli/' })
  t.teardown(() => writer.close())
  const at = ['--store', 'etcd', '--endpoints', etcd.endpoint, '--prefix', 'cli/']
  t.equal((await cli('tables', ...at)).stdout, 'network\nport\n')
  t.equal((await cli('list', 'port', ...at)).stdout, 'a\tv1\tproject:p1,network:n1\nb\tv2\tproject:p2,network:n2\n')
  t.match(JSON.parse((await cli('show', 'port', 'b', ...at)).stdout), { version: 2, value: { mac: 'fa:16:3e:00:00:03' } })
  t.equal(
    (await cli('tables', '--store', 'etcd', '--endpoints', etcd.endpoint, '--prefix', 'other/')).stdout,
    '',
    'another prefix is empty',
  )
})
