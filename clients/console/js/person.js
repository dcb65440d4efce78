// The person's page: where their care stands (who leads, open loops,
// agreed or not), the crisis plan where someone at 3 am finds it first
// (opened in an emergency by a team not on the care team), the care plan
// by section, the care team with history, protecting the record
// (record_access.js), and the timeline.
import { call, get, carePlan, ApiError } from './api.js';
import {
  h, show, loading, errorBox, nameSpan, link, urgencyBadge, words, timeElement,
  dateText, button, named, busy,
} from './ui.js';
import { emergencyAccess, recordProtection } from './record_access.js';

const RECORD = 'record.v1.RecordService';
const TIMELINE_PAGE = 30;

// What the plan leaves out for the reader's team (the person's sharing
// choices, or a team not yet on the care team reading before it answers a
// referral or handover): said so, never shown as empty.
function withheld(plan, part) {
  return (plan.withheld || []).includes(part);
}
const NOT_SHOWN = 'Not shown to your team.';
function notShown() {
  return h('p', { class: 'not-shown' }, NOT_SHOWN);
}

export function personLine(person) {
  if (!person || !person.name) return null;
  return h('p', { class: 'person-line' },
      person.birthDate ? `Born ${person.birthDate}` : '',
      person.nhsNumber ? ` · NHS number ${person.nhsNumber}` : '');
}

function summarySection(summary) {
  const loops = summary.openLoops || [];
  return h('section', { 'aria-labelledby': 'summary-heading', class: 'card summary' },
      h('h2', { id: 'summary-heading' }, 'Where care stands'),
      // The care plan part is for teams on the care team: said so, never
      // shown as nobody leading and no crisis plan.
      summary.carePlanVisible ? null : h('p', { class: 'not-shown', id: 'summary-not-shown' },
          'Who leads and where the care plan stands are shown to the person’s care team only.'),
      summary.carePlanVisible && h('dl', { class: 'facts' },
          h('dt', {}, 'Who leads'),
          h('dd', {}, summary.leadTeam ? [nameSpan(summary.leadTeam), ' since ', timeElement(summary.leadSince)] :
            h('strong', { class: 'warning' }, 'Nobody leads care')),
          h('dt', {}, 'Care plan'),
          h('dd', {}, summary.carePlanVersion && summary.carePlanVersion !== '0' ?
            [`Version ${summary.carePlanVersion}, `, summary.agreed ?
              ['agreed with the person ', timeElement(summary.agreeTime)] :
              h('strong', { class: 'warning' }, 'not agreed with the person')] : 'No care plan yet'),
          h('dt', {}, 'Crisis plan'),
          h('dd', {}, summary.hasCrisisPlan ? 'Yes, below' : h('strong', { class: 'warning' }, 'None recorded')),
          summary.reviewTime ? [h('dt', {}, 'Review'), h('dd', {}, timeElement(summary.reviewTime))] : null),
      h('h3', {}, `Open hand-offs (${loops.length})`),
      loops.length ? h('ul', { class: 'loops' }, loops.map((loop) => h('li', {},
          link(`#/${loop.resource}`, loop.resource.startsWith('referrals/') ? 'Referral' : 'Handover'),
          ' from ', nameSpan(loop.sendingTeam), ' to ', nameSpan(loop.receivingTeam), ' ',
          urgencyBadge(loop.urgency), ' ', words(loop.state), ' since ', timeElement(loop.since),
          loop.overdue ? [' ', h('span', { class: 'badge overdue' }, 'Overdue')] : null))) :
        h('p', {}, 'No referral or handover is waiting.'),
      (summary.gaps || []).length ? [h('h3', {}, 'Care gaps'), h('ul', {}, summary.gaps.map((gap) =>
        h('li', {}, h('strong', {}, words(gap.kind)), ': ', gap.detail)))] : null,
      summary.freshness && summary.freshness.caughtUp === false ?
        h('p', { class: 'note' }, 'This view is catching up with recent changes.') : null);
}

