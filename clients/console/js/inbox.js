// The team inbox: what needs the team now (referrals and handovers to it,
// care gaps), and answers to what it sent; overdue first, then the most
// urgent, then the newest. Live: the record service's inbox stream says
// when something changed, and the lists are read again.
import { listAll, followInbox } from './api.js';
import {
  h, show, loading, errorBox, nameSpan, link, idOf, urgencyBadge, urgencyRank,
  words, timeElement, span, announce, nodes, nameOf, button,
} from './ui.js';
import { onLeave } from './app.js';

const RECENT_ANSWERS = 10;
const ANSWERS_READ = 10000;
// Everything waiting is shown, up to this many of each kind.
const WAITING_READ = 10000;

// What each kind of inbox item says, before the person's name.
const PHRASES = {
  'inbox.referral_received': 'New referral for',
  'inbox.referral_withdrawn': 'Referral withdrawn for',
  'inbox.referral_answered': 'Answer to your referral for',
  'inbox.handover_received': 'New handover of',
  'inbox.handover_cancelled': 'Handover cancelled for',
  'inbox.handover_answered': 'Answer to your handover of',
  'inbox.escalated': 'Overdue, escalated:',
  'inbox.gap_opened': 'Care gap opened for',
  'inbox.gap_closed': 'Care gap closed for',
};

function byNeed(a, b) {
  if (Boolean(a.overdue) !== Boolean(b.overdue)) return a.overdue ? -1 : 1;
  const urgency = urgencyRank(b.urgency) - urgencyRank(a.urgency);
  if (urgency !== 0) return urgency;
  return (b.createTime || '').localeCompare(a.createTime || '');
}

function dueLine(item) {
  if (!item.responseDueTime) return null;
  const left = new Date(item.responseDueTime) - Date.now();
  if (item.overdue || left < 0) {
    return h('p', { class: 'overdue-line' },
        h('span', { class: 'badge overdue' }, 'Overdue'),
        ` by ${span(left)}: an answer was due `, timeElement(item.responseDueTime));
  }
  return h('p', { class: 'due' }, `Answer due in ${span(left)} (`,
      timeElement(item.responseDueTime), ')');
}

function referralItem(referral) {
  return h('li', {
    class: `item${referral.overdue ? ' is-overdue' : ''}`,
    'data-resource': referral.name,
  },
  h('h3', {}, link(`#/referrals/${idOf(referral.name)}`,
      'Referral for ', nameSpan(referral.person))),
  h('p', {}, urgencyBadge(referral.urgency), ' from ', nameSpan(referral.sendingTeam),
      ', sent ', timeElement(referral.createTime), ' · ', words(referral.state)),
  dueLine(referral),
  h('p', { class: 'excerpt' }, referral.reason));
}

function handoverItem(handover) {
  return h('li', {
    class: `item${handover.overdue ? ' is-overdue' : ''}`,
    'data-resource': handover.name,
  },
  h('h3', {}, link(`#/handovers/${idOf(handover.name)}`,
      'Handover of ', nameSpan(handover.person))),
  h('p', {}, urgencyBadge(handover.urgency), ` ${words(handover.kind)} from `,
      nameSpan(handover.sendingTeam), ', sent ', timeElement(handover.createTime)),
  dueLine(handover),
  h('p', { class: 'excerpt' }, handover.situation));
}

function answerItem(answer) {
  const isReferral = answer.name.startsWith('referrals/');
  const route = answer.onwardRoute || {};
  return h('li', { class: 'item', 'data-resource': answer.name },
      h('h3', {}, link(`#/${isReferral ? 'referrals' : 'handovers'}/${idOf(answer.name)}`,
          isReferral ? 'Referral for ' : 'Handover of ', nameSpan(answer.person))),
      h('p', {}, h('strong', {}, words(answer.state)), ' by ', nameSpan(answer.receivingTeam),
          ', ', timeElement(answer.updateTime)),
      route.signposting ? h('p', {}, 'Signposted to: ', route.signposting) : null,
      route.suggestedTeam ? h('p', {}, 'Suggested team: ', nameSpan(route.suggestedTeam)) : null);
}

