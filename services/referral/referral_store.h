#ifndef CAREBRIDGE_SERVICES_REFERRAL_REFERRAL_STORE_H_
#define CAREBRIDGE_SERVICES_REFERRAL_REFERRAL_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "carebridge/events/v1/events.pb.h"
#include "carebridge/referral/v1/referral.pb.h"
#include "services/common/event_log.h"
#include "services/common/page_token.h"

namespace carebridge::referral {

// A referral as stored, with the version its etag is made from.
struct StoredReferral {
  v1::Referral referral;
  // 1 when created, +1 on every update.
  int64_t version = 0;
};

// Where a listing resumes: the sort key of the last item of the previous
// page. Listings run oldest first by (create_time, sequence), where the
// sequence is the store's insertion order, so a referral created after a page
// was read always sorts after it. Implementations must hand out keys in
// commit order, so a reader never sees a key before a smaller one that is
// still to commit (a page would skip it): SQLite serialises its writers; a
// PostgreSQL implementation must serialise the key assignment with the
// commit (e.g. a transaction-scoped advisory lock around insert and commit),
// since a sequence alone is allocated out of commit order.
using ReferralCursor = CreateOrderCursor;

struct ReferralQuery {
  enum class Mailbox { kInbox, kSentByTeam };
  Mailbox mailbox = Mailbox::kInbox;
  // INBOX: receiving_team == team; SENT_BY_TEAM: sending_team == team.
  std::string team;
  // Any of these states; all states when empty.
  std::vector<v1::State> states;
  // Only this person, when not empty.
  std::string person;
  // Only referrals carrying this identifier, when set.
  std::optional<v1::ReferralIdentifier> identifier;
  // Only SENT or ACKNOWLEDGED referrals whose response_due_time < now.
  bool overdue_only = false;
  absl::Time now;
  int page_size = 50;
  // Resume after this key; from the start when unset.
  std::optional<ReferralCursor> after;
};

struct ReferralPage {
  std::vector<StoredReferral> referrals;
  // The key of the last referral returned, when more may follow.
  std::optional<ReferralCursor> next;
};

// Persists referrals and, in the same transaction as each change, the
// event that describes it (the outbox, served by event_log()). Referral
// names are `referrals/{id}`; implementations key rows by the id and index
// person, teams, state and times. Every method is atomic: a change that
// fails stores neither the change nor its event. Implementations must be
// thread-safe.
class ReferralStore {
 public:
  virtual ~ReferralStore() = default;

  // Stores a new referral at version 1 (its identifiers indexed for
  // List's `identifier`) and appends `event`. When
  // `request_id` is not empty and the same sending team already created a
  // referral with it, returns that referral instead and stores nothing (no
  // event either): the check and the insert are one transaction, so
  // concurrent retries never make two. The body of a retry is not compared
  // here; the caller tells a retry from a reused id. An implementation that
  // raises the create time (so listings only grow at the end) raises it in
  // the event's Referral payload too: the event shows what was stored.
  virtual absl::StatusOr<StoredReferral> Create(
      const v1::Referral& referral, absl::string_view request_id,
      const events::v1::Event& event) = 0;

  // The referral a sending team created with `request_id`, if any.
  virtual absl::StatusOr<std::optional<StoredReferral>> FindByRequestId(
      absl::string_view sending_team, absl::string_view request_id) = 0;

  // NOT_FOUND when there is no such referral.
  virtual absl::StatusOr<StoredReferral> Get(absl::string_view name) = 0;

  // Replaces the referral and appends `event` if its stored version is
  // still `expected_version` (compare-and-swap); ABORTED if it changed
  // meanwhile, NOT_FOUND if it does not exist. Returns the new version.
  virtual absl::StatusOr<int64_t> Update(const v1::Referral& referral,
                                         int64_t expected_version,
                                         const events::v1::Event& event) = 0;

  // In one transaction: updates `redirected` as Update does (appending
  // `redirected_event`), then creates `created` as Create does without a
  // request id (appending `created_event`). Either all of it is stored or
  // nothing. Returns both referrals as stored.
  virtual absl::StatusOr<std::pair<StoredReferral, StoredReferral>> Redirect(
      const v1::Referral& redirected, int64_t expected_version,
      const events::v1::Event& redirected_event, const v1::Referral& created,
      const events::v1::Event& created_event) = 0;

  // One page of a mailbox, oldest first: up to `page_size` referrals and at
  // most kMaxListPageBytes (resource_size.h) of them (at least one), `next`
  // set when more may follow.
  virtual absl::StatusOr<ReferralPage> List(const ReferralQuery& query) = 0;

  // Up to `limit` referrals awaiting an answer (SENT or ACKNOWLEDGED) whose
  // response_due_time is before `now` and that have no escalate_time, the
  // most overdue first: what the deadline scan escalates (with Update).
  virtual absl::StatusOr<std::vector<StoredReferral>> ListUnescalatedOverdue(
      absl::Time now, int limit) = 0;

  // The events this store has committed, in commit order.
  virtual EventLog* event_log() = 0;
};

}  // namespace carebridge::referral

#endif  // CAREBRIDGE_SERVICES_REFERRAL_REFERRAL_STORE_H_
