// A referral: what was asked, and the receiving team's answer (acknowledge,
// accept, decline with a reason and an onward route, redirect); and the
// form that makes one.
import { call, get, requestId } from './api.js';
import {
  h, show, loading, errorBox, nameSpan, link, idOf, urgencyBadge, words, timeElement,
  span, field, textarea, input, button, busy, announce, clearErrors, errorSummary,
  fieldError, actionForm,
} from './ui.js';
import { teamPicker } from './teams.js';

const REFERRALS = 'referral.v1.ReferralService';
const OPEN = ['SENT', 'ACKNOWLEDGED'];

function facts(rows) {
  return h('dl', { class: 'facts' }, rows.filter(Boolean).map(([term, value]) =>
      [h('dt', {}, term), h('dd', {}, value)]));
}

function referralFacts(referral) {
  const route = referral.onwardRoute || {};
  const due = referral.responseDueTime;
  return facts([
    ['Person', link(`#/persons/${idOf(referral.person)}`, nameSpan(referral.person))],
    ['From', nameSpan(referral.sendingTeam)],
    ['To', nameSpan(referral.receivingTeam)],
    ['Urgency', urgencyBadge(referral.urgency)],
    ['Where it stands', h('strong', {}, words(referral.state))],
    ['Sent', timeElement(referral.createTime)],
    due && OPEN.includes(referral.state) ? ['Answer due', [timeElement(due),
      referral.overdue ? [' ', h('span', { class: 'badge overdue' }, 'Overdue'),
        ` by ${span(new Date(due) - Date.now())}`] : '']] : null,
    ['Reason for referral', h('p', { class: 'prose' }, referral.reason)],
    referral.personWishes ? ['What the person wants', h('p', { class: 'prose' }, referral.personWishes)] : null,
    referral.riskSummary ? ['Risk summary', h('p', { class: 'prose' }, referral.riskSummary)] : null,
    route.signposting ? ['Signposted to', route.signposting] : null,
    route.suggestedTeam ? ['Suggested team', nameSpan(route.suggestedTeam)] : null,
    referral.redirectedTo ? ['Redirected to', link(`#/referrals/${idOf(referral.redirectedTo)}`, 'the new referral')] : null,
    referral.redirectedFrom ? ['Redirected from', link(`#/referrals/${idOf(referral.redirectedFrom)}`, 'the earlier referral')] : null,
    (referral.withheldFromReceivingTeam || []).length ? ['Not shared', `The person chose not to share: ${
      referral.withheldFromReceivingTeam.map(words).join(', ')}`] : null,
  ]);
}

function history(referral) {
  return h('section', { 'aria-labelledby': 'history-heading' },
      h('h2', { id: 'history-heading' }, 'History'),
      h('ol', { class: 'history' }, (referral.history || []).map((event) => h('li', {},
          timeElement(event.time), ' ', h('strong', {}, words(event.action)), ' by ',
          nameSpan(event.actor, 'a colleague'), event.actorTeam ? [' (', nameSpan(event.actorTeam), ')'] : '',
          event.note ? [': ', event.note] : ''))));
}

