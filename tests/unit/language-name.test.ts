import { describe, expect, it } from 'vitest'
import { agentLanguageFrom, languageName } from '#app/ai/triage-vocabulary.ts'

describe('languageName', () => {
  it('names a known ISO 639-1 code, the same on every call', () => {
    expect(languageName('es')).toBe('Spanish')
    expect(languageName('es')).toBe('Spanish')
    expect(languageName('ja')).toBe('Japanese')
  })

  it('gives nothing for unknown codes, other shapes and no code, and remembers that too', () => {
    for (const code of ['zz', 'zz', 'EN', 'eng', 'e', '', null, undefined]) {
      expect(languageName(code)).toBeUndefined()
    }
  })

  it("reads the agent's language from Accept-Language, English otherwise", () => {
    expect(agentLanguageFrom('de-CH,de;q=0.9,en;q=0.8')).toBe('de')
    expect(agentLanguageFrom('zz')).toBe('en')
    expect(agentLanguageFrom(null)).toBe('en')
  })
})
