import { Authenticator } from 'remix-auth'
import { FormStrategy } from 'remix-auth-form'
import { verifyLogin } from './accounts.server.ts'

export type AuthUser = { id: string; email: string; name: string }

export class InvalidCredentials extends Error {
  constructor() {
    super('Invalid email or password')
  }
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
        const user = await verifyLogin(email.trim(), password)
        if (!user) throw new InvalidCredentials()
        return user
      }),
      'form',
    )
    store.__switchboardAuth = auth
  }
  return store.__switchboardAuth
}
