import { listMailboxesPage, listMembersPage, listTagsPage } from '#app/domain/api-resources.server.ts'
import { operation } from './operation.server.ts'
import { pageResponse } from './pagination.server.ts'
import { MailboxList, MemberList, PageQuery, TagList } from './schemas.server.ts'

export const listMailboxes = operation({
  operationId: 'listMailboxes',
  method: 'GET',
  path: '/mailboxes',
  summary: 'List the active mailboxes, oldest first',
  tag: 'Workspace',
  scope: 'tickets:read',
  query: PageQuery,
  response: { status: 200, description: 'A page of mailboxes', schema: MailboxList, headers: ['Link'] },
  async handle({ principal, query, url }) {
    return pageResponse(url, await listMailboxesPage(principal, query.cursor, query.limit), (m) => ({
      id: m.id,
      name: m.name,
      address: m.address,
    }))
  },
})

export const listTags = operation({
  operationId: 'listTags',
  method: 'GET',
  path: '/tags',
  summary: 'List the workspace’s tags by name',
  tag: 'Workspace',
  scope: 'tickets:read',
  query: PageQuery,
  response: { status: 200, description: 'A page of tags', schema: TagList, headers: ['Link'] },
  async handle({ principal, query, url }) {
    return pageResponse(url, await listTagsPage(principal, query.cursor, query.limit), (t) => ({
      id: t.id,
      name: t.name,
    }))
  },
})

export const listMembers = operation({
  operationId: 'listMembers',
  method: 'GET',
  path: '/members',
  summary: 'List the workspace’s members by name',
  tag: 'Workspace',
  scope: 'tickets:read',
  query: PageQuery,
  response: { status: 200, description: 'A page of members', schema: MemberList, headers: ['Link'] },
  async handle({ principal, query, url }) {
    return pageResponse(url, await listMembersPage(principal, query.cursor, query.limit), (m) => ({
      user_id: m.userId,
      name: m.name,
      email: m.email,
      role: m.role,
    }))
  },
})
