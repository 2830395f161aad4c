// A `dragonflow serve` process for end-to-end tests (root): started on a data directory, its log kept, killed
// with SIGKILL or stopped with SIGTERM, and everything it left (private OVS daemons, namespaces, workload
// namespaces, the directory) removed at the end even when the test fails.
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'
import { PrivateOvs } from '../../agent/controller/private-ovs.js'
import { REPO, jsonDocuments, noAuthEnv, openstack } from '../northbound/helpers/api-process.js'

type Obj = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any -- CLI JSON output

export interface Exec {
  code: number
  stdout: string
  stderr: string
}

export function exec(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Exec> {
  return new Promise(resolve => {
    execFile(cmd, args, { env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1
      resolve({ code, stdout, stderr })
    })
  })
}

/** Run a command in a namespace. */
export const inNs = (ns: string, cmd: string, ...args: string[]): Promise<Exec> => exec('ip', ['netns', 'exec', ns, cmd, ...args])

export async function until<T>(what: string, check: () => Promise<T | undefined | false>, ms = 30_000, every = 100): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = await check().catch(() => undefined)
    if (v !== undefined && v !== false) return v
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, every))
  }
}

/**
 * tcpdump on eth0 of a namespace for `seconds` (`verbose`: -vv, options decoded); returns once it listens, with
 * what it will have printed.
 */
