// policy.yaml as Neutron operators write it: one mapping of rule name to check string,
//   "create_port:binding:host_id": "rule:admin_only or role:compute"
//   get_network: 'rule:admin_or_owner'   # bare or quoted keys and values, comments
// (a policy.json, one JSON object, is read too). Only that flat form is accepted; anything else is an error
// naming the line, and every rule is validated (syntax, references, cycles) before the API starts.
import { readFileSync } from 'node:fs'
import { Policy, PolicyError, type RuleOverride } from './engine.js'

/** Reads and validates a policy file; the Policy holds Neutron's defaults with the file's rules over them. */
export function loadPolicyFile(path: string): Policy {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new PolicyError('(file)', path, `cannot read: ${err instanceof Error ? err.message : String(err)}`)
  }
  return Policy.create(parsePolicyText(text, path))
}

/** The rules of a policy file's text; `file` names it in errors. */
export function parsePolicyText(text: string, file: string): RuleOverride[] {
  return text.trimStart().startsWith('{') ? parseJson(text, file) : parseYaml(text, file)
}

function parseJson(text: string, file: string): RuleOverride[] {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (err) {
    throw new PolicyError('(file)', file, `not valid JSON: ${err instanceof Error ? err.message : String(err)}`)
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw new PolicyError('(file)', file, 'must hold one object of rule name to check string')
  const lines = text.split('\n')
  return Object.entries(doc as Record<string, unknown>).map(([name, check]) => {
    const line = lines.findIndex(l => l.includes(JSON.stringify(name))) + 1
    const origin = `${file}:${line || 1}`
    if (typeof check !== 'string') throw new PolicyError(name, origin, 'the check must be a string')
    return { name, check, origin }
  })
}

/** One scalar: '...' (with '' for a quote), "..." (with backslash escapes), or bare up to a ' #' comment. */
function scalar(s: string, origin: string, what: string): { value: string; rest: string } {
  if (s.startsWith("'")) {
    let out = ''
    for (let i = 1; i < s.length; i++) {
      if (s[i] === "'") {
        if (s[i + 1] === "'") {
          out += "'"
          i++
          continue
        }
        return { value: out, rest: s.slice(i + 1) }
      }
      out += s[i]
    }
    throw new PolicyError('(file)', origin, `unterminated quote in the ${what}`)
  }
  if (s.startsWith('"')) {
    let out = ''
    for (let i = 1; i < s.length; i++) {
      const c = s[i] as string
      if (c === '\\') {
        const n = s[++i]
        out += n === 'n' ? '\n' : n === 't' ? '\t' : (n ?? '')
        continue
      }
      if (c === '"') return { value: out, rest: s.slice(i + 1) }
      out += c
    }
    throw new PolicyError('(file)', origin, `unterminated quote in the ${what}`)
  }
  const hash = s.search(/\s#/)
  return { value: (hash >= 0 ? s.slice(0, hash) : s).trim(), rest: '' }
}

function parseYaml(text: string, file: string): RuleOverride[] {
  const out: RuleOverride[] = []
  const seen = new Map<string, string>()
  text.split(/\r?\n/).forEach((raw, i) => {
    const origin = `${file}:${i + 1}`
    const line = raw.replace(/\s+$/, '')
    if (line.trim() === '' || line.trim().startsWith('#') || line === '---') return
    if (/^\s/.test(line))
      throw new PolicyError('(file)', origin, 'indented line: policy.yaml holds one flat mapping of rule name to check string')
    if (line.startsWith('- '))
      throw new PolicyError('(file)', origin, 'a list item: policy.yaml holds one flat mapping of rule name to check string')
    let name: string, rest: string
    if (line.startsWith("'") || line.startsWith('"')) {
      const k = scalar(line, origin, 'rule name')
      if (!/^\s*:(\s|$)/.test(k.rest)) throw new PolicyError(k.value, origin, "expected ':' after the rule name")
      name = k.value
      rest = k.rest.replace(/^\s*:/, '')
    } else {
      // A bare key ends at the first ': ' (names hold colons: create_port:binding:host_id).
      const m = /^(.*?):(\s+|$)/.exec(line)
      if (!m) throw new PolicyError('(file)', origin, "expected 'rule_name: check string'")
      name = (m[1] as string).trim()
      rest = line.slice(m[0].length)
    }
    if (!name) throw new PolicyError('(file)', origin, 'empty rule name')
    rest = rest.trim()
    if (rest === '' || rest === '~' || rest === 'null') {
      throw new PolicyError(name, origin, 'no check string (write "" for a rule that always passes, "!" for one that never does)')
    }
    const v = scalar(rest, origin, 'check string')
    if (v.rest.trim() !== '' && !v.rest.trim().startsWith('#'))
      throw new PolicyError(name, origin, `unexpected text after the check string: '${v.rest.trim()}'`)
    const before = seen.get(name)
    if (before) throw new PolicyError(name, origin, `defined twice (first at ${before})`)
    seen.set(name, origin)
    out.push({ name, check: v.value, origin })
  })
  return out
}
