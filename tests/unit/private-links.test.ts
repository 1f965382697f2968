import { describe, expect, it } from 'vitest'
import { sanitizeEmailHtml } from '#app/domain/email-html.server.ts'
import { PRIVATE_LINK_REMOVED as GONE, withoutPrivateLinks } from '#app/utils/private-links.ts'

const T = 'Ab3_xY-9kLmN0pQrStUvWxYz0123456789abcdEFGH1'

describe('withoutPrivateLinks', () => {
  it('replaces each of our token links, keeping the prose around it', () => {
    expect(
      withoutPrivateLinks(`> View this conversation http://localhost:3440/support/t/${T} · Ticket #35`),
    ).toBe(`> View this conversation ${GONE} · Ticket #35`)
    expect(withoutPrivateLinks(`reply here: https://desk.example.com/support/t/${T}.`)).toBe(
      `reply here: ${GONE}.`,
    )
    expect(withoutPrivateLinks(`(see https://desk.example.com/support/t/${T})`)).toBe(`(see ${GONE})`)
    expect(withoutPrivateLinks(`<http://localhost:3440/reset-password/${T}>`)).toBe(`<${GONE}>`)
    expect(withoutPrivateLinks(`here:http://localhost:3440/invite/${T}`)).toBe(`here:${GONE}`)
    for (const path of [
      'support/t',
      'invite',
      'reset-password',
      'verify-email',
      'notifications/unsubscribe',
    ]) {
      expect(withoutPrivateLinks(`go http://x.test/${path}/${T} now`)).toBe(`go ${GONE} now`)
    }
  })

  it('finds them in any case, with repeated slashes, percent-encoded inside another link and with &amp;', () => {
    expect(withoutPrivateLinks(`HTTP://LOCALHOST:3440//Support//T/${T}`)).toBe(GONE)
    const safe = `https://eur01.safelinks.protection.outlook.com/?url=${encodeURIComponent(`http://localhost:3440/support/t/${T}`)}&amp;data=05`
    expect(withoutPrivateLinks(`Protected: ${safe}`)).toBe(`Protected: ${GONE}`)
    expect(withoutPrivateLinks(`x ${encodeURIComponent(encodeURIComponent(`/support/t/${T}`))} y`)).toBe(
      `x ${GONE} y`,
    )
    // The secret before a later link in the same run: the whole run goes.
    expect(withoutPrivateLinks(`localhost:3440/invite/${T}?next=http://x.test/`)).toBe(GONE)
  })

  it('never changes how a JSON string around it ends', () => {
    const json = JSON.stringify({ text: `View "http://localhost:3440/support/t/${T}"\n> next\\` })
    const out = withoutPrivateLinks(json)
    expect(JSON.parse(out)).toEqual({ text: `View "${GONE}"\n> next\\` })
  })

  it('leaves other links and short path segments alone, and text without a link as it was', () => {
    for (const text of [
      'https://discord.com/invite/abcdefgh',
      `https://x.test/shared_invite/${T}`,
      'https://example.com/support/tickets/123',
      'Please support my invite to verify-email later',
      '',
    ]) {
      expect(withoutPrivateLinks(text)).toBe(text)
    }
  })
})

describe('sanitizeEmailHtml', () => {
  it('drops our private links from link targets, other attributes and text', () => {
    const link = `http://localhost:3440/support/t/${T}`
    const html = sanitizeEmailHtml(
      `<p><a href="${link}" title="${link}">View this conversation</a> ${link}</p><img src="${link}/x.png" alt="${link}"><a href="https://example.com/">ok</a>`,
    )
    expect(html).not.toContain(T)
    expect(html).toContain(
      `<a title="${GONE}" target="_blank" rel="noopener noreferrer nofollow">View this conversation</a> ${GONE}`,
    )
    expect(html).toContain('<a href="https://example.com/"')
  })
})
