import type { LoaderFunctionArgs } from '@remix-run/node'
import { z } from 'zod'
import { notFound } from '#app/domain/errors.server.ts'
import { inboundEmailDocument } from '#app/domain/inbound-display.server.ts'
import { requireMember } from '#app/http/auth.server.ts'

const MessageId = z.uuid()

/**
 * The sanitized HTML of a customer's email, as a document for the thread's sandboxed frame.
 * Its CSP (no scripts; images only from us unless ?images=1; framed by our pages only) is set
 * by emailFrameHeaders in app/http/email-frame.server.ts.
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const member = await requireMember(request, params.slug)
  const id = MessageId.safeParse(params.id)
  if (!id.success) throw notFound('Message not found')
  const url = new URL(request.url)
  const html = await inboundEmailDocument(member, id.data, {
    quoted: url.searchParams.get('quoted') === '1',
    images: url.searchParams.get('images') === '1',
  })
  if (html === undefined) throw notFound('Message not found')
  return new Response(html, {
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'private, no-store',
      'Referrer-Policy': 'no-referrer',
    },
  })
}
