/**
 * A lazily imported module, imported once: later calls get the same promise. A repeated
 * `import()` of a module already loaded still goes through the module loader's lookups (~0.7% of
 * an agent reply's CPU for the two its email needs). A failed import is tried again next time.
 */
export function importOnce<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined
  return () =>
    (loaded ??= load().catch((error: unknown) => {
      loaded = undefined
      throw error
    }))
}
