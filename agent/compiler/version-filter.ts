// Staleness (DESIGN "Ordering and staleness"): a change whose version is not newer than the object's held
// version is dropped; a delete removes whatever is held. Versions restart at 1 after a delete and re-create, so
// after a delete only the store revision (when the publisher gives one) can tell a late stale change from a
// re-create: a change at or below the revision of the delete is dropped.
import type { Change } from '../../store/types.js'

interface Held {
  version: number
  revision?: number
}

export class VersionFilter {
  private readonly held = new Map<string, Held>()
  /** Revision of the last delete per object, kept to drop changes that were overtaken by it. */
  private readonly deleted = new Map<string, number>()

  heldVersion(key: string): number | undefined {
    return this.held.get(key)?.version
  }

  /** Whether `change` is news; when it is, it is recorded as held (or as deleted). */
  accept(change: Change): boolean {
    const key = `${change.table}/${change.id}`
    const held = this.held.get(key)
    const rev = change.revision
    if (rev !== undefined) {
      const floor = held?.revision ?? this.deleted.get(key)
      if (floor !== undefined && rev <= floor) return false
    }
    if (change.action === 'delete') {
      if (!held) {
        if (rev !== undefined) this.deleted.set(key, rev)
        return false
      }
      this.held.delete(key)
      if (rev !== undefined) this.deleted.set(key, rev)
      return true
    }
    if (held && rev === undefined && change.version <= held.version) return false
    if (held && rev !== undefined && held.revision === undefined && change.version <= held.version) return false
    this.held.set(key, rev === undefined ? { version: change.version } : { version: change.version, revision: rev })
    this.deleted.delete(key)
    return true
  }
}
