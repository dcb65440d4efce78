// Handovers: writing one (SBAR: situation, background, assessment,
// recommendation; severity, actions, contingencies) and answering one: the
// receiving team accepts with a read-back, in its own words, of what it
// takes on, so both sides know the same thing was understood.
import { call, get, requestId } from './api.js';
import {
  h, show, loading, errorBox, nameSpan, link, idOf, urgencyBadge, words, timeElement,
  span, field, textarea, input, select, button, busy, announce, clearErrors, errorSummary,
  fieldError, actionForm,
} from './ui.js';
import { teamPicker, directoryTeams } from './teams.js';
import { personLine } from './person.js';

const HANDOVERS = 'handover.v1.HandoverService';
const SBAR = [
  ['situation', 'Situation', 'What is happening now.'],
  ['background', 'Background', 'What led here: history, care so far.'],
  ['assessment', 'Assessment', 'What you think is going on, including risk.'],
  ['recommendation', 'Recommendation', 'What you ask the receiving team to do.'],
];

function radios(legend, name, values, checked) {
  return h('fieldset', {}, h('legend', {}, legend), values.map((v) => h('div', { class: 'radio' },
      h('input', { type: 'radio', name, value: v, id: `${name}-${v}`, checked: v === checked }),
      h('label', { for: `${name}-${v}` }, words(v)))));
}

function checkedValue(form, name) {
  const chosen = form.querySelector(`input[name=${name}]:checked`);
  return chosen ? chosen.value : '';
}

export async function showHandoverForm(me, id) {
  const person = `persons/${id}`;
  show(h('h1', {}, 'Write a handover'), loading('the form'));
  const [who, teams] = await Promise.all([get(person).catch(() => null), directoryTeams()]);
  const picker = await teamPicker('Receiving team', { exclude: [me.team], acceptingOnly: false });
  const texts = Object.fromEntries(SBAR.map(([key]) => [key, textarea('', { name: key, rows: 4 })]));
  const actionList = h('ol', { class: 'edit-rows' });
  const teamOptions = teams.map((t) => [t.name, t.displayName]);
  const addAction = () => {
    const row = h('li', { class: 'edit-row handover-action' },
        field('Action', input('', { name: 'action-description' })),
        field('Owning team', select([['', 'Choose a team'], ...teamOptions], '', { name: 'action-team' })),
        button('Remove', () => {
          row.remove();
          announce('Action removed');
          addActionButton.focus();
        }, { class: 'link' }));
    actionList.append(row);
    row.querySelector('input').focus();
  };
  const contingencyList = h('ol', { class: 'edit-rows' });
  const addContingency = () => {
    const row = h('li', { class: 'edit-row contingency' },
        field('If this happens', input('', { name: 'if-this' })),
        field('Then do this', input('', { name: 'then-do' })),
        button('Remove', () => {
          row.remove();
          announce('Contingency removed');
          addContingencyButton.focus();
        }, { class: 'link' }));
    contingencyList.append(row);
    row.querySelector('input').focus();
  };
  const addActionButton = button('Add an action', addAction);
  const addContingencyButton = button('Add a contingency', addContingency);
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Send the handover');
  const key = requestId();
  const form = h('form', { class: 'card', novalidate: true },
      picker.element,
      radios('Kind of handover', 'kind', ['TRANSFER_OF_RESPONSIBILITY', 'SHARED_CARE', 'INFORMATION_ONLY'], 'TRANSFER_OF_RESPONSIBILITY'),
      radios('How urgent', 'urgency', ['ROUTINE', 'URGENT', 'CRISIS'], 'ROUTINE'),
      SBAR.map(([k, label, hint]) => field(label, texts[k], hint)),
      radios('Illness severity', 'severity', ['STABLE', 'WATCHER', 'UNSTABLE'], 'STABLE'),
      h('fieldset', {}, h('legend', {}, 'Actions for the receiving side'), actionList,
          addActionButton),
      h('fieldset', {}, h('legend', {}, 'Contingencies: if this, then that'), contingencyList,
          addContingencyButton),
      submit);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(form);
    const problems = [];
    if (!picker.select.value) problems.push(fieldError(picker.select, 'Choose the receiving team'));
    for (const [k, label] of SBAR) {
      if (!texts[k].value.trim()) problems.push(fieldError(texts[k], `Enter the ${label.toLowerCase()}`));
    }
    if (problems.length) {
      errorSummary(form, problems);
      return;
    }
    busy(submit, form, async () => {
      const handover = {
        person, receivingTeam: picker.select.value, kind: checkedValue(form, 'kind'),
        urgency: checkedValue(form, 'urgency'), illnessSeverity: checkedValue(form, 'severity'),
        actions: [...actionList.querySelectorAll('.handover-action')].map((row) => ({
          description: row.querySelector('[name=action-description]').value.trim(),
          owningTeam: row.querySelector('[name=action-team]').value,
        })).filter((a) => a.description),
        contingencies: [...contingencyList.querySelectorAll('.contingency')].map((row) => ({
          ifThis: row.querySelector('[name=if-this]').value.trim(),
          thenDo: row.querySelector('[name=then-do]').value.trim(),
        })).filter((c) => c.ifThis || c.thenDo),
      };
      for (const [k] of SBAR) handover[k] = texts[k].value.trim();
      const created = await call(HANDOVERS, 'CreateHandover', { handover, requestId: key });
      announce('Handover sent');
      location.hash = `#/handovers/${idOf(created.name)}`;
    });
  });
  show(h('h1', {}, 'Handover of ', nameSpan(person)), personLine(who), form);
}

