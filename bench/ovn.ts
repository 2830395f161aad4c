// A private OVN 23.03 for bench:peer: the NB and SB databases (one ovsdb-server each on a unix socket),
// ovn-northd between them, a private Open vSwitch (PrivateOvs: ovsdb-server + ovs-vswitchd in a network namespace
// of its own, netdev datapath) and ovn-controller on it; nothing touches the host's OVS or /var/run.
//
// The NB is written through an `ovn-nbctl --detach` daemon (it keeps a replica of the NB, so a command does not
// download the whole database first), reached over its unixctl socket with the `run` JSON-RPC method: a command is
// one NB transaction and costs no process start. The daemon is the client (the CMS side), not OVN's control
// plane: its CPU is reported apart.
import { execFile, spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { createConnection, type Socket } from 'node:net'
import { join } from 'node:path'
import { JsonFramer } from '../agent/ovsdb/framer.js'
import { PrivateOvs } from '../agent/controller/private-ovs.js'

export function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 120_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env, maxBuffer: 256 << 20, timeout: timeoutMs }, (err, out, stderr) => {
      if (err !== null) reject(new Error(`${cmd} ${args.slice(0, 8).join(' ')}: ${stderr.trim() || err.message}`))
      else resolve(out)
    })
  })
}

const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

/** Alive and not a zombie (a detached daemon we killed may linger as one until its parent reaps it). */
export function isRunning(pid: number | undefined): pid is number {
  if (pid === undefined || !Number.isInteger(pid) || pid <= 1) return false
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
    return state !== 'Z' && state !== 'X'
  } catch {
    return false
  }
}

export function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim())
    return isRunning(pid) ? pid : undefined
  } catch {
    return undefined
  }
}

/** Kill a process and wait (synchronously: usable from a signal handler) until it is gone. */
export function killSync(pid: number | undefined, signal: NodeJS.Signals = 'SIGTERM', waitMs = 5000): void {
  if (!isRunning(pid)) return
  try {
    process.kill(pid, signal)
  } catch {
    return
  }
  for (let waited = 0; waited < waitMs && isRunning(pid); waited += 50) spawnSync('sleep', ['0.05'])
  if (isRunning(pid))
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      /* gone */
    }
}

/** A unixctl (JSON-RPC 1.0) client: what ovs-appctl/ovn-appctl speak, on one long-lived connection. */
class UnixctlClient {
  private socket: Socket | undefined
  private readonly framer = new JsonFramer()
  private nextId = 1
  private readonly pending = new Map<number, { resolve: (s: string) => void; reject: (e: Error) => void }>()

  constructor(private readonly path: string) {}

  private async connect(): Promise<Socket> {
    if (this.socket !== undefined && !this.socket.destroyed) return this.socket
    const s = createConnection(this.path)
    await new Promise<void>((resolve, reject) => {
      s.once('connect', resolve)
      s.once('error', reject)
    })
    s.on('data', (chunk: Buffer) => {
      for (const text of this.framer.push(chunk)) {
        const msg = JSON.parse(text) as { id?: number; result?: unknown; error?: unknown }
        const p = typeof msg.id === 'number' ? this.pending.get(msg.id) : undefined
        if (p === undefined) continue
        this.pending.delete(msg.id as number)
        if (msg.error !== null && msg.error !== undefined)
          p.reject(new Error((typeof msg.error === 'string' ? msg.error : JSON.stringify(msg.error)).trim()))
        else p.resolve(typeof msg.result === 'string' ? msg.result : '')
      }
    })
    const fail = (err: Error): void => {
      for (const p of this.pending.values()) p.reject(err)
      this.pending.clear()
    }
    s.on('error', fail)
    s.on('close', () => {
      fail(new Error(`unixctl ${this.path}: connection closed`))
    })
    this.socket = s
    return s
  }

  async call(method: string, params: string[]): Promise<string> {
    const s = await this.connect()
    const id = this.nextId++
    return await new Promise<string>((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      s.write(JSON.stringify({ method, params, id }))
    })
  }

