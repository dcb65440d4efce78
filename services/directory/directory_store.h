#ifndef CAREBRIDGE_SERVICES_DIRECTORY_DIRECTORY_STORE_H_
#define CAREBRIDGE_SERVICES_DIRECTORY_DIRECTORY_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "carebridge/directory/v1/directory.pb.h"
#include "carebridge/events/v1/events.pb.h"
#include "services/common/event_log.h"
#include "services/directory/lookup_ledger.h"

namespace carebridge::directory {

// Identifies a create for idempotent retries: the same caller repeating the
// same method with the same request id gets the first result. An empty
// `request_id` means the create is not idempotent. `request_fingerprint`
// (see request_fingerprint.h) is stored with the first create and tells a
// retry, which must match it, from a different request reusing the id.
struct IdempotencyKey {
  std::string subject;
  std::string method;
  std::string request_id;
  std::string request_fingerprint = {};
};

// A keyset cursor: the sort key and resource name of the last item of the
// previous page. Lists are ordered by (sort_key, name).
struct ListCursor {
  std::string sort_key;
  std::string name;
};

struct TeamFilter {
  // SECTOR_UNSPECIFIED means every sector.
  v1::Sector sector = v1::SECTOR_UNSPECIFIED;
  bool accepting_referrals_only = false;
};

// The sort key of teams and members: the display name folded to lower case
// (ASCII only), so listings are case-insensitive and stable.
std::string SortKey(absl::string_view display_name);
// The search key of a family name: trimmed and folded to lower case.
std::string FamilyNameKey(absl::string_view family_name);
// Whether `registered` may be the same person as `incoming` (both with
// FamilyNameKey and birth date equal): a given or preferred name of one is a
// given or preferred name of the other (trimmed, ignoring ASCII case), and
// they do not both have NHS numbers (different NHS numbers are
// different persons; the same one is refused by the NHS number's rule).
bool IsPossibleDuplicate(const v1::Person& incoming,
                         const v1::Person& registered);

// Persistence of the directory. Resources are stored whole; the store
// enforces what must hold under concurrency (unique NHS numbers,
// compare-and-swap on etags, at-most-once creates per IdempotencyKey, one
// request per request id) and nothing else: validation and policy belong to
// the domain. Implementations are thread-safe. Every method either succeeds
// or changes nothing.
//
// Every change commits with the event describing it (the transactional
// outbox, see carebridge/events/v1/events.proto): each write below takes
// the event the domain built and appends it in the same transaction as the
// change, and wakes event_log() once that transaction has committed. A
// write that fails, or a retry that stores nothing, appends nothing.
class DirectoryStore : public LookupLedger {
 public:
  ~DirectoryStore() override = default;

  // The `directory` feed: the events this store committed. Owned by the
  // store.
  virtual EventLog* event_log() = 0;

  // Inserts `team` (name already assigned) with `event` and returns it. If
  // `key` (subject, method, request_id) was used before, inserts nothing
  // (and appends no event) and returns the team it created when
  // `key.request_fingerprint` matches the stored one, or fails with
  // ALREADY_EXISTS naming that team when it does not. The check and the
  // insert are one transaction, so of concurrent creates with one key
  // exactly one inserts; a PostgreSQL implementation gets the same from the
  // primary key of its request-id table.
  virtual absl::StatusOr<v1::Team> CreateTeam(
      const v1::Team& team, const IdempotencyKey& key,
      const events::v1::Event& event) = 0;
  // NOT_FOUND when there is no team `name` (`teams/{id}`).
  virtual absl::StatusOr<v1::Team> GetTeam(absl::string_view name) = 0;
  // Replaces the stored team of the same name, with `event`, if its etag is
  // still `expected_etag`; ABORTED if it changed, NOT_FOUND if it is gone.
  virtual absl::Status ReplaceTeam(const v1::Team& team,
                                   absl::string_view expected_etag,
                                   const events::v1::Event& event) = 0;
  // Up to `limit` teams after `after` (from the start when empty), ordered
  // by (SortKey(display_name), name).
  virtual absl::StatusOr<std::vector<v1::Team>> ListTeams(
      const TeamFilter& filter, const std::optional<ListCursor>& after,
      int limit) = 0;

  // As CreateTeam, for members. The caller has checked the team exists
  // (teams are never deleted).
  virtual absl::StatusOr<v1::Member> CreateMember(
      const v1::Member& member, const IdempotencyKey& key,
      const events::v1::Event& event) = 0;
  virtual absl::StatusOr<v1::Member> GetMember(absl::string_view name) = 0;
  // As ReplaceTeam, for members (their etag is in the stored resource).
  virtual absl::Status ReplaceMember(const v1::Member& member,
                                     absl::string_view expected_etag,
                                     const events::v1::Event& event) = 0;
  // Commits `event` alone: a change that is nothing but its event (a token
  // revoked: tokens are not stored, the feed is the record).
  virtual absl::Status AppendEvent(const events::v1::Event& event) = 0;
  // Members of `team` ordered by (SortKey(display_name), name).
  virtual absl::StatusOr<std::vector<v1::Member>> ListMembers(
      absl::string_view team, const std::optional<ListCursor>& after,
      int limit) = 0;

  // As CreateTeam, for persons. A person whose NHS number is already
  // registered fails with ALREADY_EXISTS naming the existing person; this
  // holds under concurrent creates. With `possible_duplicates` non-null, a
  // new person who may be registered already (IsPossibleDuplicate) is not
  // created: FAILED_PRECONDITION, with the persons it may be appended to
  // `possible_duplicates`; decided in the create's transaction, so two
  // concurrent registrations of one person cannot both pass. A retry of a
  // create (its request id) answers as before, whatever was registered
  // since.
  virtual absl::StatusOr<v1::Person> CreatePerson(
      const v1::Person& person, const IdempotencyKey& key,
      const events::v1::Event& event,
      std::vector<v1::Person>* possible_duplicates = nullptr) = 0;
  virtual absl::StatusOr<v1::Person> GetPerson(absl::string_view name) = 0;
  // Replaces a person with `person` and commits `event`, if the stored
  // etag is still `expected_etag` (else ABORTED); an NHS number registered
  // to another person fails with ALREADY_EXISTS naming them.
  virtual absl::Status ReplacePerson(const v1::Person& person,
                                     absl::string_view expected_etag,
                                     const events::v1::Event& event) = 0;
  // Stores `duplicate`, its `merged_into` naming the person kept, and
  // commits `event`, if its stored etag is still `expected_etag` (else
  // ABORTED) and neither it nor the person kept has been merged already
  // (else FAILED_PRECONDITION naming what it was merged into; decided in the
  // transaction, so two merges of one pair cannot both pass). A merged
  // person is no longer found by the finds below nor compared by
  // CreatePerson.
  virtual absl::Status MergePerson(const v1::Person& duplicate,
                                   absl::string_view expected_etag,
                                   const events::v1::Event& event) = 0;
  // Persons with this (normalised) NHS number: none or one.
  virtual absl::StatusOr<std::vector<v1::Person>> FindPersonsByNhsNumber(
      absl::string_view nhs_number) = 0;
  // Up to `limit` persons whose FamilyNameKey matches `family_name_key`
  // and who were born on `birth_date` (YYYY-MM-DD), ordered by name.
  virtual absl::StatusOr<std::vector<v1::Person>> FindPersonsByNameAndBirth(
      absl::string_view family_name_key, absl::string_view birth_date,
      int limit) = 0;
};

}  // namespace carebridge::directory

#endif  // CAREBRIDGE_SERVICES_DIRECTORY_DIRECTORY_STORE_H_