async function answerForms(me, referral, reload) {
  const name = referral.name;
  const etag = referral.etag;
  const done = async (what) => {
    announce(`Referral ${what}`);
    await reload();
  };
  const forms = [];
  if (referral.state === 'SENT') {
    const note = input('', { name: 'note' });
    forms.push(actionForm('Acknowledge', 'ack-heading',
        [h('p', {}, 'Tell the sending team you have it and are looking at it.'),
          field('Note (optional)', note)],
        'Acknowledge', async () => {
          await call(REFERRALS, 'AcknowledgeReferral', { name, etag, note: note.value });
          await done('acknowledged');
        }));
  }
  const acceptNote = textarea('', { name: 'accept-note' });
  forms.push(actionForm('Accept', 'accept-heading',
      [field('Note to the sending team (optional)', acceptNote,
          'For example, who will make contact and when.')],
      'Accept the referral', async () => {
        await call(REFERRALS, 'AcceptReferral', { name, etag, note: acceptNote.value });
        await done('accepted');
      }));

  // Declining needs a reason and somewhere for the person to go.
  const reason = textarea('', { name: 'decline-reason', required: true });
  const signpost = h('input', { type: 'radio', name: 'route', value: 'signpost', id: 'route-signpost' });
  const suggest = h('input', { type: 'radio', name: 'route', value: 'team', id: 'route-team' });
  const signposting = input('', { name: 'signposting' });
  const picker = await teamPicker('Team to suggest', {
    name: 'suggested-team', exclude: [referral.receivingTeam, referral.sendingTeam],
  });
  const signpostDetail = h('div', { class: 'conditional', hidden: true },
      field('Where to signpost the person', signposting,
          'A service, helpline or group, and how to reach it.'));
  const teamDetail = h('div', { class: 'conditional', hidden: true }, picker.element);
  const reveal = () => {
    signpostDetail.hidden = !signpost.checked;
    teamDetail.hidden = !suggest.checked;
  };
  signpost.addEventListener('change', reveal);
  suggest.addEventListener('change', reveal);
  const routes = h('fieldset', { id: 'onward-route' },
      h('legend', {}, 'Onward route: where can the person go instead?'),
      h('div', { class: 'radio' }, signpost, h('label', { for: 'route-signpost' }, 'Signpost elsewhere')),
      signpostDetail,
      h('div', { class: 'radio' }, suggest, h('label', { for: 'route-team' }, 'Suggest another team')),
      teamDetail);
  forms.push(actionForm('Decline', 'decline-heading',
      [field('Reason', reason, 'The sending team and the person will read this.'), routes],
      'Decline the referral', async (form) => {
        const problems = [];
        if (!reason.value.trim()) problems.push(fieldError(reason, 'Enter the reason for declining'));
        if (!signpost.checked && !suggest.checked) {
          problems.push(fieldError(signpost, 'Choose an onward route: signpost elsewhere or suggest a team',
              signpost.parentElement));
          routes.setAttribute('aria-describedby', `${signpost.id}-error`);
        } else if (signpost.checked && !signposting.value.trim()) {
          problems.push(fieldError(signposting, 'Enter where to signpost the person'));
        } else if (suggest.checked && !picker.select.value) {
          problems.push(fieldError(picker.select, 'Choose the team to suggest'));
        }
        if (problems.length) {
          errorSummary(form, problems);
          return;
        }
        const onwardRoute = signpost.checked ?
          { signposting: signposting.value.trim() } : { suggestedTeam: picker.select.value };
        await call(REFERRALS, 'DeclineReferral', { name, etag, reason: reason.value.trim(), onwardRoute });
        await done('declined');
      }, 'danger'));

  const redirectPicker = await teamPicker('Team to send it to', {
    name: 'redirect-team', exclude: [referral.receivingTeam],
  });
  const redirectReason = textarea('', { name: 'redirect-reason' });
  forms.push(actionForm('Redirect', 'redirect-heading',
      [h('p', {}, 'Send the referral on to the team that can help; the sending team is told.'),
        redirectPicker.element, field('Why', redirectReason)],
      'Redirect the referral', async (form) => {
        const problems = [];
        if (!redirectPicker.select.value) problems.push(fieldError(redirectPicker.select, 'Choose the team to send it to'));
        if (!redirectReason.value.trim()) problems.push(fieldError(redirectReason, 'Enter why it goes there'));
        if (problems.length) {
          errorSummary(form, problems);
          return;
        }
        const answer = await call(REFERRALS, 'RedirectReferral', {
          name, etag, newReceivingTeam: redirectPicker.select.value, reason: redirectReason.value.trim(),
        });
        announce('Referral redirected');
        location.hash = `#/referrals/${idOf(answer.redirected.name)}`;
      }));
  return forms;
}

export async function showReferral(me, id) {
  show(h('h1', {}, 'Referral'), loading('the referral'));
  const reload = () => showReferral(me, id);
  let referral;
  try {
    referral = await get(`referrals/${id}`);
  } catch (e) {
    show(h('h1', {}, 'Referral'), errorBox(e));
    return;
  }
  const parts = [h('h1', {}, 'Referral for ', nameSpan(referral.person)), referralFacts(referral)];
  if (referral.receivingTeam === me.team && OPEN.includes(referral.state)) {
    parts.push(h('div', { class: 'answers' }, await answerForms(me, referral, reload)));
  } else if (referral.sendingTeam === me.team && OPEN.includes(referral.state)) {
    const reason = input('', { name: 'withdraw-reason' });
    parts.push(actionForm('Withdraw', 'withdraw-heading', [field('Why', reason)], 'Withdraw the referral',
        async () => {
          await call(REFERRALS, 'WithdrawReferral', { name: referral.name, etag: referral.etag, reason: reason.value });
          announce('Referral withdrawn');
          await reload();
        }, 'danger'));
  } else if (referral.receivingTeam === me.team && referral.state === 'ACCEPTED') {
    const note = input('', { name: 'complete-note' });
    parts.push(actionForm('Complete', 'complete-heading', [field('Note (optional)', note)], 'Mark complete',
        async () => {
          await call(REFERRALS, 'CompleteReferral', { name: referral.name, etag: referral.etag, note: note.value });
          announce('Referral completed');
          await reload();
        }));
  }
  parts.push(history(referral));
  show(...parts);
}

