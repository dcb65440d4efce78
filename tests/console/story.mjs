// The web console in Debian's chromium, through the README walk-through's
// story: Sam (North CMHT) refers Alex to the Crisis team; Kim (Crisis team)
// declines one referral with an onward route and accepts another, writes
// the care plan with Alex (a stale edit is shown, never overwritten) and
// records Alex's agreement; Sam, not on her care team, opens her crisis
// plan in an emergency and Kim's team reviews it (record_access.mjs); Kim
// hands over to North CMHT, where Sam accepts with a read-back; the team
// report; Kim gives Alex access to her record, Alex's own view, and Kim
// ends that access. Every page is checked with axe-core (WCAG 2.1 AA; any
// violation fails), the pages work at 360 px, sign-in works from the
// keyboard alone, and screenshots are saved. Prints two figures: the
// inbox's first meaningful paint and how long a referral made elsewhere
// takes to appear in an open inbox. The helpers are in lib.mjs.
// usage: node story.mjs CONFIG.json (written by tests/e2e/console.sh)
import {
  config, http, tokens, teams, person, personId, check, step, api, getAs, eventually, accessible,
  settled, shot, textOf, waitText, clickText, go, fill, typeLast, selectLast, signIn,
  noSidewaysScroll, NARROW, WIDE, newTab, browser,
} from './lib.mjs';
import {
  emergencyAccess, personSeesEmergencyAccess, reviewEmergencyAccess, givePersonAccess, endPersonAccess,
} from './record_access.mjs';

const figures = {};

