import { useCallback, useEffect, useState } from 'react'

const loaded = new Map<() => Promise<unknown>, unknown>()

/**
 * A browser-only module fetched on first intent (hover, focus, click) instead of with the page:
 * the Radix-based halves of the menu, dialog, tooltip and toast are not part of any page's
 * first-load JavaScript. Until it arrives the component shows its plain-HTML fallback, which also
 * serves visitors without JavaScript. `loader` must be a stable, module-level function.
 */
export function useLazyModule<T>(loader: () => Promise<T>) {
  const [module, setModule] = useState<T | undefined>(() => loaded.get(loader) as T | undefined)
  const load = useCallback(async () => {
    const cached = loaded.get(loader) as T | undefined
    if (cached) return cached
    const value = await loader()
    loaded.set(loader, value)
    return value
  }, [loader])
  const request = useCallback(() => {
    void load().then((value) => setModule(() => value))
  }, [load])
  // Another instance may have loaded it meanwhile.
  useEffect(() => {
    const cached = loaded.get(loader) as T | undefined
    if (cached && !module) setModule(() => cached)
  }, [loader, module])
  return { module, request, load }
}
