// The node tempest talks to. Embedded store: `dragonflow serve` (the main job: API, agent, private OVS in its own
// namespace), or `dragonflow api` alone without root. etcd store: a real etcd server, a private OVS, and
// `dragonflow agent` + `dragonflow api` on that etcd: the same processes a multi-node cloud runs.
// Every process logs into the workspace; stop() takes all of it down again.
import { type ChildProcess, spawn } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { join } from 'node:path'
import { PrivateOvs } from '../../agent/controller/private-ovs.js'
import { startEtcd } from '../../test/helpers/servers.js'

export interface NodeUnderTest {
  url: string
  stop: () => Promise<void>
}

export interface NodeOptions {
  repo: string
  /** the workspace: store, OVS and logs/ go here */
  ws: string
  store: 'embedded' | 'etcd'
  /** embedded store only: serve (with an agent; needs root) or api alone */
  node: 'serve' | 'api'
  adminPassword: string
}

/** Start a `dragonflow` subcommand; resolves with the first match of `ready` in its stdout. */
function startDragonflow(
  o: NodeOptions,
  args: string[],
  ready: RegExp,
  name: string,
): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(process.execPath, [join(o.repo, 'bin/dragonflow.js'), ...args, '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] })
  const log = createWriteStream(join(o.ws, 'logs', `dragonflow-${name}.log`))
  child.stderr?.pipe(log)
  return new Promise((ok, fail) => {
    let seen = ''
    const timer = setTimeout(() => {
      child.kill('SIGTERM')
      fail(new Error(`dragonflow ${name} did not start in 90 s:\n${seen}`))
    }, 90_000)
    child.stdout?.on('data', (d: Buffer) => {
      log.write(d)
      seen += d.toString()
      const m = ready.exec(seen)
      if (m) {
        clearTimeout(timer)
        ok({ child, match: m })
      }
    })
    child.once('exit', code => {
      clearTimeout(timer)
      fail(new Error(`dragonflow ${name} exited (${code}) before it was ready:\n${seen}`))
    })
  })
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise(r => child.once('exit', r))
  child.kill('SIGTERM')
  await exited
}

const LISTENING = /listening on (http:\/\/\S+)/
const auth = (o: NodeOptions): string[] => ['--listen', '127.0.0.1:0', '--auth', 'keystone', '--admin-password', o.adminPassword]

export async function startNode(o: NodeOptions): Promise<NodeUnderTest> {
  const netns = `df-tempest-${process.pid}`
  if (o.store === 'embedded') {
    const where = o.node === 'serve' ? ['--netns', netns] : []
    const { child, match } = await startDragonflow(o, [o.node, '--data-dir', join(o.ws, 'store'), ...where, ...auth(o)], LISTENING, o.node)
    return { url: (match[1] as string).replace(/\/$/, ''), stop: () => stopChild(child) }
  }
  const stops: (() => Promise<void>)[] = []
  const stop = async (): Promise<void> => {
    for (const s of stops.splice(0).reverse()) await s().catch(() => undefined)
  }
  try {
    const etcd = await startEtcd()
    stops.push(() => etcd.dispose())
    const ovs = new PrivateOvs({ dir: join(o.ws, 'ovs'), netns })
    await ovs.ensure()
    stops.push(async () => {
      ovs.stopSync({ deleteNetns: true })
    })
    const store = ['--store', 'etcd', '--etcd-endpoints', etcd.endpoint]
    const agent = await startDragonflow(
      o,
      ['agent', ...store, '--ovsdb', ovs.dbTarget, '--of-socket', join(o.ws, 'ovs', 'df-of.sock'), '--chassis-id', 'tempest-node'],
      /running \(chassis/,
      'agent',
    )
    stops.push(() => stopChild(agent.child))
    const api = await startDragonflow(o, ['api', ...store, ...auth(o)], LISTENING, 'api')
    stops.push(() => stopChild(api.child))
    return { url: (api.match[1] as string).replace(/\/$/, ''), stop }
  } catch (err) {
    await stop()
    throw err
  }
}
