import { describe, expect, it } from 'vitest'
import { backupToRestore } from '#app/components/ticket/draft-backup.ts'

const page = { generation: 3, serverBody: 'Saved.', shown: 'Saved.' }

describe('backupToRestore', () => {
  it('brings back text typed under the same generation that the server never got', () => {
    expect(backupToRestore({ body: 'Saved. And more.', kind: 'reply', generation: 3 }, page)).toBe('restore')
  })

  it('forgets text a send or an Undo send made stale (an older or newer generation)', () => {
    expect(backupToRestore({ body: 'Sent text.', kind: 'reply', generation: 2 }, page)).toBe('drop')
    expect(backupToRestore({ body: 'Sent text.', kind: 'reply', generation: 4 }, page)).toBe('drop')
  })

  it('forgets text the server already has, and an emptied box', () => {
    expect(backupToRestore({ body: 'Saved.', kind: 'reply', generation: 3 }, page)).toBe('drop')
    expect(backupToRestore({ body: '  ', kind: 'reply', generation: 3 }, page)).toBe('drop')
  })

  it('keeps it, without touching the composer, when the composer already shows something else', () => {
    expect(
      backupToRestore({ body: 'Kept.', kind: 'note', generation: 3 }, { ...page, shown: 'A refused post.' }),
    ).toBe('none')
    expect(backupToRestore(null, page)).toBe('none')
  })
})
