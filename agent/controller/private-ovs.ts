// A private Open vSwitch for `dragonflow serve` when the user configured none: ovsdb-server and ovs-vswitchd
// with their own rundir under the data directory, started detached (OVS's own --detach) so that they outlive
// a crash or kill -9 of the agent: a restarted agent finds them running, resyncs, and traffic never stops.
//
// vswitchd runs in a network namespace of its own (default `dragonflow`) because two netdev-datapath vswitchds
// in one namespace both want a tap named `ovs-netdev` (ENVIRONMENT.md). With `netns: null` it runs in the root
// namespace, which is fine when no other vswitchd runs there. Workloads plug a veth whose bridge end lives in
// that namespace (see `dragonflow plug`).
//
// While serve runs it supervises them (supervise()): a daemon that died (a crash, a kill) is started again, as
// systemd would restart the packaged service. The switch then reconnects to the agent's OpenFlow socket and the
// agent reinstalls its flows; the OVSDB client reconnects and monitors again.
import { execFile, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { silentLogger, type Logger } from '../../log/logger.js'

const SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema'

export interface PrivateOvsOptions {
  /** rundir/dbdir/logdir */
  dir: string
  /** namespace for ovs-vswitchd; null = the root namespace */
  netns: string | null
  /** default: none (benchmarks and tests start private switches quietly) */
  log?: Logger
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`${cmd} ${args.join(' ')}: ${err.message.split('\n')[0] ?? ''} ${stderr.trim()}`))
      else resolve(stdout)
    })
  })
}

const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

export class PrivateOvs {
  readonly dir: string
  readonly dbSocket: string
  readonly netns: string | null
  readonly env: NodeJS.ProcessEnv
  private readonly log: Logger

  constructor(opts: PrivateOvsOptions) {
    this.dir = opts.dir
    this.netns = opts.netns
    this.dbSocket = join(opts.dir, 'db.sock')
    this.env = { ...process.env, OVS_RUNDIR: opts.dir, OVS_DBDIR: opts.dir, OVS_LOGDIR: opts.dir, OVS_SYSCONFDIR: opts.dir }
    this.log = (opts.log ?? silentLogger).child({ component: 'ovs' })
  }

  /** `unix:<db socket>` for OvsdbClient and ovs-vsctl. */
  get dbTarget(): string {
    return `unix:${this.dbSocket}`
  }

  private ctl(daemon: 'ovsdb-server' | 'ovs-vswitchd'): string {
    return join(this.dir, `${daemon}.ctl`)
  }

  private async alive(daemon: 'ovsdb-server' | 'ovs-vswitchd'): Promise<boolean> {
    try {
      await run('ovs-appctl', ['-t', this.ctl(daemon), 'version'], this.env)
      return true
    } catch {
      return false
    }
  }

  /** Start what is not running yet; a daemon that survived us is reused as it is. */
  async ensure(): Promise<{ reused: boolean }> {
    mkdirSync(this.dir, { recursive: true })
    let reused = true
    if (!(await this.alive('ovsdb-server'))) {
      reused = false
      const db = join(this.dir, 'conf.db')
      if (!existsSync(db)) await run('ovsdb-tool', ['create', db, SCHEMA], this.env)
      rmSync(this.dbSocket, { force: true })
      await run(
        'ovsdb-server',
        [
          db,
          `--remote=punix:${this.dbSocket}`,
          `--pidfile=${join(this.dir, 'ovsdb-server.pid')}`,
          `--unixctl=${this.ctl('ovsdb-server')}`,
          `--log-file=${join(this.dir, 'ovsdb-server.log')}`,
          '-vconsole:off',
          '--detach',
        ],
        this.env,
      )
      await run('ovs-vsctl', [`--db=${this.dbTarget}`, '--no-wait', 'init'], this.env)
    }
    if (!(await this.alive('ovs-vswitchd'))) {
      reused = false
      if (this.netns !== null) await this.ensureNetns(this.netns)
      const argv = [
        'ovs-vswitchd',
        this.dbTarget,
        `--pidfile=${join(this.dir, 'ovs-vswitchd.pid')}`,
        `--unixctl=${this.ctl('ovs-vswitchd')}`,
        `--log-file=${join(this.dir, 'ovs-vswitchd.log')}`,
        '-vconsole:off',
        '--detach',
      ]
      if (this.netns === null) await run(argv[0] as string, argv.slice(1), this.env)
      else await run('ip', ['netns', 'exec', this.netns, ...argv], this.env)
      for (let i = 0; i < 200 && !(await this.alive('ovs-vswitchd')); i++) await sleep(50)
    }
    this.log.info(
      `${reused ? 'reusing' : 'started'} ovsdb-server + ovs-vswitchd in ${this.dir}` +
        (this.netns === null ? ' (root namespace)' : ` (vswitchd in netns ${this.netns})`),
    )
    return { reused }
  }

