import { getDb } from '#db/client.ts'
import { getPersonalSettings, setUserSignature, setUserTimeZone } from '#db/queries/users.ts'

/** The account page's time zone (null until chosen or detected) and reply signature. */
export async function personalSettings(userId: string) {
  const row = await getPersonalSettings(getDb(), userId)
  return { timeZone: row?.timeZone ?? null, signature: row?.signature ?? '' }
}

/** Stores the zone the user chose (a name from the IANA list, checked at the edge). */
export async function changeTimeZone(userId: string, timeZone: string) {
  await setUserTimeZone(getDb(), { userId, timeZone, onlyIfUnset: false, at: new Date() })
}

/**
 * Stores the zone the browser reported on a first visit, unless the user already has one: a
 * detection never overrides a choice (two tabs, or a laptop travelling).
 */
export async function adoptDetectedTimeZone(userId: string, timeZone: string) {
  await setUserTimeZone(getDb(), { userId, timeZone, onlyIfUnset: true, at: new Date() })
}

/** Stores the personal signature appended after the mailbox signature in this agent's replies. */
export async function changeSignature(userId: string, signature: string) {
  await setUserSignature(getDb(), { userId, signature, at: new Date() })
}
