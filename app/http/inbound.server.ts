import type { Request, RequestHandler, Response } from 'express'
import { Router } from 'express'
import { recordDeliveryEvents, SendgridEvents } from '#app/domain/delivery-events.server.ts'
import { INBOUND_BODY_LIMIT, recordInboundPost } from '#app/domain/inbound-email.server.ts'
import {
  basicAuthPassword,
  secretMatches,
  sendgridSignatureVerifier,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  type SignatureVerifier,
} from '#app/domain/webhook-signature.server.ts'
import { StorageError, storeStream, TooLargeError } from '#app/integrations/storage.server.ts'
import { env } from '#app/env.server.ts'
import { logger } from '#app/logger.server.ts'
import { realtime } from '#app/realtime/hub.server.ts'
import { checkJsonInput, jsonBodyRefusal } from './json-input.server.ts'
import { reportedAtMostEvery } from './rare-report.server.ts'

/** SendGrid batches events (it posts every 30 s or at 768 KB); a batch of a few thousand is a few MB. */
export const EVENTS_BODY_LIMIT = 5 * 1024 * 1024
/**
 * How many bytes event posts may hold in memory together, on this process. A signature can only
 * be checked once the whole body is in, so anyone can send 5 MB with well-formed headers: without
 * this, 400 such posts at once held 2 GB (a probe: the process at 1.4 GB). Over it, a 503 with
 * Retry-After (SendGrid retries failed posts for 72 hours).
 */
export const EVENTS_BUFFERED_LIMIT = 32 * 1024 * 1024

/**
 * Fair shares of that budget. A post that arrives at data-centre speed (SendGrid) must get in
 * even while forged posts fill it: the body deadline (body-deadline.server.ts) lets a post hold
 * its bytes for the timeout plus 1 s per MiB, so forged posts re-sent as they are cut could keep
 * it full and SendGrid's got 503 all along. So when a post needs room, the held posts that are
 * *late* give it: those whose bytes, at FAIR_BYTES_PER_SECOND, would have come more than
 * LATE_AFTER_MS ago (the latest first), each answered 503 and its bytes freed. A post arriving
 * at that speed is never late (a few hundred KB on a slow link neither: the grace covers them),
 * and a late post cannot take the room of another. To keep the budget full anyway, forged posts
 * must keep sending at that speed each until cut at 5 MB by their signature: tens of MB/s.
 */
export const FAIR_BYTES_PER_SECOND = 4 * 1024 * 1024
export const LATE_AFTER_MS = 1000

/** A post whose body is being read into the budget: what `makeRoom` weighs and may cut. */
type HeldRead = { startedAt: number; size: number; cut: () => void }
type Budget = { used: number; limit: number; reads: Set<HeldRead> }

const eventsBuffered: Budget = { used: 0, limit: EVENTS_BUFFERED_LIMIT, reads: new Set() }

/** Bytes of event posts held in memory right now, on this process (tests read it). */
export function eventsBufferedBytes() {
  return eventsBuffered.used
}

/**
 * SendGrid's webhooks, mounted before the 1 MB form limit: they read their bodies raw, with
 * their own limits (Inbound Parse 35 MB, events 5 MB), because the inbound post's bytes are
 * stored as they are (charsets other than UTF-8) and signatures are computed over raw bytes.
 */
export function sendgridWebhooks() {
  const router = Router()
  router.post('/webhooks/sendgrid/inbound', inbound)
  router.post('/webhooks/sendgrid/inbound/:secret', inbound)
  router.post('/webhooks/sendgrid/events', events)
  return router
}

/**
 * POST /webhooks/sendgrid/inbound/<SENDGRID_INBOUND_SECRET> (or Basic auth with the secret as
 * the password): stores the post and answers 200; the email.inbound job files it.
 */
