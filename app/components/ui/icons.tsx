/**
 * The app's icons: lucide-react SVGs (tree-shaken, ~0.3 KB each), never emoji or an icon font, so
 * they render the same everywhere and inherit the text colour. Decorative by default
 * (aria-hidden); give the surrounding control its accessible name.
 */
export {
  Bell,
  Check,
  ChevronDown,
  ChevronLeft,
  ChevronRight,
  Eye,
  LogOut,
  Menu as MenuIcon,
  Paperclip,
  Plus,
  UserRound,
  X,
} from 'lucide-react'
import { Bell, Eye } from 'lucide-react'

export function BellIcon({ className = 'size-4' }: { className?: string }) {
  return <Bell aria-hidden className={className} />
}

export function EyeIcon({ className = 'size-3.5' }: { className?: string }) {
  return <Eye aria-hidden className={className} />
}
