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
#include "carebridge/referral/v1/referral.pb.h"

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
struct ReferralCursor {
  int64_t create_time_us = 0;
  int64_t sequence = 0;
};

struct ReferralQuery {
  enum class Mailbox { kInbox, kSentByTeam };
  Mailbox mailbox = Mailbox::kInbox;
  // INBOX: receiving_team == team; SENT_BY_TEAM: sending_team == team.
  std::string team;
  // Any of these states; all states when empty.
  std::vector<v1::State> states;
  // Only this person, when not empty.
  std::string person;
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

// Persists referrals. Referral names are `referrals/{id}`; implementations
// key rows by the id and index person, teams, state and times. Every method
// is atomic. Implementations must be thread-safe.
class ReferralStore {
 public:
  virtual ~ReferralStore() = default;

  // Stores a new referral at version 1. When `request_id` is not empty and
  // the same sending team already created a referral with it, returns that
  // referral instead and stores nothing: the check and the insert are one
  // transaction, so concurrent retries never make two. The body of a retry
  // is not compared here; the caller tells a retry from a reused id.
  virtual absl::StatusOr<StoredReferral> Create(
      const v1::Referral& referral, absl::string_view request_id) = 0;

  // The referral a sending team created with `request_id`, if any.
  virtual absl::StatusOr<std::optional<StoredReferral>> FindByRequestId(
      absl::string_view sending_team, absl::string_view request_id) = 0;

  // NOT_FOUND when there is no such referral.
  virtual absl::StatusOr<StoredReferral> Get(absl::string_view name) = 0;

  // Replaces the referral if its stored version is still `expected_version`
  // (compare-and-swap); ABORTED if it changed meanwhile, NOT_FOUND if it does
  // not exist. Returns the new version.
  virtual absl::StatusOr<int64_t> Update(const v1::Referral& referral,
                                         int64_t expected_version) = 0;

  // In one transaction: updates `redirected` as Update does, and creates
  // `created` as Create does (without a request id). Either both are stored
  // or neither. Returns both as stored.
  virtual absl::StatusOr<std::pair<StoredReferral, StoredReferral>> Redirect(
      const v1::Referral& redirected, int64_t expected_version,
      const v1::Referral& created) = 0;

  // One page of a mailbox, oldest first.
  virtual absl::StatusOr<ReferralPage> List(const ReferralQuery& query) = 0;
};

}  // namespace carebridge::referral

#endif  // CAREBRIDGE_SERVICES_REFERRAL_REFERRAL_STORE_H_