export const capture = async (
  ns: string,
  filter: string,
  seconds: number,
  opts: { verbose?: boolean } = {},
): Promise<{ done: Promise<string> }> => {
  const p = spawn(
    'ip',
    [
      'netns',
      'exec',
      ns,
      'timeout',
      String(seconds),
      'tcpdump',
      '-l',
      '-n',
      ...(opts.verbose === true ? ['-vv'] : []),
      '-i',
      'eth0',
      filter,
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let out = ''
  let err = ''
  p.stdout.on('data', (d: Buffer) => {
    out += d.toString()
  })
  p.stderr.on('data', (d: Buffer) => {
    err += d.toString()
  })
  const done = new Promise<string>(resolve =>
    p.once('close', () => {
      resolve(out)
    }),
  )
  await until(
    `tcpdump in ${ns} to listen`,
    async () => {
      if (p.exitCode !== null) throw new Error(`tcpdump exited: ${err}`)
      return err.includes('listening on')
    },
    10_000,
    50,
  )
  return { done }
}

/** A started node (extra: serve flags) that the test's teardown removes with everything it made. */
export async function startNode(t: Test, tag: string, extra: string[] = []): Promise<ServeNode> {
  const node = new ServeNode(tag)
  t.teardown(async () => {
    await node.cleanup()
  })
  await node.start(extra)
  return node
}

export class ServeNode {
  readonly dir: string
  readonly netns: string
  readonly workloads: string[] = []
  url = ''
  private child: ChildProcess | undefined
  private out = ''

  constructor(tag: string) {
    this.dir = mkdtempSync(join(tmpdir(), 'dfe-serve-'))
    this.netns = `dfv${tag}`
  }

  log(): string {
    return this.out
  }

  /** Start `dragonflow serve` (with `extra` flags, e.g. --l3 reactive) and wait until its API listens and its switch is in sync. */
  async start(extra: string[] = []): Promise<void> {
    const mark = this.out.length
    const child = spawn(
      process.execPath,
      [
        join(REPO, 'bin/dragonflow.js'),
        'serve',
        '--data-dir',
        this.dir,
        '--listen',
        '127.0.0.1:0',
        '--netns',
        this.netns,
        '--chassis-id',
        `e2e-${this.netns}`,
        // text lines keep the `component: msg` shape the waits below and the tests match on
        '--log-format',
        'text',
        ...extra,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    this.child = child
    child.stdout?.on('data', (d: Buffer) => {
      this.out += d.toString()
    })
    child.stderr?.on('data', (d: Buffer) => {
      this.out += d.toString()
    })
    this.url = await until(
      'serve to listen',
      async () => {
        if (child.exitCode !== null) throw new Error(`serve exited with ${child.exitCode}:\n${this.out}`)
        return /listening on (http:\/\/\S+)/.exec(this.out.slice(mark))?.[1]
      },
      60_000,
    )
    await until('the first resync', async () => this.out.slice(mark).includes('agent: resync:'), 60_000)
  }

  get pid(): number | undefined {
    return this.child?.pid
  }

  /** Ends a test step with `what` and the tail of serve's log. */
  fail(what: string): never {
    throw new Error(`${what}\n--- serve log ---\n${this.out.slice(-4000)}`)
  }

  /**
   * The real `openstack` CLI against this node (no auth), one interactive session over `lines` (one Python start);
   * the JSON objects it printed, which must number `expected`.
   */
  async openstackBatch(lines: string[], expected: number): Promise<Obj[]> {
    const r = await openstack(noAuthEnv(this.url), [], lines.join('\n') + '\n')
    const docs = jsonDocuments(r.stdout) as Obj[]
    if (docs.length !== expected) this.fail(`openstack printed ${docs.length} of ${expected} objects: ${r.stderr}`)
    return docs
  }

  /** kill -9: the private OVS stays up (detached), as after a crash. */
  async kill9(): Promise<void> {
    const c = this.child
    if (c === undefined || c.exitCode !== null || c.signalCode !== null) return
    const gone = new Promise(resolve => c.once('exit', resolve))
    c.kill('SIGKILL')
    await gone
  }

  /** SIGTERM: serve stops its OVS and deletes its namespace. */
  async stop(): Promise<void> {
    const c = this.child
    if (c === undefined || c.exitCode !== null || c.signalCode !== null) return
    const gone = new Promise(resolve => c.once('exit', resolve))
    c.kill('SIGTERM')
    const timer = setTimeout(() => {
      c.kill('SIGKILL')
    }, 20_000)
    await gone
    clearTimeout(timer)
  }

  async dragonflow(...args: string[]): Promise<Exec> {
    return await exec(process.execPath, [join(REPO, 'bin/dragonflow.js'), ...args])
  }

  async plug(portId: string, ns: string): Promise<void> {
    this.workloads.push(ns)
    const r = await this.dragonflow('plug', '--data-dir', this.dir, '--port', portId, '--netns', ns)
    if (r.code !== 0) throw new Error(`plug ${portId}: ${r.stderr}`)
  }

  /**
   * The recompute oracle: `dragonflow flows --check` has serve compare br-int with a fresh full recompute of the
   * store's state (agent/controller/flow-check.ts). Ends every scenario.
   */
  async checkFlows(t: Test, when = 'at the end'): Promise<void> {
    const r = await this.dragonflow('flows', '--check', '--data-dir', this.dir)
    t.equal(
      r.code,
      0,
      `${when}, br-int equals a fresh recompute: ${r.stdout.trim()}${r.stderr.trim() !== '' ? ` (${r.stderr.trim()})` : ''}`,
    )
  }

  ovsEnv(): NodeJS.ProcessEnv {
    return { ...process.env, OVS_RUNDIR: join(this.dir, 'ovs') }
  }

  async vsctl(...args: string[]): Promise<string> {
    const r = await exec('ovs-vsctl', [`--db=unix:${join(this.dir, 'ovs', 'db.sock')}`, '--timeout=20', ...args], { env: this.ovsEnv() })
    if (r.code !== 0) throw new Error(`ovs-vsctl ${args.join(' ')}: ${r.stderr}`)
    return r.stdout
  }

  /** br-int's flows with statistics (n_packets, idle_timeout), one per line, as ovs-ofctl prints them. */
  async flowsWithStats(): Promise<string[]> {
    return await this.dumpFlows([])
  }

  /** br-int's flows without statistics, one per line, as ovs-ofctl prints them. */
  async flows(): Promise<string[]> {
    return await this.dumpFlows(['--no-stats'])
  }

  private async dumpFlows(opts: string[]): Promise<string[]> {
    const r = await exec('ovs-ofctl', ['-O', 'OpenFlow13', ...opts, 'dump-flows', 'br-int'], { env: this.ovsEnv() })
    if (r.code !== 0) throw new Error(`dump-flows: ${r.stderr}`)
    return r.stdout.split('\n').filter(l => l.includes('table='))
  }

  /** Everything this node made goes away: serve, OVS, namespaces, the directory. Synchronous-safe. */
  async cleanup(): Promise<void> {
    await this.stop()
    new PrivateOvs({ dir: join(this.dir, 'ovs'), netns: this.netns }).stopSync({ deleteNetns: true })
    for (const ns of this.workloads.splice(0)) spawnSync('ip', ['netns', 'del', ns])
    rmSync(this.dir, { recursive: true, force: true })
  }
}

// --- Traffic helpers for the security-group tests (additions; nothing above depends on them). Workloads'
// servers and long connections are processes in a namespace: each is started in its own process group and
// killed with it by the test's teardown (a process outlives the deletion of its namespace).

/** A long-running process in a namespace, with its output kept; stop() ends it and its children. */
export interface Daemon {
  child: ChildProcess
  output: () => string
  stop: () => Promise<void>
}

/** Starts `cmd args` in `ns` (stdin a pipe when asked); the test's teardown stops it. */
export function spawnIn(t: Test, ns: string, cmd: string, args: string[], opts: { stdin?: boolean } = {}): Daemon {
  const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], {
    detached: true,
    stdio: [opts.stdin === true ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString()
  })
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString()
  })
  child.stdin?.on('error', () => undefined) // a write after the process ended is not the test's failure
  const gone = new Promise<void>(resolve => {
    child.once('exit', () => {
      resolve()
    })
  })
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL')
      } catch {
        /* already gone */
      }
    }
    await gone
  }
  t.teardown(stop)
  return { child, output: () => out, stop }
}

