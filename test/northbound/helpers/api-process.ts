// Runs `dragonflow api` as a child process for tests (a real process on a port the kernel picks), a tiny JSON
// HTTP client for it, and a runner for the real `openstack` CLI (one command, or a batch fed to its
// interactive mode so that one Python start serves many commands).
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root, from the source (test/northbound/helpers) or the compiled copy (build/test/...). */
export const REPO = ((): string => {
  const here = fileURLToPath(new URL('../../../', import.meta.url))
  return existsSync(join(here, 'package.json')) ? here : join(here, '..')
})()

export interface ApiProcess {
  url: string
  port: number
  dataDir: string
  proc: ChildProcess
  log: () => string
  /** SIGTERM and wait for exit (graceful); returns the exit code. */
  stop(): Promise<number | null>
  /** SIGKILL and wait. */
  kill(): Promise<void>
}

export interface StartOptions {
  store: 'embedded' | 'etcd'
  dataDir?: string
  etcdEndpoint?: string
  auth?: 'none' | 'keystone'
  adminToken?: string
  adminPassword?: string
  quiet?: boolean
  /** a policy.yaml (or policy.json) of rules over Neutron's defaults: `--policy-file` */
  policyFile?: string
  /** more flags for `dragonflow api` (e.g. --pubsub mqtt --mqtt-url URL) */
  extraArgs?: string[]
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true })
}

export async function startApi(opts: StartOptions): Promise<ApiProcess> {
  const dataDir = opts.dataDir ?? tempDir('df-api-')
  const args = [join(REPO, 'bin/dragonflow.js'), 'api', '--listen', '127.0.0.1:0', '--log-format', 'text']
  if (opts.store === 'embedded') args.push('--store', 'embedded', '--data-dir', join(dataDir, 'store'))
  else args.push('--store', 'etcd', '--etcd-endpoints', opts.etcdEndpoint ?? '')
  args.push('--auth', opts.auth ?? 'none')
  if (opts.adminToken) args.push('--admin-token', opts.adminToken)
  if (opts.adminPassword) args.push('--admin-password', opts.adminPassword)
  if (opts.quiet) args.push('--quiet')
  if (opts.policyFile !== undefined) args.push('--policy-file', opts.policyFile)
  if (opts.extraArgs) args.push(...opts.extraArgs)
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  proc.stdout?.on('data', (d: Buffer) => {
    out += d.toString()
  })
  proc.stderr?.on('data', (d: Buffer) => {
    out += d.toString()
  })
  const exited = new Promise<number | null>(resolve => proc.once('exit', code => resolve(code)))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`api did not start:\n${out}`)), 20000)
    const check = (): void => {
      const m = /listening on (http:\/\/[^\s]+)/.exec(out)
      if (m?.[1]) {
        clearTimeout(timer)
        proc.stdout?.off('data', check)
        resolve(m[1])
      }
    }
    proc.stdout?.on('data', check)
    void exited.then(code => {
      clearTimeout(timer)
      reject(new Error(`api exited with ${code}:\n${out}`))
    })
  })
  const port = Number(new URL(url).port)
  return {
    url,
    port,
    dataDir,
    proc,
    log: () => out,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode
      proc.kill('SIGTERM')
      return exited
    },
    async kill() {
      if (proc.exitCode !== null || proc.signalCode !== null) return
      proc.kill('SIGKILL')
      await exited
    },
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
export interface HttpReply<T = any> {
  status: number
  body: T
  headers: Record<string, string | string[] | undefined>
}

/** One JSON request; `agent: false` keeps no sockets open between tests. */
export function api(
  base: string,
  method: string,
  path: string,
  opts: { body?: unknown; headers?: Record<string, string> | undefined } = {},
): Promise<HttpReply> {
  const payload = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body)
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${base}${path}`,
      {
        method,
        agent: false,
        headers: {
          'Content-Type': 'application/json',
          ...(payload ? { 'Content-Length': Buffer.byteLength(payload) } : {}),
          ...(opts.headers ?? {}),
        },
      },
      res => {
        const chunks: Buffer[] = []
        let ended = false
        res.on('data', (c: Buffer) => chunks.push(c))
        // A server killed mid-answer: 'close' comes without 'end' (and not always with 'error').
        res.on('close', () => {
          if (!ended) reject(new Error(`connection closed during the answer to ${method} ${path}`))
        })
        res.on('end', () => {
          ended = true
          const text = Buffer.concat(chunks).toString()
          let body: unknown = text
          try {
            body = text ? JSON.parse(text) : undefined
          } catch {
            /* not JSON: keep the text */
          }
          resolve({ status: res.statusCode ?? 0, body, headers: res.headers })
        })
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    if (payload) req.write(payload)
    req.end()
  })
}

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Environment for the CLI: no clouds.yaml or OS_* leaking in from the machine. */
export function cliEnv(auth: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OS_')) env[k] = v
  return { ...env, ...auth, HOME: tempDir('df-oshome-'), OS_CLOUD: '' }
}

export function noAuthEnv(url: string): NodeJS.ProcessEnv {
  return cliEnv({ OS_AUTH_TYPE: 'none', OS_ENDPOINT: url })
}

/** Runs `openstack ARGS` (or, with `stdin`, its interactive mode over those lines). */
export function openstack(env: NodeJS.ProcessEnv, args: string[], stdin?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const p = spawn('/usr/bin/openstack', args, { env, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = '',
      stderr = ''
    p.stdout.on('data', (d: Buffer) => {
      stdout += d.toString()
    })
    p.stderr.on('data', (d: Buffer) => {
      stderr += d.toString()
    })
    p.on('error', reject)
    p.on('exit', code => resolve({ code, stdout, stderr }))
    p.stdin.end(stdin ?? '')
  })
}

/** Splits the CLI's stdout of several `-f json` commands into their JSON documents. */
export function jsonDocuments(text: string): unknown[] {
  const docs: unknown[] = []
  let depth = 0,
    start = -1,
    inString = false,
    escaped = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (inString) {
      if (escaped) escaped = false
      else if (c === '\\') escaped = true
      else if (c === '"') inString = false
      continue
    }
    if (c === '"') {
      inString = true
      continue
    }
    if (c === '{' || c === '[') {
      if (depth === 0) start = i
      depth++
    } else if (c === '}' || c === ']') {
      depth--
      if (depth === 0 && start >= 0) {
        docs.push(JSON.parse(text.slice(start, i + 1)))
        start = -1
      }
    }
  }
  return docs
}
