import { AsyncLocalStorage } from 'node:async_hooks'
import { Authenticator } from 'remix-auth'
import { FormStrategy } from 'remix-auth-form'
import { verifyLogin } from './accounts.server.ts'

export type AuthUser = { id: string; email: string; name: string }

export class InvalidCredentials extends Error {
  constructor() {
    super('Invalid email or password')
  }
}

// remix-auth hands the strategy a copy of the Request, so the priority travels alongside.
const hashPriority = new AsyncLocalStorage<number>()

/**
 * Verifies the form's email and password; throws InvalidCredentials. `priority` orders the
 * password hash among waiting ones (lower first): the route passes the client address's recent
 * failures, so a flood of wrong passwords from elsewhere does not delay a clean sign-in.
 */
export function authenticateLogin(request: Request, priority: number) {
  return hashPriority.run(priority, () => authenticator().authenticate('form', request))
}

const store = globalThis as unknown as { __switchboardAuth?: Authenticator<AuthUser> }

/** remix-auth v4: the authenticator only verifies; sessions and redirects are ours. */
export function authenticator() {
  if (!store.__switchboardAuth) {
    const auth = new Authenticator<AuthUser>()
    auth.use(
      new FormStrategy(async ({ form }) => {
        const email = String(form.get('email') ?? '')
        const password = String(form.get('password') ?? '')
        const user = await verifyLogin(email.trim(), password, hashPriority.getStore() ?? 0)
        if (!user) throw new InvalidCredentials()
        return user
      }),
      'form',
    )
    store.__switchboardAuth = auth
  }
  return store.__switchboardAuth
}