  close(): void {
    this.socket?.destroy()
  }
}

export interface OvnOptions {
  dir: string
  netns: string
  chassis: string
  log: (line: string) => void
}

export class OvnStack {
  readonly dir: string
  readonly ovs: PrivateOvs
  readonly nbSock: string
  readonly sbSock: string
  /** for ovn-controller: OVS_RUNDIR finds br-int.mgmt in the private OVS, OVN_RUNDIR holds its unixctl socket */
  readonly env: NodeJS.ProcessEnv
  private nbctl: UnixctlClient | undefined
  private readonly log: (line: string) => void
  private readonly chassis: string

  constructor(opts: OvnOptions) {
    this.dir = opts.dir
    this.chassis = opts.chassis
    this.log = opts.log
    this.ovs = new PrivateOvs({ dir: join(opts.dir, 'ovs'), netns: opts.netns })
    this.nbSock = join(opts.dir, 'nb.sock')
    this.sbSock = join(opts.dir, 'sb.sock')
    this.env = { ...process.env, OVS_RUNDIR: this.ovs.dir, OVN_RUNDIR: opts.dir, OVS_LOGDIR: opts.dir, OVN_LOGDIR: opts.dir }
  }

  private file(name: string): string {
    return join(this.dir, name)
  }

  async start(): Promise<void> {
    mkdirSync(this.dir, { recursive: true })
    for (const db of ['nb', 'sb'] as const) {
      await run('ovsdb-tool', ['create', this.file(`${db}.db`), `/usr/share/ovn/ovn-${db}.ovsschema`], this.env)
      await run(
        'ovsdb-server',
        [
          this.file(`${db}.db`),
          `--remote=punix:${this.file(`${db}.sock`)}`,
          `--pidfile=${this.file(`${db}.pid`)}`,
          `--unixctl=${this.file(`${db}.ctl`)}`,
          `--log-file=${this.file(`${db}.log`)}`,
          '-vconsole:off',
          '--detach',
        ],
        this.env,
      )
    }
    await run(
      'ovn-northd',
      [
        `--ovnnb-db=unix:${this.nbSock}`,
        `--ovnsb-db=unix:${this.sbSock}`,
        `--pidfile=${this.file('northd.pid')}`,
        `--unixctl=${this.file('northd.ctl')}`,
        `--log-file=${this.file('northd.log')}`,
        '-vconsole:off',
        '--detach',
      ],
      this.env,
    )
    await this.ovs.ensure()
    await this.ovs.vsctl(
      'set',
      'Open_vSwitch',
      '.',
      `external_ids:system-id=${this.chassis}`,
      `external_ids:ovn-remote=unix:${this.sbSock}`,
      'external_ids:ovn-encap-type=geneve',
      'external_ids:ovn-encap-ip=127.0.0.1',
      'external_ids:ovn-bridge-datapath-type=netdev',
    )
    await this.startController()
    // ovn-controller creates br-int itself
    for (let i = 0; i < 200; i++) {
      if ((await this.ovs.vsctl('list-br').catch(() => '')).split('\n').includes('br-int')) break
      await sleep(50)
    }
    const sock = (
      await run(
        'ovn-nbctl',
        [
          `--db=unix:${this.nbSock}`,
          `--pidfile=${this.file('nbctl.pid')}`,
          `--log-file=${this.file('nbctl.log')}`,
          '-vconsole:off',
          '--detach',
        ],
        this.env,
      )
    ).trim()
    this.nbctl = new UnixctlClient(sock)
    this.log(
      `ovn: NB, SB, ovn-northd, ovs-vswitchd (netns ${this.ovs.netns ?? 'root'}), ovn-controller and an ovn-nbctl daemon in ${this.dir}`,
    )
  }

