import { describe, expect, it } from 'vitest'
import { checkWebhookUrl, forbiddenAddressReason } from '#app/domain/webhook-address.server.ts'
import { guardedLookup, type Resolver } from '#app/domain/webhook-http.server.ts'
import { signPayload, webhookHeaders } from '#app/domain/webhook-signing.server.ts'
import { Webhook } from 'standardwebhooks'

const strict = { allowHttp: false, allowedHosts: [] }

describe('forbiddenAddressReason', () => {
  it.each([
    '127.0.0.1',
    '127.255.0.9',
    '10.0.0.1',
    '172.16.5.4',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '100.127.255.254',
    '0.0.0.0',
    '0.1.2.3',
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    '::',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:a9fe:a9fe',
    '::ffff:10.0.0.1',
    '0:0:0:0:0:ffff:7f00:0001',
    '64:ff9b::7f00:1',
    '2002:7f00:1::',
    '::ffff:0:7f00:1',
    '::ffff:0:10.0.0.1',
    '64:ff9b:1::a00:1',
    '64:ff9b:1:ffff::1',
    '2001:0:4136:e378:8000:63bf:80ff:fffe',
    '3fff::1',
    '5f00::1',
    'fc00::1',
    'fd12:3456::1',
    'fe80::1',
    'ff02::1',
  ])('refuses %s', (address) => {
    expect(forbiddenAddressReason(address)).not.toBeNull()
  })

  it.each([
    '93.184.216.34',
    '8.8.8.8',
    '100.128.0.1',
    '172.32.0.1',
    '2606:4700::1111',
    '::ffff:8.8.8.8',
    '2001:4860:4860::8888',
    '64:ff9b::808:808',
  ])('allows the public address %s', (address) => {
    expect(forbiddenAddressReason(address)).toBeNull()
  })
})

describe('checkWebhookUrl', () => {
  it.each([
    'https://127.0.0.1/hook',
    'https://[::ffff:127.0.0.1]/hook',
    'https://169.254.169.254/latest/meta-data',
    'https://10.0.0.1/',
    'https://0x7f000001/',
    'https://2130706433/',
    'https://0177.0.0.1/',
    'https://127.1/',
    'https://[::1]:8443/',
    'https://[fe80::1]/',
    'https://localhost/hook',
    'https://api.localhost/hook',
    'https://localhost./hook',
    'https://localhost../hook',
    'https://example.com:0/',
    'https://./hook',
  ])('refuses %s', (url) => {
    expect(checkWebhookUrl(url, strict).ok).toBe(false)
  })

  it('accepts https URLs with public hosts and refuses http unless allowed', () => {
    expect(checkWebhookUrl('https://hooks.example.com/in', strict).ok).toBe(true)
    expect(checkWebhookUrl('http://hooks.example.com/in', strict).ok).toBe(false)
    expect(checkWebhookUrl('http://hooks.example.com/in', { ...strict, allowHttp: true }).ok).toBe(true)
    expect(checkWebhookUrl('ftp://hooks.example.com/in', { ...strict, allowHttp: true }).ok).toBe(false)
    expect(checkWebhookUrl('https://user:pw@hooks.example.com/', strict).ok).toBe(false)
    expect(checkWebhookUrl('not a url', strict).ok).toBe(false)
  })

  it('stores a host without its trailing dots: example.com. is example.com', () => {
    const check = checkWebhookUrl('https://Example.com.:8443/hook?x=1', strict)
    expect(check.ok && check.url.toString()).toBe('https://example.com:8443/hook?x=1')
    const plain = checkWebhookUrl('https://example.com../hook', strict)
    expect(plain.ok && plain.url.toString()).toBe('https://example.com/hook')
  })

  it('refuses a fragment: it is never sent, and `…/dup#` was a second endpoint for `…/dup`', () => {
    for (const url of ['https://hooks.example.com/dup#', 'https://hooks.example.com/dup#again']) {
      const check = checkWebhookUrl(url, strict)
      expect(check.ok, url).toBe(false)
      expect(!check.ok && check.reason, url).toMatch(/fragment/)
    }
  })

  it('stores the one spelling of equivalent URLs: no empty query, unreserved characters decoded, escapes upper case', () => {
    const stored = (url: string) => {
      const check = checkWebhookUrl(url, strict)
      return check.ok ? check.url.toString() : check.reason
    }
    expect(stored('https://hooks.example.com/dup?')).toBe('https://hooks.example.com/dup')
    expect(stored('https://hooks.example.com/%64up')).toBe('https://hooks.example.com/dup')
    expect(stored('https://hooks.example.com/%2e%2E/dup')).toBe('https://hooks.example.com/dup')
    expect(stored('https://hooks.example.com/a%2fb?q=%7e%3d&x')).toBe(
      'https://hooks.example.com/a%2Fb?q=~%3D&x',
    )
    expect(stored('https://hooks.example.com/d%c3%a9')).toBe('https://hooks.example.com/d%C3%A9')
  })

  it('lets an operator allow an internal host, by name or name and port', () => {
    const policy = { allowHttp: true, allowedHosts: ['crm.internal', '10.0.0.5:8080'] }
    expect(checkWebhookUrl('https://crm.internal/hook', policy).ok).toBe(true)
    expect(checkWebhookUrl('http://10.0.0.5:8080/hook', policy).ok).toBe(true)
    expect(checkWebhookUrl('http://10.0.0.5:8081/hook', policy).ok).toBe(false)
  })
})

