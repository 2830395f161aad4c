// Private etcd and mosquitto servers for tests, one per call, on free loopback ports with their own temp dirs
// (tap runs test files in parallel, so nothing here is shared).
//
//   import { startEtcd, startMosquitto } from '../helpers/servers.js'
//   const etcd = await startEtcd()            // etcd.endpoint = 'http://127.0.0.1:<port>'
//   const broker = await startMosquitto()     // broker.url = 'mqtt://127.0.0.1:<port>'; persistence on
//   t.teardown(() => etcd.stop())
//   await etcd.restart()                      // same ports, same data dir; resolves once it serves again
//   const cluster = await startEtcdCluster(3) // three members; cluster.endpoints, leader(), kill(m), restart(m)
//
// Each server: `stop()` (SIGTERM, then SIGKILL after 5 s; idempotent; keeps the data dir for a later
// `restart()`), `restart()` (stop if running, start, wait until ready), `dispose()` (stop and remove its
// temp dir), `logFile` (the server's stdout+stderr; read it when a test fails). Anything still running when
// the test process exits (or gets SIGINT/SIGTERM) is killed and its temp dir removed, so a failing test leaves nothing behind.
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, openSync, closeSync, rmSync, writeFileSync } from 'node:fs'
import { get as httpGet, request as httpRequest } from 'node:http'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface TestServer {
  /** The server's temp dir (data, config, log). */
  readonly dir: string
  readonly logFile: string
  stop(): Promise<void>
  restart(): Promise<void>
  /** stop() and delete `dir`. */
  dispose(): Promise<void>
}

export interface EtcdServer extends TestServer {
  /** Client URL, e.g. 'http://127.0.0.1:40123'. */
  readonly endpoint: string
  readonly clientPort: number
}

export interface MosquittoServer extends TestServer {
  /** Broker URL, e.g. 'mqtt://127.0.0.1:40124'. */
  readonly url: string
  readonly port: number
}

/** A port the kernel just gave us for port 0 (released again; a tiny race with other tests, retried on start). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr ? addr.port : 0
      srv.close(() => resolve(port))
    })
  })
}

export async function startEtcd(): Promise<EtcdServer> {
  const dir = mkdtempSync(join(tmpdir(), 'df-etcd-'))
  return startWithRetry(dir, async () => {
    const [clientPort, peerPort] = [await freePort(), await freePort()]
    const endpoint = `http://127.0.0.1:${clientPort}`
    const peer = `http://127.0.0.1:${peerPort}`
    const args = [
      '--name',
      'test',
      '--data-dir',
      join(dir, 'data'),
      '--logger=zap',
      '--log-level',
      'warn',
      '--listen-client-urls',
      endpoint,
      '--advertise-client-urls',
      endpoint,
      '--listen-peer-urls',
      peer,
      '--initial-advertise-peer-urls',
      peer,
      '--initial-cluster',
      `test=${peer}`,
      '--initial-cluster-state',
      'new',
    ]
    const server = new Managed(dir, { command: 'etcd', args, ready: () => httpReady(`${endpoint}/health`) })
    return Object.assign(server, { endpoint, clientPort })
  })
}

export interface EtcdMember {
  /** etcd's --name: 'm0', 'm1', ... */
  readonly name: string
  /** This member's client URL. */
  readonly endpoint: string
  readonly logFile: string
  readonly dir: string
}

export interface EtcdCluster {
  readonly members: readonly EtcdMember[]
  /** Every member's client URL, in member order (what a client is given). */
  readonly endpoints: string[]
  /** The member that is leader now, as its running members see it; undefined while there is none. */
  leader(): Promise<EtcdMember | undefined>
  /** Kills the member's process (SIGKILL by default: a crash) and waits until it has exited; keeps its data. */
  kill(member: EtcdMember, signal?: NodeJS.Signals): Promise<void>
  /** Starts a killed member again on its ports and data dir; resolves once it serves (it has rejoined). */
  restart(member: EtcdMember): Promise<void>
  /** Kills every member and removes their dirs. */
  dispose(): Promise<void>
}

/**
 * `size` etcd processes on this machine forming one cluster (their own free ports and data dirs, an
 * initial-cluster of all of them), resolved once every member reports healthy (a leader is elected).
 *
 *   const cluster = await startEtcdCluster(3)
 *   const leader = await cluster.leader(); await cluster.kill(leader!); ...; await cluster.restart(leader!)
 */
