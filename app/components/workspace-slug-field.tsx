import { useEffect, useRef, useState } from 'react'
import { WorkspaceSlug } from '#app/utils/schemas.ts'

type Availability = 'checking' | 'available' | 'taken' | 'unknown' | null

/**
 * As the person types a workspace URL (with JavaScript): asks /signup/slug-available once they
 * pause, and says whether it is free. Malformed slugs are left to the form's own field error.
 * The server's check at submit stays the real one.
 */
export function useSlugAvailability(slug: string) {
  const [state, setState] = useState<Availability>(null)
  const latest = useRef(slug)
  useEffect(() => {
    latest.current = slug
    if (!WorkspaceSlug.safeParse(slug).success) {
      setState(null)
      return
    }
    setState('checking')
    const controller = new AbortController()
    const timer = setTimeout(() => {
      fetch(`/signup/slug-available?${new URLSearchParams({ slug })}`, { signal: controller.signal })
        .then(async (response) => {
          if (!response.ok) return 'unknown' as const
          const body = (await response.json()) as { available?: unknown }
          return body.available === true ? ('available' as const) : ('taken' as const)
        })
        .catch((error: unknown) => {
          if (error instanceof DOMException && error.name === 'AbortError') return null
          return 'unknown' as const
        })
        .then((answer) => {
          if (answer && latest.current === slug) setState(answer)
        })
    }, 300)
    return () => {
      clearTimeout(timer)
      controller.abort()
    }
  }, [slug])
  return state
}

export function SlugAvailability({ slug, state }: { slug: string; state: Availability }) {
  return (
    <p aria-live="polite" className="min-h-5 text-sm">
      {state === 'checking' ? (
        <span className="text-slate-500 dark:text-slate-400">Checking /w/{slug}…</span>
      ) : null}
      {state === 'available' ? (
        <span className="text-emerald-700 dark:text-emerald-400">/w/{slug} is available</span>
      ) : null}
      {state === 'taken' ? (
        <span className="text-red-600 dark:text-red-400">/w/{slug} is taken; choose another</span>
      ) : null}
    </p>
  )
}
