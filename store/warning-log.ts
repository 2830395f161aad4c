// Recoverable trouble a driver reports (a torn tail cut off, a throwing handler, a broker reconnecting):
// counted per code and logged once per code (warn), so a flapping connection cannot flood the log. A caller
// that passes its own `onWarning` gets every one instead.
import { getLogger, type Logger } from '../log/logger.js'
import type { StoreError, StoreErrorCode } from './types.js'

export class WarningLog {
  /** How many warnings of each code this component has had (for metrics and tests). */
  readonly counts = new Map<StoreErrorCode, number>()

  /** `prefix` names the instance (driver and where it points); `log` defaults to the process logger, component store. */
  constructor(
    private readonly prefix: string,
    private readonly sink?: (err: StoreError) => void,
    private readonly log: Logger = getLogger('store'),
  ) {}

  report(err: StoreError): void {
    const n = (this.counts.get(err.code) ?? 0) + 1
    this.counts.set(err.code, n)
    if (this.sink) this.sink(err)
    else if (n === 1) this.log.warn(`${this.prefix}: ${err.message} (further '${err.code}' warnings are only counted)`, { code: err.code })
  }
}
