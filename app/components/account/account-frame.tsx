import type { ReactNode } from 'react'
import { AuthCard } from '#app/components/auth-card.tsx'

/**
 * The account page's frame: inside a workspace's shell (`/w/:slug/account`) a plain section under
 * the top bar and navigation; at `/account` (a user without a workspace yet) the sign-in card.
 */
export function AccountFrame({
  inShell,
  title,
  footer,
  children,
}: {
  inShell: boolean
  title: string
  footer?: ReactNode
  children: ReactNode
}) {
  if (!inShell)
    return (
      <AuthCard title={title} footer={footer}>
        {children}
      </AuthCard>
    )
  return (
    <section className="mx-auto max-w-xl">
      <h1 className="mb-6 text-2xl font-semibold">{title}</h1>
      {children}
    </section>
  )
}