export async function startEtcdCluster(size: number): Promise<EtcdCluster> {
  let lastError: unknown
  // As startWithRetry, for all members at once: a taken port shows as a member dying during its start.
  for (let attempt = 0; attempt < 3; attempt++) {
    const members: ClusterMember[] = []
    for (let i = 0; i < size; i++) {
      const [clientPort, peerPort] = [await freePort(), await freePort()]
      members.push({
        name: `m${i}`,
        dir: mkdtempSync(join(tmpdir(), `df-etcd-m${i}-`)),
        endpoint: `http://127.0.0.1:${clientPort}`,
        peer: `http://127.0.0.1:${peerPort}`,
      })
    }
    const initialCluster = members.map(m => `${m.name}=${m.peer}`).join(',')
    // The same private token on every member (it seeds the cluster id), so members of clusters started by
    // parallel tests never take each other's messages.
    const token = `df-${randomBytes(6).toString('hex')}`
    const servers = new Map<string, Managed>()
    for (const m of members) {
      const args = [
        '--name',
        m.name,
        '--data-dir',
        join(m.dir, 'data'),
        '--logger=zap',
        '--log-level',
        'warn',
        '--listen-client-urls',
        m.endpoint,
        '--advertise-client-urls',
        m.endpoint,
        '--listen-peer-urls',
        m.peer,
        '--initial-advertise-peer-urls',
        m.peer,
        '--initial-cluster',
        initialCluster,
        '--initial-cluster-state',
        'new',
        '--initial-cluster-token',
        token,
      ]
      servers.set(m.name, new Managed(m.dir, { command: 'etcd', args, ready: () => httpReady(`${m.endpoint}/health`) }))
    }
    try {
      // Together: a member's /health is true only once a quorum has elected a leader.
      await Promise.all([...servers.values()].map(s => s.start()))
      return clusterOf(members, servers)
    } catch (err) {
      lastError = err
      for (const s of servers.values()) await s.dispose()
    }
  }
  throw lastError
}

interface ClusterMember {
  readonly name: string
  readonly dir: string
  readonly endpoint: string
  readonly peer: string
}

function clusterOf(members: ClusterMember[], servers: Map<string, Managed>): EtcdCluster {
  const server = (m: { name: string }): Managed => {
    const s = servers.get(m.name)
    if (!s) throw new Error(`no member ${m.name} in this cluster`)
    return s
  }
  return {
    members: members.map(m => ({ name: m.name, endpoint: m.endpoint, dir: m.dir, logFile: server(m).logFile })),
    endpoints: members.map(m => m.endpoint),
    async leader() {
      // Each running member says who it is and whom it follows; a leader is one that names itself.
      for (const m of members) {
        if (!server(m).running) continue
        const status = await memberStatus(m.endpoint)
        if (status && status.leader !== '0' && status.leader === status.memberId) return this.members.find(x => x.name === m.name)
      }
      return undefined
    },
    kill: (m, signal = 'SIGKILL') => server(m).kill(signal),
    restart: m => server(m).start(),
    async dispose() {
      for (const s of servers.values()) {
        await s.kill('SIGKILL')
        await s.dispose()
      }
    },
  }
}

/** etcd's /v3/maintenance/status through its JSON gateway (uint64 ids come as decimal strings). */
async function memberStatus(endpoint: string): Promise<{ memberId: string; leader: string } | undefined> {
  return new Promise(resolve => {
    const req = httpRequest(
      `${endpoint}/v3/maintenance/status`,
      { method: 'POST', agent: false, timeout: 2_000, headers: { 'Content-Type': 'application/json' } },
      res => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => {
          body += chunk
        })
        res.on('end', () => {
          try {
            const json = JSON.parse(body) as { header?: { member_id?: string }; leader?: string }
            const memberId = json.header?.member_id
            resolve(res.statusCode === 200 && memberId !== undefined ? { memberId, leader: json.leader ?? '0' } : undefined)
          } catch {
            resolve(undefined)
          }
        })
        res.on('error', () => resolve(undefined))
      },
    )
    req.on('timeout', () => req.destroy())
    req.on('error', () => resolve(undefined))
    req.end('{}')
  })
}

