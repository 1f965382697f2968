import { AI_MESSAGES } from './features.ts'
import { AiStreamError, type AiRefusal } from './client.server.ts'

/**
 * A streamed draft as Server-Sent Events: `delta` events carry {text}, then one `done`, or
 * one `error` with the message for the agent. Text is JSON-encoded, so no model output can
 * forge an event. When the agent cancels, the HTTP request closes, Remix aborts request.signal
 * (which aborts the upstream call) and cancels this stream.
 */
export function sseResponse(deltas: AsyncGenerator<string, void, undefined>) {
  const encoder = new TextEncoder()
  const event = (name: string, data: unknown) =>
    encoder.encode(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`)
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await deltas.next()
        if (next.done) {
          controller.enqueue(event('done', {}))
          controller.close()
        } else {
          controller.enqueue(event('delta', { text: next.value }))
        }
      } catch (error) {
        // The run is already recorded and logged by the client module. Its message is for the
        // agent (cut off, too long); anything else is the general one.
        const message = error instanceof AiStreamError ? error.message : AI_MESSAGES.noSuggestion
        try {
          controller.enqueue(event('error', { message }))
          controller.close()
        } catch {
          // The agent is gone: nothing to tell.
        }
      }
    },
    async cancel() {
      await deltas.return(undefined)
    },
  })
  return new Response(body, {
    headers: {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
    },
  })
}

/**
 * A refused AI call as JSON: 429 (with Retry-After) for the rate, 409 for a state, 503 (with the
 * provider's Retry-After when it sent one) for a busy provider, 502/504 for a failing one.
 */
export function refusalResponse(refusal: AiRefusal) {
  const status =
    refusal.reason === 'rate-limited' || refusal.reason === 'daily-limit'
      ? 429
      : refusal.reason === 'not-configured' || refusal.reason === 'disabled' || refusal.reason === 'budget'
        ? 409
        : refusal.reason === 'provider-busy'
          ? 503
          : refusal.reason === 'timeout'
            ? 504
            : refusal.reason === 'cancelled'
              ? 499
              : 502
  const headers: Record<string, string> = { 'cache-control': 'no-store' }
  if (refusal.retryAfterSeconds) headers['retry-after'] = String(refusal.retryAfterSeconds)
  return Response.json({ error: refusal.message, reason: refusal.reason }, { status, headers })
}
