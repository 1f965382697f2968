import path from 'node:path'
import { expect, test } from '@playwright/test'
import pg from 'pg'
import { embeddedDatabaseUrl, findRunningPostmaster, runningEmbeddedPassword } from '#db/running-postgres.ts'
import { signUp, submitSupportForm, unique } from './helpers.ts'

// A reply whose email's last attempt got no answer from SendGrid (it may have accepted it) is
// retried only after the agent confirmed, in the reply's own box, that it may arrive twice. The
// e2e server sends through the local outbox, which always answers, so the test puts the email in
// that state in the server's database, as the worker leaves it (email-unanswered-failure.test.ts
// covers how it gets there).

/** The e2e server's embedded PostgreSQL (playwright.config.ts: DATA_DIR). */
async function serverDatabase() {
  const dir = path.join(process.env.E2E_DATA_DIR ?? '.data-e2e', 'postgres')
  const running = findRunningPostmaster(dir)
  if (!running) throw new Error(`no PostgreSQL running in ${dir}`)
  const client = new pg.Client({
    connectionString: embeddedDatabaseUrl(
      running.port,
      'switchboard',
      runningEmbeddedPassword(dir),
      running.socketDir,
    ),
  })
  client.on('error', () => {})
  await client.connect()
  return client
}

test('Retry of a reply SendGrid may have accepted warns that it may arrive twice and sends only once confirmed', async ({
  page,
}) => {
  const id = unique()
  const slug = `twice-${id}`
  await signUp(page, 'Dana Agent', `dana-${id}@example.com`, 'Twice Co', slug)
  const customer = await submitSupportForm(page.context().browser()!, slug, {
    name: 'Casey Customer',
    email: `casey-${id}@example.net`,
    subject: 'Where is my parcel',
    message: 'It has been a week.',
  })
  await customer.context.close()
  await page.goto(`/w/${slug}/tickets`)
  await page.getByRole('link', { name: 'Where is my parcel' }).click()
  await page.getByLabel(/Reply to Casey Customer/).fill('It left our warehouse today.')
  await page.getByRole('button', { name: 'Send reply', exact: true }).click()
  const conversation = page.getByRole('list', { name: 'Conversation' })
  const reply = conversation.getByRole('listitem').filter({ hasText: 'It left our warehouse today.' })
  // Past the undo window, the outbox sends it.
  await expect(reply.getByText('Sent', { exact: true })).toBeVisible({ timeout: 20_000 })

  const db = await serverDatabase()
  try {
    const { rows } = await db.query<{ id: string; message_id: string }>(
      `update emails set status = 'failed', maybe_accepted = true,
         error = 'SendGrid did not answer the last attempt, so it may have accepted this email'
       where message_id = (select m.id from messages m where m.body_text = $1) returning id, message_id`,
      ['It left our warehouse today.'],
    )
    expect(rows).toHaveLength(1)
    await db.query(`update messages set delivery_status = 'failed' where id = $1`, [rows[0]!.message_id])

    await page.reload()
    await expect(reply.getByText('The email may not have been sent')).toBeVisible()
    await expect(
      reply.getByText(
        'SendGrid may already have accepted this email: if you retry, the customer may get it twice.',
      ),
    ).toBeVisible()
    await reply.getByRole('button', { name: 'Retry' }).click()
    // Nothing was queued: the same box asks for the confirmation.
    await expect(
      reply.getByText(
        'SendGrid may already have accepted this email. Send it again anyway? The customer may get it twice.',
      ),
    ).toBeVisible()
    const before = await db.query(`select status from emails where id = $1`, [rows[0]!.id])
    expect(before.rows[0]).toEqual({ status: 'failed' })

    await reply.getByRole('button', { name: 'Send again anyway' }).click()
    await expect(reply.getByText('Sent', { exact: true })).toBeVisible()
    await expect(reply.getByText('The email may not have been sent')).toBeHidden()
    const after = await db.query(`select status, attempts from emails where id = $1`, [rows[0]!.id])
    expect(after.rows[0]).toEqual({ status: 'sent', attempts: 1 })
  } finally {
    await db.end()
  }
})
