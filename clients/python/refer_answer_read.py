#!/usr/bin/python3
"""A worked example: a community team finds a person by NHS number, writes
their crisis plan with them and refers them to the crisis team; the crisis
team declines a routine request (saying where the person can go instead)
and accepts an urgent one, and the community team reads where its referrals
stand and the plan with the care team the acceptance built.

    PYTHONPATH=build/clients/python/gen:clients/python \\
      /usr/bin/python3 clients/python/refer_answer_read.py \\
      --server=127.0.0.1:50051 --sender_token=... --receiver_token=... \\
      --nhs_number=... --to_team=teams/... [--onward_team=teams/...]
"""

import argparse
import sys
import time

from carebridge_client import CarebridgeError, Client, state_of


def check(ok: bool, problem: str) -> None:
    """Stops the example (exit status 1) when the server did not do as told."""
    if not ok:
        raise SystemExit(f"error: {problem}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", required=True)
    parser.add_argument("--sender_token", required=True,
                        help="a clinician of the referring team")
    parser.add_argument("--receiver_token", required=True,
                        help="a clinician of the team referred to")
    parser.add_argument("--nhs_number",
                        help="the person's NHS number, to find them by")
    parser.add_argument("--person",
                        help="the person (persons/...); when --nhs_number "
                        "is given too, the one it must find")
    parser.add_argument("--to_team", required=True)
    parser.add_argument("--onward_team", default="",
                        help="a team the crisis team can suggest instead")
    args = parser.parse_args()
    if not args.nhs_number and not args.person:
        parser.error("give --nhs_number or --person")

    with Client(args.server, args.sender_token) as sam, \
            Client(args.server, args.receiver_token) as kim:
        # 0. The referring team finds the person by NHS number (as its own
        # record knows them) and writes their crisis plan with them (the
        # first write makes the plan, and the team leads it).
        person = args.person
        if args.nhs_number:
            found = sam.find_by_nhs_number(args.nhs_number)
            check(len(found) == 1, f"{len(found)} persons have NHS number "
                  f"{args.nhs_number}, not one")
            check(not person or found[0].name == person,
                  f"NHS number {args.nhs_number} found {found[0].name}, "
                  f"not {person}")
            person = found[0].name
            print(f"found by NHS number: {person}")
        first = sam.update_crisis_plan(
            person, reason="Crisis plan agreed with Alex",
            what_helps="Her sister Jo; walking the dog",
            triggers="Letters about housing")
        print(f"plan written: version {first.version}, lead {first.lead_team}")
        # Now caring for them, the team reads their whole record (before,
        # only enough to tell them apart: need to know).
        record = sam.person(person)
        check(record.name == person, f"reading {person} gave {record.name}")
        check(not args.nhs_number or
              record.nhs_number == args.nhs_number.replace(" ", ""),
              f"{person}'s NHS number reads as {record.nhs_number!r}")
        print(f"the person: {record.given_name} {record.family_name}, born "
              f"{record.birth_date}, NHS number "
              f"{record.nhs_number or 'not recorded'}")

        # 1. A routine request the crisis team is not the place for: it
        # declines, saying why and where the person can go instead.
        routine = sam.refer(person, args.to_team, "ROUTINE",
                            reason="Sleep has been poor for a month")
        signposting = "GP sleep review; NHS 111 (option 2) if things worsen"
        declined = kim.decline(routine, reason="Not a crisis need",
                               signposting=signposting,
                               suggested_team=args.onward_team)
        check(declined.name == routine.name and state_of(declined) ==
              "DECLINED", f"{routine.name} is {state_of(declined)} after "
              "the decline")
        check(declined.history[-1].note == "Not a crisis need",
              f"the decline recorded {declined.history[-1].note!r} as why")
        check(declined.onward_route.signposting == signposting and
              declined.onward_route.suggested_team == args.onward_team,
              f"the onward route was stored as {declined.onward_route}")
        print(f"declined: {declined.name} is {state_of(declined)}: "
              f"{declined.history[-1].note}; instead: {signposting}"
              + (f" or {args.onward_team}" if args.onward_team else ""))

        # 2. Refer urgently. Bad input is refused naming the field; nothing
        # is stored.
        try:
            sam.refer(person, args.to_team, "URGENT", reason="")
            print("error: a referral without a reason was accepted")
            return 1
        except CarebridgeError as error:
            print(f"refused as expected: {error}")
        referral = sam.refer(
            person, args.to_team, "URGENT",
            reason="Escalating distress after an eviction notice",
            wishes="Prefers a phone call first", request_id="example-1")
        again = sam.refer(
            person, args.to_team, "URGENT",
            reason="Escalating distress after an eviction notice",
            wishes="Prefers a phone call first", request_id="example-1")
        check(again.name == referral.name, "a retry made a second referral")
        print(f"referred: {referral.name} ({state_of(referral)}), "
              f"answer due {referral.response_due_time.ToJsonString()}")

        # 3. The crisis team finds it in its inbox and answers.
        waiting = [r for r in kim.inbox(person) if r.name == referral.name]
        check(bool(waiting), "the referral is not in the receiving team's "
              "inbox")
        acknowledged = kim.acknowledge(waiting[0], note="Seen; calling today")
        accepted = kim.accept(acknowledged, note="Home treatment from tomorrow")
        print(f"answered: {accepted.name} is {state_of(accepted)}")

        # 4. The referring team reads where what it sent stands (the crisis
        # team sent nothing) ...
        sent = {r.name: r for r in sam.sent(person)}
        check({name: state_of(r) for name, r in sent.items()} ==
              {routine.name: "DECLINED", referral.name: "ACCEPTED"},
              "the referring team's sent list has "
              f"{[(n, state_of(r)) for n, r in sent.items()]}")
        check(sent[routine.name].onward_route == declined.onward_route,
              "the referring team does not see the onward route")
        check(routine.name in {r.name for r in sam.sent()},
              "the sent list without a person leaves the referral out")
        check(not list(kim.sent(person)),
              "the crisis team's sent list has the referrals it received")
        latest = sam.referral(referral.name)
        check(state_of(latest) == "ACCEPTED" and latest.history[-1].note ==
              "Home treatment from tomorrow",
              f"{referral.name} reads as {state_of(latest)}, last note "
              f"{latest.history[-1].note!r}")
        for name, r in sent.items():
            print(f"sent by the referring team: {name} is {state_of(r)} "
                  f"({r.reason})")

        # ... and the plan back: the acceptance adds the crisis team to the
        # care team (the care plan service applies it from the referral feed
        # within moments).
        deadline = time.time() + 10
        while True:
            plan = sam.care_plan(person)
            teams = sorted(m.team for m in plan.care_team if not
                           m.HasField("end_time"))
            if args.to_team in teams or time.time() > deadline:
                break
            time.sleep(0.1)
        print(f"plan version {plan.version}: what helps: "
              f"{plan.crisis_plan.what_helps}")
        print(f"care team: {', '.join(teams)} (lead {plan.lead_team})")
        if args.to_team not in teams:
            print("error: the accepting team did not join the care team")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
