// Keystone tokens as signed, self-contained strings (like Fernet: nothing to store per token, valid across API
// restarts and across API processes sharing a store): base64url(JSON payload) "." HMAC-SHA256 over it. The
// signing secret is created once and kept in the store.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { TABLES } from '../../model/tables.js'
import { type Db, isStoreError } from '../db.js'

export interface TokenPayload {
  /** user id */
  u: string
  /** project id the token is scoped to ('' when unscoped) */
  p: string
  /** role names on that project */
  r: string[]
  /** issued and expiry, epoch seconds */
  i: number
  e: number
  /** auth methods used */
  m: string[]
}

export const TOKEN_LIFETIME_S = 3600

export async function tokenSecret(db: Db): Promise<Buffer> {
  const row = await db.get<{ secret: string }>(TABLES.keystoneMeta, 'token_secret')
  if (row) return Buffer.from(row.value.secret, 'base64')
  try {
    await db.create(TABLES.keystoneMeta, 'token_secret', { secret: randomBytes(32).toString('base64') }, ['keystone'])
  } catch (err) {
    if (!isStoreError(err, 'already_exists')) throw err
  }
  return tokenSecret(db)
}

function sign(secret: Buffer, body: string): string {
  return createHmac('sha256', secret).update(body).digest('base64url')
}

export function issueToken(secret: Buffer, payload: TokenPayload): string {
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url')
  return `${body}.${sign(secret, body)}`
}

/** The payload of a well-signed, unexpired token; undefined otherwise. */
export function verifyToken(secret: Buffer, token: string, nowS = Date.now() / 1000): TokenPayload | undefined {
  const dot = token.indexOf('.')
  if (dot <= 0) return undefined
  const body = token.slice(0, dot)
  const mac = Buffer.from(token.slice(dot + 1))
  const want = Buffer.from(sign(secret, body))
  if (mac.length !== want.length || !timingSafeEqual(mac, want)) return undefined
  try {
    const p = JSON.parse(Buffer.from(body, 'base64url').toString()) as TokenPayload
    return typeof p.e === 'number' && p.e > nowS ? p : undefined
  } catch {
    return undefined
  }
}
