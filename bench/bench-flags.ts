// The benchmarks' own flag reader: loose on purpose (any `--name value`, `--name=value`, or a listed boolean),
// since bench/ scripts are tools for maintainers, not `dragonflow` commands. It lives here because cli/ is a
// leaf that nothing else imports; the commands keep their strict parser (cli/command.ts).

export interface BenchFlags {
  /** the value of each flag given (the last one wins); booleans are 'true' */
  flags: Map<string, string>
  /** positional arguments */
  rest: string[]
}

export function parseFlags(args: string[], booleans: readonly string[] = []): BenchFlags {
  const flags = new Map<string, string>()
  const rest: string[] = []
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string
    if (!arg.startsWith('--')) {
      rest.push(arg)
      continue
    }
    const eq = arg.indexOf('=')
    if (eq > 0) {
      flags.set(arg.slice(2, eq), arg.slice(eq + 1))
      continue
    }
    const name = arg.slice(2)
    if (booleans.includes(name)) {
      flags.set(name, 'true')
      continue
    }
    const value = args[i + 1]
    if (value === undefined) throw new Error(`--${name} needs a value`)
    flags.set(name, value)
    i++
  }
  return { flags, rest }
}
