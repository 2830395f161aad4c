// What a subcommand of `dragonflow` is. Each lives in cli/commands/<name>.ts and is listed in cli/main.ts.

export interface Command {
  /** e.g. 'trace' or 'offload plan' */
  name: string
  /** One line for `dragonflow help`. */
  summary: string
  /** Usage text for `dragonflow help <name>` and for errors. */
  usage: string
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

/** Parses `--name value`, `--name=value` and `--flag`; positional arguments are returned in `rest`. */
export function parseFlags(args: string[], booleans: string[] = []): { flags: Map<string, string>; rest: string[] } {
  const flags = new Map<string, string>()
  const rest: string[] = []
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string
    if (!arg.startsWith('--')) { rest.push(arg); continue }
    const eq = arg.indexOf('=')
    if (eq > 0) { flags.set(arg.slice(2, eq), arg.slice(eq + 1)); continue }
    const name = arg.slice(2)
    if (booleans.includes(name)) { flags.set(name, 'true'); continue }
    const value = args[i + 1]
    if (value === undefined) throw new UsageError(`--${name} needs a value`)
    flags.set(name, value)
    i++
  }
  return { flags, rest }
}
