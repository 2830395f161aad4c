// Token revocation for the signed, self-contained tokens of tokens.ts (Keystone's "revocation events"): a token
// carries no server-side state, so revoking one stores an event that every API process checks.
//   - token event: one token (by the SHA-256 of its text) is revoked: DELETE /v3/auth/tokens;
//   - user event: every token of a user issued up to a moment is revoked: the user is deleted or disabled, its
//     password changes, or one of its role assignments is removed (the roles a token carries are then stale).
// Events live in the store (so they survive restarts and reach the other API processes sharing it, through the
// store's watch) and in memory (so checking a request costs a map lookup). An event is kept until the tokens it
// can match have expired, then deleted.
import { createHash } from 'node:crypto'
import { TABLES } from '../../model/tables.js'
import type { Change, Unsubscribe } from '../../store/types.js'
import type { Db } from '../db.js'
import { newKeystoneId } from './identity.js'
import { TOKEN_LIFETIME_S, type TokenPayload } from './tokens.js'

export type RevocationEvent =
  { kind: 'token'; token: string; expires: number } | { kind: 'user'; user: string; issued_before: number; expires: number }

/** What request authentication asks (northbound/auth.ts). */
export interface RevocationCheck {
  isRevoked(token: string, payload: TokenPayload): boolean
}

/** The digest a token event stores: the token itself never reaches the store. */
export const tokenDigest = (token: string): string => createHash('sha256').update(token).digest('hex')

const nowS = (): number => Date.now() / 1000

function parseEvent(v: unknown): RevocationEvent | undefined {
  if (typeof v !== 'object' || v === null) return undefined
  const e = v as Record<string, unknown>
  if (typeof e.expires !== 'number') return undefined
  if (e.kind === 'token' && typeof e.token === 'string') return { kind: 'token', token: e.token, expires: e.expires }
  if (e.kind === 'user' && typeof e.user === 'string' && typeof e.issued_before === 'number') {
    return { kind: 'user', user: e.user, issued_before: e.issued_before, expires: e.expires }
  }
  return undefined
}

export class Revocations implements RevocationCheck {
  /** token digest -> expiry of the event */
  private readonly tokens = new Map<string, number>()
  /** user id -> tokens issued at or before this moment (epoch seconds) are revoked; and the event's expiry */
  private readonly users = new Map<string, { before: number; expires: number }>()
  private unwatch: Unsubscribe | undefined
  /** events in the store that could not be read (counted, never fatal) */
  badEvents = 0

  private constructor(private readonly db: Db) {}

  /** Load the stored events, follow new ones from other processes, and delete the expired ones. */
  static async open(db: Db): Promise<Revocations> {
    const r = new Revocations(db)
    r.unwatch = await db.store.watch(
      c => {
        r.onChange(c)
      },
      { table: TABLES.keystoneRevocations },
    )
    const expired: string[] = []
    for (const row of await db.list<unknown>(TABLES.keystoneRevocations)) {
      const e = parseEvent(row.value)
      if (e === undefined) {
        r.badEvents++
        continue
      }
      if (e.expires <= nowS()) expired.push(row.id)
      else r.remember(e)
    }
    for (const id of expired) {
      // best effort: another process may have deleted it already
      await db.transact([{ op: 'delete', table: TABLES.keystoneRevocations, id }]).catch(() => undefined)
    }
    return r
  }

  private onChange(c: Change): void {
    if (c.action === 'delete') return // an expired event: its tokens are expired too
    const e = parseEvent(c.value)
    if (e === undefined) this.badEvents++
    else this.remember(e)
  }

  private remember(e: RevocationEvent): void {
    if (e.kind === 'token') {
      this.tokens.set(e.token, e.expires)
      return
    }
    const cur = this.users.get(e.user)
    if (cur === undefined || cur.before < e.issued_before) this.users.set(e.user, { before: e.issued_before, expires: e.expires })
  }

  isRevoked(token: string, p: TokenPayload): boolean {
    const u = this.users.get(p.u)
    if (u !== undefined && p.i <= u.before) return true
    return this.tokens.size > 0 && this.tokens.has(tokenDigest(token))
  }

  /** Revoke one token (its payload gives the expiry after which the event can go). */
  async revokeToken(token: string, p: TokenPayload): Promise<void> {
    await this.store({ kind: 'token', token: tokenDigest(token), expires: p.e })
  }

  /** Revoke every token of `userId` issued until now. */
  async revokeUser(userId: string): Promise<void> {
    const t = nowS()
    await this.store({ kind: 'user', user: userId, issued_before: t, expires: t + TOKEN_LIFETIME_S })
  }

  private async store(e: RevocationEvent): Promise<void> {
    // in memory first: the reply to the revoking request must not race this process's own watch
    this.remember(e)
    await this.db.create(TABLES.keystoneRevocations, newKeystoneId(), e, ['keystone'])
  }

  async close(): Promise<void> {
    await this.unwatch?.()
    this.unwatch = undefined
  }
}