function gapItem(gap) {
  return h('li', { class: 'item gap', 'data-resource': gap.name },
      h('h3', {}, link(`#/persons/${idOf(gap.person)}`, nameSpan(gap.person))),
      h('p', {}, h('strong', {}, words(gap.kind)), ': ', gap.detail),
      h('p', {}, 'Since ', timeElement(gap.openTime)));
}

// Items shown in a section before "Show all": the most pressing come first,
// and a page of thousands would be slow to draw and to read.
const SHOWN_FIRST = 100;

function section(title, id, items, render, empty, expanded) {
  const list = h('ul', { class: 'items' }, items.slice(0, expanded.has(id) ? items.length : SHOWN_FIRST).map(render));
  const rest = items.length - list.children.length;
  const more = rest > 0 ? button(`Show all ${items.length}`, () => {
    expanded.add(id);
    list.append(...items.slice(list.children.length).map(render));
    more.remove();
    announce(`Showing all ${items.length}`);
  }) : null;
  return h('section', { 'aria-labelledby': id, class: 'inbox-section' },
      h('h2', { id }, `${title} `, h('span', { class: 'count' }, `(${items.length})`)),
      items.length ? [list, more] : h('p', { class: 'empty' }, empty));
}

// The inbox's lists, each read through in full.
const LISTS = {
  referrals: () => listAll('referral.v1.ReferralService', 'ListReferrals',
      { mailbox: 'INBOX', states: ['SENT', 'ACKNOWLEDGED'] }, 'referrals', WAITING_READ)
      .then((list) => list.sort(byNeed)),
  handovers: () => listAll('handover.v1.HandoverService', 'ListHandovers',
      { mailbox: 'INBOX', states: ['PENDING'] }, 'handovers', WAITING_READ)
      .then((list) => list.sort(byNeed)),
  // Lists come oldest first: read them through for the newest answers.
  answers: () => Promise.all([
    listAll('referral.v1.ReferralService', 'ListReferrals',
        { mailbox: 'SENT_BY_TEAM', states: ['ACCEPTED', 'DECLINED', 'REDIRECTED'] }, 'referrals', ANSWERS_READ),
    listAll('handover.v1.HandoverService', 'ListHandovers',
        { mailbox: 'SENT_BY_TEAM', states: ['ACCEPTED', 'DECLINED'] }, 'handovers', ANSWERS_READ),
  ]).then(([sent, sentHandovers]) => [...sent, ...sentHandovers]
      .sort((a, b) => (b.updateTime || '').localeCompare(a.updateTime || ''))
      .slice(0, RECENT_ANSWERS)),
  gaps: (team) => listAll('record.v1.RecordService', 'ListCareGaps', { parent: team }, 'gaps', WAITING_READ)
      .catch(() => []),
};

// Which lists an inbox event can change (every list for one not known).
const CHANGES = {
  'inbox.referral_received': ['referrals'],
  'inbox.referral_withdrawn': ['referrals'],
  'inbox.referral_answered': ['answers'],
  'inbox.handover_received': ['handovers'],
  'inbox.handover_cancelled': ['handovers'],
  'inbox.handover_answered': ['answers'],
  'inbox.escalated': ['referrals', 'handovers'],
  'inbox.gap_opened': ['gaps'],
  'inbox.gap_closed': ['gaps'],
};

// `inbox` with the lists named in `which` read again.
async function readInbox(team, inbox, which) {
  const read = await Promise.all(which.map((list) => LISTS[list](team)));
  const next = { ...inbox };
  which.forEach((list, i) => { next[list] = read[i]; });
  return next;
}