function crisisSection(plan) {
  const crisis = (plan && plan.crisisPlan) || {};
  const rows = [
    ['Early warning signs', crisis.earlyWarningSigns],
    ['Triggers', crisis.triggers],
    ['What helps', crisis.whatHelps],
    ['What to avoid', crisis.whatToAvoid],
    ['How the person would like us to respond', crisis.preferredResponse],
    ['Advance statements', crisis.advanceStatements],
  ].filter(([, text]) => text);
  const contacts = crisis.contacts || [];
  return h('section', { 'aria-labelledby': 'crisis-heading', class: 'card crisis', id: 'crisis-plan' },
      h('h2', { id: 'crisis-heading' }, 'Crisis plan'),
      rows.length || contacts.length ? [
        h('dl', { class: 'facts' }, rows.map(([term, text]) =>
          [h('dt', {}, term), h('dd', { class: 'prose' }, text)])),
        contacts.length ? [h('h3', {}, 'Who to contact'), h('ul', {}, contacts.map((c) => h('li', {},
            h('strong', {}, c.name), c.relationship ? ` (${c.relationship})` : '',
            c.howToContact ? `: ${c.howToContact}` : '', c.whenToContact ? `. When: ${c.whenToContact}` : '')))] : null,
        withheld(plan, 'SHARED_CRISIS_PLAN') ?
          h('p', { class: 'not-shown' }, 'The person shares part of their crisis plan with your team: ' +
              'what helps, what to avoid and how they would like us to respond.') : null,
      ] : withheld(plan, 'SHARED_CRISIS_PLAN') ? notShown() :
        h('p', {}, 'No crisis plan has been written yet.'));
}

function planSections(plan) {
  const goals = plan.goals || [];
  const actions = plan.actions || [];
  const prefs = plan.communicationPreferences || {};
  return [
    h('section', { 'aria-labelledby': 'goals-heading', class: 'card' },
        h('h2', { id: 'goals-heading' }, 'Goals, in the person’s words'),
        goals.length ? h('ul', {}, goals.map((g) => h('li', {}, g.description, ' ',
            h('span', { class: 'tag' }, words(g.status || 'ACTIVE')),
            g.targetDate ? ` · by ${dateText(g.targetDate)}` : ''))) :
          withheld(plan, 'SHARED_GOALS') ? notShown() : h('p', {}, 'No goals yet.')),
    h('section', { 'aria-labelledby': 'actions-heading', class: 'card' },
        h('h2', { id: 'actions-heading' }, 'Actions'),
        actions.length ? h('ul', {}, actions.map((a) => h('li', {}, a.description, ' · ',
            nameSpan(a.owningTeam), ' ', h('span', { class: 'tag' }, words(a.status || 'NOT_STARTED')),
            a.dueDate ? ` · due ${dateText(a.dueDate)}` : ''))) :
          withheld(plan, 'SHARED_ALL_ACTIONS') ? notShown() : h('p', {}, 'No actions yet.')),
    h('section', { 'aria-labelledby': 'prefs-heading', class: 'card' },
        h('h2', { id: 'prefs-heading' }, 'How the person likes to be contacted'),
        (prefs.contactMethods || []).length || prefs.contactTimes || prefs.interpreterLanguage ||
        prefs.accessibilityNeeds ? h('ul', {},
            (prefs.contactMethods || []).length ? h('li', {}, prefs.contactMethods.map(words).join(', ')) : null,
            prefs.contactTimes ? h('li', {}, 'When: ', prefs.contactTimes) : null,
            prefs.interpreterLanguage ? h('li', {}, 'Interpreter: ', prefs.interpreterLanguage) : null,
            prefs.accessibilityNeeds ? h('li', {}, 'Access needs: ', prefs.accessibilityNeeds) : null) :
          withheld(plan, 'SHARED_COMMUNICATION_PREFERENCES') ? notShown() : h('p', {}, 'Not recorded yet.'),
        plan.reviewDate ? h('p', {}, `Next review: ${dateText(plan.reviewDate)}`) : null),
  ];
}

function careTeamSection(plan) {
  const members = [...(plan.careTeam || [])].sort((a, b) =>
    Boolean(a.endTime) - Boolean(b.endTime) || (b.startTime || '').localeCompare(a.startTime || ''));
  return h('section', { 'aria-labelledby': 'team-heading', class: 'card' },
      h('h2', { id: 'team-heading' }, 'Care team'),
      members.length ? h('table', {},
          h('caption', { class: 'visually-hidden' }, 'Teams involved, now and before'),
          h('thead', {}, h('tr', {}, ['Team', 'Role', 'From', 'Until'].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', {}, members.map((m) => h('tr', {},
              h('td', {}, nameSpan(m.team), m.lead ? [' ', h('span', { class: 'tag' }, 'Leads')] : ''),
              h('td', {}, m.role || ''), h('td', {}, timeElement(m.startTime)),
              h('td', {}, m.endTime ? timeElement(m.endTime) : 'Now'))))) :
        withheld(plan, 'SHARED_CARE_TEAM') ? notShown() : h('p', {}, 'No team is on the care team yet.'));
}

