// The person's own view, signed in with their own token: their plan in
// plain words, their agreement and comment, and who has looked at their
// record.
import { call, get, ApiError } from './api.js';
import {
  h, show, loading, errorBox, nameSpan, words, timeElement, dateText, field, textarea,
  busy, announce,
} from './ui.js';

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
  call('audit.v1.AuditService', 'ListAccesses', { person: me.subject, pageSize: 50 })
      .then((answer) => {
        const list = answer.accesses || [];
        accesses.replaceChildren(accesses.firstChild, list.length ? h('ul', {}, list.map((a) => h('li', {},
            timeElement(a.time), ' ', a.actor === me.subject ? 'You' : nameSpan(a.team || a.actor),
            a.reason ? ` (emergency access: ${a.reason})` : ''))) : h('p', {}, 'Nobody yet.'));
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
              a.owningTeam ? [': ', nameSpan(a.owningTeam)] : '',
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
