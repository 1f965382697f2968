import { afterAll, beforeAll, beforeEach } from 'vitest'
import { getDb } from '#db/client.ts'
import { tags } from '#db/schema.ts'
import { getAiSettings, saveAiSettings } from '#app/ai/settings.server.ts'
import { parseEnv, type AppEnv } from '#app/env.server.ts'
import { FakeOpenAI } from '#tests/fakes/openai.ts'
import { createMember } from '#tests/helpers/factories.ts'

type AiTuning = { timeoutMs?: number; backoffBaseMs?: number; triageBusyMinWaitMs?: number }

// What env() and the AI client read first: a test sets the provider and the client's timings here.
const envStore = globalThis as unknown as { __switchboardEnv?: AppEnv; __switchboardAiTuning?: AiTuning }

/** The app's configuration from now on: this process's environment with `vars` over it. */
export function setProvider(vars: Record<string, string | undefined>) {
  envStore.__switchboardEnv = parseEnv({ ...process.env, ...vars })
}

/**
 * The AI client's timeout and retry backoff (the file's default: 5 ms backoff, the usual timeout),
 * and the shortest wait before a triage job tries a busy provider again (TRIAGE_BUSY.minWaitMs).
 */
export function tuneAi(tuning: AiTuning) {
  envStore.__switchboardAiTuning = tuning
}

/**
 * The fake OpenAI-compatible provider for this test file: started before its tests, with the
 * client's retry backoff cut to 5 ms; cleared of recorded requests and scripts before each test;
 * stopped afterwards, when the app's configuration goes back to the environment.
 */
export function withFakeOpenAI() {
  const fake = new FakeOpenAI()
  beforeAll(async () => {
    await fake.start()
    tuneAi({ backoffBaseMs: 5 })
  })
  afterAll(async () => {
    envStore.__switchboardEnv = undefined
    envStore.__switchboardAiTuning = undefined
    await fake.stop()
  })
  beforeEach(() => fake.reset())
  return fake
}

/** An owner whose workspace has AI triage on (suggest unless told) and the given tags. */
export async function memberWithTriage(
  tagNames: string[],
  options: { mode?: 'suggest' | 'auto-apply'; budget?: number } = {},
) {
  const agent = await createMember('owner')
  const settings = await getAiSettings(agent.workspace.id)
  await saveAiSettings(
    { workspaceId: agent.workspace.id, userId: agent.user.id },
    {
      features: { ...settings.features, triage: true },
      model: undefined,
      monthlyTokenBudget: options.budget,
      debugLogging: false,
      triageMode: options.mode ?? 'suggest',
    },
  )
  await getDb()
    .insert(tags)
    .values(tagNames.map((name) => ({ workspaceId: agent.workspace.id, name })))
  return agent
}
