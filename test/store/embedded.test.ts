// The embedded store: the conformance suite, then durability: reopen, compaction, a torn tail, damage in the
// middle of the log, the single-writer lock, and a writer killed with SIGKILL mid-stream.
import t from 'tap'
import { spawn } from 'node:child_process'
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { openEmbeddedStore } from '../../store/drivers/embedded/embedded-store.js'
import { openStore } from '../../store/registry.js'
import { StoreError } from '../../store/types.js'
import { storeConformance } from './conformance.js'

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'df-embedded-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

const quiet = { onWarning: () => undefined }

storeConformance(t, async () => {
  const store = await openStore({ driver: 'embedded', dir: tempDir() })
  return { client: async () => store, dispose: () => store.close() }
})

t.test('reopening after close keeps objects, versions and key counters', async t => {
  const dir = tempDir()
  const s1 = await openEmbeddedStore({ dir })
  await s1.create('network', 'n1', { a: 1 }, ['project:p'])
  await s1.update('network', 'n1', { a: 2 }, 1, ['project:p'])
  await s1.create('network', 'n2', {}, [])
  await s1.delete('network', 'n2')
  t.equal(await s1.allocateKey('network'), 1)
  t.equal(await s1.allocateKey('network'), 2)
  await s1.close()
  const s2 = await openEmbeddedStore({ dir })
  t.teardown(() => s2.close())
  t.match(await s2.get('network', 'n1'), { version: 2, value: { a: 2 }, topics: ['project:p'] })
  t.equal(await s2.get('network', 'n2'), undefined, 'a delete is durable too')
  t.equal(await s2.allocateKey('network'), 3, 'keys are never reused after a reopen')
  t.equal(s2.recoveryReport, undefined, 'a clean close leaves no torn tail')
})

t.test('compaction: snapshots bound the log and recovery uses them', async t => {
  const dir = tempDir()
  const s1 = await openEmbeddedStore({ dir, compactEvery: 50 })
  for (let i = 0; i < 120; i++) await s1.create('port', `p${i}`, { i }, [])
  for (let i = 0; i < 120; i += 2) await s1.delete('port', `p${i}`)
  const key = await s1.allocateKey('port')
  await s1.close()
  const files = readdirSync(dir)
    .filter(f => f !== 'LOCK')
    .sort()
  t.equal(files.filter(f => f.startsWith('snapshot-')).length, 1, `one snapshot left (${files.join(' ')})`)
  t.equal(files.filter(f => f.startsWith('log-')).length, 1, 'one log left')
  const s2 = await openEmbeddedStore({ dir, compactEvery: 50 })
  t.teardown(() => s2.close())
  const ids = (await s2.list('port')).map(o => Number(o.id.slice(1))).sort((a, b) => a - b)
  t.same(
    ids,
    Array.from({ length: 60 }, (_, i) => 2 * i + 1),
    'exactly the odd ports survive',
  )
  t.equal(await s2.allocateKey('port'), key + 1)
})

t.test('recovery rebuilds exactly the state the live store had (random concurrent ops, snapshots between)', async t => {
  const dir = tempDir()
  const s1 = await openEmbeddedStore({ dir, compactEvery: 37 })
  let seed = 42
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31
    return seed % n
  }
  const op = async (): Promise<void> => {
    const id = `o${rand(30)}`
    const cur = await s1.get('obj', id)
    const topics = [`project:p${rand(3)}`]
    switch (rand(4)) {
      case 0:
        await s1.create('obj', id, { n: rand(1000) }, topics)
        break
      case 1:
        if (cur) await s1.update('obj', id, { n: rand(1000) }, cur.version, topics)
        break
      case 2:
        if (cur) await s1.delete('obj', id, cur.version)
        break
      default:
        await s1.transact([
          { op: 'create', table: 'obj', id: `t${rand(1000)}`, topics, value: {} },
          ...(cur ? [{ op: 'update' as const, table: 'obj', id, version: cur.version, topics, value: { tx: true } }] : []),
        ])
    }
  }
  // Eight concurrent workers: many ops race and fail (already_exists, version_conflict); that is the point.
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let i = 0; i < 60; i++) await op().catch(() => undefined)
    }),
  )
  await s1.allocateKey('k')
  const before = (await s1.list('obj')).sort((a, b) => a.id.localeCompare(b.id))
  await s1.close()
  const s2 = await openEmbeddedStore({ dir, compactEvery: 37 })
  t.teardown(() => s2.close())
  const after = (await s2.list('obj')).sort((a, b) => a.id.localeCompare(b.id))
  t.ok(before.length > 10, `${before.length} objects survived the random run`)
  t.same(after, before, 'every object, version, topic and value as the live store had them')
  t.equal(await s2.allocateKey('k'), 2)
})

t.test('a torn tail is cut off on open, never half-applied', async t => {
  const dir = tempDir()
  const s1 = await openEmbeddedStore({ dir })
  await s1.create('network', 'n1', { a: 1 }, [])
  await s1.create('network', 'n2', { a: 2 }, [])
  await s1.close()
  const log = join(dir, readdirSync(dir).find(f => f.startsWith('log-')) ?? 'missing')
  const good = statSync(log).size
  // Half of a third record, as a crash in the middle of a write would leave it.
  const third = '0badf00d {"seq":3,"changes":[{"table":"network","id":"n3","version":1,"action":"create","topics":[],"value":{}}]}\n'
  appendFileSync(log, third.slice(0, 40))
  const warnings: StoreError[] = []
  const s2 = await openEmbeddedStore({ dir, onWarning: w => warnings.push(w) })
  t.equal(s2.recoveryReport?.code, 'bad_record', 'the open reports the torn tail')
  t.match(s2.recoveryReport?.message, new RegExp(`${log.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} offset ${good}`), 'naming file and offset')
  t.equal(warnings.length, 1, 'and warns once')
  t.equal(statSync(log).size, good, 'the log is truncated to its last whole record')
  t.same((await s2.list('network')).map(o => o.id).sort(), ['n1', 'n2'])
  await s2.create('network', 'n3', {}, [])
  await s2.close()
  const s3 = await openEmbeddedStore({ dir })
  t.teardown(() => s3.close())
  t.equal(s3.recoveryReport, undefined, 'writes after the truncation are clean')
  t.equal((await s3.list('network')).length, 3)
})

