import { UNSAFE_NAME_CHARACTERS } from '#app/utils/schemas.ts'

const UNSAFE_RUN = new RegExp(`${UNSAFE_NAME_CHARACTERS.source}+`, 'g')

/**
 * A value made safe for one email header line, whatever its origin: runs of CR, LF and the
 * other control, separator and bidi characters the name fields refuse become one space. The
 * forms already refuse them; this also covers rows written before they did, names from other
 * sources, and subjects built from stored ones. A header value with a line break in it would
 * end the header and let the rest add its own (RFC 5322 section 2.2: header fields are lines).
 */
export function headerValue(value: string) {
  return value.replace(UNSAFE_RUN, ' ').trim()
}

/** Every value of an extra-headers record made safe, and names that are not header tokens dropped. */
export function headerRecord(headers: Record<string, string>) {
  return Object.fromEntries(
    Object.entries(headers)
      // RFC 5322 field names: printable ASCII except the colon.
      .filter(([name]) => /^[!-9;-~]+$/.test(name))
      .map(([name, value]) => [name, headerValue(value)]),
  )
}
