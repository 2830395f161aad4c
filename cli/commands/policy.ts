// `dragonflow policy list [--policy-file F]`: the access rules the API enforces, Neutron's defaults with the
// file's overrides merged over them, one rule a line (name, check string, and where an override came from).
// A bad file is refused with the rule and line that are wrong, as `dragonflow api --policy-file F` would be.
import { type Command, type Flag, UsageError, parseFlags } from '../command.js'
import { Policy, PolicyError } from '../../northbound/policy/engine.js'
import { loadPolicyFile } from '../../northbound/policy/file.js'

/** The flag behind policyFromFlags, declared by `policy`, `api` and `serve`. */
export const POLICY_FILE_FLAG: Flag = {
  name: 'policy-file',
  type: 'string',
  value: 'policy.yaml',
  description: "access rules over Neutron's defaults (see `dragonflow policy list`)",
}

const FLAGS: readonly Flag[] = [POLICY_FILE_FLAG, { name: 'json', type: 'boolean', description: 'the rules as JSON' }]

/** The Policy of `--policy-file F` (defaults without it); a file error is a usage error naming rule and line. */
export function policyFromFlags(flags: Map<string, string>): Policy {
  const file = flags.get('policy-file')
  if (file === undefined) return Policy.create()
  try {
    return loadPolicyFile(file)
  } catch (err) {
    if (err instanceof PolicyError) throw new UsageError(`--policy-file: ${err.message}`)
    throw err
  }
}

const command: Command = {
  name: 'policy',
  summary: 'list the effective access policy (Neutron defaults and policy.yaml overrides)',
  usage: 'dragonflow policy list [--policy-file FILE] [--json]',
  flags: FLAGS,
  async run(args) {
    const { flags, rest } = parseFlags(args, FLAGS)
    if (rest[0] !== 'list' || rest.length > 1)
      throw new UsageError(rest.length ? `unknown subcommand '${rest.join(' ')}'` : 'a subcommand is needed: list')
    const rules = policyFromFlags(flags).list()
    if (flags.has('json')) {
      process.stdout.write(`${JSON.stringify(rules, null, 2)}\n`)
      return 0
    }
    // The output is itself a valid policy.yaml: a comment says where each override came from.
    for (const r of rules) {
      const note = r.source === 'default' ? '' : `  # ${r.source}${r.origin ? ` (${r.origin})` : ''}`
      process.stdout.write(`${JSON.stringify(r.name)}: ${JSON.stringify(r.check)}${note}\n`)
    }
    return 0
  },
}

export default command
