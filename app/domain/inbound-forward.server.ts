import { isEmailAddress } from '#app/utils/schemas.ts'

/**
 * The lines mail programs put above a message they forward inline: Gmail's and Thunderbird's
 * "---------- Forwarded message ---------", Apple Mail's "Begin forwarded message:", Outlook's
 * "-----Original Message-----" and its rule of underscores, and their common translations.
 */
const FORWARD_MARKER =
  /^(?:-{2,}\s*(?:forwarded message|original message|weitergeleitete nachricht|urspr[üu]ngliche nachricht|message transf[ée]r[ée]|mensaje reenviado|mensaje original|messaggio inoltrato|doorgestuurd bericht|mensagem encaminhada)\s*-{2,}|begin forwarded message:|_{10,})$/i

/** A header line of the forwarded message naming its sender, bold in Gmail's text part (`*From:*`). */
const FROM_LINE = /^\*?(?:from|von|de|da|van)\s*:\*?\s*(.+)$/i

/** How far below the marker the forwarded sender's line may be (Thunderbird puts Subject and Date first). */
const HEADER_LINES = 8

export type ForwardedSender = { address: string; name: string }

/**
 * The sender of the first message forwarded inline in `text`, as the forwarding mail program
 * wrote it under its marker: `Name <address>`, `Name [mailto:address]`, `"Name" <address>` or a
 * bare address. Undefined when the text holds no such block or its address is not one we can
 * email. Reads at most the first 100,000 characters.
 */
export function forwardedSender(text: string): ForwardedSender | undefined {
  const lines = text.slice(0, 100_000).split(/\r?\n/)
  const marker = lines.findIndex((line) => FORWARD_MARKER.test(line.trim()))
  if (marker === -1) return undefined
  for (const line of lines.slice(marker + 1, marker + 1 + HEADER_LINES)) {
    const from = FROM_LINE.exec(line.trim().replace(/^>\s*/, ''))
    if (from) return senderOf(from[1]!.replace(/\*/g, '').trim())
  }
  return undefined
}

function senderOf(value: string): ForwardedSender | undefined {
  const bracketed = /^(.*?)\s*(?:<([^<>\s]+)>|\[mailto:([^\]\s]+)\])\s*$/i.exec(value)
  const address = (bracketed ? (bracketed[2] ?? bracketed[3])! : value).trim().toLowerCase()
  if (!isEmailAddress(address)) return undefined
  const name = bracketed ? bracketed[1]!.replace(/^["']|["']$/g, '').trim() : ''
  return { address, name: name.toLowerCase() === address ? '' : name }
}
