// --log-format, --log-level and --quiet, declared by every long-running command (agent, serve, api) and
// turned into configureLogging options. Shaped like cli/command.ts's Flag, so log/ imports nothing from cli/.
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel, type LoggingOptions } from './logger.js'

export const LOG_FLAGS = [
  {
    name: 'log-format',
    type: 'string',
    value: 'json|text',
    description: 'log lines as JSON (default when stdout is not a terminal) or text',
  },
  { name: 'log-level', type: 'string', value: 'debug|info|warn|error', description: 'the least severe level logged (default info)' },
] as const

/** Options from the flags; a bad value throws `usageError(message)` (the caller's UsageError, naming the flag). */
export function loggingFromFlags(
  flags: { get: (name: string) => string | undefined; has: (name: string) => boolean },
  usageError: (message: string) => Error,
): LoggingOptions {
  const out: LoggingOptions = {}
  const format = flags.get('log-format')
  if (format !== undefined) {
    if (!(LOG_FORMATS as readonly string[]).includes(format)) throw usageError(`--log-format must be json or text, not '${format}'`)
    out.format = format as LogFormat
  }
  const level = flags.get('log-level')
  if (level !== undefined) {
    if (level === 'silent' || !(LOG_LEVELS as readonly string[]).includes(level))
      throw usageError(`--log-level must be debug, info, warn or error, not '${level}'`)
    out.level = level as LogLevel
  }
  // --quiet: no log lines at all (it wins over --log-level)
  if (flags.has('quiet')) out.level = 'silent'
  return out
}
