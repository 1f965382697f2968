import { sql } from 'drizzle-orm'
import {
  bigserial,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core'
import { uuidv7 } from './uuid.ts'

const id = () => uuid().primaryKey().$defaultFn(uuidv7)
const createdAt = () => timestamp({ withTimezone: true }).notNull().defaultNow()

export const membershipRole = pgEnum('membership_role', ['owner', 'admin', 'agent'])

export const users = pgTable(
  'users',
  {
    id: id(),
    email: text().notNull(),
    name: text().notNull(),
    passwordHash: text().notNull(),
    emailVerifiedAt: timestamp({ withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('users_email_lower_key').on(sql`lower(${t.email})`)],
)

export const sessions = pgTable(
  'sessions',
  {
    // 256 random bits, base64url; the signed cookie carries only this id.
    id: text().primaryKey(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    ip: text(),
    userAgent: text(),
    createdAt: createdAt(),
  },
  (t) => [index('sessions_user_id_idx').on(t.userId), index('sessions_expires_at_idx').on(t.expiresAt)],
)

export const workspaces = pgTable('workspaces', {
  id: id(),
  name: text().notNull(),
  slug: text().notNull().unique(),
  nextTicketNumber: integer().notNull().default(1),
  settings: jsonb().notNull().default({}),
  createdAt: createdAt(),
})

export const memberships = pgTable(
  'memberships',
  {
    id: id(),
    workspaceId: uuid()
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: membershipRole().notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('memberships_workspace_user_key').on(t.workspaceId, t.userId),
    index('memberships_user_id_idx').on(t.userId),
  ],
)

export const invitations = pgTable(
  'invitations',
  {
    id: id(),
    workspaceId: uuid()
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    email: text().notNull(),
    role: membershipRole().notNull(),
    // sha256 of the token; the token itself is shown once, in the invite link.
    tokenHash: text().notNull().unique(),
    invitedById: uuid().references(() => users.id, { onDelete: 'set null' }),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    acceptedAt: timestamp({ withTimezone: true }),
    revokedAt: timestamp({ withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [index('invitations_workspace_id_idx').on(t.workspaceId)],
)

/** One row per counted attempt (failed login, form post...). Shared by every app instance. */
export const rateLimitHits = pgTable(
  'rate_limit_hits',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    key: text().notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('rate_limit_hits_key_created_at_idx').on(t.key, t.createdAt)],
)

export const auditEvents = pgTable(
  'audit_events',
  {
    id: id(),
    workspaceId: uuid().references(() => workspaces.id, { onDelete: 'cascade' }),
    actorUserId: uuid().references(() => users.id, { onDelete: 'set null' }),
    action: text().notNull(),
    targetType: text().notNull(),
    targetId: text(),
    data: jsonb().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [index('audit_events_workspace_created_idx').on(t.workspaceId, t.createdAt)],
)

export type MembershipRole = (typeof membershipRole.enumValues)[number]
