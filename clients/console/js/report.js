// The team report: how fast the team answered, what it accepted, declined
// and why, where declined people were sent, and people declined by team
// after team (evidence of unmet need). No person is named.
import { call } from './api.js';
import { h, show, loading, errorBox, nameSpan, nameOf, words, durationSeconds, field, select } from './ui.js';
import { barChart } from './charts.js';

const DAY = 24 * 3600 * 1000;

function hours(seconds) {
  return seconds >= 3600 ? `${(seconds / 3600).toFixed(1)} h` : `${Math.round(seconds / 60)} min`;
}

export async function showReport(me, days = 30) {
  const period = select([['7', 'Last 7 days'], ['30', 'Last 30 days'], ['90', 'Last 90 days'], ['365', 'Last year']],
      String(days), { name: 'period' });
  period.addEventListener('change', () => showReport(me, Number(period.value)));
  const title = h('h1', {}, 'Team report: ', nameSpan(me.team));
  const body = h('div', { 'aria-live': 'polite' }, loading('the report'));
  show(title, field('Period', period), body);
  if (days !== 30) period.focus();
  const end = new Date();
  const start = new Date(end - days * DAY);
  let report;
  try {
    report = await call('record.v1.RecordService', 'GetTeamReport',
        { team: me.team, startTime: start.toISOString(), endTime: end.toISOString() });
  } catch (e) {
    body.replaceChildren(errorBox(e));
    return;
  }
  const n = (v) => Number(v || 0);
  const responses = report.responses || [];
  // Onward routes name teams by id: chart them by name.
  const routes = await Promise.all((report.onwardRoutes || []).map(async (c) => ({
    label: c.value === 'signposting' ? 'Signposted elsewhere' : await nameOf(c.value), value: n(c.count),
  })));
  // The person may have moved on (another page, another period) meanwhile.
  if (!body.isConnected) return;
  body.replaceChildren(
      h('div', { class: 'tiles' },
          tile('Referrals received', n(report.referralsReceived)),
          tile('Still to answer', n(report.unanswered)),
          tile('Escalated', n(report.escalations)),
          tile('People declined by 3 or more teams', n(report.bouncedPersonsSeen))),
      barChart('Time to answer (median)', responses.map((r) => ({
        label: words(r.urgency), value: durationSeconds(r.p50),
        text: `${hours(durationSeconds(r.p50))} median, ${hours(durationSeconds(r.p90))} for 9 in 10; ${n(r.late)} late of ${n(r.received)}`,
      })), { unit: 'Time', format: hours }),
      barChart('What happened to referrals', [
        ['Accepted', report.accepted], ['Declined', report.declined], ['Redirected', report.redirected],
        ['Withdrawn', report.withdrawn], ['Still to answer', report.unanswered],
      ].map(([label, value]) => ({ label, value: n(value) })), { unit: 'Referrals' }),
      barChart('Reasons for declining', (report.declineReasons || []).map((c) => ({ label: c.value, value: n(c.count) })),
          { unit: 'Referrals' }),
      barChart('Where declined people were sent', routes, { unit: 'Referrals' }),
      barChart('Handovers', [
        ['Received', report.handoversReceived], ['Accepted', report.handoversAccepted],
        ['Declined', report.handoversDeclined],
      ].map(([label, value]) => ({ label, value: n(value) })), { unit: 'Handovers' }));
}

function tile(label, value) {
  return h('div', { class: 'tile' }, h('p', { class: 'figure' }, String(value)), h('p', {}, label));
}
