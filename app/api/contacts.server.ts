import { getApiContact, listContactsPage } from '#app/domain/api-resources.server.ts'
import { createContact, renameContact } from '#app/domain/contacts.server.ts'
import { operation } from './operation.server.ts'
import { pageResponse } from './pagination.server.ts'
import { problem } from './problem.server.ts'
import {
  Contact,
  ContactConflictProblem,
  ContactIdParams,
  ContactList,
  ContactListQuery,
  CreateContactBody,
  UpdateContactBody,
} from './schemas.server.ts'
import { contactJson } from '#app/domain/serializers.server.ts'
import type { ApiPrincipal } from './auth.server.ts'

async function contactOr404(principal: ApiPrincipal, id: string) {
  const contact = await getApiContact(principal, id)
  if (!contact) throw problem('not-found', 'No such contact in this workspace.')
  return contactJson(contact)
}

export const listContacts = operation({
  operationId: 'listContacts',
  method: 'GET',
  path: '/contacts',
  summary: 'List or search contacts, newest first',
  tag: 'Contacts',
  scope: 'contacts:read',
  query: ContactListQuery,
  response: { status: 200, description: 'A page of contacts', schema: ContactList, headers: ['Link'] },
  async handle({ principal, query, url }) {
    return pageResponse(
      url,
      await listContactsPage(principal, query.q, query.cursor, query.limit),
      contactJson,
    )
  },
})

export const createContactOp = operation({
  operationId: 'createContact',
  method: 'POST',
  path: '/contacts',
  summary: 'Create a contact',
  tag: 'Contacts',
  scope: 'contacts:write',
  body: CreateContactBody,
  response: { status: 201, description: 'The new contact', schema: Contact, headers: ['Location'] },
  errors: {
    409: {
      description: 'a contact with this email exists (`conflict`; `contact_id` names it)',
      schema: ContactConflictProblem,
    },
  },
  async handle({ principal, body }) {
    const outcome = await createContact(principal, { email: body.email, name: body.name ?? '' })
    if (outcome.kind === 'exists') {
      throw problem('conflict', 'A contact with this email already exists.', {
        extensions: { contact_id: outcome.contactId },
      })
    }
    return {
      body: await contactOr404(principal, outcome.contactId),
      headers: { location: `/api/v1/contacts/${outcome.contactId}` },
    }
  },
})

export const getContact = operation({
  operationId: 'getContact',
  method: 'GET',
  path: '/contacts/{id}',
  summary: 'Get a contact',
  tag: 'Contacts',
  scope: 'contacts:read',
  params: ContactIdParams,
  response: { status: 200, description: 'The contact', schema: Contact },
  errors: { 404: 'No such contact in the workspace (`not-found`)' },
  async handle({ principal, params }) {
    return { body: await contactOr404(principal, params.id) }
  },
})

export const updateContact = operation({
  operationId: 'updateContact',
  method: 'PATCH',
  path: '/contacts/{id}',
  summary: 'Rename a contact',
  tag: 'Contacts',
  scope: 'contacts:write',
  params: ContactIdParams,
  body: UpdateContactBody,
  response: { status: 200, description: 'The contact after the change', schema: Contact },
  errors: { 404: 'No such contact in the workspace (`not-found`)' },
  async handle({ principal, params, body, publish }) {
    const { events } = await renameContact(principal, params.id, body.name)
    publish(events)
    return { body: await contactOr404(principal, params.id) }
  },
})