const inbound: RequestHandler = async (req, res, next) => {
  try {
    const config = env().inbound
    if (!config.secret) return void res.status(404).type('text/plain').send('Not found')
    const presented =
      (req.params as { secret?: string }).secret ?? basicAuthPassword(req.get('authorization'))
    if (!secretMatches(presented, config.secret)) {
      res.set('WWW-Authenticate', 'Basic realm="inbound"')
      return void refuse(req, res, 401, 'Unauthorized')
    }
    const contentType = req.get('content-type') ?? ''
    if (!/^multipart\/form-data;.*boundary=/i.test(contentType)) {
      return void refuse(req, res, 400, 'Expected multipart/form-data')
    }
    const announced = req.get('content-length')
    if (announced !== undefined && Number(announced) > INBOUND_BODY_LIMIT) {
      return void refuse(req, res, 413, 'Request body too large')
    }
    let verifier: SignatureVerifier | undefined
    if (config.webhookPublicKey) {
      verifier = sendgridSignatureVerifier(config.webhookPublicKey, signatureHeaders(req))
      if (!verifier.ok) return void badSignature(req, res, verifier.reason)
    }
    // Streamed to the file store as it arrives, hashed and signature-checked on the way: a post
    // of a few MB never sits whole in the main thread's memory (a 1 MB buffer per post brought
    // V8's next full collection closer each time: 3-20 ms pauses in later answers).
    const check = verifier?.ok ? verifier : undefined
    let raw: { sha256: string; size: number }
    try {
      // Not destroyed on a failure (past the limit, a bad signature): the 413 or 401 still goes out.
      raw = await storeStream(req.iterator({ destroyOnReturn: false }), INBOUND_BODY_LIMIT, {
        durable: true,
        onChunk: check ? (chunk) => check.update(chunk) : undefined,
        beforeCommit: check
          ? () => {
              const result = check.check()
              if (!result.ok) throw new SignatureRefused(result.reason)
            }
          : undefined,
      })
    } catch (error) {
      if (error instanceof TooLargeError) return void refuse(req, res, 413, 'Request body too large')
      if (error instanceof SignatureRefused) return void badSignature(req, res, error.reason)
      if (error instanceof StorageError) throw error
      // The client went away or sent a broken body: nothing was stored.
      if (!res.headersSent) res.status(400).type('text/plain').send('The request could not be read')
      return
    }
    const stored = await recordInboundPost(contentType, raw)
    res
      .status(200)
      .type('text/plain')
      .send(stored.kind === 'stored' ? 'Stored' : 'Already stored')
  } catch (error) {
    next(error)
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true })

/** POST /webhooks/sendgrid/events: signed (ECDSA) delivery events, recorded at once. */
const events: RequestHandler = async (req, res, next) => {
  let body: Buffer | undefined
  try {
    const key = env().inbound.webhookPublicKey
    // Without a key, or with signature headers missing, malformed or stale, the post cannot be
    // genuine: refused before a byte of its body is read (it used to read up to 5 MB first).
    const verifier = key
      ? sendgridSignatureVerifier(key, signatureHeaders(req))
      : ({ ok: false, reason: 'missing' } as const)
    if (!verifier.ok) return void eventsRefused(req, res, verifier.reason)
    // The REST API's rule for JSON bodies (UTF-8, no content coding), a missing Content-Type read as
    // JSON: read as UTF-8 regardless, another charset's bytes were stored as U+FFFD.
    const refusal = jsonBodyRefusal(
      req.get('content-type') ?? 'application/json',
      req.get('content-encoding'),
    )
    if (refusal !== undefined) return void refuse(req, res, 415, refusal)
    body = await readRaw(req, res, EVENTS_BODY_LIMIT, eventsBuffered)
    if (!body) return
    verifier.update(body)
    const check = verifier.check()
    if (!check.ok) return void eventsRefused(req, res, check.reason)
    let batch: unknown
    try {
      batch = JSON.parse(UTF8.decode(body))
    } catch {
      return void res.status(400).type('text/plain').send('Expected a JSON array in UTF-8')
    }
    // Signed by SendGrid, but its strings carry what remote mail servers answered: no NUL, no
    // lone surrogate reaches the database; a batch nested absurdly deep is refused.
    const checked = checkJsonInput(batch, { nul: 'strip' })
    if ('problem' in checked) return void res.status(400).type('text/plain').send('Expected a JSON array')
    const parsed = SendgridEvents.safeParse(checked.value)
    if (!parsed.success) return void res.status(400).type('text/plain').send('Expected a JSON array')
    const outcome = await recordDeliveryEvents(parsed.data)
    if (outcome.events.length > 0) realtime().publish(outcome.events)
    const { recorded, duplicates, unknown, ignored } = outcome
    logger().info({ reqId: res.locals.requestId, recorded, duplicates, unknown, ignored }, 'delivery events')
    res.status(200).json({ recorded, duplicates, unknown, ignored })
  } catch (error) {
    next(error)
  } finally {
    if (body) eventsBuffered.used -= body.length
  }
}

const warnEventsRefused = reportedAtMostEvery(60_000, (refused, latest: RefusalFields) =>
  logger().warn({ ...latest, refused }, 'event webhook signature refused'),
)

function eventsRefused(req: Request, res: Response, reason: string) {
  warnEventsRefused({ reqId: res.locals.requestId, reason })
  refuse(req, res, 401, 'Bad signature')
}

class SignatureRefused extends Error {
  constructor(readonly reason: string) {
    super('Bad signature')
  }
}

/** The latest refusal's request and reason; the line says how many since the last one. */
type RefusalFields = { reqId: unknown; reason: string }

