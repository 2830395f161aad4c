// The small HTTP vocabulary between the router and the handlers.
export interface Reply {
  status: number
  body?: unknown
  headers?: Record<string, string> | undefined
}

export function json(status: number, body: unknown, headers?: Record<string, string>): Reply {
  return { status, body, headers }
}

export const noContent: Reply = { status: 204 }

/** A request as the handlers see it: method, path split into segments, query, parsed JSON body, headers. */
export interface ApiRequest {
  method: string
  segments: string[]
  params: URLSearchParams
  body: unknown
  headers: Record<string, string | string[] | undefined>
  /** scheme://host:port as the client addressed us (for links and the catalog). */
  baseUrl: string
}

export function header(req: ApiRequest, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()]
  return Array.isArray(v) ? v[0] : v
}
