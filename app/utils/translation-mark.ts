/**
 * Whether a reply still is the AI translation "Translate to <language>" put in the composer, so
 * that sending it may say "Reply sent in Spanish, translated by AI and reviewed by …" with the
 * agent's original. The composer (which drops the review line as the agent types), the draft save
 * and the send (which write no mark and no note) all ask this, with the model's text as it came.
 *
 * The rule, said on the review line: at least half of the reply's words are words of the
 * translation. Edits, cuts and a few added words keep the mark; text written anew (select all and
 * type, paste over it, empty the field and type) drops it, and so does an empty text. Words are
 * runs of letters and digits, compared lower-cased (punctuation and spacing do not count).
 */
export function derivesFromTranslation(text: string, translation: string) {
  const written = wordsOf(text)
  if (written.length === 0) return false
  const translated = new Set(wordsOf(translation))
  const kept = written.filter((word) => translated.has(word)).length
  return kept * 2 >= written.length
}

function wordsOf(text: string) {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []
}