export async function startMosquitto(): Promise<MosquittoServer> {
  const dir = mkdtempSync(join(tmpdir(), 'df-mosquitto-'))
  return startWithRetry(dir, async () => {
    const port = await freePort()
    const conf = join(dir, 'mosquitto.conf')
    // Persistence on (saved on SIGTERM): sessions and queued QoS 1 messages survive restart(), as in production.
    // As root, mosquitto would drop to the 'mosquitto' user, which cannot write our private temp dir (so its log
    // says "should not be run as root": expected in tests).
    const user = process.getuid?.() === 0 ? ['user root'] : []
    writeFileSync(
      conf,
      [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence true', `persistence_location ${dir}/`, ...user, ''].join('\n'),
    )
    const server = new Managed(dir, { command: 'mosquitto', args: ['-c', conf], ready: () => tcpReady(port) })
    return Object.assign(server, { url: `mqtt://127.0.0.1:${port}`, port })
  })
}

/** Starts; if the server dies at once (most likely its port was taken in between), tries new ports. */
async function startWithRetry<T extends Managed>(dir: string, make: () => Promise<T>): Promise<T> {
  let lastError: unknown
  for (let attempt = 0; attempt < 3; attempt++) {
    const server = await make()
    try {
      await server.start()
      return server
    } catch (err) {
      lastError = err
      await server.stop()
      rmSync(join(dir, 'data'), { recursive: true, force: true }) // etcd's member config names the old ports
    }
  }
  rmSync(dir, { recursive: true, force: true })
  throw lastError
}

/** Servers not yet disposed: killed and removed when the test process exits. */
const owned = new Set<Managed>()
process.on('exit', () => {
  for (const s of owned) s.killNow()
})
// A test killed by tap's timeout (SIGTERM) or ^C would otherwise skip 'exit' and leak its servers.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const s of owned) s.killNow()
    process.kill(process.pid, signal) // once-listeners are gone now: the default action ends the process
  })
}

class Managed implements TestServer {
  readonly logFile: string
  private child: ChildProcess | undefined
  private exited: Promise<void> = Promise.resolve()

  readonly dir: string
  private readonly command: string
  private readonly args: string[]
  private readonly ready: () => Promise<boolean>

  constructor(dir: string, spec: { command: string; args: string[]; ready: () => Promise<boolean> }) {
    this.dir = dir
    this.command = spec.command
    this.args = spec.args
    this.ready = spec.ready
    this.logFile = join(dir, `${spec.command}.log`)
    owned.add(this)
  }

  async start(): Promise<void> {
    if (this.child) return
    const log = openSync(this.logFile, 'a')
    const child = spawn(this.command, this.args, { stdio: ['ignore', log, log] })
    closeSync(log)
    child.unref() // the test's own handles decide when it ends; stop() or the exit hook ends the server
    this.child = child
    let died = false
    this.exited = new Promise(resolve =>
      child.once('exit', () => {
        died = true
        resolve()
      }),
    )
    child.once('error', () => {
      died = true
    })
    const deadline = Date.now() + 15_000
    while (!(await this.ready())) {
      if (died) throw new Error(`${this.command} exited during start; see ${this.logFile}`)
      if (Date.now() > deadline) throw new Error(`${this.command} not ready after 15 s; see ${this.logFile}`)
      await sleep(50)
    }
  }

  async stop(): Promise<void> {
    const child = this.child
    if (!child) return
    this.child = undefined
    if (child.exitCode === null && child.signalCode === null) {
      child.ref() // keep the process alive until we have seen it exit
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
      await this.exited
      clearTimeout(timer)
    }
  }

  get running(): boolean {
    return this.child !== undefined
  }

  /** Sends `signal` (no grace period, unlike stop()) and waits until the process has exited. */
  async kill(signal: NodeJS.Signals): Promise<void> {
    const child = this.child
    if (!child) return
    this.child = undefined
    if (child.exitCode === null && child.signalCode === null) {
      child.ref()
      child.kill(signal)
      await this.exited
    }
  }

  async restart(): Promise<void> {
    await this.stop()
    await this.start()
  }

  async dispose(): Promise<void> {
    await this.stop()
    owned.delete(this)
    rmSync(this.dir, { recursive: true, force: true })
  }

  /** From the exit hook: synchronous only. */
  killNow(): void {
    try {
      this.child?.kill('SIGKILL')
    } catch {
      /* already gone */
    }
    rmSync(this.dir, { recursive: true, force: true })
  }
}

/** GET with no keep-alive agent, so no pooled socket outlives the check. */
async function httpReady(url: string): Promise<boolean> {
  return new Promise(resolve => {
    const req = httpGet(url, { agent: false, timeout: 1_000 }, res => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        body += chunk
      })
      res.on('end', () => resolve(res.statusCode === 200 && body.includes('"health":"true"')))
      res.on('error', () => resolve(false))
    })
    req.on('timeout', () => req.destroy())
    req.on('error', () => resolve(false))
  })
}

async function tcpReady(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const sock = createConnection({ port, host: '127.0.0.1' })
    sock.once('connect', () => {
      sock.destroy()
      resolve(true)
    })
    sock.once('error', () => {
      sock.destroy()
      resolve(false)
    })
  })
}

function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms))
}
