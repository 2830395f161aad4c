// A refused entry. `code` is stable (tests and the agent match on it); `field` names the offending field.

export type EntryErrorCode =
  // found by the host while encoding
  | 'bad_stage'
  | 'missing_field'
  | 'bad_number'
  | 'bad_mac'
  | 'bad_ip'
  | 'bad_cidr'
  | 'bad_option'
  // a security group rule whose fields contradict each other (ports on a protocol without ports, min > max, ...)
  | 'bad_rule'
  // reported by the datapath (datapath/spec/entry-kinds.ts ENTRY_RESULT_NAMES), or by the host first
  | 'truncated'
  | 'bad_kind'
  | 'bad_family'
  | 'bad_prefix_len'
  | 'too_many'
  | 'unknown_ref'
  | 'bad_value'

export class EntryError extends Error {
  constructor(
    readonly code: EntryErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(`${code}: ${message}`)
    this.name = 'EntryError'
  }
}
