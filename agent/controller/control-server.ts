// The agent's control socket (as ovs-appctl talks to a daemon's unixctl socket): one JSON request per line,
// {"cmd": "...", "args": {...}}, one JSON reply per line, {"ok": true, "result": ...} or {"ok": false,
// "error": "..."}. `dragonflow flows --check` and tests use it; a bad request gets an error reply, never a crash.
import { createConnection, createServer, type Server, type Socket } from 'node:net'
import { rmSync } from 'node:fs'

export type ControlHandler = (cmd: string, args: Record<string, unknown>) => Promise<unknown>

/** Requests longer than this are refused (a request is a command name and a few arguments). */
const MAX_REQUEST = 64 * 1024

export class ControlServer {
  private server: Server | undefined
  private readonly sockets = new Set<Socket>()

  constructor(
    private readonly path: string,
    private readonly handler: ControlHandler,
    private readonly onError: (message: string) => void,
  ) {}

  async listen(): Promise<void> {
    rmSync(this.path, { force: true }) // a socket file left by a process that died
    const server = createServer(s => {
      this.serve(s)
    })
    this.server = server
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.path, () => {
        server.off('error', reject)
        resolve()
      })
    })
  }

  private serve(s: Socket): void {
    this.sockets.add(s)
    s.on('close', () => this.sockets.delete(s))
    s.on('error', () => undefined)
    let buf = ''
    s.on('data', d => {
      buf += d.toString()
      if (buf.length > MAX_REQUEST) {
        this.reply(s, { ok: false, error: `request over ${MAX_REQUEST} bytes` })
        s.end()
        return
      }
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl)
        buf = buf.slice(nl + 1)
        void this.answer(s, line)
      }
    })
  }

  private async answer(s: Socket, line: string): Promise<void> {
    let req: { cmd?: unknown; args?: unknown }
    try {
      req = JSON.parse(line) as { cmd?: unknown; args?: unknown }
    } catch {
      this.reply(s, { ok: false, error: 'request is not JSON' })
      return
    }
    if (typeof req.cmd !== 'string') {
      this.reply(s, { ok: false, error: 'request has no "cmd"' })
      return
    }
    const args = typeof req.args === 'object' && req.args !== null ? (req.args as Record<string, unknown>) : {}
    try {
      this.reply(s, { ok: true, result: await this.handler(req.cmd, args) })
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err)
      this.onError(`control ${req.cmd}: ${message}`)
      this.reply(s, { ok: false, error: message })
    }
  }

  private reply(s: Socket, r: unknown): void {
    if (!s.destroyed) s.write(JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v)) + '\n')
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy()
    const server = this.server
    this.server = undefined
    if (server !== undefined)
      await new Promise<void>(resolve => {
        server.close(() => {
          resolve()
        })
      })
    rmSync(this.path, { force: true })
  }
}

/** One request to a control socket; rejects with the server's error, or when nothing answers in `timeoutMs`. */
export async function controlRequest(path: string, cmd: string, args: Record<string, unknown> = {}, timeoutMs = 60_000): Promise<unknown> {
  return await new Promise((resolve, reject) => {
    const s = createConnection(path)
    const timer = setTimeout(() => {
      s.destroy()
      reject(new Error(`${path}: no answer to ${cmd} in ${timeoutMs} ms`))
    }, timeoutMs)
    let buf = ''
    s.on('connect', () => {
      s.write(JSON.stringify({ cmd, args }) + '\n')
    })
    s.on('data', d => {
      buf += d.toString()
      const nl = buf.indexOf('\n')
      if (nl < 0) return
      clearTimeout(timer)
      s.end()
      try {
        const r = JSON.parse(buf.slice(0, nl)) as { ok: boolean; result?: unknown; error?: string }
        if (r.ok) resolve(r.result)
        else reject(new Error(r.error ?? 'error'))
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)))
      }
    })
    s.on('error', err => {
      clearTimeout(timer)
      reject(new Error(`${path}: ${err.message}`))
    })
  })
}
