// How a command authenticates to a node's API when Keystone is on: the credentials the openstack CLI takes, from
// the same flags and OS_* variables (flags win), so an operator's `openrc` serves both tools.
//   --os-token / OS_TOKEN                 a Keystone token (or the node's --admin-token), sent as is;
//   --os-username / OS_USERNAME,          password authentication against OS_AUTH_URL (default: the node's own
//   --os-password / OS_PASSWORD,          Keystone, <api>/v3), scoped to OS_PROJECT_NAME (default admin) in
//   --os-project-name / OS_PROJECT_NAME   OS_USER_DOMAIN_NAME / OS_PROJECT_DOMAIN_NAME (default Default).
// With none of them, requests go without a token: right for --auth none, a clear error from a Keystone node.
import { type Flag, UsageError } from './command.js'

export const CREDENTIAL_FLAGS: readonly Flag[] = [
  { name: 'os-token', type: 'string', value: 'TOKEN', description: 'a Keystone token for a node with --auth keystone (or $OS_TOKEN)' },
  { name: 'os-username', type: 'string', value: 'NAME', description: 'user to authenticate as (or $OS_USERNAME)' },
  { name: 'os-password', type: 'string', value: 'PASSWORD', description: 'its password (or $OS_PASSWORD)' },
  {
    name: 'os-project-name',
    type: 'string',
    value: 'NAME',
    description: 'project to scope the token to (or $OS_PROJECT_NAME; default admin)',
  },
  { name: 'os-auth-url', type: 'string', value: 'URL', description: "Keystone (or $OS_AUTH_URL; default the node's own, <api>/v3)" },
]

export type Credentials =
  | { kind: 'none' }
  | { kind: 'token'; token: string }
  | { kind: 'password'; authUrl: string; username: string; password: string; project: string; userDomain: string; projectDomain: string }

/** The credentials the flags and environment give for the API at `api`. */
export function credentialsFrom(flags: Map<string, string>, api: string, env: NodeJS.ProcessEnv = process.env): Credentials {
  const pick = (flag: string, name: string): string | undefined => {
    const v = flags.get(flag) ?? env[name]
    return v === '' ? undefined : v
  }
  const token = pick('os-token', 'OS_TOKEN')
  if (token !== undefined) return { kind: 'token', token }
  const username = pick('os-username', 'OS_USERNAME')
  const password = pick('os-password', 'OS_PASSWORD')
  if (username === undefined && password === undefined) return { kind: 'none' }
  if (username === undefined) throw new UsageError('--os-password needs --os-username (or $OS_USERNAME)')
  if (password === undefined) throw new UsageError('--os-username needs --os-password (or $OS_PASSWORD)')
  return {
    kind: 'password',
    authUrl: (pick('os-auth-url', 'OS_AUTH_URL') ?? `${api}/v3`).replace(/\/+$/, ''),
    username,
    password,
    project: pick('os-project-name', 'OS_PROJECT_NAME') ?? 'admin',
    userDomain: env.OS_USER_DOMAIN_NAME || 'Default',
    projectDomain: env.OS_PROJECT_DOMAIN_NAME || 'Default',
  }
}

/** The headers that authenticate a request: a token as given, or one issued for the password. */
export async function authHeaders(c: Credentials): Promise<Record<string, string>> {
  if (c.kind === 'none') return {}
  if (c.kind === 'token') return { 'X-Auth-Token': c.token }
  const authUrl = /\/v3$/.test(c.authUrl) ? c.authUrl : `${c.authUrl}/v3`
  const body = {
    auth: {
      identity: { methods: ['password'], password: { user: { name: c.username, domain: { name: c.userDomain }, password: c.password } } },
      scope: { project: { name: c.project, domain: { name: c.projectDomain } } },
    },
  }
  let res: Response
  try {
    res = await fetch(`${authUrl}/auth/tokens`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    })
  } catch (err) {
    throw new Error(`Keystone at ${authUrl}: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
  }
  if (res.status !== 201) {
    throw new Error(`Keystone at ${authUrl} refused ${c.username} (project ${c.project}): HTTP ${res.status}${await errorText(res)}`)
  }
  const token = res.headers.get('x-subject-token')
  if (token === null) throw new Error(`Keystone at ${authUrl} issued no X-Subject-Token`)
  return { 'X-Auth-Token': token }
}

/** GET a JSON document from the node's API with the credentials; a 401 says which credentials to give. */
export async function apiGet(api: string, path: string, c: Credentials): Promise<unknown> {
  const res = await fetch(`${api}${path}`, { headers: { Accept: 'application/json', ...(await authHeaders(c)) } })
  if (res.status === 401) {
    throw new Error(
      c.kind === 'none'
        ? `GET ${path}: the API at ${api} has Keystone on: give --os-token TOKEN, or --os-username and --os-password (or OS_TOKEN / OS_USERNAME, OS_PASSWORD, OS_PROJECT_NAME, as for the openstack CLI)`
        : `GET ${path}: the API at ${api} refused the token (HTTP 401)${await errorText(res)}`,
    )
  }
  if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status}${await errorText(res)}`)
  return await res.json()
}

/** ": <message>" of a Neutron or Keystone error body, '' when there is none. */
async function errorText(res: Response): Promise<string> {
  const text = await res.text().catch(() => '')
  try {
    const doc = JSON.parse(text) as { NeutronError?: { message?: string }; error?: { message?: string } }
    const message = doc.NeutronError?.message ?? doc.error?.message
    return message !== undefined ? `: ${message.slice(0, 200)}` : ''
  } catch {
    return text !== '' ? `: ${text.slice(0, 200)}` : ''
  }
}