function timelineSection(person) {
  const list = h('ol', { class: 'timeline' });
  const more = button('Show earlier', null);
  let pageToken = '';
  async function load() {
    const page = await call(RECORD, 'ListTimelineEntries',
        { parent: person, newestFirst: true, pageSize: TIMELINE_PAGE, pageToken });
    for (const entry of page.entries || []) {
      list.append(h('li', {}, timeElement(entry.time), ' ', h('strong', {}, named(entry.summary)),
          entry.actorTeam ? [' · ', nameSpan(entry.actorTeam)] : '',
          entry.reason ? h('p', { class: 'prose' }, named(entry.reason)) : null));
    }
    pageToken = page.nextPageToken || '';
    more.hidden = !pageToken;
  }
  more.addEventListener('click', () => busy(more, section, load));
  const section = h('section', { 'aria-labelledby': 'timeline-heading', class: 'card' },
      h('h2', { id: 'timeline-heading' }, 'Timeline'), list, more);
  load().catch((e) => section.append(errorBox(e)));
  return section;
}

export async function showPerson(me, id) {
  const name = `persons/${id}`;
  show(h('h1', {}, 'Person'), loading('the record'));
  const [person, summary, plan] = await Promise.all([
    get(name).catch(() => null),
    call(RECORD, 'GetCareSummary', { name: `${name}/careSummary` }).catch((e) => e),
    carePlan(name).catch((e) => e),
  ]);
  if (person && person.mergedInto) {
    // Registered twice and merged: nothing is done here any more; the page
    // says where the person's record is.
    const kept = person.mergedInto.split('/')[1];
    show(
        h('h1', {}, nameSpan(name)),
        personLine(person),
        h('div', { class: 'card', id: 'merged', role: 'status' },
            h('h2', {}, 'Registered twice'),
            h('p', {}, 'This registration was merged into ', nameSpan(person.mergedInto),
                person.mergeTime ? [' on ', timeElement(person.mergeTime)] : '',
                '. Their care is recorded there.'),
            link(`#/persons/${kept}`, 'Open the record in use')));
    return;
  }
  const planReadable = !(plan instanceof Error);
  const refused = plan instanceof ApiError && plan.code === 'PERMISSION_DENIED';
  // A team not on the care team reads the crisis plan while a referral or
  // handover waits for its answer; it does not write the plan.
  const onCareTeam = planReadable && (plan.leadTeam === me.team ||
      (plan.careTeam || []).some((m) => m.team === me.team && !m.endTime) ||
      (withheld(plan, 'SHARED_CARE_TEAM') && !withheld(plan, 'SHARED_GOALS')));
  const actions = h('div', { class: 'actions' },
      onCareTeam ? link(`#/persons/${id}/plan`, 'Edit the care plan') : null,
      onCareTeam && plan.version && plan.version !== '0' ? link(`#/persons/${id}/agreement`, 'Record the person’s agreement') : null,
      link(`#/persons/${id}/handover`, 'Write a handover'),
      link(`#/refer?person=${id}`, 'Refer'));
  actions.querySelectorAll('a').forEach((a) => a.classList.add('button'));
  show(
      h('h1', {}, person ? nameSpan(name) : 'Person'),
      personLine(person),
      actions,
      summary instanceof Error ? errorBox(summary) : summarySection(summary),
      planReadable && !onCareTeam ? h('p', { class: 'note', id: 'before-answering' },
          'Your team is not on this person’s care team. While a referral or handover waits for your ' +
          'answer you see their crisis plan and how they like to be contacted; the rest stays with ' +
          'their care team. After you open their crisis plan in an emergency, you see it for 4 hours.') : null,
      planReadable ? [crisisSection(plan), planSections(plan), careTeamSection(plan)] :
        h('div', { class: 'card' }, h('h2', {}, 'Care plan'),
            refused ?
              h('p', {}, 'Your team is not on this person’s care team, so the care plan is not shown. ' +
                'A team with a pending referral or handover sees the crisis plan.') : errorBox(plan)),
      refused ? emergencyAccess(me, name, crisisSection) : null,
      recordProtection(me, name, planReadable ? plan.leadTeam : summary.leadTeam),
      timelineSection(name));
}
