// `dragonflow <command> [args]`: dispatches to the commands listed here (loaded lazily, so that `trace`
// does not pay for the API server's imports).
import { type Command, HelpRequested, UsageError, helpText } from './command.js'

type Loader = () => Promise<Command>

/** One line per command: name -> module. Multi-word commands (`offload plan`) are keyed with a space. */
const COMMANDS: Record<string, Loader> = {
  api: async () => (await import('./commands/api.js')).default,
  // commands register here, e.g.:  trace: async () => (await import('./commands/trace.js')).default,
  trace: async () => (await import('./commands/trace.js')).default,
  'offload plan': async () => (await import('./commands/offload-plan.js')).default,
  db: async () => (await import('./commands/db.js')).default,
  serve: async () => (await import('./commands/serve.js')).default,
  agent: async () => (await import('./commands/agent.js')).default,
  plug: async () => (await import('./commands/plug.js')).default,
  flows: async () => (await import('./commands/flows.js')).default,
  status: async () => (await import('./commands/status.js')).default,
  policy: async () => (await import('./commands/policy.js')).default,
}

export async function run(argv: string[]): Promise<number> {
  const [first, second] = argv
  if (first === undefined || first === 'help' || first === '--help' || first === '-h') {
    const topic = first === 'help' ? argv.slice(1).join(' ') : ''
    return help(topic)
  }
  const twoWord = second !== undefined ? `${first} ${second}` : ''
  const key = twoWord in COMMANDS ? twoWord : first
  const loader = COMMANDS[key]
  if (!loader) {
    // `dragonflow offload --help`: the first word of multi-word commands lists them
    const subs = Object.keys(COMMANDS).filter(n => n.startsWith(`${first} `))
    if (subs.length > 0 && (second === undefined || second === '--help' || second === '-h')) {
      const text = `dragonflow ${first}: commands:\n${subs.map(n => `  dragonflow ${n}`).join('\n')}`
      if (second === undefined) {
        console.error(text)
        return 2
      }
      console.log(text)
      return 0
    }
    console.error(`dragonflow: unknown command '${first}' (try 'dragonflow help')`)
    return 2
  }
  const command = await loader()
  const args = argv.slice(key.split(' ').length)
  try {
    return await command.run(args)
  } catch (err) {
    if (err instanceof HelpRequested) {
      console.log(helpText(command))
      return 0
    }
    if (err instanceof UsageError) {
      console.error(`dragonflow ${command.name}: ${err.message}\nusage: ${command.usage}\n(all flags: dragonflow ${command.name} --help)`)
      return 2
    }
    console.error(`dragonflow ${command.name}: ${err instanceof Error ? err.message : String(err)}`)
    return 1
  }
}

async function help(topic: string): Promise<number> {
  if (topic) {
    const loader = COMMANDS[topic]
    if (!loader) {
      console.error(`dragonflow: no command '${topic}'`)
      return 2
    }
    const c = await loader()
    console.log(helpText(c))
    return 0
  }
  console.log('usage: dragonflow <command> [options]\n\ncommands:')
  for (const [name, loader] of Object.entries(COMMANDS)) {
    const c = await loader()
    console.log(`  ${name.padEnd(16)} ${c.summary}`)
  }
  return 0
}
