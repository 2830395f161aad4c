// One `dragonflow agent` process of a chassis for the end-to-end tests: restartable, its log kept across restarts.
import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import type { Test } from 'tap'
import { REPO } from '../northbound/helpers/api-process.js'
import { exec, until } from '../e2e/serve-node.js'

export class AgentProcess {
  child: ChildProcess | undefined
  out = ''
  constructor(public args: string[]) {}

  async start(): Promise<void> {
    const mark = this.out.length
    const child = spawn(process.execPath, [join(REPO, 'bin/dragonflow.js'), 'agent', '--log-format', 'text', ...this.args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    this.child = child
    child.stdout?.on('data', (d: Buffer) => {
      this.out += d.toString()
    })
    child.stderr?.on('data', (d: Buffer) => {
      this.out += d.toString()
    })
    await until(
      'the agent to resync',
      async () => {
        if (child.exitCode !== null) throw new Error(`agent exited with ${child.exitCode}:\n${this.out}`)
        return this.out.slice(mark).includes('agent: resync:')
      },
      60_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${this.out}`)
    })
  }

  async kill(signal: 'SIGKILL' | 'SIGTERM'): Promise<number | null> {
    const c = this.child
    if (c === undefined || c.exitCode !== null || c.signalCode !== null) return c?.exitCode ?? null
    const gone = new Promise<number | null>(resolve =>
      c.once('exit', code => {
        resolve(code)
      }),
    )
    c.kill(signal)
    return await gone
  }

  /** The run generation this agent announced last. */
  generation(): number {
    const gens = [...this.out.matchAll(/run generation (\d+)/g)].map(x => Number(x[1]))
    return gens[gens.length - 1] ?? -1
  }

  /** The recompute oracle through the agent's control socket (`dragonflow flows --check --control`). */
  async checkFlows(t: Test, name: string): Promise<void> {
    const r = await exec(process.execPath, [join(REPO, 'bin/dragonflow.js'), 'flows', '--check', '--control', this.control])
    t.equal(
      r.code,
      0,
      `${name}'s switch equals a fresh recompute: ${r.stdout.trim()}${r.stderr.trim() !== '' ? ` (${r.stderr.trim()})` : ''}`,
    )
  }

  get control(): string {
    return this.args[this.args.indexOf('--control') + 1] as string
  }
}
