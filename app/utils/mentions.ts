/**
 * `@name` mentions in notes, shared by the server (who gets notified) and the composer
 * (autocomplete). A member is mentioned by `@` followed by their full name (any case, spaces
 * allowed: `@Dana Scully`), their handle (the name without spaces or punctuation:
 * `@danascully`), or their first name when no other member shares it (`@dana`).
 */
export type Mentionable = { userId: string; name: string }

/** The handle the composer inserts: the name's letters and digits, lower-cased. */
export function handleOf(name: string) {
  return name
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '')
}

const WORD_CHAR = /[\p{L}\p{N}_]/u

/** The user ids mentioned in `body`, among `members`, each once, in order of appearance. */
export function findMentions(body: string, members: Mentionable[]): string[] {
  const text = body.normalize('NFKC')
  const lower = text.toLowerCase()
  const firstNames = new Map<string, string[]>()
  for (const m of members) {
    const first = m.name.trim().split(/\s+/)[0]?.toLowerCase()
    if (first) firstNames.set(first, [...(firstNames.get(first) ?? []), m.userId])
  }
  const found: string[] = []
  for (let at = lower.indexOf('@'); at !== -1; at = lower.indexOf('@', at + 1)) {
    // An email address (dana@example.com) is not a mention.
    if (at > 0 && WORD_CHAR.test(text[at - 1])) continue
    const rest = lower.slice(at + 1)
    let best: { userId: string; length: number } | undefined
    for (const m of members) {
      for (const candidate of [m.name.trim().toLowerCase(), handleOf(m.name)]) {
        if (!candidate || !rest.startsWith(candidate)) continue
        if (rest.length > candidate.length && WORD_CHAR.test(rest[candidate.length])) continue
        if (!best || candidate.length > best.length) best = { userId: m.userId, length: candidate.length }
      }
    }
    if (!best) {
      const word = /^[\p{L}\p{N}]+/u.exec(rest)?.[0]
      const owners = word ? firstNames.get(word) : undefined
      if (owners?.length === 1) best = { userId: owners[0], length: word!.length }
    }
    if (best && !found.includes(best.userId)) found.push(best.userId)
  }
  return found
}
