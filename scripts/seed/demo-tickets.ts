// The demo workspace's conversations. `c` customer, `a` agent reply, `n` internal note; the
// first entry is the customer's opening message.

export type DemoEntry = ['c' | 'a' | 'n', string]
export type DemoTicket = {
  subject: string
  customer: [name: string, email: string]
  mailbox: 'support' | 'billing' | 'sales'
  daysAgo: number
  status: 'open' | 'pending' | 'resolved' | 'closed'
  priority: 'low' | 'normal' | 'high' | 'urgent'
  /** Index into the demo agents (0 is the owner), or null for unassigned. */
  assignee: number | null
  tags: string[]
  thread: DemoEntry[]
  channel?: 'email' | 'web' | 'phone'
}

export const DEMO_TICKETS: DemoTicket[] = [
  {
    subject: 'Charged twice for the March invoice',
    customer: ['Priya Raman', 'priya@northwind.example'],
    mailbox: 'billing',
    daysAgo: 2,
    status: 'pending',
    priority: 'high',
    assignee: 1,
    tags: ['billing', 'refund'],
    thread: [
      ['c', 'Hi, our card was charged twice for invoice INV-2031 (March). Can you refund one of them?'],
      ['n', 'Stripe shows two captures 40 seconds apart. Looks like the retry bug from last week.'],
      [
        'a',
        'Hi Priya, sorry about that! I can see the duplicate charge and have refunded it. It can take 5 business days to appear on your statement.',
      ],
      ['c', 'Thank you. Will we get a corrected invoice too?'],
      [
        'a',
        'Yes, a corrected invoice is on its way to your billing address. I will keep this ticket pending until you confirm the refund arrived.',
      ],
    ],
  },
  {
    subject: 'Cannot log in after enabling two-factor authentication',
    customer: ['Marco Rossi', 'marco.rossi@globex.example'],
    mailbox: 'support',
    daysAgo: 0.2,
    status: 'open',
    priority: 'urgent',
    assignee: null,
    tags: ['login', 'security'],
    thread: [
      [
        'c',
        'I turned on 2FA yesterday and now every code is rejected. I am locked out and have a client demo in two hours!',
      ],
    ],
  },
  {
    subject: 'Export to CSV times out for large reports',
    customer: ['Hana Tanaka', 'hana@hooli.example'],
    mailbox: 'support',
    daysAgo: 6,
    status: 'open',
    priority: 'high',
    assignee: 0,
    tags: ['bug'],
    thread: [
      ['c', 'Exporting the yearly report (about 80,000 rows) fails with "Request timeout" every time.'],
      ['a', 'Thanks Hana. Could you tell me which filters you use and roughly when you tried?'],
      ['c', 'Yearly report, all teams, no filters. Tried at 9:00 and 14:00 CET today.'],
      ['n', 'Reproduced on staging: the export worker hits the 30 s limit above ~50k rows.'],
      ['n', 'Engineering ticket ENG-4411 opened, ETA next sprint.'],
      [
        'a',
        'I reproduced it and our engineers are working on a fix. Meanwhile, exporting per quarter works; sorry for the hassle.',
      ],
      ['c', 'Quarterly exports work, thanks. Please let me know when the fix ships.'],
      ['n', 'Fix merged, deploying Thursday.'],
    ],
  },
  {
    subject: 'Question about the Business plan for 40 seats',
    customer: ['Elena Ivanova', 'elena@initech.example'],
    mailbox: 'sales',
    daysAgo: 3,
    status: 'pending',
    priority: 'normal',
    assignee: 2,
    tags: ['onboarding'],
    thread: [
      [
        'c',
        'We are evaluating Switchboard for our 40-person support team. Do you offer annual billing and SSO?',
      ],
      [
        'a',
        'Hi Elena, yes to both: annual billing saves two months, and SAML SSO is included in Business. Would a call on Thursday work?',
      ],
      ['c', 'Thursday 15:00 works. Can you also send the security questionnaire?'],
      ['a', 'Booked! The questionnaire is attached to the calendar invite.'],
    ],
  },
  {
    subject: 'Package arrived damaged',
    customer: ['Kwame Mensah', 'kwame.mensah@example.com'],
    mailbox: 'support',
    daysAgo: 12,
    status: 'resolved',
    priority: 'normal',
    assignee: 1,
    tags: ['shipping', 'refund'],
    thread: [
      ['c', 'The box was crushed and the headset inside is cracked. Order #58213.'],
      ['a', 'Sorry to hear that, Kwame. Could you send a photo of the box and the headset?'],
      ['c', 'Photos attached.'],
      ['a', 'Thanks! A replacement ships today, no need to return the damaged one.'],
      ['c', 'Got it, works perfectly. Thanks!'],
    ],
  },
  {
    subject: 'Feature request: dark mode',
    customer: ['Zoe Fischer', 'zoe@example.net'],
    mailbox: 'support',
    daysAgo: 20,
    status: 'closed',
    priority: 'low',
    assignee: 2,
    tags: ['feature-request'],
    thread: [
      ['c', 'Love the product! Any plans for a dark mode? My eyes would thank you.'],
      ['a', 'Thanks Zoe! Dark mode is on our roadmap for this quarter; I added your vote.'],
    ],
  },
  {
    subject: 'API returns 500 on /v1/contacts',
    customer: ['Diego Silva', 'diego@acme-corp.example'],
    mailbox: 'support',
    daysAgo: 1,
    status: 'open',
    priority: 'urgent',
    assignee: 0,
    tags: ['bug', 'integration', 'vip'],
    thread: [
      ['c', 'Since this morning every POST to /v1/contacts returns HTTP 500. Our CRM sync is down.'],
      ['n', 'VIP account (enterprise). Paging the on-call engineer.'],
      [
        'a',
        'Hi Diego, we are on it: an index migration is running on the contacts service. I will update you within the hour.',
      ],
      ['c', 'Any news? Still failing.'],
    ],
  },
  {
    subject: 'How do I add a teammate?',
    customer: ['Grace Okafor', 'grace.okafor@example.net'],
    mailbox: 'support',
    daysAgo: 9,
    status: 'resolved',
    priority: 'low',
    assignee: 1,
    tags: ['onboarding'],
    thread: [
      ['c', 'Where do I invite a colleague to our workspace?'],
      ['a', 'Hi Grace, go to Settings → Members and click "Invite". They will get an email with a link.'],
      ['c', 'Found it, thanks!'],
    ],
  },
  {
    subject: 'Cancel my subscription',
    customer: ['Oscar Larsen', 'oscar@umbrella.example'],
    mailbox: 'billing',
    daysAgo: 4,
    status: 'open',
    priority: 'normal',
    assignee: null,
    tags: ['churn-risk', 'billing'],
    thread: [
      [
        'c',
        'Please cancel our subscription at the end of the billing period. The tool is too expensive for us now.',
      ],
    ],
  },
  {
    subject: 'Phone call: wrong VAT number on invoices',
    customer: ['Ingrid Johansson', 'ingrid@example.org'],
    mailbox: 'billing',
    daysAgo: 15,
    status: 'closed',
    priority: 'normal',
    assignee: 2,
    tags: ['billing'],
    channel: 'phone',
    thread: [
      ['c', 'Customer called: our VAT number on the last three invoices is SE5566 instead of SE5567.'],
      [
        'a',
        'Hi Ingrid, as discussed on the phone, the VAT number is corrected and the three invoices are reissued.',
      ],
    ],
  },
]

