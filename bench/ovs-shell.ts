// Small helpers shared by bench:ovs's files (ovs-forwarding.ts, ovs-nat-setup.ts): a command, the API, a wait.
import { execFile } from 'node:child_process'

export type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any -- API replies

export function sh(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env, maxBuffer: 64 << 20 }, (err, out, stderr) => {
      if (err !== null) reject(new Error(`${cmd} ${args.slice(0, 8).join(' ')}: ${stderr.trim() || err.message}`))
      else resolve(out)
    })
  })
}

export const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

export async function call(base: string, method: string, path: string, body?: unknown): Promise<Json> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
  })
  const j = (await res.json()) as Json
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(j)}`)
  return j
}

export async function poll(what: string, check: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms
  for (;;) {
    if (await Promise.resolve(check()).catch(() => false)) return
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(50)
  }
}
