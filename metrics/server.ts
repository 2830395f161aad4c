// `--metrics-listen HOST:PORT`: a small HTTP server answering GET /metrics from the process registry, for an
// agent that has no API server of its own (and for `serve`, beside the API's /metrics). Anything else is 404.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { metricsText } from './registry.js'

export const METRICS_LISTEN_FLAG = {
  name: 'metrics-listen',
  type: 'string',
  value: 'HOST:PORT',
  description: 'serve Prometheus metrics on http://HOST:PORT/metrics (port 0 picks one)',
} as const

export interface MetricsServer {
  readonly url: string
  close(): Promise<void>
}

/** HOST:PORT (or :PORT, PORT: host 127.0.0.1); a bad value throws `usageError(message)`. */
export function parseMetricsListen(text: string, usageError: (message: string) => Error): { host: string; port: number } {
  const at = text.lastIndexOf(':')
  const host = at > 0 ? text.slice(0, at).replace(/^\[(.*)\]$/, '$1') : '127.0.0.1'
  const portText = at >= 0 ? text.slice(at + 1) : text
  const port = Number(portText)
  if (portText === '' || !Number.isInteger(port) || port < 0 || port > 65535)
    throw usageError(`--metrics-listen: bad port in '${text}' (HOST:PORT)`)
  return { host, port }
}

export async function startMetricsServer(where: { host: string; port: number }): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'Content-Type': 'text/plain' })
      res.end('only GET /metrics here\n')
      return
    }
    metricsText().then(
      m => {
        res.writeHead(200, { 'Content-Type': m.contentType, 'Content-Length': Buffer.byteLength(m.body) })
        res.end(req.method === 'HEAD' ? undefined : m.body)
      },
      (err: Error) => {
        res.writeHead(500, { 'Content-Type': 'text/plain' })
        res.end(`${err.message}\n`)
      },
    )
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(where.port, where.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  const host = where.host.includes(':') ? `[${where.host}]` : where.host
  return {
    url: `http://${host}:${port}/metrics`,
    close: async () => {
      await new Promise<void>(resolve => {
        server.close(() => {
          resolve()
        })
        server.closeIdleConnections()
      })
    },
  }
}
