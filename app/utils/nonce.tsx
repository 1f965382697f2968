import { createContext, useContext } from 'react'

/** The CSP nonce of this request, set on the server; browsers hide it from the DOM, so it is '' there. */
export const NonceContext = createContext('')
export const NonceProvider = NonceContext.Provider
export const useNonce = () => useContext(NonceContext)
