import { describe, expect, it } from 'vitest'
import { sanitizeEmailHtml } from '#app/domain/email-html.server.ts'
import { PRIVATE_LINK_REMOVED as GONE, withoutPrivateLinks, withoutTokens } from '#app/utils/private-links.ts'

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

  // Found by exploratory testing (2026-12): each of these stayed whole.
  it('finds them rewritten by link protection: Proofpoint v2 and v3, Microsoft Safe Links', () => {
    const v2 = `https://urldefense.proofpoint.com/v2/url?u=http-3A__localhost-3A3000_support_t_${proofpointed(T)}&d=DwMFaQ&c=abc`
    expect(withoutPrivateLinks(`Link: ${v2} ok`)).toBe(`Link: ${GONE} ok`)
    expect(withoutPrivateLinks(`<a href="${v2.replaceAll('&', '&amp;')}">x</a>`)).toBe(
      `<a href="${GONE}">x</a>`,
    )
    const v3 = `https://urldefense.com/v3/__http://localhost:3000/support/t/${T}__;!!AbC!dEf-gH$`
    expect(withoutPrivateLinks(`Link: ${v3} ok`)).toBe(`Link: ${GONE} ok`)
    const safe = `https://nam02.safelinks.protection.outlook.com/?url=${encodeURIComponent(`http://localhost:3000/invite/${T}`)}&data=05`
    expect(withoutPrivateLinks(safe)).toBe(GONE)
    // Proofpoint's encoding read only inside a Proofpoint link: `shared_invite` elsewhere is a word.
    expect(withoutPrivateLinks(`https://x.test/a/shared_invite_${T}`)).toBe(
      `https://x.test/a/shared_invite_${T}`,
    )
  })

  it('finds one wrapped onto the next quoted line', () => {
    expect(
      withoutPrivateLinks(`> View this conversation http://localhost:3000/support/t/\n> ${T} · Ticket #1`),
    ).toBe(`> View this conversation ${GONE} · Ticket #1`)
    expect(withoutPrivateLinks(`View it: http://localhost:3000/reset-password/ \r\n${T}`)).toBe(
      `View it: ${GONE}`,
    )
  })

  it('finds crafted spellings: an escaped letter, dot segments, characters that show as nothing', () => {
    for (const path of [
      `%73upport/t/${T}`,
      `%2573upport/t/${T}`,
      `support/./t/${T}`,
      `support/t/./${T}`,
      `x/../support/t/${T}`,
      `support/%2E/t/${T}`,
      `sup\u00ADport/t/${T}`,
      `sup%C2%ADport/t/${T}`,
      `in\u200Bvite/${T}`,
    ]) {
      expect(withoutPrivateLinks(`go http://localhost:3000/${path} now`), path).toBe(`go ${GONE} now`)
    }
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

/** A token as Proofpoint URL Defense v2 writes it inside its link. */
function proofpointed(token: string) {
  return token.replace(/[-_]/g, (c) => (c === '_' ? '-5F' : '-2D'))
}

describe('withoutTokens', () => {
  const tokens = new Set([T, 'Zz9-Yy8_Xx7-Ww6_Vv5-Uu4_Tt3-Ss2_Rr1-Qq0_Ppo'])

  it('removes a token in every encoding, whatever link or text surrounds it', () => {
    for (const [written, around] of [
      [T, 'https://unknown-protection.test/r/'],
      [proofpointed(T), 'https://rewriter.test/?u=http-3A__host_x_'],
      [encodeURIComponent(T), '?next='],
      [T.replace(/[A-Z]/g, (c) => `%${c.charCodeAt(0).toString(16)}`), '/%73upport/t/'],
      [encodeURIComponent(encodeURIComponent(T).replace(/b/g, '%62')), '?u='],
      [`${T.slice(0, 20)}\n> ${T.slice(20)}`, '> View this conversation http://host/support/t/'],
      [`${T.slice(0, 5)}\u00AD${T.slice(5, 9)}&shy;${T.slice(9)}`, 'see '],
      [
        `${T.slice(0, 10)}&#${T.charCodeAt(10)};&#x${T.charCodeAt(11).toString(16)};${T.slice(12)}`,
        '<a href="',
      ],
    ] as const) {
      const out = withoutTokens(`${around}${written} · Ticket #1`, tokens)
      expect(out, written).toContain(GONE)
      expect(out, written).not.toContain(T.slice(20))
      expect(out, written).toContain(' · Ticket #1')
    }
  })

  it('keeps what stood between its characters (tags) and text without a token as it was', () => {
    expect(withoutTokens(`<p>${T.slice(0, 20)}<wbr>${T.slice(20)}</p>`, tokens)).toBe(`<p>${GONE}<wbr></p>`)
    expect(withoutTokens(`a ${T}${T} b`, tokens)).toBe(`a ${GONE}${GONE} b`)
    for (const text of [`${T.slice(0, 42)}`, `x${T.slice(1)}`, `${T.slice(0, 20)} ${T.slice(20)}`, '']) {
      expect(withoutTokens(text, tokens)).toBe(text)
    }
    expect(withoutTokens(T, new Set())).toBe(T)
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

  it('drops them from Proofpoint-rewritten link targets and soft-hyphenated text', () => {
    const v2 = `https://urldefense.proofpoint.com/v2/url?u=http-3A__localhost-3A3000_support_t_${proofpointed(T)}&amp;d=DwMFaQ`
    const html = sanitizeEmailHtml(
      `<p><a href="${v2}">View this conversation</a> http://localhost:3000/sup&shy;port/t/${T}</p>`,
    )
    expect(html).not.toContain(T)
    expect(html).not.toContain(proofpointed(T))
    expect(html).toContain(`View this conversation</a> ${GONE}`)
  })
})