const warnInboundRefused = reportedAtMostEvery(60_000, (refused, latest: RefusalFields) =>
  logger().warn({ ...latest, refused }, 'inbound post signature refused'),
)

function badSignature(req: Request, res: Response, reason: string) {
  warnInboundRefused({ reqId: res.locals.requestId, reason })
  refuse(req, res, 401, 'Bad signature')
}

function signatureHeaders(req: Request) {
  return { signature: req.get(SIGNATURE_HEADER), timestamp: req.get(TIMESTAMP_HEADER) }
}

/** Refuses without reading the body; the connection closes so an unread upload is not drained. */
function refuse(req: Request, res: Response, status: number, text: string) {
  // Already answered (the body deadline's 408 went out while the post still counted as read):
  // setting a header now would throw inside a stream handler, and take the process down.
  if (!res.headersSent) res.set('Connection', 'close').status(status).type('text/plain').send(text)
  req.resume()
}

/** How late a held post is, in ms: its time so far less what its bytes take at FAIR_BYTES_PER_SECOND. */
function lateness(read: HeldRead, now: number) {
  return now - read.startedAt - (read.size / FAIR_BYTES_PER_SECOND) * 1000
}

/**
 * Frees `needed` bytes of `budget` for `read` by cutting late posts, latest first, if it is not
 * late itself and they free enough (else nothing is cut and it is refused). True when it fits.
 */
function makeRoom(budget: Budget, read: HeldRead, needed: number) {
  const now = Date.now()
  if (lateness(read, now) > LATE_AFTER_MS) return false
  // A post holding nothing (its headers came, its body not yet) frees nothing: cutting it would
  // only refuse it, and late posts are sorted latest first, so it would always go first.
  const late = [...budget.reads]
    .filter((other) => other !== read && other.size > 0 && lateness(other, now) > LATE_AFTER_MS)
    .sort((a, b) => lateness(b, now) - lateness(a, now))
  const short = budget.used + needed - budget.limit
  let freed = 0
  const victims = []
  for (const other of late) {
    if (freed >= short) break
    victims.push(other)
    freed += other.size
  }
  if (freed < short) return false
  for (const victim of victims) victim.cut()
  return true
}

/**
 * The body's bytes, or undefined after answering 413 (over `limit`, announced or counted while
 * reading: a chunked body is accepted and counted), 503 (the bytes would take `budget` over its
 * limit, and no late post could make room: makeRoom) or 400 (the client went away), or cut with a 503
 * later to make room for a faster post. Every byte read is counted in `budget.used` as it
 * arrives; the caller gives the returned body's length back when done with it, and a refused or
 * broken read gives its bytes back here. Memory follows the bytes that arrived: a Content-Length
 * is not allocated up front (an announced 5 MB that never comes costs nothing).
 */
async function readRaw(
  req: Request,
  res: Response,
  limit: number,
  budget: Budget,
): Promise<Buffer | undefined> {
  const announced = req.get('content-length')
  if (announced !== undefined && Number(announced) > limit) {
    refuse(req, res, 413, 'Request body too large')
    return undefined
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let size = 0
    let done = false
    const tooMany = () => {
      if (!res.headersSent) res.set('Retry-After', '10')
      refuse(req, res, 503, 'Too many event posts at once, try again shortly')
    }
    const read: HeldRead = {
      startedAt: Date.now(),
      size: 0,
      cut: () => {
        // A post the body deadline already answered (408) only gives its bytes back.
        if (!res.headersSent) {
          logger().info(
            { reqId: res.locals.requestId, received: size, ms: Date.now() - read.startedAt },
            'event post too slow: cut to make room for a faster one',
          )
          tooMany()
        }
        finish(undefined)
      },
    }
    budget.reads.add(read)
    const finish = (value: Buffer | undefined) => {
      if (done) return
      done = true
      budget.reads.delete(read)
      if (!value) budget.used -= size
      chunks.length = 0
      resolve(value)
    }
    req.on('data', (chunk: Buffer) => {
      if (done) return
      if (size + chunk.length > limit) {
        refuse(req, res, 413, 'Request body too large')
        return finish(undefined)
      }
      if (budget.used + chunk.length > budget.limit && !makeRoom(budget, read, chunk.length)) {
        tooMany()
        return finish(undefined)
      }
      size += chunk.length
      read.size = size
      budget.used += chunk.length
      chunks.push(chunk)
    })
    req.on('end', () => finish(Buffer.concat(chunks, size)))
    req.on('error', () => {
      if (!res.headersSent) res.status(400).type('text/plain').send('The request could not be read')
      finish(undefined)
    })
    req.on('aborted', () => finish(undefined))
    // Closed before its end (the client went away): its bytes must not stay counted.
    req.on('close', () => finish(undefined))
  })
}