describe('guardedLookup', () => {
  const resolveTo =
    (...addresses: string[]): Resolver =>
    (_host, callback) =>
      callback(
        null,
        addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
      )

  function lookup(resolver: Resolver, all: boolean) {
    return new Promise<{ error: Error | null; result: unknown }>((resolve) =>
      guardedLookup(resolver)('hooks.example.com', { all }, (error, result) => resolve({ error, result })),
    )
  }

  it('refuses a name when any of its addresses is internal', async () => {
    for (const target of ['127.0.0.1', '169.254.169.254', '10.0.0.1', '::ffff:127.0.0.1', 'fd00::1']) {
      const { error } = await lookup(resolveTo('93.184.216.34', target), true)
      expect(error?.message).toContain(target)
    }
  })

  it('answers both lookup forms for a public name', async () => {
    expect((await lookup(resolveTo('93.184.216.34'), true)).result).toEqual([
      { address: '93.184.216.34', family: 4 },
    ])
    expect((await lookup(resolveTo('93.184.216.34'), false)).result).toBe('93.184.216.34')
  })
})

describe('Standard Webhooks signatures', () => {
  it('verify with the reference implementation, with each secret of a rotation', () => {
    const current = 'whsec_' + Buffer.from('a'.repeat(24)).toString('base64')
    const previous = 'whsec_' + Buffer.from('b'.repeat(24)).toString('base64')
    const body = JSON.stringify({ type: 'ticket.created', data: { n: 1, text: 'héllo' } })
    const headers = webhookHeaders([current, previous], 'msg_1', body)
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2)
    expect(new Webhook(current).verify(body, headers)).toEqual(JSON.parse(body))
    expect(new Webhook(previous).verify(body, headers)).toEqual(JSON.parse(body))
    const other = 'whsec_' + Buffer.from('c'.repeat(24)).toString('base64')
    expect(() => new Webhook(other).verify(body, headers)).toThrow()
    expect(() => new Webhook(current).verify(body + ' ', headers)).toThrow()
    // Same bytes as the reference signer.
    const at = new Date(Number(headers['webhook-timestamp']) * 1000)
    expect(signPayload(current, 'msg_1', Number(headers['webhook-timestamp']), body)).toBe(
      new Webhook(current).sign('msg_1', at, body),
    )
  })
})
