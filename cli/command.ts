// What a subcommand of `dragonflow` is, and the one flag parser they all use. Each command lives in
// cli/commands/<name>.ts, is listed in cli/main.ts, and declares its flags once (FLAGS): the parser, `--help`
// and the usage text all read that declaration, so a flag cannot be accepted without being documented.
import { parseArgs } from 'node:util'

/** One declared flag. */
export interface Flag {
  /** without the dashes: 'data-dir' */
  name: string
  type: 'string' | 'boolean'
  /** placeholder of the value in the help text ('DIR'); string flags only */
  value?: string
  /** may be given more than once (every value is kept, in order); otherwise a second one is an error */
  multiple?: boolean
  /** one line for the help text */
  description: string
}

export interface Command {
  /** e.g. 'trace' or 'offload plan' */
  name: string
  /** One line for `dragonflow help`. */
  summary: string
  /** The synopsis: printed with errors, and above the flag list by `--help`. */
  usage: string
  /** Every flag the command accepts (`--help`/`-h` is added by the parser). */
  flags: readonly Flag[]
  /** Returns the process exit code. */
  run(args: string[]): Promise<number>
}

/** A user error: printed as `dragonflow <cmd>: <message>` with the usage, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

/** `--help` or `-h` was given: cli/main.ts prints the command's help and exits 0. */
export class HelpRequested extends Error {
  constructor() {
    super('help requested')
    this.name = 'HelpRequested'
  }
}

export interface ParsedFlags {
  /** the value of each flag given (the last one of a repeatable flag); booleans are 'true' */
  flags: Map<string, string>
  /** every value of each repeatable flag given, in order */
  lists: Map<string, string[]>
  /** positional arguments (subcommands, table names, ...) */
  rest: string[]
}

const HELP: Flag = { name: 'help', type: 'boolean', description: 'print this help and exit' }

/**
 * Strict parse of `args` against the declared flags (util.parseArgs, strict): an unknown flag, a string flag
 * without a value, a value given to a boolean and a repeated non-repeatable flag are UsageErrors naming the
 * flag. Accepts `--name value`, `--name=value` and `--flag`; `--` ends the flags.
 */
export function parseFlags(args: string[], declared: readonly Flag[]): ParsedFlags {
  return parseStrictFlags(args, declared)
}

function parseStrictFlags(args: string[], declared: readonly Flag[]): ParsedFlags {
  const options: Record<string, { type: 'string' | 'boolean'; multiple: true; short?: string }> = {
    help: { type: 'boolean', multiple: true, short: 'h' },
  }
  // every flag is parsed as multiple so that a repeat can be refused by name rather than silently overwritten
  for (const f of declared) options[f.name] = { type: f.type, multiple: true }
  let values: Record<string, unknown>
  let positionals: string[]
  try {
    ;({ values, positionals } = parseArgs({ args, options, strict: true, allowPositionals: true }))
  } catch (err) {
    throw new UsageError(parseErrorText(err))
  }
  if (values.help !== undefined) throw new HelpRequested()
  const flags = new Map<string, string>()
  const lists = new Map<string, string[]>()
  for (const f of declared) {
    const given = values[f.name] as (string | boolean)[] | undefined
    if (given === undefined) continue
    if (given.length > 1 && f.multiple !== true) throw new UsageError(`--${f.name} given ${given.length} times (it is not repeatable)`)
    const strings = given.map(v => String(v))
    flags.set(f.name, strings[strings.length - 1] as string)
    if (f.multiple === true) lists.set(f.name, strings)
  }
  return { flags, lists, rest: positionals }
}

/** parseArgs' messages, reworded to name the flag first (Node's own text is long and mentions positionals). */
function parseErrorText(err: unknown): string {
  const code = (err as { code?: string }).code
  const message = err instanceof Error ? err.message : String(err)
  // "Option '-h, --help' does not take an argument": name the long form
  const flag = /'(?:-[A-Za-z], )?(-{1,2}[A-Za-z0-9_.-]+)/.exec(message)?.[1] ?? '?'
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown flag ${flag}`
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    if (message.includes('does not take an argument')) return `${flag} takes no value`
    if (message.includes('ambiguous')) return `${flag} needs a value (one that starts with '-' is written ${flag}=VALUE)`
    return `${flag} needs a value`
  }
  return message
}

/** `dragonflow <cmd> --help`: the summary, the synopsis and one line per declared flag. */
export function helpText(c: Pick<Command, 'summary' | 'usage' | 'flags'>): string {
  const rows = [...c.flags, HELP].map(f => {
    const head = `--${f.name}${f.type === 'string' ? ` ${f.value ?? 'VALUE'}` : ''}${f.name === 'help' ? ', -h' : ''}`
    return { head, text: `${f.description}${f.multiple === true ? ' (repeatable)' : ''}` }
  })
  const width = Math.max(...rows.map(r => r.head.length))
  return [c.summary, `usage: ${c.usage}`, '', 'flags:', ...rows.map(r => `  ${r.head.padEnd(width)}  ${r.text}`)].join('\n')
}

/** A physical network name: what Neutron's provider:physical_network holds (no ':' or ',', the list's syntax). */
const PHYSNET = /^[A-Za-z0-9_.-]{1,64}$/
/** An OVS bridge name as a netdev can carry it (IFNAMSIZ: 15 characters). */
const BRIDGE = /^[A-Za-z0-9_.-]{1,15}$/

/**
 * `--bridge-mappings physnet:bridge[,physnet:bridge]` (Neutron's OVS agent syntax) -> physnet -> bridge. Strict:
 * an empty item, a bad name, a repeated physnet or bridge (Neutron refuses both) or the integration bridge itself
 * is a UsageError naming the flag.
 */
export function parseBridgeMappings(text: string, integrationBridge = 'br-int'): Map<string, string> {
  const out = new Map<string, string>()
  const bridges = new Set<string>()
  const bad = (detail: string): UsageError => new UsageError(`--bridge-mappings: ${detail} (expected physnet:bridge[,physnet:bridge...])`)
  for (const item of text.split(',')) {
    const parts = item.trim().split(':')
    if (parts.length !== 2) throw bad(`'${item}' is not physnet:bridge`)
    const [physnet, bridge] = parts as [string, string]
    if (!PHYSNET.test(physnet)) throw bad(`bad physical network name '${physnet}'`)
    if (!BRIDGE.test(bridge)) throw bad(`bad bridge name '${bridge}' (letters, digits, '_', '.', '-'; at most 15)`)
    if (bridge === integrationBridge) throw bad(`'${bridge}' is the integration bridge; map a bridge of the physical network`)
    if (out.has(physnet)) throw bad(`physical network '${physnet}' is mapped twice`)
    if (bridges.has(bridge)) throw bad(`bridge '${bridge}' is mapped twice`)
    out.set(physnet, bridge)
    bridges.add(bridge)
  }
  return out
}
