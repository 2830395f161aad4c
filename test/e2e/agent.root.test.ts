// Needs root: `dragonflow agent` against an OVS it did not start (the test's private one): it creates br-int
// with itself as the controller (the socket inside OVS's rundir: OVS refuses unix: targets elsewhere), installs the pipeline's base flows, and exits cleanly on SIGTERM.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { needRoot } from '../helpers/requirements.js'
import { REPO } from '../northbound/helpers/api-process.js'
import { startOvs } from '../helpers/ovs.js'
import { exec, until } from './serve-node.js'

const skip = needRoot('private OVS in a network namespace')

t.test('dragonflow agent joins a running OVS', { skip }, async t => {
  const ovs = await startOvs()
  const dir = mkdtempSync(join(tmpdir(), 'dfe-agent-'))
  t.teardown(async () => {
    await ovs.stop()
    rmSync(dir, { recursive: true, force: true })
  })
  const child = spawn(
    process.execPath,
    [
      join(REPO, 'bin/dragonflow.js'),
      'agent',
      '--log-format',
      'text',
      '--store',
      'embedded',
      '--data-dir',
      join(dir, 'store'),
      '--ovsdb',
      `unix:${ovs.dbSocket}`,
      '--of-socket',
      join(ovs.dir, 'df-of.sock'),
      '--chassis-id',
      'agent-e2e',
      '--control',
      join(dir, 'agent.ctl'),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let log = ''
  child.stdout.on('data', (d: Buffer) => {
    log += d.toString()
  })
  child.stderr.on('data', (d: Buffer) => {
    log += d.toString()
  })
  const exited = new Promise<number | null>(resolve =>
    child.once('exit', code => {
      resolve(code)
    }),
  )
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })
  await until('the agent to resync', async () => log.includes('agent: resync:'), 60_000).catch((err: Error) => {
    throw new Error(`${err.message}\n${log}`)
  })
  t.match(log, /run generation 2\b/, "registered as a chassis; the first run is generation 2 (1 is the proactive flows')")
  const flows = (await ovs.ofctl('dump-flows', 'br-int')).split('\n').filter(l => l.includes('table='))
  t.ok(
    flows.some(l => l.includes('table=0') && l.includes('goto_table:10')),
    'the pipeline entry flow is on br-int',
  )
  const check = await exec(process.execPath, [join(REPO, 'bin/dragonflow.js'), 'flows', '--check', '--control', join(dir, 'agent.ctl')])
  t.equal(check.code, 0, `the switch equals a fresh recompute: ${check.stdout.trim()} ${check.stderr.trim()}`)
  child.kill('SIGTERM')
  t.equal(await exited, 0, 'exits with 0 on SIGTERM')
})