  private async ensureNetns(ns: string): Promise<void> {
    const list = await run('ip', ['netns', 'list'], this.env)
    if (!list.split('\n').some(l => l.split(' ')[0] === ns)) await run('ip', ['netns', 'add', ns], this.env)
    await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up'], this.env)
  }

  async vsctl(...args: string[]): Promise<string> {
    return await run('ovs-vsctl', [`--db=${this.dbTarget}`, '--timeout=20', ...args], this.env)
  }

  async ofctl(...args: string[]): Promise<string> {
    return await run('ovs-ofctl', ['-O', 'OpenFlow13', ...args], this.env)
  }

  /** The pid a daemon's pidfile names, when that process is alive. */
  pidOf(daemon: 'ovsdb-server' | 'ovs-vswitchd'): number | undefined {
    let pid: number
    try {
      pid = Number(readFileSync(join(this.dir, `${daemon}.pid`), 'utf8').trim())
    } catch {
      return undefined
    }
    return Number.isInteger(pid) && pid > 1 && isAlive(pid) ? pid : undefined
  }

  /**
   * Check every `everyMs` (default 1000) that both daemons live (a signal-0 probe of the pidfile's process: no
   * fork per check) and start again the ones that died. Returns the function that stops supervising.
   */
  supervise(opts: { everyMs?: number; onRestart?: (daemons: string[]) => void } = {}): () => void {
    let busy = false
    const timer = setInterval(() => {
      if (busy) return
      const dead = (['ovsdb-server', 'ovs-vswitchd'] as const).filter(d => this.pidOf(d) === undefined)
      if (dead.length === 0) return
      busy = true
      this.log.warn(`${dead.join(' and ')} not running; starting again`)
      this.ensure()
        .then(
          () => {
            opts.onRestart?.(dead)
          },
          (err: Error) => {
            this.log.error(`restart failed (${err.message}); retrying`)
          },
        )
        .finally(() => {
          busy = false
        })
    }, opts.everyMs ?? 1000)
    timer.unref()
    return () => {
      clearInterval(timer)
    }
  }

  /** Stop both daemons (synchronously: usable on exit) and delete the namespace when we own one. */
  stopSync(opts: { deleteNetns?: boolean } = {}): void {
    for (const d of ['ovs-vswitchd', 'ovsdb-server'] as const) {
      const pidFile = join(this.dir, `${d}.pid`)
      let pid = NaN
      try {
        pid = Number(readFileSync(pidFile, 'utf8').trim())
      } catch {
        /* not running */
      }
      if (Number.isInteger(pid) && pid > 1) {
        try {
          process.kill(pid, 'SIGTERM')
        } catch {
          /* already gone */
        }
        for (let i = 0; i < 100 && isAlive(pid); i++) spawnSync('sleep', ['0.05'])
        if (isAlive(pid))
          try {
            process.kill(pid, 'SIGKILL')
          } catch {
            /* gone */
          }
      }
    }
    if (opts.deleteNetns === true && this.netns !== null) spawnSync('ip', ['netns', 'del', this.netns])
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
