#ifndef CAREBRIDGE_SERVICES_COMMON_CALL_AUDIT_H_
#define CAREBRIDGE_SERVICES_COMMON_CALL_AUDIT_H_

#include <map>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "google/protobuf/message.h"
#include "services/common/audit_chain.h"
#include "services/common/principal.h"

namespace carebridge {

class Database;

// Whom a service's call to another service is made for: the member (or
// person) whose call to the first service needed it. Empty `subject`:
// nobody but the calling service itself (a feed consumer, a periodic task).
struct Requester {
  // `members/{id}` or `persons/{id}`.
  std::string subject;
  // `teams/{id}`; empty for a person, and for an admin without a team.
  std::string team;
  // RoleName of their role (`clinician`).
  std::string role;
};

// How a requester is written in an audit record's `on_behalf_of`:
// `members/{id} (teams/{id}, clinician)`, `persons/{id} (person)`, or ""
// for nobody.
std::string OnBehalfOfText(const Requester& requester);

// The audit of the call a thread is serving: who and what, the database it
// belongs in, and whether a write already carried it. The RPC edge begins
// it; each audited database's write transaction made during the call that
// changes data appends the record in that same transaction
// (RecordsCarriedByWrite); a call that changed nothing gets its record
// written, durably, before its response leaves (FinishCallAudit).
struct CallAudit {
  AuditRecord record;
  // The first audited database the call read or wrote: where a read's
  // record goes.
  Database* sink = nullptr;
  // A committed write transaction carried the record.
  bool written = false;
  // Further persons the call was about (a lookup that found several): each
  // gets a record of its own, the same but for `person`, so each person's
  // accesses list the call.
  std::vector<std::string> more_persons;
  // What the call returned that concerns one person in particular (a
  // list's: what it showed of that person's resources), kept in the record
  // naming that person in place of `record.sections`.
  std::map<std::string, std::string> sections_of_person;
  // The id that follows the request across services (x-request-id), sent
  // on each call this one makes to another service; "" when none.
  std::string request_id;
  // Whom the calls this call makes to other services are for (sent with
  // each, see on_behalf_of.h): the member or person who made it; for a
  // service's call, whom that service said it was for (SetOnBehalfOf);
  // nobody for a service's own call.
  Requester requester;
};

// Records that `audit`'s call, by a service identity, is made for
// `requester` (what that service said): its record's `on_behalf_of`, and
// whom the calls it makes in turn are for.
void SetOnBehalfOf(CallAudit& audit, Requester requester);

// The records `audit` makes: its record, and one more per `more_persons`,
// each with its person's `sections_of_person` when the call noted some.
std::vector<AuditRecord> AuditRecordsOf(const CallAudit& audit);

// The records a write transaction made during `audit`'s call carries, in
// that transaction, marked OK: the call's, when the write changed data
// (`changed`), as that change is what the call did. None when it changed
// nothing (a retry answered from what is stored, a request refused on what
// the transaction read, e.g. a request_id reused for other content): how
// the call ends is not known yet, so the call's end writes its records,
// with its outcome and what it returned, durably before the response
// leaves (FinishCallAudit). Every engine's Write asks this.
std::vector<AuditRecord> RecordsCarriedByWrite(const CallAudit& audit,
                                               bool changed);

// The call being served on this thread; null outside a call.
CallAudit* CurrentCallAudit();

// Makes `audit` the thread's current call for its lifetime.
class ScopedCallAudit {
 public:
  explicit ScopedCallAudit(CallAudit* audit);
  ~ScopedCallAudit();
  ScopedCallAudit(const ScopedCallAudit&) = delete;
  ScopedCallAudit& operator=(const ScopedCallAudit&) = delete;

 private:
  CallAudit* const previous_;
};

// The call (if any) touched `db`'s data without reading the database (from
// a cache in front of it): its record belongs in `db`'s audit log. No-op
// when `db` is null or not audited, or outside a call.
void NoteAuditedAccess(Database* db);

// The call (if any) is about `person` (`persons/{id}`) though its request
// named only a resource of theirs (`referrals/{id}`): its audit record names
// the person, so the person's accesses list it. No-op outside a call or
// when the record already names someone.
void NoteAuditedPerson(absl::string_view person);

// The call (if any) is about each of `persons` (`persons/{id}`), e.g. the
// persons a lookup found: the first is the record's person (unless it
// names someone already), every other one gets a record of its own. No-op
// outside a call.
void NoteAuditedPersons(const std::vector<std::string>& persons);

// The call (if any) returns these sections of the resource to its caller
// (the parts of a care plan the person's sharing choices show the
// caller's team, `goals,own_actions,what_helps`): its record keeps them. A
// later note replaces an earlier one; once a write has carried the record,
// a note changes nothing. No-op outside a call.
void NoteAuditedSections(absl::string_view sections);

// The call (if any) returns `sections` of what concerns `person`
// (`persons/{id}`), e.g. what a list showed of that person's referrals:
// the person is noted as by NoteAuditedPersons, and the record naming them
// keeps these sections rather than the call's (NoteAuditedSections). A
// later note for the person replaces an earlier one; once a write has
// carried the records, a note changes nothing. No-op outside a call.
void NoteAuditedSectionsOf(absl::string_view person,
                           absl::string_view sections);

// The call (if any) gives a reason its record must keep (the stated reason
// of a break-glass access). No-op outside a call.
void NoteAuditReason(absl::string_view reason);

// The audit of a call by `caller` with `request`: the method is named by
// the request type (`carebridge.careplan.v1.GetCarePlan`), the resource by
// its `name`, `parent` or `person` field, the person by the resource when
// it is under `persons/{id}`.
CallAudit BeginCallAudit(const Principal& caller, absl::Time now,
                         const google::protobuf::Message& request);

// Ends the call's audit with `status` (the person from `response`'s
// `person` field when the request did not name one; no sections when the
// call failed, as it returned nothing): when no write carried
// it and the call touched an audited database, the record is written now,
// durably. Returns `status`, or errors::AuditRecordNotWritten when the
// record could not be written: nothing leaves without its audit record.
absl::Status FinishCallAudit(CallAudit& audit, const absl::Status& status,
                             const google::protobuf::Message* response);

// FinishCallAudit without waiting: `done` gets what FinishCallAudit would
// return, at once when no record is due, else once the record is durable
// (on the audit writer's thread). `audit.record` is used up.
void FinishCallAuditAsync(CallAudit& audit, const absl::Status& status,
                          const google::protobuf::Message* response,
                          absl::AnyInvocable<void(absl::Status)> done);

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_CALL_AUDIT_H_
