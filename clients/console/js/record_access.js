// Protecting the record, on the person's page: opening the crisis plan in
// an emergency (break-glass) for a clinician outside the care team; the
// lead team's list of those accesses, each reviewed once; and the person's
// own access to their record, given and ended by their lead team. The
// server decides who may do each: the page offers each to those it is
// for, and shows the server's refusals in its own words.
import { call, listAll, ApiError } from './api.js';
import {
  h, nodes, loading, errorBox, nameSpan, words, when, timeElement, field, textarea, select,
  button, busy, announce, actionForm, clearErrors, errorSummary, fieldError,
} from './ui.js';

const CAREPLAN = 'careplan.v1.CarePlanService';
// Clinical staff of a team (services/common/principal.h is_clinical).
const CLINICAL = ['clinician', 'care_coordinator', 'team_lead', 'peer_support_worker'];
const OUTCOMES = ['JUSTIFIED', 'NOT_JUSTIFIED'];
const TOKEN_LIFETIMES = [['604800s', '7 days'], ['2592000s', '30 days'], ['7776000s', '90 days']];

const CLOCK = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit' });
const DAY = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short' });

// "03:48", or "03:48 on 8 Dec" when not today.
function clock(timestamp) {
  const time = new Date(timestamp);
  const today = time.toDateString() === new Date().toDateString();
  return h('time', { datetime: timestamp },
      today ? CLOCK.format(time) : `${CLOCK.format(time)} on ${DAY.format(time)}`);
}

function isClinical(me) {
  return Boolean(me.team) && CLINICAL.includes(me.role);
}

// For a clinician whose team is not on the care team: a button that asks
// why, then opens the crisis plan (BreakGlass) and shows it with how long
// it stays open. `crisisSection(access)` draws the crisis plan.
export function emergencyAccess(me, person, crisisSection) {
  if (!isClinical(me)) return null;
  const reason = textarea('', { name: 'break-glass-reason', rows: 4 });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Open the crisis plan now');
  const form = h('form', { id: 'break-glass-form', novalidate: true, hidden: true },
      field('Why do you need their crisis plan now?', reason,
          'Required. The person and their lead team read this; it is kept with the access.'),
      submit);
  const open = button('Open the crisis plan in an emergency', () => {
    form.hidden = !form.hidden;
    open.setAttribute('aria-expanded', String(!form.hidden));
    if (!form.hidden) reason.focus();
  }, { 'aria-expanded': 'false', 'aria-controls': 'break-glass-form' });
  const section = h('section', { class: 'card', id: 'emergency-access', 'aria-labelledby': 'emergency-heading' },
      h('h2', { id: 'emergency-heading' }, 'In an emergency'),
      h('p', {}, 'If you need this person’s crisis plan now to keep them safe, you can open it: the ' +
          'crisis plan only, for 4 hours. The person and their lead team are told who opened it and why, ' +
          'and the lead team reviews it.'),
      open, form);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(form);
    if (!reason.value.trim()) {
      errorSummary(form, [fieldError(reason, 'Enter why you need the crisis plan now')]);
      return;
    }
    busy(submit, form, async () => {
      let access;
      try {
        access = await call(CAREPLAN, 'BreakGlass', { name: `${person}/carePlan`, reason: reason.value.trim() });
      } catch (e) {
        // The server's word on the reason (too long, say), with the field.
        if (e instanceof ApiError && e.code === 'INVALID_ARGUMENT') {
          errorSummary(form, [fieldError(reason, e.message)]);
          return;
        }
        throw e;
      }
      const notice = h('div', { class: 'card opened', id: 'emergency-opened', tabindex: '-1' },
          h('h2', {}, 'Crisis plan opened in an emergency'),
          h('p', {}, h('strong', {}, 'Open until ', clock(access.expireTime)),
              '. After that, open it again with a reason if it is still needed.'),
          h('p', {}, access.leadTeam ?
            ['The person and their lead team, ', nameSpan(access.leadTeam),
              ', are told that you opened it and why, and the lead team will review it.'] :
            'The person is told that you opened it and why, and it will be reviewed.'),
          h('p', { class: 'prose' }, 'Your reason: ', access.reason));
      section.replaceWith(notice, crisisSection(access));
      notice.focus();
      announce(`Crisis plan opened until ${notice.querySelector('time').textContent}`);
    });
  });
  return section;
}

