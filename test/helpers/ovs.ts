// A private Open vSwitch for one test (needs root, see ENVIRONMENT.md "Open vSwitch in tests").
//
// API
//   const ovs = await startOvs(opts?)     start ovsdb-server + ovs-vswitchd (vswitchd in its own netns);
//                                         opts.dummy: vswitchd runs with --enable-dummy, which adds the dummy
//                                         netdevs and the time/stop and time/warp commands (a warp moves
//                                         vswitchd's clock, conntrack's timeouts included); real ports still work
//   ovs.dir, ovs.rundir                   temp dir / OVS_RUNDIR (sockets, pidfiles, logs, conf.db)
//   ovs.dbSocket                          path of ovsdb-server's punix socket (connect with `unix:` + path)
//   ovs.netns                             netns that ovs-vswitchd runs in (tunnels, br-phy, veths live here)
//   ovs.name(prefix)                      a name unique on this machine (<= 15 chars: fits an interface)
//   await ovs.vsctl(...args)              ovs-vsctl against this instance -> stdout (throws on failure)
//   await ovs.ofctl(...args)              ovs-ofctl -O OpenFlow13 against this instance -> stdout
//   await ovs.appctl(...args)             ovs-appctl -t <rundir>/ovs-vswitchd.ctl -> stdout
//   await ovs.addBridge(name, opts?)      netdev bridge, fail_mode=secure, protocols=OpenFlow13;
//                                         opts.controller: a path our controller listens on (unix:),
//                                         set with connection-mode=out-of-band
//   await ovs.addWorkload(name, bridge, ifaceId, opts?)
//                                         a "VM": netns + veth (workload side gets opts.mac/opts.ip, tx
//                                         checksum offload off); the peer is added to `bridge` with
//                                         external_ids:iface-id=ifaceId. Returns a Workload (ofport known).
//   await ovs.removeWorkload(w)           delete its port from the bridge and its netns
//   await ovs.exec(ns, cmd, ...args)      run a command in a namespace (ns = '' runs in the host's)
//   await ovs.restartOvsdb()              kill ovsdb-server and start it again on the same database
//   await ovs.restartVswitchd()           stop ovs-vswitchd (SIGTERM) and start it again in the same netns:
//                                         bridges and ports come back from the database, flows do not
//   await ovs.stop()                      kill the daemons, delete every namespace it made, remove the dir
// Everything it creates is also removed on process exit or SIGINT/SIGTERM, so a failing test leaks nothing.
// Names carry the pid and a counter, so two test files running in parallel never collide.
import { spawn, spawnSync, execFile, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, existsSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema'

export interface ExecResult {
  stdout: string
  stderr: string
}

export interface Workload {
  name: string
  /** the workload's namespace */
  ns: string
  /** interface inside the workload namespace */
  ifname: string
  /** veth peer plugged into the bridge (lives in ovs.netns) */
  port: string
  ifaceId: string
  ofport: number
  mac: string
  ip?: string
}

export interface WorkloadOptions {
  /** MAC of the workload's interface (default: derived from the counter) */
  mac?: string
  /** IPv4 address with prefix, e.g. '10.0.0.5/24' */
  ip?: string
}

export interface BridgeOptions {
  /** path of a unix socket our controller listens on; OVS connects to `unix:<path>` */
  controller?: string
}

let counter = 0
const live = new Set<Ovs>()

/** A unique short name: prefix (<= 4 chars) + pid + counter, in base 36. */
function uniqueName(prefix: string): string {
  counter += 1
  const name = `${prefix.slice(0, 4)}${process.pid.toString(36)}x${counter.toString(36)}`
  if (name.length > 15) throw new Error(`interface name too long: ${name}`)
  return name
}

function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env: env ?? process.env, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err !== null) {
        reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stderr}`))
      } else {
        resolve({ stdout, stderr })
      }
    })
  })
}

const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

async function waitFor(what: string, check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const until = Date.now() + ms
  for (;;) {
    try {
      if (await check()) return
    } catch {
      /* not yet */
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await sleep(50)
  }
}

export interface OvsOptions {
  /** run ovs-vswitchd with --enable-dummy (`ovs-appctl time/warp`, netdev-dummy); default false */
  dummy?: boolean
}

export class Ovs {
  readonly dir: string
  readonly rundir: string
  readonly dbSocket: string
  readonly netns: string
  readonly env: NodeJS.ProcessEnv
  private ovsdb: ChildProcess | undefined
  private vswitchd: ChildProcess | undefined
  private readonly namespaces: string[] = []
  private stopped = false

  constructor(readonly opts: OvsOptions = {}) {
    this.dir = mkdtempSync(join(tmpdir(), 'dfe-ovs-'))
    this.rundir = this.dir
    this.dbSocket = join(this.dir, 'db.sock')
    this.netns = uniqueName('ovs')
    this.env = { ...process.env, OVS_RUNDIR: this.dir, OVS_DBDIR: this.dir, OVS_LOGDIR: this.dir, OVS_SYSCONFDIR: this.dir }
    live.add(this)
  }

  name(prefix: string): string {
    return uniqueName(prefix)
  }

  async start(): Promise<void> {
    await run('ovsdb-tool', ['create', join(this.dir, 'conf.db'), SCHEMA], this.env)
    await this.startOvsdb()
    await this.vsctl('--no-wait', 'init')
    await run('ip', ['netns', 'add', this.netns])
    this.namespaces.push(this.netns)
    await run('ip', ['-n', this.netns, 'link', 'set', 'lo', 'up'])
    await this.startVswitchd()
  }

  private async startVswitchd(): Promise<void> {
    this.vswitchd = this.daemon([
      'ip',
      'netns',
      'exec',
      this.netns,
      'ovs-vswitchd',
      `unix:${this.dbSocket}`,
      `--pidfile=${join(this.dir, 'ovs-vswitchd.pid')}`,
      `--unixctl=${join(this.dir, 'ovs-vswitchd.ctl')}`,
      `--log-file=${join(this.dir, 'ovs-vswitchd.log')}`,
      '-vconsole:off',
      ...(this.opts.dummy === true ? ['--enable-dummy'] : []),
    ])
    await waitFor('ovs-vswitchd', async () => {
      await this.appctl('version')
      return true
    })
  }

  /** Stop ovs-vswitchd and start it again: what an OVS upgrade or crash looks like to the agent. */
  async restartVswitchd(): Promise<void> {
    const old = this.vswitchd
    if (old !== undefined && old.exitCode === null && old.signalCode === null) {
      const gone = new Promise(resolve => old.once('exit', resolve))
      old.kill('SIGTERM')
      const kill = setTimeout(() => old.kill('SIGKILL'), 5000) // a vswitchd stuck on exit must not hang the test
      await gone
      clearTimeout(kill)
    }
    await this.startVswitchd()
  }

  private daemon(argv: string[]): ChildProcess {
    const [cmd, ...args] = argv
    if (cmd === undefined) throw new Error('empty command')
    const child = spawn(cmd, args, { env: this.env, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString()
    })
    child.on('exit', (code, signal) => {
      if (!this.stopped && signal === null && code !== 0) {
        process.stderr.write(`${cmd} ${args.join(' ')} exited with ${String(code)}: ${stderr}\n`)
      }
    })
    return child
  }

  private async startOvsdb(): Promise<void> {
    rmSync(this.dbSocket, { force: true })
    this.ovsdb = this.daemon([
      'ovsdb-server',
      join(this.dir, 'conf.db'),
      `--remote=punix:${this.dbSocket}`,
      `--pidfile=${join(this.dir, 'ovsdb-server.pid')}`,
      `--unixctl=${join(this.dir, 'ovsdb-server.ctl')}`,
      `--log-file=${join(this.dir, 'ovsdb-server.log')}`,
      '-vconsole:off',
    ])
    await waitFor('ovsdb-server socket', () => existsSync(this.dbSocket))
  }

  /** Kill ovsdb-server and start it again on the same database file (clients must reconnect). */
  async restartOvsdb(): Promise<void> {
    const old = this.ovsdb
    if (old !== undefined && old.exitCode === null) {
      const gone = new Promise(resolve => old.once('exit', resolve))
      old.kill('SIGKILL')
      await gone
    }
    await this.startOvsdb()
  }

  async vsctl(...args: string[]): Promise<string> {
    return (await run('ovs-vsctl', [`--db=unix:${this.dbSocket}`, '--timeout=20', ...args], this.env)).stdout
  }

  async ofctl(...args: string[]): Promise<string> {
    return (await run('ovs-ofctl', ['-O', 'OpenFlow13', ...args], this.env)).stdout
  }

  async appctl(...args: string[]): Promise<string> {
    return (await run('ovs-appctl', ['-t', join(this.dir, 'ovs-vswitchd.ctl'), ...args], this.env)).stdout
  }

  async exec(ns: string, cmd: string, ...args: string[]): Promise<ExecResult> {
    return ns === '' ? await run(cmd, args, this.env) : await run('ip', ['netns', 'exec', ns, cmd, ...args], this.env)
  }

  async addBridge(name: string, opts: BridgeOptions = {}): Promise<void> {
    const args = [
      '--may-exist',
      'add-br',
      name,
      '--',
      'set',
      'Bridge',
      name,
      'datapath_type=netdev',
      'fail_mode=secure',
      'protocols=OpenFlow13',
    ]
    await this.vsctl(...args)
    if (opts.controller !== undefined) {
      await this.vsctl('set-controller', name, `unix:${opts.controller}`, '--', 'set', 'Controller', name, 'connection-mode=out-of-band')
    }
  }

  async addWorkload(name: string, bridge: string, ifaceId: string, opts: WorkloadOptions = {}): Promise<Workload> {
    const ns = uniqueName(`w${name}`)
    const port = uniqueName('p')
    const ifname = 'eth0'
    const tmp = uniqueName('t')
    const mac =
      opts.mac ?? `02:00:00:00:${((counter >> 8) & 0xff).toString(16).padStart(2, '0')}:${(counter & 0xff).toString(16).padStart(2, '0')}`
    await run('ip', ['netns', 'add', ns])
    this.namespaces.push(ns)
    // Create the pair in vswitchd's namespace (the netdev datapath opens ports by name there), then move one end.
    await run('ip', ['-n', this.netns, 'link', 'add', port, 'type', 'veth', 'peer', 'name', tmp, 'netns', ns])
    await run('ip', ['-n', ns, 'link', 'set', tmp, 'name', ifname, 'address', mac])
    await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up'])
    await run('ip', ['-n', ns, 'link', 'set', ifname, 'up'])
    await run('ip', ['-n', this.netns, 'link', 'set', port, 'up'])
    if (opts.ip !== undefined) await run('ip', ['-n', ns, 'addr', 'add', opts.ip, 'dev', ifname])
    // The userspace datapath does not fill in offloaded checksums (ENVIRONMENT.md).
    await this.exec(ns, 'ethtool', '-K', ifname, 'tx', 'off')
    await this.vsctl('add-port', bridge, port, '--', 'set', 'Interface', port, `external_ids:iface-id=${ifaceId}`)
    let ofport = -1
    await waitFor(`ofport of ${port}`, async () => {
      ofport = Number((await this.vsctl('get', 'Interface', port, 'ofport')).trim())
      return ofport > 0
    })
    const w: Workload = { name, ns, ifname, port, ifaceId, ofport, mac }
    if (opts.ip !== undefined) w.ip = opts.ip
    return w
  }

  async removeWorkload(w: Workload): Promise<void> {
    await this.vsctl('--if-exists', 'del-port', w.port)
    await run('ip', ['netns', 'del', w.ns])
    const i = this.namespaces.indexOf(w.ns)
    if (i >= 0) this.namespaces.splice(i, 1)
  }

  /** The tail of a daemon's log, for failure messages. */
  log(daemon: 'ovs-vswitchd' | 'ovsdb-server'): string {
    try {
      return readFileSync(join(this.dir, `${daemon}.log`), 'utf8')
    } catch {
      return ''
    }
  }

  async stop(): Promise<void> {
    const children = [this.vswitchd, this.ovsdb].filter(
      (c): c is ChildProcess => c !== undefined && c.exitCode === null && c.signalCode === null,
    )
    const exits = children.map(c => new Promise(resolve => c.once('exit', resolve)))
    this.stopSync()
    await Promise.all(exits)
  }

  /** Synchronous cleanup: usable from a process 'exit' handler. Idempotent. */
  stopSync(): void {
    if (this.stopped) return
    this.stopped = true
    for (const c of [this.vswitchd, this.ovsdb]) {
      if (c !== undefined && c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
    }
    for (const ns of this.namespaces.splice(0)) spawnSync('ip', ['netns', 'del', ns])
    rmSync(this.dir, { recursive: true, force: true })
    live.delete(this)
  }
}

export async function startOvs(opts: OvsOptions = {}): Promise<Ovs> {
  installExitHooks()
  const ovs = new Ovs(opts)
  try {
    await ovs.start()
  } catch (err) {
    const logs = ovs.log('ovs-vswitchd') + ovs.log('ovsdb-server')
    ovs.stopSync()
    throw new Error(`${(err as Error).message}\n${logs}`, { cause: err })
  }
  return ovs
}

let hooked = false
function installExitHooks(): void {
  if (hooked) return
  hooked = true
  const cleanup = (): void => {
    for (const o of [...live]) o.stopSync()
  }
  process.on('exit', cleanup)
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      cleanup()
      process.kill(process.pid, sig)
    })
  }
}
