import { vitePlugin as remix } from '@remix-run/dev'
import tailwindcss from '@tailwindcss/vite'
import { defineConfig } from 'vite'

declare module '@remix-run/node' {
  interface Future {
    v3_singleFetch: true
  }
}

export default defineConfig({
  server: { middlewareMode: true },
  plugins: [
    tailwindcss(),
    remix({
      future: {
        v3_fetcherPersist: true,
        v3_relativeSplatPath: true,
        v3_throwAbortReason: true,
        v3_lazyRouteDiscovery: true,
        v3_singleFetch: true,
        v3_routeConfig: true,
      },
    }),
  ],
  optimizeDeps: {
    include: [
      '@conform-to/react',
      '@conform-to/zod/v4',
      'zod',
      'socket.io-client',
      // The icon modules app/components/ui/icons.tsx imports (keep the two lists the same).
      'lucide-react/icons/bell',
      'lucide-react/icons/check',
      'lucide-react/icons/chevron-down',
      'lucide-react/icons/chevron-left',
      'lucide-react/icons/chevron-right',
      'lucide-react/icons/command',
      'lucide-react/icons/eye',
      'lucide-react/icons/log-out',
      'lucide-react/icons/menu',
      'lucide-react/icons/paperclip',
      'lucide-react/icons/plus',
      'lucide-react/icons/search',
      'lucide-react/icons/user-round',
      'lucide-react/icons/x',
      '@radix-ui/react-dialog',
      '@radix-ui/react-dropdown-menu',
      '@radix-ui/react-tabs',
      '@radix-ui/react-toast',
      '@radix-ui/react-tooltip',
    ],
  },
})
