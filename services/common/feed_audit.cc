#include "services/common/feed_audit.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/call_audit.h"
#include "services/common/database.h"
#include "services/common/errors.h"
#include "services/common/log.h"
#include "services/common/on_behalf_of.h"
#include "services/common/status.h"

namespace carebridge {
namespace {

// The most persons one subscription remembers having recorded (an admin's
// stream from the start of a large feed names every person).
constexpr size_t kMaxPersonsRemembered = 10000;

Database* AuditLogOf(const Authenticator& authenticator,
                     absl::string_view feed) {
  Database* log =
      authenticator.AuditLogFor(absl::StrCat("carebridge.", feed, ".v1"));
  return log != nullptr && log->audited() ? log : nullptr;
}

absl::Status NotRecorded(const absl::Status& written) {
  return errors::AuditRecordNotWritten("this subscription", "nothing was sent",
                                       "subscribe again", written);
}

// What a service stream's late record says of itself.
constexpr absl::string_view kRecordedLate =
    "; recorded after events were sent (the audit log could not be appended)";

}  // namespace

FeedAudit::FeedAudit(const Authenticator& authenticator,
                     const grpc::ServerContextBase& context,
                     const Principal* caller,
                     const events::v1::SubscribeRequest& request,
                     absl::string_view feed)
    : log_(AuditLogOf(authenticator, feed)),
      per_person_(caller != nullptr && !caller->is_service()),
      service_(caller != nullptr && caller->is_service()) {
  if (log_ == nullptr) return;
  record_.time = authenticator.clock()->Now();
  if (caller == nullptr) {
    record_.actor = "unauthenticated";
    record_.role = std::string(RoleName(Role::kUnspecified));
  } else {
    record_.actor = caller->subject;
    record_.team = caller->team;
    record_.role = std::string(RoleName(caller->role));
    std::optional<Requester> requester =
        OnBehalfOfIn(*caller, context.client_metadata());
    if (requester.has_value()) {
      record_.on_behalf_of = OnBehalfOfText(*requester);
    }
  }
  record_.method = absl::StrCat("carebridge.", feed, ".v1.Subscribe");
  record_.resource = absl::StrCat("feeds/", feed);
  record_.sections =
      absl::StrCat("events after sequence ", request.after_sequence());
  if (!request.type_prefixes().empty()) {
    absl::StrAppend(&record_.sections, "; types ",
                    absl::StrJoin(request.type_prefixes(), ", "));
  }
}

absl::Status FeedAudit::BeforeSending(
    const events::v1::SubscribeResponse& batch) {
  if (log_ == nullptr) return absl::OkStatus();
  std::vector<AuditRecord> records;
  if (!subscription_recorded_) {
    records.push_back(record_);
    records.back().outcome = "OK";
    if (sent_unrecorded_) {
      absl::StrAppend(&records.back().sections, kRecordedLate);
    }
  }
  absl::flat_hash_set<std::string> named;
  if (per_person_) {
    for (const events::v1::Event& event : batch.events()) {
      const std::string& person = event.person();
      if (person.empty() || persons_recorded_.contains(person) ||
          !named.insert(person).second) {
        continue;
      }
      AuditRecord& about = records.emplace_back(record_);
      about.person = person;
      about.sections = absl::StrCat("events about the person from sequence ",
                                    event.sequence());
      about.outcome = "OK";
    }
  }
  if (records.empty()) return absl::OkStatus();
  absl::Status written = log_->AppendAudit(records);
  if (!written.ok() && service_) {
    // Not held back (see the class comment); tried again before the next
    // batch and at the finish. A service records no persons.
    if (!sent_unrecorded_) {
      LogLine(absl::StrCat(
          "warning: ", record_.actor, "'s subscription to ", record_.resource,
          " could not be recorded in the audit log (", written.message(),
          "); its events are sent anyway and the record is tried again"));
    }
    sent_unrecorded_ = true;
    return absl::OkStatus();
  }
  if (!written.ok()) return NotRecorded(written);
  subscription_recorded_ = true;
  // Bounded: a person forgotten is recorded again, never missed.
  if (persons_recorded_.size() + named.size() > kMaxPersonsRemembered) {
    persons_recorded_.clear();
  }
  persons_recorded_.insert(named.begin(), named.end());
  return absl::OkStatus();
}

void FeedAudit::Finish(const grpc::Status& status,
                       absl::AnyInvocable<void(grpc::Status)> finish) {
  if (log_ == nullptr || subscription_recorded_) {
    std::move(finish)(status);
    return;
  }
  subscription_recorded_ = true;
  AuditRecord record = record_;
  record.outcome = absl::StatusCodeToString(
      static_cast<absl::StatusCode>(status.error_code()));
  if (sent_unrecorded_) absl::StrAppend(&record.sections, kRecordedLate);
  log_->AppendAuditAsync(
      {std::move(record)},
      [status, service = service_, actor = record_.actor,
       resource = record_.resource,
       finish = std::move(finish)](absl::Status written) mutable {
        if (written.ok()) {
          std::move(finish)(status);
        } else if (service) {
          // Its events may have left already; "nothing was sent" would be
          // untrue, and the service's own outcome says more.
          LogLine(absl::StrCat("warning: ", actor, "'s subscription to ",
                               resource,
                               " ended without a record in the audit log (",
                               written.message(), ")"));
          std::move(finish)(status);
        } else {
          std::move(finish)(ToGrpcStatus(NotRecorded(written)));
        }
      });
}

}  // namespace carebridge
