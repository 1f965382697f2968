import { createApiToken } from '#app/domain/api-tokens.server.ts'
import { API_SCOPES, type ApiScope } from '#app/utils/api-scopes.ts'
import type { createMember } from './factories.ts'

type Actor = Awaited<ReturnType<typeof createMember>>

/** A token made through the domain, as the settings page makes it, acting as `actor`. */
export async function apiTokenFor(
  actor: Actor,
  options: { scopes?: readonly ApiScope[]; expiresInDays?: number; role?: 'owner' | 'admin' | 'agent' } = {},
) {
  const created = await createApiToken(
    {
      userId: actor.user.id,
      role: options.role ?? 'owner',
      workspaceId: actor.workspace.id,
      workspaceSlug: actor.workspace.slug,
      workspaceName: 'Test',
    },
    { name: 'test token', scopes: [...(options.scopes ?? API_SCOPES)], expiresInDays: options.expiresInDays },
  )
  return created
}

/** fetch for the API: JSON bodies, a Bearer token, and the parsed answer. */
export function apiClient(baseUrl: string) {
  return async function call(
    method: string,
    path: string,
    options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  ) {
    const headers: Record<string, string> = { ...options.headers }
    if (options.token) headers.authorization = `Bearer ${options.token}`
    let body: string | undefined
    if (options.body !== undefined) {
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body)
      headers['content-type'] ??= 'application/json'
    }
    const response = await fetch(baseUrl + path, { method, headers, body, redirect: 'manual' })
    const text = await response.text()
    let json: any = undefined
    try {
      json = text ? JSON.parse(text) : undefined
    } catch {
      json = undefined
    }
    return { status: response.status, headers: response.headers, json, text }
  }
}