t.test('damage before the last record is a bad_record error naming file and offset', async t => {
  const dir = tempDir()
  const s1 = await openEmbeddedStore({ dir })
  for (let i = 0; i < 5; i++) await s1.create('network', `n${i}`, { i }, [])
  await s1.close()
  const log = join(dir, readdirSync(dir).find(f => f.startsWith('log-')) ?? 'missing')
  const bytes = readFileSync(log)
  const secondRecord = bytes.indexOf(0x0a) + 1
  bytes.writeUInt8(bytes.readUInt8(secondRecord + 20) ^ 0x01, secondRecord + 20) // one flipped bit in the second record
  writeFileSync(log, bytes)
  try {
    await openEmbeddedStore({ dir, ...quiet })
    t.fail('opened a damaged store')
  } catch (err) {
    t.ok(err instanceof StoreError, 'a typed error, not a crash')
    t.equal((err as StoreError).code, 'bad_record')
    t.match((err as StoreError).message, `${log} offset ${secondRecord}: checksum mismatch`)
  }
  t.equal(readFileSync(log).length, bytes.length, 'nothing was truncated: acknowledged data is not thrown away')
  const again = await openStore({ driver: 'embedded', dir }).catch((e: unknown) => e)
  t.equal((again as StoreError).code, 'bad_record', 'the lock was released: the next open gets the same answer')
})

// The child writer: test/store/embedded-writer.ts, run with the TypeScript loader tap runs this file with.
const writer = fileURLToPath(new URL('./embedded-writer.ts', import.meta.url))
// tap's TypeScript import hook; under another runner, pass on whatever it started this process with.
const tsHooks = process.execArgv.filter(a => a.includes('typescript'))
const loader = tsHooks.length > 0 ? tsHooks : process.execArgv

const PAYLOAD = 'x'.repeat(2000) // big records: a kill is more likely to land inside one

function spawnWriter(dir: string, mode: 'write' | 'hold', idPrefix = '') {
  return spawn(process.execPath, [...loader, writer], {
    env: { ...process.env, DF_WRITER_DIR: dir, DF_WRITER_MODE: mode, DF_WRITER_PREFIX: idPrefix },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
}

t.test('one writer per directory: another process gets a clear "locked" error', async t => {
  const dir = tempDir()
  const child = spawnWriter(dir, 'hold')
  const lines = createInterface({ input: child.stdout })
  await new Promise<void>(resolve =>
    lines.on('line', l => {
      if (l === 'ready') resolve()
    }),
  )
  try {
    await openStore({ driver: 'embedded', dir })
    t.fail('opened a locked directory')
  } catch (err) {
    t.equal((err as StoreError).code, 'locked')
    t.match((err as StoreError).message, `locked by process ${child.pid}`)
  }
  const exited = new Promise(resolve => child.once('exit', resolve))
  child.kill('SIGKILL')
  await exited
  lines.close()
  const s = await openStore({ driver: 'embedded', dir })
  t.pass('the lock of a killed process is recognised as stale')
  const second = await openStore({ driver: 'embedded', dir }).catch((e: unknown) => e)
  t.equal((second as StoreError).code, 'locked', 'a second open in the same process is refused too')
  await s.close()
})

// SIGKILL seldom tears a record (Linux finishes a write() into the page cache before the signal lands); torn
// records come from power loss, which 'a torn tail is cut off' above reproduces byte for byte. This test proves the
// other half: nothing acknowledged is lost, whatever moment the writer dies at.
t.test('kill -9 mid-stream, three times: every acknowledged write survives and is whole', async t => {
  const dir = tempDir()
  const acked = new Set<string>()
  for (let round = 0; round < 3; round++) {
    const child = spawnWriter(dir, 'write', `r${round}-`)
    const lines = createInterface({ input: child.stdout })
    const exited = new Promise(resolve => child.once('exit', resolve))
    let thisRound = 0
    await new Promise<void>(resolve =>
      lines.on('line', line => {
        if (!line.startsWith('ack ')) return
        acked.add(line.slice(4))
        if (++thisRound === 300) {
          child.kill('SIGKILL')
          resolve()
        }
      }),
    )
    await exited
    lines.close()
    const s = await openEmbeddedStore({ dir, ...quiet })
    const stored = await s.list('port')
    const ids = new Set(stored.map(o => o.id))
    t.same(
      [...acked].filter(id => !ids.has(id)),
      [],
      `round ${round}: all ${acked.size} acknowledged writes are there (${ids.size} stored)`,
    )
    t.same(
      stored.filter(o => o.version !== 1 || o.value.payload !== PAYLOAD),
      [],
      `round ${round}: every stored record applied whole`,
    )
    t.comment(s.recoveryReport ? `round ${round}: ${s.recoveryReport.message}` : `round ${round}: the kill fell between records`)
    await s.close()
  }
})