function handoverFacts(handover) {
  const due = handover.responseDueTime;
  return [
    h('dl', { class: 'facts' },
        h('dt', {}, 'Person'), h('dd', {}, link(`#/persons/${idOf(handover.person)}`, nameSpan(handover.person))),
        h('dt', {}, 'From'), h('dd', {}, nameSpan(handover.sendingTeam)),
        h('dt', {}, 'To'), h('dd', {}, nameSpan(handover.receivingTeam)),
        h('dt', {}, 'Kind'), h('dd', {}, words(handover.kind)),
        h('dt', {}, 'Urgency'), h('dd', {}, urgencyBadge(handover.urgency)),
        h('dt', {}, 'Illness severity'), h('dd', {}, words(handover.illnessSeverity)),
        h('dt', {}, 'Where it stands'), h('dd', {}, h('strong', {}, words(handover.state))),
        h('dt', {}, 'Sent'), h('dd', {}, timeElement(handover.createTime)),
        due && handover.state === 'PENDING' ? [h('dt', {}, 'Answer due'), h('dd', {}, timeElement(due),
            handover.overdue ? [' ', h('span', { class: 'badge overdue' }, 'Overdue'), ` by ${span(new Date(due) - Date.now())}`] : '')] : null),
    h('section', { class: 'card sbar', 'aria-labelledby': 'sbar-heading' },
        h('h2', { id: 'sbar-heading' }, 'SBAR'),
        h('dl', { class: 'facts' }, SBAR.map(([k, label]) => [h('dt', {}, label), h('dd', { class: 'prose' }, handover[k])]))),
    (handover.actions || []).length ? h('section', { class: 'card', 'aria-labelledby': 'actions-heading' },
        h('h2', { id: 'actions-heading' }, 'Actions'),
        h('ul', {}, handover.actions.map((a) => h('li', {}, a.description,
            a.owningTeam ? [' · ', nameSpan(a.owningTeam)] : '')))) : null,
    (handover.contingencies || []).length ? h('section', { class: 'card', 'aria-labelledby': 'contingency-heading' },
        h('h2', { id: 'contingency-heading' }, 'Contingencies'),
        h('ul', {}, handover.contingencies.map((c) => h('li', {}, 'If ', c.ifThis, ', then ', c.thenDo)))) : null,
    handover.readBack && handover.readBack.summary ? h('section', { class: 'card readback', 'aria-labelledby': 'readback-heading' },
        h('h2', { id: 'readback-heading' }, 'Read-back from the receiving team'),
        h('p', { class: 'prose' }, handover.readBack.summary),
        (handover.readBack.actionsTakenOn || []).length ? h('p', {}, 'Actions taken on: ',
            handover.readBack.actionsTakenOn.map((aid) => (handover.actions || []).find((a) => a.id === aid)?.description || aid).join('; ')) : null,
        h('p', {}, 'Recorded by ', nameSpan(handover.readBack.recordedBy, 'a colleague'), ', ', timeElement(handover.readBack.recordTime))) : null,
    handover.answerNote ? h('p', {}, h('strong', {}, 'Note with the answer: '), handover.answerNote) : null,
  ];
}

function answerForms(handover, reload) {
  const summary = textarea('', { name: 'read-back', rows: 4 });
  const taken = (handover.actions || []).map((a) => h('div', { class: 'checkbox' },
      h('input', { type: 'checkbox', id: `take-${a.id}`, value: a.id, name: 'taken' }),
      h('label', { for: `take-${a.id}` }, a.description)));
  const note = input('', { name: 'accept-note' });
  const acceptForm = actionForm('Accept, with a read-back', 'accept-heading', [
    field('Read-back: in your own words, what you are taking on', summary,
        'The sending team sees this, so both sides know the same thing was understood.'),
    taken.length ? h('fieldset', {}, h('legend', {}, 'Actions you take on'), taken) : null,
    field('Note (optional)', note),
  ], 'Accept the handover', async (form) => {
    if (!summary.value.trim()) {
      errorSummary(form, [fieldError(summary, 'Write the read-back: what you are taking on')]);
      return;
    }
    await call(HANDOVERS, 'AcceptHandover', {
      name: handover.name, etag: handover.etag, note: note.value.trim(),
      readBack: { summary: summary.value.trim(),
        actionsTakenOn: [...form.querySelectorAll('input[name=taken]:checked')].map((c) => c.value) },
    });
    announce('Handover accepted');
    await reload();
  });
  const reason = textarea('', { name: 'decline-reason' });
  const declineForm = actionForm('Decline', 'hdecline-heading', [field('Reason', reason)],
      'Decline the handover', async (form) => {
        if (!reason.value.trim()) {
          errorSummary(form, [fieldError(reason, 'Enter the reason for declining')]);
          return;
        }
        await call(HANDOVERS, 'DeclineHandover', { name: handover.name, etag: handover.etag, reason: reason.value.trim() });
        announce('Handover declined');
        await reload();
      }, 'danger');
  return [acceptForm, declineForm];
}

export async function showHandover(me, id) {
  show(h('h1', {}, 'Handover'), loading('the handover'));
  let handover;
  try {
    handover = await get(`handovers/${id}`);
  } catch (e) {
    show(h('h1', {}, 'Handover'), errorBox(e));
    return;
  }
  const reload = () => showHandover(me, id);
  show(h('h1', {}, 'Handover of ', nameSpan(handover.person)), handoverFacts(handover),
      handover.state === 'PENDING' && handover.receivingTeam === me.team ? answerForms(handover, reload) : null);
}
