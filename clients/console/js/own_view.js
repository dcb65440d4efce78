// The person's own view, signed in with their own token: their plan in
// plain words, their agreement and comment, and who has looked at their
// record.
import { call, get, listAll, ApiError } from './api.js';
import {
  h, show, loading, errorBox, nameSpan, words, timeElement, dateText, field, textarea,
  busy, announce, nodes, named,
} from './ui.js';

// What each kind of call did, in plain words.
const DID = {
  GetCarePlan: 'read your care plan', UpdateCarePlan: 'changed your care plan',
  RecordAgreement: 'recorded your agreement', GetCareSummary: 'read your care summary',
  ListTimelineEntries: 'read your timeline', WatchTimeline: 'followed your timeline',
  ListCarePlanVersions: 'read earlier versions of your plan',
  GetCarePlanVersion: 'read an earlier version of your plan', DiffCarePlanVersions: 'compared versions of your plan',
  BreakGlass: 'opened your crisis plan in an emergency', GetPerson: 'read your registration details',
  GetReferral: 'read a referral about you', GetHandover: 'read a handover about you',
  CreateReferral: 'referred you', CreateHandover: 'handed over your care',
  ListAccesses: 'looked at who has seen your record', IssuePersonToken: 'gave you access to your record',
  RevokePersonTokens: 'ended your access to your record (a new one can be given)',
  GetSharingChoices: 'read your sharing choices', UpdateSharingChoices: 'changed your sharing choices',
  AcceptHandover: 'accepted a handover of your care', DeclineHandover: 'declined a handover of your care',
  AcceptReferral: 'accepted a referral for you', DeclineReferral: 'declined a referral for you',
  AcknowledgeReferral: 'acknowledged a referral for you', RedirectReferral: 'redirected a referral for you',
  AddCareTeamMember: 'joined your care team', EndCareTeamInvolvement: 'left your care team',
  SetLeadTeam: 'changed who leads your care', ListBreakGlassAccesses: 'looked at emergency accesses',
  ReviewBreakGlassAccess: 'reviewed an emergency access to your crisis plan',
  FindPersons: 'looked you up', ListReferrals: 'listed referrals about you', ListHandovers: 'listed handovers about you',
  Subscribe: 'received updates about you',
};

// The parts of the plan a read returned when it was not all of it (the
// access's `sections`: `goals,what_helps`), in plain words.
const PARTS = {
  goals: 'your goals', all_actions: 'the actions', own_actions: "their team's actions",
  crisis_plan: 'your crisis plan', what_helps: 'what helps you',
  communication_preferences: 'how you like to be contacted', review_date: 'the review date',
  care_team: 'who is in your care team', agreement: 'your agreement',
};
function partsShown(sections) {
  if (!sections || sections === 'whole plan' || sections.startsWith('events')) return '';
  if (sections === 'none') return ' (only that it exists)';
  return ` (only ${sections.split(',').map((part) => PARTS[part] || part.replace(/_/g, ' ')).join(', ')})`;
}

// Whom a service's access was for (`members/m1 (teams/t1, clinician)`):
// their team, or the person themselves.
function requesterOf(access) {
  const [subject, detail] = (access.onBehalfOf || '').split(' (');
  if (!subject) return null;
  const team = (detail || '').split(/[,)]/)[0];
  return { subject, team: team.startsWith('teams/') ? team : '' };
}

// Why, as the audit log keeps it, in plain words: an emergency access
// (break-glass) and its review said so; any other reason as it is.
function why(reason) {
  if (reason.startsWith('break-glass: ')) {
    return [h('strong', {}, 'Emergency access: '), reason.slice('break-glass: '.length)];
  }
  const review = reason.match(/^break-glass review, (JUSTIFIED|NOT_JUSTIFIED): ([\s\S]*)$/);
  if (review) return [h('strong', {}, `Reviewed, ${words(review[1]).toLowerCase()}: `), review[2]];
  return [h('strong', {}, 'Why: '), named(reason)];
}

// Accesses as who did what, each once with how many times and when last
// (newest first); one with a reason (an emergency access) always on its
// own line, with why; one refused said so. A service's access made for a
// team (the directory reading your care summary to answer a clinician) is
// that team's.
function grouped(accesses, me) {
  const rows = [];
  const byKey = new Map();
  for (const access of accesses) {
    const method = (access.method || '').split(/[./]/).pop();
    const what = (DID[method] || method.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()) +
      partsShown(access.sections);
    const service = (access.actor || '').startsWith('services/');
    const requester = service ? requesterOf(access) : null;
    const actor = requester ? requester.subject : access.actor;
    const team = requester ? requester.team : access.team;
    const refused = Boolean(access.outcome) && access.outcome !== 'OK';
    const key = `${service && !requester ? 'services' : team || actor}|${what}|${refused}`;
    const seen = byKey.get(key);
    if (seen && !access.reason) {
      seen.times += 1;
      continue;
    }
    const row = {
      key, what, time: access.time, times: 1, reason: access.reason, refused,
      who: actor === me.subject ? 'You' :
        service && !requester ? 'carebridge itself (automatic)' :
          nameSpan(team || actor, 'a care team'),
    };
    if (!access.reason) byKey.set(key, row);
    rows.push(row);
  }
  return rows;
}

