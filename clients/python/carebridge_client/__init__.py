"""carebridge from Python: a small typed helper over the generated stubs.

    from carebridge_client import Client, CarebridgeError

    sam = Client("127.0.0.1:50051", token=SAM_TOKEN)
    referral = sam.refer(person="persons/p1", to_team="teams/crisis",
                         urgency="URGENT", reason="Escalating distress")

Every call carries the token as `authorization: Bearer <token>`; errors
are raised as CarebridgeError with the canonical gRPC code's name and the
server's message (which names the field and the problem). The generated
stubs (carebridge.<service>.v1.*_pb2, *_pb2_grpc) are importable too, for
what the helper does not cover; build/clients/python/gen must be on
PYTHONPATH (`cmake --build build` makes them).
"""

from __future__ import annotations

import uuid
from typing import Iterator

import grpc
from google.protobuf import field_mask_pb2

from carebridge.careplan.v1 import (careplan_pb2, careplan_pb2_grpc,
                                     crisis_plan_pb2)
from carebridge.directory.v1 import directory_pb2, directory_pb2_grpc
from carebridge.referral.v1 import referral_pb2, referral_pb2_grpc

__all__ = ["Client", "CarebridgeError", "state_of"]

Referral = referral_pb2.Referral
CarePlan = careplan_pb2.CarePlan


def state_of(referral: Referral) -> str:
    """The referral's state by name: "SENT", "ACCEPTED", ..."""
    return referral_pb2.State.Name(referral.state)


class CarebridgeError(Exception):
    """A call the server refused: `code` (e.g. "INVALID_ARGUMENT") and why."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def _call(method, request, metadata, timeout: float):
    try:
        return method(request, metadata=metadata, timeout=timeout)
    except grpc.RpcError as error:  # the server's status, as raised by grpcio
        raise CarebridgeError(error.code().name, error.details()) from None


class Client:
    """One member's (or a person's) connection to carebridge."""

    def __init__(self, address: str, token: str,
                 root_certificates: bytes | None = None,
                 timeout: float = 10.0):
        if root_certificates is None:
            channel = grpc.insecure_channel(address)
        else:
            channel = grpc.secure_channel(
                address, grpc.ssl_channel_credentials(root_certificates))
        self._channel = channel
        self._metadata = (("authorization", f"Bearer {token}"),)
        self._timeout = timeout
        self.directory = directory_pb2_grpc.DirectoryServiceStub(channel)
        self.referrals = referral_pb2_grpc.ReferralServiceStub(channel)
        self.care_plans = careplan_pb2_grpc.CarePlanServiceStub(channel)

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _do(self, method, request):
        return _call(method, request, self._metadata, self._timeout)

    # Persons.
    def person(self, name: str) -> directory_pb2.Person:
        return self._do(self.directory.GetPerson,
                        directory_pb2.GetPersonRequest(name=name))

    def find_by_nhs_number(self, nhs_number: str) -> list[directory_pb2.Person]:
        return list(self._do(
            self.directory.FindPersons,
            directory_pb2.FindPersonsRequest(nhs_number=nhs_number)).persons)

    # Referrals.
    def refer(self, person: str, to_team: str, urgency: str, reason: str,
              wishes: str = "", request_id: str | None = None) -> Referral:
        """Refers `person` from the caller's team to `to_team`.

        `urgency`: "ROUTINE", "URGENT" or "CRISIS". A retry with the same
        `request_id` (one is made when not given) returns the first
        referral, never a second.
        """
        referral = referral_pb2.Referral(
            person=person, receiving_team=to_team,
            urgency=referral_pb2.Urgency.Value(urgency), reason=reason,
            person_wishes=wishes)
        return self._do(self.referrals.CreateReferral,
                        referral_pb2.CreateReferralRequest(
                            referral=referral,
                            request_id=request_id or uuid.uuid4().hex))

    def referral(self, name: str) -> Referral:
        return self._do(self.referrals.GetReferral,
                        referral_pb2.GetReferralRequest(name=name))

    def inbox(self, person: str = "") -> Iterator[Referral]:
        """Every referral to the caller's team (of `person`, when given)."""
        return self._list(referral_pb2.INBOX, person)

    def sent(self, person: str = "") -> Iterator[Referral]:
        """Every referral the caller's team sent."""
        return self._list(referral_pb2.SENT_BY_TEAM, person)

    def _list(self, mailbox, person: str) -> Iterator[Referral]:
        request = referral_pb2.ListReferralsRequest(
            mailbox=mailbox, person=person, page_size=200)
        while True:
            page = self._do(self.referrals.ListReferrals, request)
            yield from page.referrals
            if not page.next_page_token:
                return
            request.page_token = page.next_page_token

    def acknowledge(self, referral: Referral, note: str = "") -> Referral:
        return self._do(self.referrals.AcknowledgeReferral,
                        referral_pb2.AcknowledgeReferralRequest(
                            name=referral.name, etag=referral.etag, note=note))

    def accept(self, referral: Referral, note: str = "") -> Referral:
        return self._do(self.referrals.AcceptReferral,
                        referral_pb2.AcceptReferralRequest(
                            name=referral.name, etag=referral.etag, note=note))

    def decline(self, referral: Referral, reason: str, signposting: str = "",
                suggested_team: str = "") -> Referral:
        """Declines, saying why and where the person can go instead."""
        return self._do(self.referrals.DeclineReferral,
                        referral_pb2.DeclineReferralRequest(
                            name=referral.name, etag=referral.etag,
                            reason=reason,
                            onward_route=referral_pb2.OnwardRoute(
                                signposting=signposting,
                                suggested_team=suggested_team)))

    # The care plan.
    def care_plan(self, person: str) -> CarePlan:
        return self._do(self.care_plans.GetCarePlan,
                        careplan_pb2.GetCarePlanRequest(
                            name=f"{person}/carePlan"))

    def update_crisis_plan(self, person: str, reason: str, etag: str = "",
                           **fields: str) -> CarePlan:
        """Sets crisis plan fields (what_helps=..., triggers=...).

        `etag`: the plan's, when it exists (a stale one is ABORTED: read it
        again and show the change); empty for the first write.
        """
        plan = careplan_pb2.CarePlan(
            name=f"{person}/carePlan",
            crisis_plan=crisis_plan_pb2.CrisisPlan(**fields))
        mask = field_mask_pb2.FieldMask(
            paths=[f"crisis_plan.{field}" for field in fields])
        return self._do(self.care_plans.UpdateCarePlan,
                        careplan_pb2.UpdateCarePlanRequest(
                            care_plan=plan, update_mask=mask, etag=etag,
                            reason=reason, request_id=uuid.uuid4().hex))
