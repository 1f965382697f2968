/**
 * How Vitest runs the test files (vitest.config.ts); tests/unit/test-groups.test.ts keeps these
 * lists true.
 *
 * TIMED: files that assert a speed or a latency (throughput, lag, p95, "as long as", a budget in
 * ms), or that the process's event loop goes quiet. They run last, one at a time, each in a fresh
 * process, so another file's load, or what an earlier file left running in a shared process
 * (a pool, a timer), can't fail them.
 */
export const TIMED = [
  'tests/integration/jobs-throughput.test.ts',
  'tests/integration/email-sendgrid.test.ts',
  'tests/integration/inbound-speed.test.ts',
  'tests/integration/api-create-speed.test.ts',
  'tests/integration/login.test.ts',
  'tests/integration/form-guard.test.ts',
  'tests/integration/ai-triage.test.ts',
  'tests/integration/database-outage.test.ts',
  // Its own PostgreSQL, stopped under a worker process; the file's connection moves to it.
  'tests/integration/worker-outage.test.ts',
  'tests/integration/graceful-shutdown.test.ts',
  // Shutdown times of a server process mid-send.
  'tests/integration/email-shutdown.test.ts',
  // How soon emails go past a slow send, a backlog's rate, one ticket's order (a fake SendGrid).
  'tests/integration/email-worker-flow.test.ts',
  'tests/integration/email-thread-wake.test.ts',
  // Backlogs queued before the workers start (sets INBOUND_DOMAIN): how soon each is worked off.
  'tests/integration/job-backlogs.test.ts',
  // Waits for the event loop to stay under 1% busy: in a shared process an earlier file's pools
  // and timers kept it over that and the test timed out (a CI run of d8c20b6).
  'tests/unit/idle-memory.test.ts',
]

/** What makes a file TIMED whatever it asserts: it measures the process's event loop. */
export const MEASURES_THE_EVENT_LOOP = /eventLoopUtilization|monitorEventLoopDelay|releaseMemoryWhenIdle/

/**
 * ISOLATED: files that change the process's environment (`process.env`, mocked modules or
 * globals). The app reads its settings once per process, so these run each in a fresh process,
 * after the others; every other file shares a process with the files before it in its worker.
 */
export const ISOLATED = [
  // Small API and email limits, to reach every 429.
  'tests/integration/api-documented-answers.test.ts',
  'tests/integration/api-rate-limit.test.ts',
  'tests/integration/attachments.test.ts',
  'tests/integration/customer-link-recipients.test.ts',
  'tests/integration/delivery-events.test.ts',
  'tests/integration/email-accepted-event.test.ts',
  'tests/integration/email-attachments.test.ts',
  'tests/integration/email-unanswered-failure.test.ts',
  'tests/integration/email-doubt.test.ts',
  'tests/integration/email-redrive.test.ts',
  'tests/integration/inbound-automatic.test.ts',
  'tests/integration/inbound-charset-fallback.test.ts',
  'tests/integration/inbound-customer-words.test.ts',
  'tests/integration/inbound-email.test.ts',
  'tests/integration/inbound-forward.test.ts',
  'tests/integration/inbound-mailing-list.test.ts',
  'tests/integration/inbound-not-kept.test.ts',
  'tests/integration/inbound-recipients.test.ts',
  'tests/integration/inbound-reused-message-id.test.ts',
  'tests/integration/inbound-retention.test.ts',
  'tests/integration/inbound-subject-reference.test.ts',
  'tests/integration/private-link-quoting.test.ts',
  'tests/integration/search-email-words.test.ts',
  // Replaces the app's configuration (SESSION_SECRET) and its session storage for the process.
  'tests/integration/secret-rotation.test.ts',
  'tests/integration/ticket-page.test.ts',
  'tests/integration/slow-bodies.test.ts',
  'tests/integration/upload-storage-failure.test.ts',
  'tests/integration/upload-refusals.test.ts',
  'tests/integration/uploads.test.ts',
  // Two copies of the job modules (vi.resetModules) as two processes, each with its own state.
  'tests/integration/webhook-processes.test.ts',
  // Stubs window, sessionStorage and fetch for Remix's client route discovery.
  'tests/unit/route-discovery-abort.test.ts',
]

/** What makes a file ISOLATED: it writes to process.env, or mocks modules, globals or env. */
export const CHANGES_THE_PROCESS =
  /process\.env\.[A-Z_]+\s*=[^=]|process\.env\[[^\]]+\]\s*=[^=]|delete process\.env|Object\.assign\(process\.env|vi\.(mock|doMock|stubEnv|stubGlobal|resetModules)\(/
