// The controller side of OpenFlow channels: we listen (a unix socket path, or TCP) and switches connect
// (`ovs-vsctl set-controller br-int unix:<path>`). Each connection that completes HELLO + FEATURES is emitted
// as 'switch'. A switch that fails the handshake is logged and dropped.
import { EventEmitter } from 'node:events'
import { createServer, type Server, type Socket } from 'node:net'
import { rmSync } from 'node:fs'
import { OfConnection, type OfConnectionOptions } from './connection.js'
import { OfError } from './errors.js'
import { getLogger } from '../../log/logger.js'

export type ListenTarget = { path: string } | { port: number; host?: string }

export class OfController extends EventEmitter {
  readonly connections = new Set<OfConnection>()
  private server: Server | undefined

  constructor(private readonly opts: OfConnectionOptions = {}) {
    super()
  }

  async listen(target: ListenTarget): Promise<void> {
    if ('path' in target) rmSync(target.path, { force: true }) // a stale socket file from a previous run
    const server = createServer(socket => {
      this.accept(socket)
    })
    this.server = server
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      if ('path' in target) server.listen(target.path, resolve)
      else server.listen(target.port, target.host ?? '127.0.0.1', resolve)
    })
  }

  /** The bound TCP port (for listen({ port: 0 })). */
  get port(): number | undefined {
    const a = this.server?.address()
    return typeof a === 'object' && a !== null ? a.port : undefined
  }

  private accept(socket: Socket): void {
    const conn = new OfConnection(socket, this.opts)
    this.connections.add(conn)
    conn.once('close', () => {
      this.connections.delete(conn)
    })
    conn.ready.then(
      () => {
        this.emit('switch', conn)
      },
      (err: Error) => {
        ;(this.opts.log ?? getLogger('openflow')).child({ component: 'openflow' }).warn(`switch handshake failed: ${err.message}`)
      },
    )
  }

  /** The next switch to complete its handshake. */
  async nextSwitch(timeoutMs = 15_000): Promise<OfConnection> {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('switch', onSwitch)
        reject(new OfError('OF_TIMEOUT', `no switch connected in ${timeoutMs} ms`))
      }, timeoutMs)
      const onSwitch = (c: OfConnection): void => {
        clearTimeout(timer)
        resolve(c)
      }
      this.once('switch', onSwitch)
    })
  }

  /** Stop listening and close every channel. */
  async close(): Promise<void> {
    for (const c of this.connections) c.close('controller closing')
    const server = this.server
    this.server = undefined
    if (server !== undefined)
      await new Promise<void>(resolve =>
        server.close(() => {
          resolve()
        }),
      )
  }
}