// Finding the person: by NHS number, or family name and date of birth.
function personFinder(onChosen) {
  const nhs = input('', { name: 'nhs-number', inputmode: 'numeric', autocomplete: 'off' });
  const family = input('', { name: 'family-name', autocomplete: 'off' });
  const born = h('input', { type: 'date', name: 'birth-date' });
  const results = h('div', { 'aria-live': 'polite' });
  const search = h('button', { type: 'submit' }, 'Find');
  const form = h('form', { class: 'card', novalidate: true, role: 'search', 'aria-label': 'Find the person' },
      h('h2', {}, 'Who is it for?'),
      field('NHS number', nhs), h('p', {}, 'or'),
      h('div', { class: 'row' }, field('Family name', family), field('Date of birth', born)),
      search, results);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(form);
    busy(search, form, async () => {
      const query = nhs.value.trim() ? { nhsNumber: nhs.value.trim() } :
        { familyName: family.value.trim(), birthDate: born.value };
      const found = await call('directory.v1.DirectoryService', 'FindPersons', query);
      const persons = found.persons || [];
      results.replaceChildren(persons.length ? h('ul', { class: 'choices' }, persons.map((p) => h('li', {},
          button(`${p.givenName} ${p.familyName}, born ${p.birthDate}${p.nhsNumber ? `, NHS ${p.nhsNumber}` : ''}`,
              () => onChosen(p.name), { class: 'choice' })))) :
        h('p', {}, 'Nobody found. Check the details, or register the person with carectl person create.'));
    });
  });
  return form;
}

export async function showRefer(me, personId) {
  if (!personId) {
    show(h('h1', {}, 'Make a referral'),
        personFinder((person) => { location.hash = `#/refer?person=${idOf(person)}`; }));
    return;
  }
  const person = `persons/${personId}`;
  const picker = await teamPicker('Team to refer to', { exclude: [me.team],
    hint: 'Teams taking referrals now, by sector.' });
  const urgency = h('fieldset', {}, h('legend', {}, 'How urgent'),
      ['ROUTINE', 'URGENT', 'CRISIS'].map((u) => h('div', { class: 'radio' },
          h('input', { type: 'radio', name: 'urgency', value: u, id: `urgency-${u}`, checked: u === 'ROUTINE' }),
          h('label', { for: `urgency-${u}` }, words(u)))));
  const reason = textarea('', { name: 'reason', rows: 5 });
  const wishes = textarea('', { name: 'wishes' });
  const risk = textarea('', { name: 'risk' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Send the referral');
  const key = requestId();
  const form = h('form', { class: 'card', novalidate: true },
      picker.element, urgency,
      field('Reason for referral', reason, 'What the person needs, and why this team.'),
      field('What the person wants', wishes, 'In their words, where possible.'),
      field('Risk summary', risk), submit);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(form);
    const problems = [];
    if (!picker.select.value) problems.push(fieldError(picker.select, 'Choose the team to refer to'));
    if (!reason.value.trim()) problems.push(fieldError(reason, 'Enter the reason for the referral'));
    if (problems.length) {
      errorSummary(form, problems);
      return;
    }
    busy(submit, form, async () => {
      const created = await call(REFERRALS, 'CreateReferral', {
        requestId: key,
        referral: {
          person, receivingTeam: picker.select.value,
          urgency: form.querySelector('input[name=urgency]:checked').value,
          reason: reason.value.trim(), personWishes: wishes.value.trim(), riskSummary: risk.value.trim(),
        },
      });
      announce('Referral sent');
      location.hash = `#/referrals/${idOf(created.name)}`;
    });
  });
  show(h('h1', {}, 'Refer ', nameSpan(person)), form);
}
