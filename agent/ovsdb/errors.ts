// Typed errors of the OVSDB client. A malformed text from the server is counted and reported, never thrown
// out of an event handler (CONVENTIONS.md 6).

export const OVSDB_ERROR_CODES = {
  OVSDB_BAD_JSON: 'the server sent text that is not JSON, or JSON that is not a JSON-RPC message',
  OVSDB_RPC_ERROR: 'the server answered a request with an error (RFC 7047 4.1)',
  OVSDB_TXN_ERROR: 'an operation of a transaction failed, so none of it was committed (RFC 7047 5.2)',
  OVSDB_CLOSED: 'the connection closed before the reply arrived',
  OVSDB_NOT_CONNECTED: 'no connection to the server (a reconnect is under way)',
  OVSDB_TIMEOUT: 'no reply within the time allowed',
  OVSDB_BAD_VALUE: 'a value does not have the shape the schema gives it',
} as const

export type OvsdbErrorCode = keyof typeof OVSDB_ERROR_CODES

export class OvsdbError extends Error {
  constructor(
    readonly code: OvsdbErrorCode,
    detail: string,
    readonly info?: unknown,
  ) {
    super(`${code}: ${detail}`)
    this.name = 'OvsdbError'
  }
}
