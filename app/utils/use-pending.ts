import { useNavigation } from '@remix-run/react'

/** True while a form posting to `action` (or any form, without one) is in flight. */
export function useIsPending(intent?: string) {
  const navigation = useNavigation()
  if (navigation.state !== 'submitting') return false
  if (!intent) return true
  return navigation.formData?.get('intent') === intent
}
