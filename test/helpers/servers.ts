// Private etcd and mosquitto servers for tests, one per call, on free loopback ports with their own temp dirs
// (tap runs test files in parallel, so nothing here is shared).
//
//   import { startEtcd, startMosquitto } from '../helpers/servers.js'
//   const etcd = await startEtcd()            // etcd.endpoint = 'http://127.0.0.1:<port>'
//   const broker = await startMosquitto()     // broker.url = 'mqtt://127.0.0.1:<port>'; persistence on
//   t.teardown(() => etcd.stop())
//   await etcd.restart()                      // same ports, same data dir; resolves once it serves again
//
// Each server: `stop()` (SIGTERM, then SIGKILL after 5 s; idempotent; keeps the data dir for a later
// `restart()`), `restart()` (stop if running, start, wait until ready), `dispose()` (stop and remove its
// temp dir), `logFile` (the server's stdout+stderr; read it when a test fails). Anything still running when
// the test process exits (or gets SIGINT/SIGTERM) is killed and its temp dir removed, so a failing test leaves nothing behind.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, openSync, closeSync, rmSync, writeFileSync } from 'node:fs'
import { get as httpGet } from 'node:http'
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
      '--name', 'test', '--data-dir', join(dir, 'data'), '--logger=zap', '--log-level', 'warn',
      '--listen-client-urls', endpoint, '--advertise-client-urls', endpoint,
      '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
      '--initial-cluster', `test=${peer}`, '--initial-cluster-state', 'new',
    ]
    const server = new Managed(dir, { command: 'etcd', args, ready: () => httpReady(`${endpoint}/health`) })
    return Object.assign(server, { endpoint, clientPort })
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
    writeFileSync(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence true',
      `persistence_location ${dir}/`, ...user, ''].join('\n'))
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
    this.exited = new Promise(resolve => child.once('exit', () => { died = true; resolve() }))
    child.once('error', () => { died = true })
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
    try { this.child?.kill('SIGKILL') } catch { /* already gone */ }
    rmSync(this.dir, { recursive: true, force: true })
  }
}

/** GET with no keep-alive agent, so no pooled socket outlives the check. */
async function httpReady(url: string): Promise<boolean> {
  return new Promise(resolve => {
    const req = httpGet(url, { agent: false, timeout: 1_000 }, res => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { body += chunk })
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
    sock.once('connect', () => { sock.destroy(); resolve(true) })
    sock.once('error', () => { sock.destroy(); resolve(false) })
  })
}

function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms))
}