function reviewText(review) {
  return [h('strong', {}, words(review.outcome)), ' by ', nameSpan(review.reviewer),
    review.reviewerTeam ? [' (', nameSpan(review.reviewerTeam), ')'] : '', ', ',
    timeElement(review.reviewTime),
    h('p', { class: 'prose' }, 'What they found: ', review.reason)];
}

// Whether opening the crisis plan was justified, and what the reviewer
// found. `reload(problem, name)` draws the list again (with the server's
// refusal when someone reviewed it first) and moves focus to the access.
function reviewForm(access, reload) {
  const n = access.name.split('/').pop();
  const radios = OUTCOMES.map((outcome) => h('input',
      { type: 'radio', name: `outcome-${n}`, value: outcome, id: `outcome-${n}-${outcome}` }));
  const outcome = h('fieldset', {}, h('legend', {}, 'Was opening the crisis plan justified?'),
      radios.map((radio) => h('div', { class: 'radio' }, radio,
          h('label', { for: radio.id }, words(radio.value)))));
  const found = textarea('', { name: 'review-reason' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Record the review');
  const form = h('form', { class: 'review', novalidate: true, 'aria-labelledby': `review-${n}-heading` },
      h('h4', { id: `review-${n}-heading` }, 'Review this access'), outcome,
      field('What you found', found, 'For example, who you spoke with. The person and the lead team read this.'),
      submit);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(form);
    const chosen = radios.find((radio) => radio.checked);
    const problems = [];
    if (!chosen) {
      problems.push(fieldError(radios[0], 'Choose whether it was justified', radios[0].parentElement));
      outcome.setAttribute('aria-describedby', `${radios[0].id}-error`);
    }
    if (!found.value.trim()) problems.push(fieldError(found, 'Enter what you found'));
    if (problems.length) {
      errorSummary(form, problems);
      return;
    }
    busy(submit, form, async () => {
      try {
        await call(CAREPLAN, 'ReviewBreakGlassAccess',
            { name: access.name, outcome: chosen.value, reason: found.value.trim() });
      } catch (e) {
        // Reviewed already: the list as it is now, with the server's words.
        if (e instanceof ApiError && e.code === 'FAILED_PRECONDITION') {
          await reload(e, access.name);
          return;
        }
        throw e;
      }
      announce('Review recorded');
      await reload(null, access.name);
    });
  });
  return form;
}

function accessItem(access, reload) {
  return h('li', { class: 'access', 'data-access': access.name },
      h('h3', { tabindex: '-1' }, 'Opened ', timeElement(access.startTime), ' by ', nameSpan(access.member),
          ' of ', nameSpan(access.team)),
      h('dl', { class: 'facts' },
          h('dt', {}, 'Why'), h('dd', { class: 'prose' }, access.reason),
          h('dt', {}, 'Open until'), h('dd', {}, timeElement(access.expireTime)),
          h('dt', {}, 'Review'), h('dd', {}, access.review ? reviewText(access.review) :
            h('strong', { class: 'warning' }, 'Not reviewed yet'))),
      access.review ? null : reviewForm(access, reload));
}

// The lead team's (and admins') list of break-glass accesses to the
// person, newest first, each with its review or a form to make it.
function breakGlassReviews(person) {
  const heading = h('h2', { id: 'accesses-heading' }, 'Emergency access to the crisis plan');
  const section = h('section', { class: 'card', id: 'break-glass-accesses', 'aria-labelledby': 'accesses-heading' },
      heading, loading('emergency accesses'));
  const intro = h('p', {}, 'Each time someone outside the care team opened the crisis plan in an ' +
      'emergency. Each is reviewed once, by the lead team or an admin, never by whoever opened it.');
  async function load(problem, focusOn) {
    const accesses = await listAll(CAREPLAN, 'ListBreakGlassAccesses', { parent: person }, 'accesses', 200);
    const waiting = accesses.filter((access) => !access.review).length;
    heading.textContent = 'Emergency access to the crisis plan';
    if (waiting) heading.append(h('span', { class: 'count' }, ` (${waiting} to review)`));
    section.replaceChildren(...nodes(heading, intro,
        problem ? errorBox(problem) : null,
        accesses.length ? h('ol', { class: 'accesses' }, accesses.map((access) => accessItem(access, load))) :
          h('p', {}, 'Nobody outside the care team has opened the crisis plan in an emergency.')));
    const item = focusOn && [...section.querySelectorAll('[data-access]')]
        .find((element) => element.dataset.access === focusOn);
    if (item) item.querySelector('h3').focus();
  }
  load().catch((e) => section.replaceChildren(heading, errorBox(e)));
  return section;
}

