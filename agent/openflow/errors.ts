// Typed errors of the OpenFlow layer. A malformed message from the switch becomes an OfError with a stable
// code; the connection counts it, logs it once and goes on (CONVENTIONS.md 6). An ERROR message the switch
// sends about one of our requests becomes an OfpErrorReply carrying the spec's type/code names.

export const OF_ERROR_CODES = {
  OF_TRUNCATED: 'a structure ends past the end of its message',
  OF_BAD_LENGTH: 'a length field is smaller than its structure or not a multiple it must be',
  OF_BAD_VERSION: 'the message is not OpenFlow 1.3',
  OF_UNKNOWN_TYPE: 'no codec is registered for this message type',
  OF_BAD_VALUE: 'a value does not fit its field',
  OF_HELLO_FAILED: 'the switch does not speak OpenFlow 1.3',
  OF_CLOSED: 'the connection closed before the reply arrived',
  OF_TIMEOUT: 'no reply within the time allowed',
} as const

export type OfErrorCode = keyof typeof OF_ERROR_CODES

export class OfError extends Error {
  constructor(
    readonly code: OfErrorCode,
    detail: string,
  ) {
    super(`${code}: ${detail}`)
    this.name = 'OfError'
  }
}