export async function showOwnView(me) {
  if (me.role !== 'person') {
    location.hash = '#/inbox';
    return;
  }
  show(h('h1', {}, 'My care plan'), loading('your plan'));
  let plan;
  try {
    plan = await get(`${me.subject}/carePlan`);
  } catch (e) {
    show(h('h1', {}, 'My care plan'), e instanceof ApiError && e.code === 'NOT_FOUND' ?
      h('p', {}, 'You do not have a care plan yet.') : errorBox(e));
    return;
  }
  const crisis = plan.crisisPlan || {};
  const comment = textarea('', { name: 'comment', rows: 4 });
  const agree = h('button', { type: 'submit', class: 'primary' }, 'I agree with my plan');
  const form = h('form', { class: 'card', novalidate: true, 'aria-labelledby': 'agree-heading' },
      h('h2', { id: 'agree-heading' }, 'Do you agree with this plan?'),
      plan.agreed ? h('p', {}, 'You agreed with it ', timeElement(plan.agreement?.agreeTime), '.') :
        h('p', {}, 'You have not said yet whether you agree with this version.'),
      field('Anything you want to say about it (optional)', comment,
          'Your care team will read this with your agreement.'),
      agree);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(agree, form, async () => {
      await call('careplan.v1.CarePlanService', 'RecordAgreement',
          { name: plan.name, version: plan.version, personComment: comment.value.trim() });
      announce('Thank you. Your agreement is recorded.');
      await showOwnView(me);
    });
  });
  const accesses = h('section', { class: 'card', 'aria-labelledby': 'viewed-heading' },
      h('h2', { id: 'viewed-heading' }, 'Who has looked at your record'), loading('the list'));
  listAll('audit.v1.AuditService', 'ListAccesses', { person: me.subject }, 'accesses', 5000)
      .then((list) => {
        const rows = grouped(list, me);
        accesses.replaceChildren(...nodes(accesses.firstChild, rows.length ? h('table', {},
            h('caption', { class: 'visually-hidden' }, 'Who looked at or changed your record, newest first'),
            h('thead', {}, h('tr', {}, ['When', 'Who', 'What'].map((t) => h('th', { scope: 'col' }, t)))),
            h('tbody', {}, rows.map((row) => h('tr', {},
                h('td', {}, row.times > 1 ? 'Last ' : '', timeElement(row.time)),
                h('td', {}, row.who),
                h('td', {}, row.what, row.times > 1 ? ` (${row.times} times)` : '',
                    row.reason ? h('p', {}, why(row.reason)) : null,
                    row.refused ? h('p', {}, h('strong', {}, 'Refused:'), ' nothing was shown or changed.') : null))))) :
          h('p', {}, 'Nobody yet.')));
      })
      .catch((e) => accesses.replaceChildren(accesses.firstChild, errorBox(e)));
  show(
      h('h1', {}, 'My care plan'),
      h('section', { class: 'card', 'aria-labelledby': 'goals-heading' },
          h('h2', { id: 'goals-heading' }, 'What matters to me'),
          (plan.goals || []).length ? h('ul', {}, plan.goals.map((g) => h('li', {}, g.description,
              g.status && g.status !== 'ACTIVE' ? ` (${words(g.status).toLowerCase()})` : ''))) :
            h('p', {}, 'Nothing written yet.')),
      h('section', { class: 'card', 'aria-labelledby': 'actions-heading' },
          h('h2', { id: 'actions-heading' }, 'What will happen, and who does it'),
          (plan.actions || []).length ? h('ul', {}, plan.actions.map((a) => h('li', {}, a.description,
              a.owningTeam ? [' (', nameSpan(a.owningTeam, 'one of your care teams'), ')'] : '',
              a.dueDate ? `, by ${dateText(a.dueDate)}` : ''))) : h('p', {}, 'Nothing written yet.')),
      h('section', { class: 'card crisis', 'aria-labelledby': 'crisis-heading' },
          h('h2', { id: 'crisis-heading' }, 'If things get hard'),
          h('dl', { class: 'facts' },
              [['Signs that things are getting harder', crisis.earlyWarningSigns],
                ['What can set things off', crisis.triggers], ['What helps me', crisis.whatHelps],
                ['What does not help', crisis.whatToAvoid], ['What I would like people to do', crisis.preferredResponse]]
                  .filter(([, text]) => text).map(([term, text]) => [h('dt', {}, term), h('dd', {}, text)])),
          (crisis.contacts || []).length ? h('ul', {}, crisis.contacts.map((c) => h('li', {},
              `${c.name}${c.relationship ? ` (${c.relationship})` : ''}${c.howToContact ? `: ${c.howToContact}` : ''}`))) : null),
      plan.reviewDate ? h('p', {}, `We will look at this plan together again by ${dateText(plan.reviewDate)}.`) : null,
      form, accesses);
}
