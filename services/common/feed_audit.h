#ifndef CAREBRIDGE_SERVICES_COMMON_FEED_AUDIT_H_
#define CAREBRIDGE_SERVICES_COMMON_FEED_AUDIT_H_

#include <grpcpp/server_context.h>

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "carebridge/events/v1/events.pb.h"
#include "services/common/audit_record.h"
#include "services/common/authenticator.h"
#include "services/common/principal.h"

namespace carebridge {

class Database;

// The audit of one subscription to a service's feed (event_feed_grpc.h),
// in that service's audit log: who subscribed (team, role, on whose
// behalf), to which feed (`carebridge.careplan.v1.Subscribe`,
// `feeds/careplan`), from where (`events after sequence 41`, with the
// types asked for) and how it was answered. The record is durable before
// the first response leaves; a subscription refused before any (not
// authenticated, a bad request, a token revoked) is recorded with its
// code before it ends.
//
// Events name the person they are about, and a member's stream carries
// their care plan, referrals and handovers, so a subscriber other than a
// service identity also leaves one record per person it is sent events
// about: the first time a batch holds an event about them, durable before
// that batch leaves (`events about the person from sequence 57`). That is
// what puts a member's stream in the person's "who accessed my record"
// (and an admin's, which carries no payloads but still says whose care
// moved). Service identities (the consumers that keep each service's
// copy) leave the one record per subscription: what they receive is
// applied, and audited, where it is read from again; recording every
// person they pass would put a durable write in the feeds' hot path for
// nothing a person could be told.
//
// A service identity's stream is not held back when its record cannot be
// written (the audit log's disk full or unreachable): the batch leaves,
// the failure is logged once, and the record is tried again before each
// later batch and at the finish (marked as written late). Service streams
// only feed other services, which audit what they serve from their copy;
// and the directory's feed is how every process learns of revoked tokens,
// so an audit outage that stopped it would keep revoked tokens working
// (fail open) and refuse every staff call in a process started meanwhile.
// Anyone else's stream still fails closed: nothing leaves before its
// record is durable.
//
// Not thread-safe: the feed's reactor calls it from one thread at a time
// (Begin, then the read in flight, then the finish).
class FeedAudit {
 public:
  // For `caller`'s subscription to `feed` (`careplan`) through `context`;
  // `caller` null when it could not be authenticated. Records nothing
  // when the feed's service keeps no audit log (Authenticator::AuditLogFor).
  FeedAudit(const Authenticator& authenticator,
            const grpc::ServerContextBase& context, const Principal* caller,
            const events::v1::SubscribeRequest& request,
            absl::string_view feed);

  // Makes durable what must be before `batch` leaves: the subscription's
  // record the first time, and a record for each person not named before.
  // UNAVAILABLE, or DATA_LOSS when the log was altered
  // (errors::AuditRecordNotWritten), when they could not be written: the
  // batch must not leave (OK for a service identity, whose record is tried
  // again later).
  absl::Status BeforeSending(const events::v1::SubscribeResponse& batch);

  // Calls `finish(status)` once the subscription has a record: at once when
  // it has one, else after writing it with `status` as its outcome (or
  // with errors::AuditRecordNotWritten when that could not be written; a
  // service identity keeps `status`, its events perhaps sent). `finish`
  // may run on another thread, perhaps before this returns.
  void Finish(const grpc::Status& status,
              absl::AnyInvocable<void(grpc::Status)> finish);

 private:
  Database* const log_;
  AuditRecord record_;
  // Records per person (a subscriber other than a service).
  const bool per_person_;
  // A service identity: its batches leave even when unrecorded.
  const bool service_;
  bool subscription_recorded_ = false;
  // A batch left before the subscription's record was written (a service's
  // stream during an audit outage); the failure has been logged.
  bool sent_unrecorded_ = false;
  absl::flat_hash_set<std::string> persons_recorded_;
};

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_FEED_AUDIT_H_
