/**
 * Brings `target`'s contents to the markup `html` by changing only what differs, instead of
 * replacing them all as setting innerHTML does: a live change to a queue row (a tag added, a
 * teammate opening the ticket, an unread dot) then leaves the nodes it did not touch in place, so
 * a text selection in them, the focus on the subject link and a screen reader's place in the cell
 * survive it. The result is the same DOM that parsing `html` gives.
 *
 * Children are matched in order: an unchanged node is kept where it is (the nodes before it that
 * the markup no longer has are removed, and new ones are inserted in front of it), else a node of
 * the same kind (node type, tag, and a link's href or an element's class list) is changed into
 * the markup's; one that matches none is new. A matched element gets the markup's attributes and,
 * recursively, its children; a matched text node its text.
 */
export function morphInnerHtml(target: Element, html: string) {
  const template = target.ownerDocument.createElement('template')
  template.innerHTML = html
  morphChildren(target, template.content)
}

/** What must agree for a node to be kept: a link by where it goes (its class changes with unread). */
function kind(node: Node) {
  if (node.nodeType !== 1) return String(node.nodeType)
  const element = node as Element
  const key = element.getAttribute('href') ?? element.getAttribute('class') ?? ''
  return `${node.nodeName} ${key}`
}

function morphChildren(target: Node, source: Node) {
  let cursor = target.firstChild
  for (let next = source.firstChild; next;) {
    const wanted = next
    next = wanted.nextSibling
    // The node at the cursor comes unchanged later in the markup: `wanted` is new in front of it
    // (a tag sorted before the others), not a change to it.
    if (cursor && !cursor.isEqualNode(wanted) && comesLater(cursor, next)) {
      target.insertBefore(wanted, cursor)
      continue
    }
    // Else the same node further on (the ones before it were removed), or one of its kind.
    let match = cursor
    while (match && !match.isEqualNode(wanted)) match = match.nextSibling
    if (!match) {
      match = cursor
      while (match && kind(match) !== kind(wanted)) match = match.nextSibling
    }
    if (!match) {
      target.insertBefore(wanted, cursor)
      continue
    }
    while (cursor !== match) {
      const removed = cursor!
      cursor = removed.nextSibling
      target.removeChild(removed)
    }
    if (match.nodeType === 1) {
      morphAttributes(match as Element, wanted as Element)
      morphChildren(match, wanted)
    } else if (match.nodeValue !== wanted.nodeValue) {
      match.nodeValue = wanted.nodeValue
    }
    cursor = match.nextSibling
  }
  while (cursor) {
    const removed = cursor
    cursor = removed.nextSibling
    target.removeChild(removed)
  }
}

/** Whether `node` is equal to `from` or a sibling after it. */
function comesLater(node: Node, from: Node | null) {
  for (let later = from; later; later = later.nextSibling) if (node.isEqualNode(later)) return true
  return false
}

function morphAttributes(target: Element, source: Element) {
  for (const name of target.getAttributeNames()) {
    if (!source.hasAttribute(name)) target.removeAttribute(name)
  }
  for (const name of source.getAttributeNames()) {
    const value = source.getAttribute(name)!
    if (target.getAttribute(name) !== value) target.setAttribute(name, value)
  }
}
