import { Avatar } from '#app/components/account/avatar.tsx'
import type { Viewer } from '#app/realtime/protocol.ts'

/** Who else has this ticket open, and who is writing a reply or a note right now. */
export function PresenceBar({ others }: { others: Viewer[] }) {
  const typing = others.filter((v) => v.typing)
  return (
    <div className="flex min-h-8 flex-wrap items-center gap-3 text-sm" aria-live="polite">
      {others.length > 0 ? (
        <>
          <ul className="flex -space-x-2" aria-label="Also viewing this ticket">
            {others.map((v) => (
              <li key={v.userId} title={v.name} className="flex">
                <Avatar name={v.name} size="sm" className="border-2 border-white dark:border-slate-950" />
                <span className="sr-only">{v.name}</span>
              </li>
            ))}
          </ul>
          <span className="text-slate-600 dark:text-slate-400">
            {typing.length > 0
              ? typing
                  .map(
                    (v) =>
                      `${v.name.split(' ')[0]} is ${v.typing === 'note' ? 'writing a note' : 'replying'}…`,
                  )
                  .join(' ')
              : `${others.map((v) => v.name.split(' ')[0]).join(', ')} ${others.length === 1 ? 'is' : 'are'} viewing`}
          </span>
        </>
      ) : null}
    </div>
  )
}