// Copies the token: the clipboard where the page may use it, else the
// selected text.
async function copy(box) {
  try {
    await navigator.clipboard.writeText(box.value);
    return true;
  } catch (e) {
    box.focus();
    box.select();
    try {
      return document.execCommand('copy');
    } catch (x) {
      return false;
    }
  }
}

function tokenShown(issued) {
  const box = h('textarea', { id: 'person-token', name: 'person-token', readonly: true, rows: 4, class: 'token' });
  box.value = issued.token;
  const copied = h('span', { class: 'copied' });
  const copyButton = button('Copy the token', async () => {
    const done = await copy(box);
    copied.textContent = done ? 'Copied' : 'Select the token and copy it';
    announce(copied.textContent);
  });
  return [
    h('h2', { id: 'give-access-heading', tabindex: '-1' }, 'The person’s token, shown only now'),
    h('p', {}, h('strong', {}, 'This is the only time it is shown: carebridge does not keep it.'),
        ' Copy it now and give it to the person in a safe way; they sign in with it. It works until ',
        timeElement(issued.expireTime), '.'),
    field('The person’s token', box),
    copyButton, copied,
    h('p', { class: 'note' },
        'If it is lost, or someone else sees it, end their access below and give them a new one.'),
  ];
}

// For the lead team's clinical staff: giving the person a token of their
// own (shown once), and ending every token they have.
function personAccessForms(person) {
  const lifetime = select(TOKEN_LIFETIMES, '2592000s', { name: 'token-lifetime' });
  const give = actionForm('Give the person access to their record', 'give-access-heading',
      [h('p', {}, 'With a token of their own the person reads their care plan and care summary, says ' +
          'whether they agree with the plan, and sees who has looked at their record; nothing else.'),
        field('How long it works', lifetime)],
      'Give the person access to their record', async (form) => {
        const issued = await call(CAREPLAN, 'IssuePersonToken', { name: `${person}/carePlan`, ttl: lifetime.value });
        form.replaceChildren(...nodes(tokenShown(issued)));
        form.querySelector('h2').focus();
        announce('The person’s token is shown once, now');
      });
  give.id = 'give-access';

  const reason = textarea('', { name: 'end-access-reason' });
  const sure = h('input', { type: 'checkbox', id: 'end-access-confirm', name: 'end-access-confirm' });
  const result = h('div', { id: 'end-access-result' });
  const end = actionForm('End the person’s access', 'end-access-heading',
      [h('p', {}, 'Ends every token the person has been given, on every device, within a few seconds: for ' +
          'example when a phone is lost or someone else has seen their token. A new one can be given afterwards.'),
        field('Why their access is ending', reason, 'Kept with the change, and told to whoever uses an ended token.'),
        h('div', { class: 'checkbox' }, sure,
            h('label', { for: 'end-access-confirm' }, 'Yes, end the person’s access now, on every device')),
        result],
      'End the person’s access', async (form) => {
        result.replaceChildren();
        const problems = [];
        if (!reason.value.trim()) problems.push(fieldError(reason, 'Enter why their access is ending'));
        if (!sure.checked) {
          problems.push(fieldError(sure, 'Tick to confirm you want to end their access', sure.parentElement));
        }
        if (problems.length) {
          errorSummary(form, problems);
          return;
        }
        const ended = await call(CAREPLAN, 'RevokePersonTokens',
            { name: `${person}/carePlan`, reason: reason.value.trim() });
        reason.value = '';
        sure.checked = false;
        const message = 'Done. Every token the person was given before ' +
          `${when(ended.tokensValidAfter || ended.revokeTime)} has stopped working, on every device; ` +
          'they are signed out within a few seconds. A token given from now on works.';
        result.replaceChildren(h('p', { class: 'done' }, message));
        announce(message);
      }, 'danger');
  end.id = 'end-access';
  return [give, end];
}

// The sections for the person's page: the lead team (and admins) see the
// emergency accesses to review; the lead team's clinical staff give and
// end the person's own access.
export function recordProtection(me, person, leadTeam) {
  const leads = Boolean(leadTeam) && leadTeam === me.team;
  return [
    leads || me.role === 'admin' ? breakGlassReviews(person) : null,
    leads && isClinical(me) ? personAccessForms(person) : null,
  ];
}
