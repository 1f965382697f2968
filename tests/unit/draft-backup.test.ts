import { describe, expect, it } from 'vitest'
import { backupToRestore } from '#app/components/ticket/draft-backup.ts'

const fields = { cc: null, bcc: '', status: '' }
const page = { generation: 3, serverBody: 'Saved.', serverFields: fields, shown: 'Saved.' }

describe('backupToRestore', () => {
  it('brings back text typed under the same generation that the server never got', () => {
    expect(backupToRestore({ body: 'Saved. And more.', kind: 'reply', generation: 3, ...fields }, page)).toBe(
      'restore',
    )
  })

  it('forgets text a send or an Undo send made stale (an older or newer generation)', () => {
    expect(backupToRestore({ body: 'Sent text.', kind: 'reply', generation: 2, ...fields }, page)).toBe(
      'drop',
    )
    expect(backupToRestore({ body: 'Sent text.', kind: 'reply', generation: 4, ...fields }, page)).toBe(
      'drop',
    )
  })

  it('forgets text the server already has, and an emptied box', () => {
    expect(backupToRestore({ body: 'Saved.', kind: 'reply', generation: 3, ...fields }, page)).toBe('drop')
    expect(backupToRestore({ body: '  ', kind: 'reply', generation: 3, ...fields }, page)).toBe('drop')
  })

  it('keeps it, without touching the composer, when the composer already shows something else', () => {
    expect(
      backupToRestore(
        { body: 'Kept.', kind: 'note', generation: 3, ...fields },
        { ...page, shown: 'A refused post.' },
      ),
    ).toBe('none')
    expect(backupToRestore(null, page)).toBe('none')
  })

  it('brings back the same text when its CC, BCC or status differ from the server’s (a bad address it refused)', () => {
    const kept = { body: 'Saved.', kind: 'reply' as const, generation: 3 }
    expect(backupToRestore({ ...kept, ...fields, cc: 'not an address' }, page)).toBe('restore')
    expect(backupToRestore({ ...kept, ...fields, cc: '' }, page)).toBe('restore')
    expect(backupToRestore({ ...kept, ...fields, bcc: 'b@example.com' }, page)).toBe('restore')
    expect(backupToRestore({ ...kept, ...fields, status: 'pending' }, page)).toBe('restore')
    // The same recipients written otherwise are the same.
    const listed = { ...page, serverFields: { ...fields, cc: 'a@example.com, b@example.com' } }
    expect(backupToRestore({ ...kept, ...fields, cc: 'A@example.com;b@example.com' }, listed)).toBe('drop')
  })
})
