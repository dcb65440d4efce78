#ifndef CAREBRIDGE_SERVICES_HANDOVER_HANDOVER_STORE_H_
#define CAREBRIDGE_SERVICES_HANDOVER_HANDOVER_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "carebridge/events/v1/events.pb.h"
#include "carebridge/handover/v1/handover.pb.h"
#include "services/common/event_log.h"
#include "services/common/page_token.h"

namespace carebridge::handover {

// A handover as stored, with the version its etag is made from.
struct StoredHandover {
  v1::Handover handover;
  // 1 when created, +1 on every update.
  int64_t version = 0;
  // The fingerprint of the create request, when it came with a request_id
  // (empty otherwise): how a retry is told from a reused request_id.
  std::string request_fingerprint;
};

// A create's idempotency key: the sending team's request_id and a
// fingerprint of what the request asked for. An empty request_id means the
// create is not idempotent.
struct HandoverRequestKey {
  std::string request_id;
  std::string fingerprint;
};

// Where a listing resumes: the sort key of the last item of the previous
// page. Listings run oldest first by (create_time, sequence), where the
// sequence is the store's insertion order, so a handover created after a
// page was read always sorts after it. Implementations hand out keys in
// commit order (see referral_store.h ReferralCursor: SQLite serialises its
// writers; PostgreSQL must serialise key assignment with the commit).
using HandoverCursor = CreateOrderCursor;

struct HandoverQuery {
  enum class Mailbox { kInbox, kSentByTeam };
  Mailbox mailbox = Mailbox::kInbox;
  // INBOX: receiving_team == team; SENT_BY_TEAM: sending_team == team.
  std::string team;
  // Any of these states; all states when empty.
  std::vector<v1::State> states;
  // Only this person, when not empty.
  std::string person;
  // Only PENDING handovers whose response_due_time < now.
  bool overdue_only = false;
  absl::Time now;
  int page_size = 50;
  // Resume after this key; from the start when unset.
  std::optional<HandoverCursor> after;
};

struct HandoverPage {
  std::vector<StoredHandover> handovers;
  // The key of the last handover returned, when more may follow.
  std::optional<HandoverCursor> next;
};

// Persists handovers and, in the same transaction as each change, the event
// that describes it (the outbox, served by event_log()). Handover names are
// `handovers/{id}`; implementations key rows by the id and index person,
// teams, state and times. Every method is atomic: a change that fails
// stores neither the change nor its event. Implementations must be
// thread-safe.
class HandoverStore {
 public:
  virtual ~HandoverStore() = default;

  // Stores a new handover at version 1 and appends `event`, in one
  // transaction that also checks:
  // - when `key.request_id` is not empty and the sending team already
  //   created a handover with it: returns that handover (with its
  //   fingerprint) and stores nothing, no event either, so concurrent
  //   retries never make two; telling a retry from a reused id is the
  //   caller's business;
  // - a TRANSFER_OF_RESPONSIBILITY while another one for the same person is
  //   PENDING: FAILED_PRECONDITION naming the pending one, nothing stored.
  // An implementation that raises the create time (so listings only grow
  // at the end) raises it in the event's Handover payload too.
  virtual absl::StatusOr<StoredHandover> Create(
      const v1::Handover& handover, const HandoverRequestKey& key,
      const events::v1::Event& event) = 0;

  // The handover a sending team created with `request_id`, if any.
  virtual absl::StatusOr<std::optional<StoredHandover>> FindByRequestId(
      absl::string_view sending_team, absl::string_view request_id) = 0;

  // NOT_FOUND when there is no such handover.
  virtual absl::StatusOr<StoredHandover> Get(absl::string_view name) = 0;

  // Replaces the handover and appends `event` if its stored version is
  // still `expected_version` (compare-and-swap); ABORTED if it changed
  // meanwhile, NOT_FOUND if it does not exist. Returns the new version.
  virtual absl::StatusOr<int64_t> Update(const v1::Handover& handover,
                                         int64_t expected_version,
                                         const events::v1::Event& event) = 0;

  // One page of a mailbox, oldest first: up to `page_size` handovers and at
  // most kMaxListPageBytes (resource_size.h) of them (at least one), `next`
  // set when more may follow.
  virtual absl::StatusOr<HandoverPage> List(const HandoverQuery& query) = 0;

  // Up to `limit` PENDING handovers whose response_due_time is before `now`
  // and that have no escalate_time, the most overdue first: what the
  // deadline scan escalates (with Update).
  virtual absl::StatusOr<std::vector<StoredHandover>> ListUnescalatedOverdue(
      absl::Time now, int limit) = 0;

  // The events this store has committed, in commit order.
  // The accepted transfer of responsibility for `person` from
  // `sending_team` answered last, if any.
  virtual absl::StatusOr<std::optional<StoredHandover>>
  LatestAcceptedTransferFrom(absl::string_view person,
                             absl::string_view sending_team) = 0;

  virtual EventLog* event_log() = 0;
};

}  // namespace carebridge::handover

#endif  // CAREBRIDGE_SERVICES_HANDOVER_HANDOVER_STORE_H_