const SHORT_SUBJECTS = [
  'Password reset email never arrives',
  'Calendar sync shows events an hour late',
  'Discount code not applied',
  'Mobile app crashes on startup',
  'Invoice address needs updating',
  'Import from CSV skips rows',
  'Slow dashboard loading',
  'Where is my order?',
  'Change the account owner',
  'Webhook signature mismatch',
  'Emails land in spam',
  'Refund for unused seats',
  'Single sign-on setup with Okta',
  'Attachment will not open',
  'Upgrade to annual plan',
  'Delete my data (GDPR)',
  'Search does not find old tickets',
  'Report numbers look wrong',
  'Add a second billing contact',
  'Notification emails stopped',
  'Wrong timezone in reports',
  'Trial extension request',
  'Integration with Slack disconnected',
  'Locked out after too many attempts',
]
const SHORT_CUSTOMERS: Array<[string, string]> = [
  ['Liam Brown', 'liam.brown@example.com'],
  ['Mia Kowalski', 'mia.k@example.org'],
  ['Amir Haddad', 'amir@northwind.example'],
  ['Sofia Costa', 'sofia.costa@example.com'],
  ['Felix Weber', 'felix@globex.example'],
  ['Nora Andersen', 'nora@hooli.example'],
  ['Ravi Patel', 'ravi.patel@initech.example'],
  ['Clara Dubois', 'clara@example.net'],
  ['Samuel Kim', 'sam.kim@example.net'],
  ['Leila Moreau', 'leila@acme-corp.example'],
  ['Viktor Novak', 'viktor.novak@example.com'],
  ['Julia Reyes', 'julia@umbrella.example'],
]
const STATUSES = ['open', 'pending', 'resolved', 'closed', 'open', 'resolved'] as const
const PRIORITIES = ['normal', 'low', 'high', 'normal', 'urgent', 'normal'] as const
const TAG_SETS = [[], ['bug'], ['billing'], [], ['login'], ['integration'], ['mobile'], []]

/** Short conversations to fill the queue: one to three messages each, spread over four weeks. */
export function shortDemoTickets(): DemoTicket[] {
  return SHORT_SUBJECTS.map((subject, i) => {
    const customer = SHORT_CUSTOMERS[i % SHORT_CUSTOMERS.length]
    const first = customer[0].split(' ')[0]
    const thread: DemoEntry[] = [['c', `Hello, ${subject.toLowerCase()}. Can you help? Thanks, ${first}`]]
    if (i % 3 !== 0)
      thread.push([
        'a',
        `Hi ${first}, thanks for reaching out. I am looking into it and will get back to you shortly.`,
      ])
    if (i % 4 === 1) thread.push(['c', 'Thanks, any update?'])
    if (i % 5 === 2) thread.push(['n', 'Checked the logs, nothing unusual. Asking engineering.'])
    return {
      subject,
      customer,
      mailbox: i % 4 === 1 ? 'billing' : i % 7 === 3 ? 'sales' : 'support',
      daysAgo: 0.5 + ((i * 11) % 28),
      status: i % 3 === 0 ? 'open' : STATUSES[i % STATUSES.length],
      priority: PRIORITIES[i % PRIORITIES.length],
      assignee: i % 3 === 0 ? null : i % 3,
      tags: TAG_SETS[i % TAG_SETS.length],
      thread,
    }
  })
}