  /** Start ovn-controller (again); resolves once it reports its SB connection up. */
  async startController(): Promise<void> {
    await run(
      'ovn-controller',
      [
        this.ovs.dbTarget,
        `--pidfile=${this.file('controller.pid')}`,
        '--overwrite-pidfile',
        `--log-file=${this.file('controller.log')}`,
        '-vconsole:off',
        '--detach',
      ],
      this.env,
    )
    for (let i = 0; i < 400; i++) {
      if (await this.controllerConnected()) return
      await sleep(25)
    }
    throw new Error('ovn-controller did not connect to the SB')
  }

  async controllerConnected(): Promise<boolean> {
    const pid = this.pid('controller')
    if (pid === undefined) return false
    const ctl = this.file(`ovn-controller.${pid}.ctl`)
    if (!existsSync(ctl)) return false
    return (await run('ovs-appctl', ['-t', ctl, 'connection-status'], this.env).catch(() => '')).trim() === 'connected'
  }

  /** One ovn-nbctl invocation (any number of `--`-joined commands: one NB transaction) through the daemon. */
  async nb(...args: string[]): Promise<string> {
    if (this.nbctl === undefined) throw new Error('ovn: not started')
    return await this.nbctl.call('run', args)
  }

  pid(name: 'nb' | 'sb' | 'northd' | 'controller' | 'nbctl'): number | undefined {
    return readPid(this.file(`${name}.pid`))
  }

  /** Processes by role: control plane (what the comparison counts), the switch, and the client. */
  pids(): {
    control: Record<string, number | undefined>
    switch: Record<string, number | undefined>
    client: Record<string, number | undefined>
  } {
    return {
      control: {
        'ovn-controller': this.pid('controller'),
        'ovn-northd': this.pid('northd'),
        'NB ovsdb-server': this.pid('nb'),
        'SB ovsdb-server': this.pid('sb'),
      },
      switch: { 'ovs-vswitchd': this.ovs.pidOf('ovs-vswitchd'), 'vswitch ovsdb-server': this.ovs.pidOf('ovsdb-server') },
      client: { 'ovn-nbctl daemon': this.pid('nbctl') },
    }
  }

  /** kill -9 ovn-controller and wait until it is gone. */
  async killController(): Promise<void> {
    const pid = this.pid('controller')
    if (pid === undefined) throw new Error('ovn-controller is not running')
    process.kill(pid, 'SIGKILL')
    for (let i = 0; i < 200 && isRunning(pid); i++) await sleep(10)
    for (const f of readdirSync(this.dir)) if (f === `ovn-controller.${pid}.ctl`) rmSync(this.file(f), { force: true })
  }

  /** WARN/ERR lines of the OVN daemons' logs (for the report). */
  logProblems(): string[] {
    const out: string[] = []
    for (const name of ['controller', 'northd', 'nb', 'sb']) {
      let text: string
      try {
        text = readFileSync(this.file(`${name}.log`), 'utf8')
      } catch {
        continue
      }
      for (const line of text.split('\n')) if (/\|(WARN|ERR|EMER)\|/.test(line)) out.push(`${name}: ${line}`)
    }
    return out
  }

  /** Copy the daemons' logs to `prefix`<name>.log (before stopSync deletes the directory with them). */
  copyLogs(prefix: string): string[] {
    const out: string[] = []
    for (const [name, file] of [
      ['ovn-controller', 'controller.log'],
      ['ovn-northd', 'northd.log'],
      ['nb', 'nb.log'],
      ['sb', 'sb.log'],
      ['ovs-vswitchd', 'ovs/ovs-vswitchd.log'],
    ] as const) {
      const from = this.file(file)
      if (!existsSync(from)) continue
      try {
        copyFileSync(from, `${prefix}${name}.log`)
        out.push(`${prefix}${name}.log`)
      } catch {
        /* best effort */
      }
    }
    return out
  }

  stopSync(): void {
    this.nbctl?.close()
    for (const name of ['nbctl', 'controller', 'northd', 'nb', 'sb'] as const) killSync(this.pid(name))
    this.ovs.stopSync({ deleteNetns: true })
  }
}
