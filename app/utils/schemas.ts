import { z } from 'zod'
import { ROLES } from './vocabulary.ts'

/** Form schemas shared by the browser (instant feedback) and the server (the real check). */

export const Email = z
  .string({ error: 'Email is required' })
  .trim()
  .max(254, { error: 'Email is too long' })
  .pipe(z.email({ error: 'Enter a valid email address' }))

export const NewPassword = z
  .string({ error: 'Password is required' })
  .min(12, { error: 'Use at least 12 characters' })
  .max(256, { error: 'Use at most 256 characters' })

export const PersonName = z
  .string({ error: 'Name is required' })
  .trim()
  .min(1, { error: 'Name is required' })
  .max(100, { error: 'Use at most 100 characters' })

export const WorkspaceName = z
  .string({ error: 'Workspace name is required' })
  .trim()
  .min(1, { error: 'Workspace name is required' })
  .max(80, { error: 'Use at most 80 characters' })

export const RESERVED_SLUGS = ['new', 'api', 'admin', 'settings', 'support', 'login', 'signup', 'dev']

export const WorkspaceSlug = z
  .string({ error: 'URL is required' })
  .trim()
  .toLowerCase()
  .min(2, { error: 'Use at least 2 characters' })
  .max(40, { error: 'Use at most 40 characters' })
  .regex(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, {
    error: 'Use lowercase letters, digits and hyphens (not at the start or end)',
  })
  .refine((s) => !RESERVED_SLUGS.includes(s), { error: 'This URL is reserved' })

export const Role = z.enum(ROLES, { error: 'Choose a role' })

export const SignupSchema = z.object({
  name: PersonName,
  email: Email,
  password: NewPassword,
  workspaceName: WorkspaceName,
  workspaceSlug: WorkspaceSlug,
})

export const InviteSignupSchema = z.object({
  name: PersonName,
  password: NewPassword,
})

export const LoginSchema = z.object({
  email: Email,
  password: z.string({ error: 'Password is required' }).max(256, { error: 'Password is too long' }),
  redirectTo: z.string().optional(),
})

export const WorkspaceSchema = z.object({ name: WorkspaceName, slug: WorkspaceSlug })

export const InviteSchema = z.object({ intent: z.literal('invite'), email: Email, role: Role })

/** Turns a workspace name into a suggested URL slug. */
export function slugify(name: string) {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '') // the cut can land on a word break
}
