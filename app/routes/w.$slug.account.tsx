// The account page inside a workspace's shell (top bar, navigation): the same module as /account,
// whose loader and action check membership when a slug is present.
export { action, clientAction, default, loader, meta, shouldRevalidate } from './account.tsx'
