// The agent's control socket: a request gets its handler's result, an unknown command or a failing handler an
// error reply, and garbage (not JSON, no cmd, an oversized request) an error reply too, never a crash.
import t from 'tap'
import { createConnection } from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ControlServer, controlRequest } from '../../agent/controller/control-server.js'

const raw = async (path: string, text: string): Promise<string> =>
  await new Promise((resolve, reject) => {
    const s = createConnection(path)
    let buf = ''
    s.on('connect', () => {
      s.write(text)
    })
    s.on('data', d => {
      buf += d.toString()
      if (buf.includes('\n')) {
        s.end()
        resolve(buf.trim())
      }
    })
    s.on('error', reject)
  })

t.test('control socket', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'dfe-ctl-'))
  const path = join(dir, 'agent.ctl')
  const logged: string[] = []
  const server = new ControlServer(
    path,
    async (cmd, args) => {
      if (cmd === 'echo') return { args, big: 1n << 40n }
      if (cmd === 'fail') throw new Error('it failed')
      throw new Error(`unknown command '${cmd}'`)
    },
    l => logged.push(l),
  )
  await server.listen()
  t.teardown(async () => {
    await server.close()
    rmSync(dir, { recursive: true, force: true })
  })

  t.same(await controlRequest(path, 'echo', { a: 1 }), { args: { a: 1 }, big: '0x10000000000' }, 'result returned; bigints as hex')
  await t.rejects(controlRequest(path, 'nope'), /unknown command 'nope'/, 'unknown command: an error reply')
  await t.rejects(controlRequest(path, 'fail'), /it failed/, 'a failing handler: an error reply')
  t.match(JSON.parse(await raw(path, 'not json\n')), { ok: false, error: /not JSON/ }, 'garbage: error reply')
  t.match(JSON.parse(await raw(path, '{"args":{}}\n')), { ok: false, error: /no "cmd"/ }, 'no cmd: error reply')
  t.match(JSON.parse(await raw(path, 'x'.repeat(70_000))), { ok: false, error: /over/ }, 'oversized request: refused')
  t.same(await controlRequest(path, 'echo'), { args: {}, big: '0x10000000000' }, 'still serving after all that')
  t.ok(
    logged.some(l => l.includes('it failed')),
    'handler failures are logged',
  )
})

t.test('nothing listening: a clear error', async t => {
  await t.rejects(controlRequest('/nonexistent/agent.ctl', 'stats', {}, 1000), /agent\.ctl/)
})
