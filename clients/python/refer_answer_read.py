#!/usr/bin/python3
"""A worked example: a community team writes a person's crisis plan with
them, refers them to the crisis team, the crisis team answers, and the
community team reads the plan back with the care team the acceptance built.

    PYTHONPATH=build/clients/python/gen:clients/python \\
      /usr/bin/python3 clients/python/refer_answer_read.py \\
      --server=127.0.0.1:50051 --sender_token=... --receiver_token=... \\
      --person=persons/... --to_team=teams/...
"""

import argparse
import sys
import time

from carebridge_client import CarebridgeError, Client, state_of


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", required=True)
    parser.add_argument("--sender_token", required=True,
                        help="a clinician of the referring team")
    parser.add_argument("--receiver_token", required=True,
                        help="a clinician of the team referred to")
    parser.add_argument("--person", required=True)
    parser.add_argument("--to_team", required=True)
    args = parser.parse_args()

    with Client(args.server, args.sender_token) as sam, \
            Client(args.server, args.receiver_token) as kim:
        # 0. The referring team writes the person's crisis plan with them
        # (the first write makes the plan, and the team leads it).
        first = sam.update_crisis_plan(
            args.person, reason="Crisis plan agreed with Alex",
            what_helps="Her sister Jo; walking the dog",
            triggers="Letters about housing")
        print(f"plan written: version {first.version}, lead {first.lead_team}")

        # 1. Refer. Bad input is refused naming the field; nothing is stored.
        try:
            sam.refer(args.person, args.to_team, "URGENT", reason="")
            print("error: a referral without a reason was accepted")
            return 1
        except CarebridgeError as error:
            print(f"refused as expected: {error}")
        referral = sam.refer(
            args.person, args.to_team, "URGENT",
            reason="Escalating distress after an eviction notice",
            wishes="Prefers a phone call first", request_id="example-1")
        again = sam.refer(
            args.person, args.to_team, "URGENT",
            reason="Escalating distress after an eviction notice",
            wishes="Prefers a phone call first", request_id="example-1")
        assert again.name == referral.name, "a retry made a second referral"
        print(f"referred: {referral.name} ({state_of(referral)}), "
              f"answer due {referral.response_due_time.ToJsonString()}")

        # 2. The crisis team finds it in its inbox and answers.
        found = [r for r in kim.inbox(args.person) if r.name == referral.name]
        assert found, "the referral is not in the receiving team's inbox"
        acknowledged = kim.acknowledge(found[0], note="Seen; calling today")
        accepted = kim.accept(acknowledged, note="Home treatment from tomorrow")
        print(f"answered: {accepted.name} is {state_of(accepted)}")

        # 3. The referring team reads the plan back: the acceptance adds
        # the crisis team to the care team (the care plan service applies
        # it from the referral feed within moments).
        deadline = time.time() + 10
        while True:
            plan = sam.care_plan(args.person)
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
