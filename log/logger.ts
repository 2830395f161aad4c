// The project's one logger: levelled, structured lines over pino. Every line carries time, level, component
// and msg (plus the fields a caller gives). JSON lines by default when stdout is not a terminal (for a log
// collector), readable text on a terminal; `--log-format` and `--log-level` override (configureLogging).
//
// Components get a Logger (`getLogger('agent')`, or one passed in their options) and never write to
// stdout themselves. A command's own output to its user (tables, --json) is not logging and stays plain stdout.
//
// The text format prints `component: msg`, the shape the plain log lines had, so a reader (or a test) that
// looks for "agent: resync:" in text logs finds it; in JSON the same line is {"component":"agent","msg":"resync: ..."}.
import type { Writable } from 'node:stream'
import { pino, type Logger as PinoLogger, type DestinationStream, stdTimeFunctions } from 'pino'
import pretty from 'pino-pretty'

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent'
export type LogFormat = 'json' | 'text'
export type LogFields = Record<string, unknown>

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent']
export const LOG_FORMATS: readonly LogFormat[] = ['json', 'text']

export interface Logger {
  debug(msg: string, fields?: LogFields): void
  info(msg: string, fields?: LogFields): void
  warn(msg: string, fields?: LogFields): void
  error(msg: string, fields?: LogFields): void
  /** A logger whose lines also carry `bindings` (e.g. { component: 'ovsdb' } or { port: id }). */
  child(bindings: LogFields): Logger
}

export interface LoggingOptions {
  format?: LogFormat
  level?: LogLevel
  /** where lines go (default stdout, written synchronously so a crash loses no line) */
  destination?: Writable
  /** colours in the text format (default: when the destination is a terminal) */
  colorize?: boolean
}

function isTty(stream: Writable | undefined): boolean {
  return ((stream ?? process.stdout) as { isTTY?: boolean }).isTTY === true
}

/** A pino instance for these options (no component: each Logger binds its own, so no key appears twice). */
function createPino(opts: LoggingOptions): PinoLogger {
  const format = opts.format ?? (isTty(opts.destination) ? 'text' : 'json')
  let dest: DestinationStream
  if (format === 'text') {
    dest = pretty({
      sync: true,
      colorize: opts.colorize ?? isTty(opts.destination),
      ...(opts.destination !== undefined ? { destination: opts.destination } : { destination: 1 }),
      translateTime: "UTC:yyyy-mm-dd'T'HH:MM:ss.l'Z'",
      ignore: 'pid,hostname,component',
      singleLine: true,
      messageFormat: '{if component}{component}: {end}{msg}',
    })
  } else {
    dest = opts.destination ?? pino.destination({ dest: 1, sync: true })
  }
  return pino(
    {
      level: opts.level ?? 'info',
      base: { pid: process.pid },
      timestamp: stdTimeFunctions.isoTime,
      // the level as its name: `"level":"warn"` reads better in a log collector than pino's 40
      formatters: { level: label => ({ level: label }) },
    },
    dest,
  )
}

let root: PinoLogger | undefined
let generation = 0

function rootPino(): PinoLogger {
  root ??= createPino({})
  return root
}

/** Set the format and level of every Logger of this process (the CLI calls it once, from its flags). */
export function configureLogging(opts: LoggingOptions): void {
  root = createPino(opts)
  generation++
}

class BoundLogger implements Logger {
  private inst: PinoLogger | undefined
  private gen = -1
  constructor(
    private readonly bindings: LogFields,
    private readonly base?: PinoLogger,
  ) {}

  // resolved per line against the current root, so a Logger made at import time follows configureLogging
  private pino(): PinoLogger {
    if (this.base !== undefined) {
      this.inst ??= this.base.child(this.bindings)
      return this.inst
    }
    if (this.inst === undefined || this.gen !== generation) {
      this.inst = rootPino().child(this.bindings)
      this.gen = generation
    }
    return this.inst
  }

  debug(msg: string, fields?: LogFields): void {
    this.write('debug', msg, fields)
  }
  info(msg: string, fields?: LogFields): void {
    this.write('info', msg, fields)
  }
  warn(msg: string, fields?: LogFields): void {
    this.write('warn', msg, fields)
  }
  error(msg: string, fields?: LogFields): void {
    this.write('error', msg, fields)
  }

  child(bindings: LogFields): Logger {
    return new BoundLogger({ ...this.bindings, ...bindings }, this.base)
  }

  private write(level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields: LogFields | undefined): void {
    const p = this.pino()
    if (fields === undefined) p[level](msg)
    else p[level](fields, msg)
  }
}

/** The logger of one component (`agent`, `api`, `store`, `ovs`, `openflow`, `ovsdb`, ...). */
export function getLogger(component: string): Logger {
  return new BoundLogger({ component })
}

/** A logger with its own destination and options, independent of configureLogging (tests, embedding). */
export function createLogger(component: string, opts: LoggingOptions): Logger {
  return new BoundLogger({ component }, createPino(opts))
}

/** A logger that drops everything. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger
  },
}

/**
 * A Logger that hands each line to `write` as the text `component: msg` (fields as JSON after it), from
 * `opts.level` up (default every level): for tests that collect lines, and callers that have their own sink.
 */
export function lineLogger(component: string, write: (line: string) => void, opts: { level?: LogLevel } = {}): Logger {
  const least = LOG_LEVELS.indexOf(opts.level ?? 'debug')
  const make = (bindings: LogFields): Logger => {
    const at =
      (level: LogLevel) =>
      (msg: string, fields?: LogFields): void => {
        if (LOG_LEVELS.indexOf(level) < least) return
        const { component: c, ...rest } = { ...bindings, ...fields }
        const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : ''
        write(`${String(c)}: ${msg}${extra}`)
      }
    return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: more => make({ ...bindings, ...more }) }
  }
  return make({ component })
}