export async function showInbox(me) {
  if (!me.team) {
    show(h('h1', {}, 'Inbox'), h('p', {}, 'You are not on a team, so there is no team inbox. ' +
        'Administrators manage teams and members with carectl.'));
    return;
  }
  const live = h('p', { class: 'live', id: 'live-state', role: 'status' }, 'Connecting…');
  const body = h('div', { id: 'inbox-body' }, loading('the inbox'));
  const latest = h('ul', { class: 'latest', 'aria-label': 'Just arrived' });
  const title = h('h1', {}, 'Inbox: ', nameSpan(me.team));
  show(title, live, latest, body);

  const ALL = Object.keys(LISTS);
  let inbox = null;
  let pending = null;
  // Lists to read again once the read under way is done.
  const waiting = new Set();
  async function refresh(which = ALL) {
    which.forEach((list) => waiting.add(list));
    if (pending) return;
    const now = inbox ? [...waiting] : ALL;
    waiting.clear();
    pending = readInbox(me.team, inbox || {}, now);
    try {
      inbox = await pending;
      render(inbox);
    } catch (e) {
      body.replaceChildren(errorBox(e));
    } finally {
      pending = null;
      if (waiting.size) refresh([]);
    }
  }

  let overdueBefore = 0;
  // Sections the user opened in full stay open across live refreshes.
  const expanded = new Set();
  function render(inbox) {
    const overdue = [...inbox.referrals, ...inbox.handovers].filter((i) => i.overdue);
    // A refresh must not take the keyboard user's place away: the focused
    // link is focused again in the new list.
    const focused = document.activeElement && body.contains(document.activeElement) ?
      document.activeElement.getAttribute('href') : null;
    if (overdue.length > overdueBefore) {
      announce(`${overdue.length} overdue: ${overdue.length === 1 ? 'an answer is' : 'answers are'} past the deadline`);
    }
    overdueBefore = overdue.length;
    body.replaceChildren(...nodes(
        overdue.length ? h('div', { class: 'overdue-banner' },
            h('strong', {}, `${overdue.length} overdue`),
            overdue.length === 1 ? ': an answer is past its deadline. ' :
                ': answers are past their deadline. ',
            'They are at the top of the list.') : null,
        section('Referrals to answer', 'referrals-heading', inbox.referrals, referralItem,
            'No referrals are waiting for an answer.', expanded),
        section('Handovers to answer', 'handovers-heading', inbox.handovers, handoverItem,
            'No handovers are waiting for an answer.', expanded),
        section('Care gaps', 'gaps-heading', inbox.gaps, gapItem,
            'Nobody your team works with is at risk of falling between services.', expanded),
        section('Answers to what we sent', 'answers-heading', inbox.answers, answerItem,
            'No answers yet.', expanded)));
    if (focused) body.querySelector(`a[href="${focused}"]`)?.focus();
    body.setAttribute('data-ready', 'true');
    performance.mark('inbox-rendered');
  }

  let connectedBefore = false;
  const stop = followInbox((event) => {
    const phrase = PHRASES[event.type] || 'Changed:';
    latest.prepend(h('li', {}, timeElement(event.time), ` ${phrase} `, nameSpan(event.person)));
    while (latest.children.length > 5) latest.lastChild.remove();
    nameOf(event.person).then((name) => announce(`${phrase} ${name}`));
    refresh(CHANGES[event.type] || ALL);
  }, (state, detail) => {
    live.textContent = state === 'live' ? 'Live: changes appear as they happen.' :
        state === 'reconnecting' ? 'Reconnecting… the list may be out of date.' :
          state === 'busy' ? 'Not live: the server has as many live inboxes open as it serves. ' +
            'The list is read again every 30 seconds.' : `Not live: ${detail}.`;
    live.className = `live ${state}`;
    // Back after a gap (or polling while busy): read the lists again for
    // anything missed. The first connection needs no second read.
    if (state === 'busy' || (state === 'live' && connectedBefore)) refresh();
    if (state === 'live') connectedBefore = true;
  });
  onLeave(stop);
  await refresh();
}