// An echo server: every TCP connection gets its bytes back (and is closed when the client half-closes), every
// UDP datagram goes back to its sender. argv: TCP ports and UDP ports, comma separated ('-' for none).
const ECHO_SERVER = `
const net = require('node:net'), dgram = require('node:dgram')
const [tcp, udp] = process.argv.slice(1).map(s => s === '-' ? [] : s.split(',').map(Number))
let n = 0
const up = () => { if (++n === tcp.length + udp.length) console.log('ready') }
for (const p of tcp) net.createServer({ allowHalfOpen: true }, s => {
  s.on('data', d => s.write(d)); s.on('end', () => s.end()); s.on('error', () => s.destroy())
}).listen(p, up)
for (const p of udp) { const s = dgram.createSocket('udp4'); s.on('message', (m, r) => s.send(m, r.port, r.address)); s.bind(p, up) }
`

/** An echo server in `ns` on these TCP and UDP ports, listening when this returns. */
export async function echoServer(t: Test, ns: string, ports: { tcp?: number[]; udp?: number[] }): Promise<Daemon> {
  const list = (ps: number[] | undefined): string => (ps === undefined || ps.length === 0 ? '-' : ps.join(','))
  const d = spawnIn(t, ns, process.execPath, ['-e', ECHO_SERVER, list(ports.tcp), list(ports.udp)])
  await until(
    `the echo server in ${ns}`,
    async () => {
      if (d.child.exitCode !== null) throw new Error(`echo server in ${ns} exited: ${d.output()}`)
      return d.output().includes('ready')
    },
    10_000,
    50,
  )
  return d
}

let probes = 0

/**
 * A new TCP connection from `ns` to ip:port with busybox nc carries a line there and back (the echo server
 * answers it). busybox nc here has no -z/-k/-u: -w bounds the connect only, so the whole probe is bounded too.
 */
export async function tcpProbe(ns: string, ip: string, port: number, connectS = 1): Promise<boolean> {
  const token = `probe-${process.pid}-${++probes}`
  const r = await exec(
    'ip',
    ['netns', 'exec', ns, 'sh', '-c', 'echo "$1" | busybox nc -w "$2" "$3" "$4"', 'sh', token, String(connectS), ip, String(port)],
    { timeoutMs: (connectS + 3) * 1000 },
  )
  return r.code === 0 && r.stdout.includes(token)
}

// A UDP client: sends one datagram up to 3 times, 400 ms apart; exit 0 when it comes back.
const UDP_PROBE = `
const s = require('node:dgram').createSocket('udp4'), [ip, port, token] = process.argv.slice(1), msg = Buffer.from(token)
let tries = 0
const send = () => { if (tries++ === 3) process.exit(1); s.send(msg, Number(port), ip); setTimeout(send, 400) }
s.on('message', m => { if (m.equals(msg)) process.exit(0) }); s.on('error', () => undefined); send()
`

/** A UDP datagram from `ns` to ip:port comes back from the echo server. */
export async function udpProbe(ns: string, ip: string, port: number): Promise<boolean> {
  const token = `probe-${process.pid}-${++probes}`
  const r = await exec('ip', ['netns', 'exec', ns, process.execPath, '-e', UDP_PROBE, ip, String(port), token], { timeoutMs: 5000 })
  return r.code === 0
}

/** `count` pings from `ns` to `ip`, 0.2 s apart, each waited for 1 s: did all of them come back? */
export async function pings(ns: string, ip: string, count = 2, opts: { from?: string } = {}): Promise<boolean> {
  const src = opts.from !== undefined ? ['-I', opts.from] : []
  return (await inNs(ns, 'ping', '-c', String(count), '-i', '0.2', '-W', '1', ...src, ip)).code === 0
}

/**
 * A long TCP connection from `ns` to an echo server at ip:port: busybox nc, fed a numbered line every `everyMs`
 * through its stdin. sent() counts the lines written (the writes go on whatever the network does: the socket
 * buffers them), received() the echoed bytes that came back: data stopped when received() stays put while
 * sent() grows.
 */
export interface Stream {
  sent: () => number
  received: () => number
  stop: () => Promise<void>
}

export function tcpStream(t: Test, ns: string, ip: string, port: number, everyMs = 200): Stream {
  const d = spawnIn(t, ns, 'busybox', ['nc', ip, String(port)], { stdin: true })
  let sent = 0,
    received = 0
  d.child.stdout?.on('data', (b: Buffer) => {
    received += b.length
  })
  const timer = setInterval(() => {
    if (d.child.stdin?.writable === true) d.child.stdin.write(`line ${++sent}\n`)
  }, everyMs)
  const stop = async (): Promise<void> => {
    clearInterval(timer)
    await d.stop()
  }
  t.teardown(() => {
    clearInterval(timer)
  })
  return { sent: () => sent, received: () => received, stop }
}

/** ovs-appctl against a node's private ovs-vswitchd (e.g. dpctl/dump-conntrack). */
export async function appctl(node: ServeNode, ...args: string[]): Promise<string> {
  const r = await exec('ovs-appctl', ['-t', join(node.dir, 'ovs', 'ovs-vswitchd.ctl'), ...args])
  if (r.code !== 0) throw new Error(`ovs-appctl ${args.join(' ')}: ${r.stderr}`)
  return r.stdout
}