try {
  const { page: sam } = await newTab();

  step('sign-in page, then signing in with the keyboard alone');
  await sam.goto(`${http}/console/`);
  await sam.waitForSelector('textarea[name=token]');
  await accessible(sam, 'the sign-in page');
  await shot(sam, 'sign-in');
  for (let i = 0; i < 10; i++) {
    if (await sam.evaluate(() => document.activeElement.name === 'token')) break;
    await sam.keyboard.press('Tab');
  }
  check(await sam.evaluate(() => document.activeElement.name === 'token'),
      'Tab reaches the token field');
  await sam.keyboard.type(tokens.sam);
  await sam.keyboard.press('Tab');
  await sam.keyboard.press('Enter');
  await sam.waitForSelector('#inbox-body[data-ready]');
  await waitText(sam, '#who', 'Sam');
  await accessible(sam, 'an empty inbox');

  step('a wrong token is refused with a message');
  const { context: strangerContext, page: stranger } = await newTab();
  await stranger.goto(`${http}/console/`);
  await fill(stranger, 'textarea[name=token]', 'not-a-token');
  await clickText(stranger, 'form button[type=submit]', 'Sign in');
  await stranger.waitForSelector('.error-summary');
  await strangerContext.close();

  step("signing in with the organisation's identity provider");
  const { context: priyaContext, page: priya } = await newTab();
  await priya.goto(`${http}/console/`);
  await priya.waitForSelector('#provider-sign-in');
  await accessible(priya, 'the sign-in page with the provider');
  await Promise.all([priya.waitForNavigation(), priya.click('#provider-sign-in')]);
  await priya.waitForSelector('#inbox-body[data-ready]');
  await waitText(priya, '#who', 'Priya');
  await waitText(priya, '#who', 'Crisis team');
  check(!(await priya.evaluate(() => location.href)).includes('id_token'),
      'the token does not stay in the address');
  // An answer not asked for from this page is refused.
  const forged = await priyaContext.newPage();
  await forged.goto(`${http}/console/#id_token=x.eyJub25jZSI6Im4ifQ.y&state=forged`);
  await forged.waitForSelector('textarea[name=token]');
  await waitText(forged, '#main', 'does not match a sign-in started here');
  check(await forged.evaluate(() => sessionStorage.length === 0), 'the forged token is not kept');
  await priyaContext.close();

  step('Sam refers Alex to the Crisis team');
  await clickText(sam, 'nav a', 'Refer');
  await fill(sam, 'input[name=nhs-number]', config.nhsNumber);
  await clickText(sam, 'button', 'Find');
  await clickText(sam, 'button.choice', 'Alex Morgan');
  await sam.waitForSelector('select[name=team]');
  await accessible(sam, 'the referral form');
  await clickText(sam, 'button', 'Send the referral');
  await sam.waitForSelector('.error-summary');
  check((await textOf(sam, '.error-summary')).includes('Choose the team to refer to'),
      'a referral without a team is refused on the page');
  await sam.select('select[name=team]', teams.crisis);
  await sam.click('#urgency-URGENT');
  await fill(sam, 'textarea[name=reason]', 'Alex has been in crisis twice this month and asked for help at night.');
  await fill(sam, 'textarea[name=wishes]', 'To be seen at home, not in hospital.');
  await clickText(sam, 'button', 'Send the referral');
  await waitText(sam, 'dd', 'Waiting for an answer');
  const firstReferral = `referrals/${await sam.evaluate(() => location.hash.split('/')[2])}`;
  await accessible(sam, 'a sent referral');
  await shot(sam, 'referral-sent');

  step('Kim opens the Crisis team inbox');
  const { page: kim } = await newTab();
  await signIn(kim, tokens.kim);
  await kim.reload();
  await kim.waitForSelector(`#inbox-body[data-ready] [data-resource="${firstReferral}"]`);
  figures.inboxFirstPaintMs = await kim.evaluate(() => {
    const mark = performance.getEntriesByName('inbox-rendered')[0];
    return Math.round(mark.startTime);
  });
  await kim.waitForSelector('#live-state.live.live');
  await accessible(kim, 'the inbox with a referral');
  await shot(kim, 'inbox');

  step('a referral made by another team appears in the open inbox');
  const started = Date.now();
  const second = await api(tokens.sam, 'referral.v1.ReferralService', 'CreateReferral', {
    referral: { person, receivingTeam: teams.crisis, urgency: 'ROUTINE', reason: 'Follow-up after a difficult week.' },
    requestId: 'console-story-second',
  });
  await kim.waitForSelector(`[data-resource="${second.name}"]`, { timeout: 10000 });
  figures.newReferralVisibleMs = Date.now() - started;
  check((await textOf(kim, '#inbox-body')).indexOf('Referral for Alex Morgan') >= 0, 'the inbox names the person');

  step('an overdue referral cannot be missed: first, flagged, announced');
  // Deadlines are 15 minutes at the least, so the inbox is shown one
  // answer in which the routine referral is past its deadline.
  const { context: overdueContext, page: overdue } = await newTab();
  await overdue.setRequestInterception(true);
  overdue.on('request', async (request) => {
    if (!request.url().endsWith('.ReferralService/ListReferrals') ||
        !(request.postData() || '').includes('"INBOX"')) {
      request.continue();
      return;
    }
    const real = await fetch(request.url(), {
      method: 'POST', headers: request.headers(), body: request.postData(),
    });
    const answer = await real.json();
    for (const referral of answer.referrals || []) {
      if (referral.name === second.name) {
        referral.overdue = true;
        referral.responseDueTime = new Date(Date.now() - 2 * 3600 * 1000).toISOString();
      }
    }
    request.respond({ status: real.status, contentType: 'application/json', body: JSON.stringify(answer) });
  });
  await signIn(overdue, tokens.kim);
  await overdue.waitForSelector('#inbox-body[data-ready] .overdue-banner');
  check((await textOf(overdue, '.overdue-banner')).includes('1 overdue'), 'the banner counts it');
  const order = await overdue.$$eval('#inbox-body .items li', (items) => items.map((i) => i.dataset.resource));
  check(order[0] === second.name && order[1] === firstReferral,
      `the overdue routine referral comes before the urgent one in time: ${order}`);
  check((await textOf(overdue, `[data-resource="${second.name}"]`)).includes('Overdue by 2 h'),
      'the item says how late it is');
  await waitText(overdue, '#status', '1 overdue');
  await accessible(overdue, 'an inbox with an overdue referral');
  await shot(overdue, 'inbox-overdue');
  await overdueContext.close();

  step('Kim declines: not without a reason and an onward route');
  await go(kim, `#/${firstReferral}`);
  await clickText(kim, 'button', 'Decline the referral');
  await kim.waitForSelector('.error-summary');
  const problems = await textOf(kim, '.error-summary');
  check(problems.includes('Enter the reason for declining'), 'the reason is asked for');
  check(problems.includes('Choose an onward route'), 'an onward route is asked for');
  await accessible(kim, 'the decline form with errors');
  check((await getAs(tokens.kim, firstReferral)).state === 'SENT', 'nothing changed');
  await fill(kim, 'textarea[name=decline-reason]', 'Alex needs evening support nearer home rather than crisis care.');
  await kim.click('#route-team');
  await kim.select('select[name=suggested-team]', teams.voluntary);
  await waitText(kim, '.team-about', 'Adults in distress');
  await shot(kim, 'decline-with-onward-route');
  await clickText(kim, 'button', 'Decline the referral');
  await waitText(kim, 'dd', 'Declined');
  const declined = await getAs(tokens.kim, firstReferral);
  check(declined.state === 'DECLINED' && declined.onwardRoute.suggestedTeam === teams.voluntary,
      'declined with the suggested team');

  step('Sam sees the answer, with the onward route');
  await go(sam, '#/inbox');
  await waitText(sam, `[data-resource="${firstReferral}"]`, 'Declined');
  await waitText(sam, `[data-resource="${firstReferral}"]`, 'Safe Haven');

  step('Kim accepts the second referral');
  await go(kim, `#/${second.name}`);
  await fill(kim, 'textarea[name=accept-note]', 'Kim will call Alex tomorrow morning.');
  await clickText(kim, 'button', 'Accept the referral');
  await waitText(kim, 'dd', 'Accepted');
  await eventually('the Crisis team on the care team', async () => {
    const plan = await getAs(tokens.kim, `${person}/carePlan`);
    return (plan.careTeam || []).some((m) => m.team === teams.crisis && !m.endTime);
  });

  step('Kim writes the care plan with Alex');
  await go(kim, `#/persons/${personId}`);
  await clickText(kim, 'a', 'Edit the care plan');
  await fill(kim, 'textarea[name=crisis-whatHelps]', 'A quiet room, and talking to my sister Jo.');
  await fill(kim, 'textarea[name=crisis-earlyWarningSigns]', 'Not sleeping, stopping seeing friends.');
  await clickText(kim, 'button', 'Add a goal');
  await typeLast(kim, 'textarea[name=goal-description]', 'I want to get back to my allotment.');
  await clickText(kim, 'button', 'Add an action');
  await typeLast(kim, 'textarea[name=action-description]', 'Evening check-in calls for two weeks.');
  await selectLast(kim, 'select[name=action-team]', teams.crisis);
  await accessible(kim, 'the care plan editor');
  await fill(kim, 'input[name=reason]', 'First plan, written with Alex.');
  await clickText(kim, 'button', 'Save the plan');
  await waitText(kim, '#crisis-plan', 'talking to my sister Jo');
  check((await kim.$eval('#main', (m) => [...m.querySelectorAll('section.card')]
      .findIndex((s) => s.id === 'crisis-plan'))) <= 1, 'the crisis plan is first after the summary');
  await accessible(kim, 'the person page');
  await shot(kim, 'person');

  step('a stale edit shows what changed and is saved only when redone');
  await clickText(kim, 'a', 'Edit the care plan');
  await clickText(kim, 'button', 'Add a goal');
  await typeLast(kim, 'textarea[name=goal-description]', 'Sleep better.');
  await fill(kim, 'textarea[name=crisis-whatHelps]', 'A quiet room, talking to my sister Jo, and my dog.');
  await fill(kim, 'input[name=reason]', 'Adding a goal.');
  const current = await getAs(tokens.kim, `${person}/carePlan`);
  await api(tokens.kim, 'careplan.v1.CarePlanService', 'UpdateCarePlan', {
    carePlan: { name: current.name, crisisPlan: { ...current.crisisPlan, triggers: 'Loud, crowded places.' } },
    updateMask: 'crisisPlan', etag: current.etag, reason: 'Triggers added on the phone with Alex.',
  });
  await clickText(kim, 'button', 'Save the plan');
  await kim.waitForSelector('#stale-notice');
  const notice = await textOf(kim, '#stale-notice');
  check(notice.includes('Someone changed the plan'), 'the stale edit is explained');
  check(notice.includes('Loud, crowded places.'), 'the other change is shown');
  const untouched = await getAs(tokens.kim, `${person}/carePlan`);
  check(!(untouched.goals || []).some((g) => g.description === 'Sleep better.'), 'the stale edit was not saved');
  await accessible(kim, 'the stale-edit notice');
  await shot(kim, 'stale-edit');
  await fill(kim, 'input[name=reason]', 'Adding a goal, redone on the latest version.');
  await clickText(kim, 'button', 'Save the plan');
  await waitText(kim, 'section', 'Sleep better.');
  const redone = await getAs(tokens.kim, `${person}/carePlan`);
  check(redone.crisisPlan.triggers === 'Loud, crowded places.',
      "the colleague's change to the same section (another field) is kept");
  check(redone.crisisPlan.whatHelps === 'A quiet room, talking to my sister Jo, and my dog.',
      "Kim's change to the same section is saved");
  check(redone.goals.some((g) => g.description === 'Sleep better.'),
      `the redone edit is saved: ${JSON.stringify(redone.goals)}`);

  step('Alex agrees with the plan');
  await clickText(kim, 'a', 'Record the person');
  await kim.waitForSelector('#agree-confirm');
  await accessible(kim, 'the agreement form');
  await clickText(kim, 'button', 'Record agreement');
  await kim.waitForSelector('.error-summary');
  await kim.click('#agree-confirm');
  await fill(kim, 'textarea[name=person-comment]', 'I am happy with this.');
  await clickText(kim, 'button', 'Record agreement');
  await waitText(kim, '.summary', 'agreed with the person', 15000);

  step('Alex registered again in a hurry: Kim, leading her care, merges it; its page points to her record');
  const { birthDate } = await getAs(tokens.kim, person);
  const again = await api(tokens.sam, 'directory.v1.DirectoryService', 'CreatePerson', {
    person: { givenName: 'Alex', familyName: 'Morgan', birthDate },
    allowPossibleDuplicate: true,
  });
  const seen = await getAs(tokens.kim, again.name);
  await api(tokens.kim, 'directory.v1.DirectoryService', 'MergePersons',
      { person, duplicate: again.name, duplicateEtag: seen.etag });
  await go(kim, `#/persons/${again.name.split('/')[1]}`);
  await waitText(kim, '#merged', 'This registration was merged into');
  check(!(await textOf(kim, '#main')).includes('Edit the care plan'),
      'a merged registration offers no work');
  await accessible(kim, 'a merged registration');
  await clickText(kim, '#merged a', 'Open the record in use');
  await kim.waitForFunction((id) => location.hash === `#/persons/${id}`, {}, personId);
  await waitText(kim, '.summary', 'agreed with the person');

  const emergency = await emergencyAccess(sam);
  await reviewEmergencyAccess(kim, emergency);

  step('Kim hands over to North CMHT; Sam accepts with a read-back');
  await clickText(kim, 'a', 'Write a handover');
  await kim.waitForSelector('select[name=team]');
  await kim.select('select[name=team]', teams.north);
  await kim.click('#kind-SHARED_CARE');
  await fill(kim, 'textarea[name=situation]', 'Alex is settling after two crises this month.');
  await fill(kim, 'textarea[name=background]', 'Known to North CMHT; evening calls from the Crisis team.');
  await fill(kim, 'textarea[name=assessment]', 'Lower risk now; sleep is the early sign to watch.');
  await fill(kim, 'textarea[name=recommendation]', 'Care coordinator visit within a week.');
  await kim.click('#severity-WATCHER');
  await clickText(kim, 'button', 'Add an action');
  await fill(kim, 'input[name=action-description]', 'Visit Alex at home within 7 days.');
  await kim.select('select[name=action-team]', teams.north);
  await clickText(kim, 'button', 'Add a contingency');
  await fill(kim, 'input[name=if-this]', 'Alex stops sleeping');
  await fill(kim, 'input[name=then-do]', 'call the Crisis team the same day');
  await accessible(kim, 'the handover form');
  await clickText(kim, 'button', 'Send the handover');
  await waitText(kim, 'dd', 'Waiting for an answer');
  const handover = `handovers/${await kim.evaluate(() => location.hash.split('/')[2])}`;
  await go(sam, '#/inbox');
  await sam.waitForSelector(`[data-resource="${handover}"]`);
  // Before North CMHT answers, it reads Alex's crisis plan and how Alex
  // likes to be contacted; the rest of the plan stays with the care team.
  await go(sam, `#/persons/${personId}`);
  await waitText(sam, '#crisis-plan', 'talking to my sister Jo');
  await waitText(sam, 'section[aria-labelledby=goals-heading]', 'Not shown to your team');
  check(!(await textOf(sam, '#main')).includes('allotment'), 'no goal is shown before the answer');
  await waitText(sam, '#before-answering', 'While a referral or handover waits for your answer');
  check(!(await textOf(sam, '.actions')).includes('Edit the care plan'), 'no plan editing before the answer');
  await accessible(sam, 'the crisis plan before answering');
  await go(sam, `#/${handover}`);
  await clickText(sam, 'button', 'Accept the handover');
  await sam.waitForSelector('.error-summary');
  check((await getAs(tokens.sam, handover)).state === 'PENDING', 'no accept without a read-back');
  await fill(sam, 'textarea[name=read-back]', 'We take over care coordination and visit Alex at home this week.');
  await sam.click('input[name=taken]');
  await accessible(sam, 'the handover with the read-back form');
  await clickText(sam, 'button', 'Accept the handover');
  await sam.waitForSelector('.readback');
  check((await textOf(sam, '.readback')).includes('Visit Alex at home within 7 days.'), 'the read-back lists the action');
  await shot(sam, 'handover-read-back');

  step('the team report');
  await go(kim, '#/report');
  await kim.waitForSelector('.chart-card .chart');
  await waitText(kim, '.figures', 'evening support nearer home');
  await waitText(kim, '.figures', 'Safe Haven');
  await accessible(kim, 'the team report');
  await shot(kim, 'team-report');

  step('360 px wide');
  await kim.setViewport(NARROW);
  await go(kim, `#/persons/${personId}`);
  await kim.waitForSelector('#crisis-plan');
  await settled(kim);
  await noSidewaysScroll(kim, 'the person page');
  await shot(kim, 'person-360px');
  await go(kim, '#/inbox');
  await kim.waitForSelector('#inbox-body[data-ready]');
  await noSidewaysScroll(kim, 'the inbox');
  await go(kim, `#/${firstReferral}`);
  await kim.waitForSelector('.facts');
  await noSidewaysScroll(kim, 'a referral');

  step("Alex's own view");
  const alexToken = await givePersonAccess(kim);
  const { page: alex } = await newTab(NARROW);
  await signIn(alex, alexToken);
  await waitText(alex, 'section', 'I want to get back to my allotment.');
  await waitText(alex, '.crisis', 'talking to my sister Jo');
  await waitText(alex, 'section', 'Who has looked at your record');
  await waitText(alex, 'section table', 'Crisis team');
  await waitText(alex, 'section table', 'read your care plan');
  await personSeesEmergencyAccess(alex);
  // The directory read Alex's care summary to show Kim her registration:
  // listed as Kim's team's read, not as carebridge's own.
  check(!(await alex.$$eval('section table tbody tr', (rows) => rows.some((row) =>
      row.innerText.includes('carebridge itself') && row.innerText.includes('care summary')))),
  "a service's read made for a team is listed as that team's");
  await fill(alex, 'textarea[name=comment]', 'Thank you for writing this with me.');
  await clickText(alex, 'button', 'I agree with my plan');
  await waitText(alex, '#status', 'Your agreement is recorded');
  const agreed = await getAs(tokens.kim, `${person}/carePlan`);
  check(agreed.agreed && agreed.agreement.personComment === 'Thank you for writing this with me.',
      "Alex's agreement and comment are recorded");
  await waitText(alex, 'form', 'You agreed with it');
  check(!(await alex.$('#nav:not([hidden])')), 'the person sees no team navigation');
  await noSidewaysScroll(alex, "the person's own view");
  await accessible(alex, "the person's own view");
  await shot(alex, 'own-view-360px');

  step('at real sizes: a full care plan (50 goals, 100 actions, 20 contacts at their limits)');
  const robin = await api(tokens.kim, 'directory.v1.DirectoryService', 'CreatePerson',
      { person: { givenName: 'Robin', familyName: 'Hale', birthDate: '1984-09-30' } });
  const long = (n, c) => c.repeat(n);
  const full = {
    goals: Array.from({ length: 50 }, (_, i) => ({ description: `Goal ${i + 1} ${long(1990, 'g')}`, status: 'ACTIVE' })),
    actions: Array.from({ length: 100 }, (_, i) => ({
      description: `Action ${i + 1} ${long(1985, 'a')}`, owningTeam: teams.crisis, status: 'IN_PROGRESS',
    })),
    crisisPlan: {
      earlyWarningSigns: long(4000, 'e'), triggers: long(4000, 't'), whatHelps: long(4000, 'h'),
      whatToAvoid: long(4000, 'v'), preferredResponse: long(4000, 'p'), advanceStatements: long(4000, 's'),
      contacts: Array.from({ length: 20 }, (_, i) => ({
        name: `Contact ${i + 1} ${long(180, 'n')}`, relationship: long(200, 'f'), howToContact: long(200, '0'),
        whenToContact: long(2000, 'w'),
      })),
    },
  };
  await api(tokens.kim, 'careplan.v1.CarePlanService', 'UpdateCarePlan', {
    carePlan: { name: `${robin.name}/carePlan`, ...full }, updateMask: 'goals,actions,crisisPlan',
    reason: 'The whole plan, written with Robin.',
  });
  const robinId = robin.name.split('/')[1];
  await kim.setViewport(WIDE);
  await go(kim, `#/persons/${robinId}`);
  await waitText(kim, '#crisis-plan', long(4000, 'e'));
  check(await kim.$$eval('#goals-heading + ul > li', (l) => l.length) === 50, 'all 50 goals shown');
  check(await kim.$$eval('#actions-heading + ul > li', (l) => l.length) === 100, 'all 100 actions shown');
  await accessible(kim, 'the person page with a full plan');
  await kim.setViewport(NARROW);
  await settled(kim);
  await noSidewaysScroll(kim, 'the person page with a full plan');
  await kim.setViewport(WIDE);
  await clickText(kim, 'a', 'Edit the care plan');
  await kim.waitForSelector('textarea[name=goal-description]');
  check((await kim.$$('.goal')).length === 50 && (await kim.$$('.action')).length === 100 &&
      (await kim.$$('.contact')).length === 20, 'the editor holds the whole plan');
  await fill(kim, 'input[name=reason]', 'Nothing really.');
  await clickText(kim, 'button', 'Save the plan');
  await waitText(kim, '.error-summary', 'Nothing has changed yet');
  const goalBoxes = await kim.$$('textarea[name=goal-description]');
  await goalBoxes[49].evaluate((box) => { box.value = 'Goal 50, reworded with Robin.'; });
  await clickText(kim, 'button', 'Save the plan');
  await waitText(kim, '#goals-heading + ul', 'Goal 50, reworded with Robin.');
  const saved = await getAs(tokens.kim, `${robin.name}/carePlan`);
  check(saved.change.sections.join() === 'GOALS', `only the goals were sent: ${saved.change.sections}`);
  check(saved.actions.length === 100 && saved.crisisPlan.triggers === long(4000, 't'), 'the rest is as it was');

  step('at real sizes: an inbox with 1,000 referrals waiting');
  const sent = [];
  for (let batch = 0; batch < 1000; batch += 20) {
    sent.push(...await Promise.all(Array.from({ length: 20 }, async (_, i) => {
      const someone = await api(tokens.sam, 'directory.v1.DirectoryService', 'CreatePerson',
          { person: { givenName: 'Person', familyName: `Number${batch + i}`, birthDate: '1970-01-01' } });
      return api(tokens.sam, 'referral.v1.ReferralService', 'CreateReferral', {
        referral: { person: someone.name, receivingTeam: teams.crisis, urgency: 'ROUTINE', reason: long(3990, 'r') },
      });
    })));
  }
  await go(kim, '#/inbox');
  await kim.reload();
  await kim.waitForSelector('#inbox-body[data-ready] #referrals-heading', { timeout: 30000 });
  figures.inboxFirstPaintThousandMs = await kim.evaluate(() =>
    Math.round(performance.getEntriesByName('inbox-rendered')[0].startTime));
  check((await textOf(kim, '#referrals-heading')).includes('(1000)'), 'all 1,000 are counted');
  check(await kim.$$eval('#inbox-body .items li', (l) => l.length) <= 110, 'the first hundred are drawn');
  await clickText(kim, 'button', 'Show all 1000');
  await kim.waitForSelector(`[data-resource="${sent[999].name}"]`);
  check(await kim.$$eval('[data-resource^="referrals/"]', (l) => l.length) >= 1000, 'then all of them');

  step('signing out forgets the token');
  await clickText(alex, 'button', 'Sign out');
  await alex.waitForSelector('textarea[name=token]');
  check(await alex.evaluate(() => sessionStorage.length === 0), 'nothing is left in the tab');
  await endPersonAccess(kim, alex, alexToken);

  console.log(`FIGURE inbox first meaningful paint: ${figures.inboxFirstPaintMs} ms`);
  console.log(`FIGURE referral from another team visible in the open inbox: ${figures.newReferralVisibleMs} ms`);
  console.log(`FIGURE inbox first meaningful paint with 1,000 referrals waiting: ${figures.inboxFirstPaintThousandMs} ms`);
  console.log('PASS: the console story');
} catch (e) {
  // What each page showed when it failed.
  for (const context of browser.browserContexts()) {
    for (const page of await context.pages()) {
      const shown = await page.evaluate(() => document.getElementById('main')?.innerText || '')
          .catch(() => '');
      console.error(`--- ${page.url()}\n${shown.slice(0, 3000)}`);
    }
  }
  throw e;
} finally {
  await browser.close();
}
