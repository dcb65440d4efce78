#include "services/common/event_feed_grpc.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "services/common/errors.h"
#include "services/common/feed_audit.h"
#include "services/common/live_stream_reactor.h"
#include "services/common/macros.h"
#include "services/common/principal.h"
#include "services/common/status.h"
#include "services/common/time_util.h"

namespace carebridge {
namespace {

using events::v1::Event;
using events::v1::SubscribeRequest;
using events::v1::SubscribeResponse;

constexpr int kMaxBatchEvents = 100;
// A subscriber that may see few of the events still gets a batch (empty,
// with through_sequence moved on) after this many, so one read never scans
// the whole log.
constexpr int kMaxScannedPerBatch = 1000;
constexpr int kMaxTypePrefixes = 20;
constexpr size_t kMaxTypePrefixChars = 100;

absl::Status ValidateSubscribeRequest(const SubscribeRequest& request) {
  if (request.after_sequence() < 0) {
    return errors::Invalid("after_sequence", "must not be negative");
  }
  if (request.type_prefixes_size() > kMaxTypePrefixes) {
    return errors::TooMany("type_prefixes", kMaxTypePrefixes);
  }
  for (int i = 0; i < request.type_prefixes_size(); ++i) {
    if (request.type_prefixes(i).size() > kMaxTypePrefixChars) {
      return errors::TooLong(absl::StrCat("type_prefixes[", i, "]"),
                             kMaxTypePrefixChars);
    }
  }
  return absl::OkStatus();
}

// The access a feed given none uses: policy::EventVisibilityFor alone.
EventAccess* StaticAccess() {
  static EventAccess* const access = new StaticEventAccess();
  return access;
}

// What one subscription reads: the log's events after a sequence, as the
// subscriber may see them (LiveStreamReactor's Source).
class FeedSource {
 public:
  static constexpr char kPeer[] = "subscriber";

  FeedSource(const SubscribeRequest& request, EventLog* log,
             EventAccess* access)
      : log_(log),
        access_(access != nullptr ? access : StaticAccess()),
        type_prefixes_(request.type_prefixes().begin(),
                       request.type_prefixes().end()),
        stop_when_caught_up_(request.stop_when_caught_up()),
        through_(request.after_sequence()),
        delivered_through_(request.after_sequence()) {}

  absl::StatusOr<Principal> Admit(const grpc::CallbackServerContext& context,
                                  const SubscribeRequest& request,
                                  const Authenticator& authenticator) {
    absl::StatusOr<Principal> caller = authenticator.Authenticate(context);
    audit_.emplace(authenticator, context, caller.ok() ? &*caller : nullptr,
                   request, log_->feed());
    RETURN_IF_ERROR(caller.status());
    RETURN_IF_ERROR(ValidateSubscribeRequest(request));
    RETURN_IF_ERROR(access_->Admit(*caller, request));
    return caller;
  }

  // The log's listeners run on the committing thread, with its lock held.
  void Listen(std::function<void()> wake) {
    listener_id_ = log_->AddListener(std::move(wake));
  }
  void StopListening() {
    if (listener_id_ != 0) log_->RemoveListener(listener_id_);
  }

  // Reads the next batch; what it holds may leave only once its audit
  // records are durable.
  void Read(const Principal& caller,
            absl::AnyInvocable<void(LiveStreamRead<SubscribeResponse>)> done) {
    LiveStreamRead<SubscribeResponse> batch;
    if (log_->shutting_down()) {
      // The reactor ends the stream once it sees ShuttingDown.
      shutting_down_.store(true);
    } else {
      batch = ReadBatch(caller, through_);
      if (batch.status.ok()) {
        batch.status = audit_->BeforeSending(batch.response);
      }
      if (batch.status.ok()) through_ = batch.response.through_sequence();
    }
    done(std::move(batch));
  }

  // Once the subscription has its audit record (FeedAudit::Finish).
  void Finish(grpc::Status status,
              absl::AnyInvocable<void(grpc::Status)> finish) {
    audit_->Finish(status, std::move(finish));
  }

  bool ShuttingDown() const { return shutting_down_.load(); }
  bool stop_when_caught_up() const { return stop_when_caught_up_; }

  bool SendsLocked(const SubscribeResponse& batch, bool first) {
    if (!first && batch.events_size() == 0 &&
        batch.through_sequence() <= last_sent_through_) {
      return false;
    }
    last_sent_through_ = batch.through_sequence();
    delivered_through_ = batch.through_sequence();
    return true;
  }

  std::string ResumeLocked(absl::string_view with_token) const {
    return absl::StrCat("; subscribe again with ", with_token,
                        " after sequence ", delivered_through_);
  }
  std::string ShuttingDownLocked() const {
    return absl::StrCat("the ", log_->feed(),
                        " feed is shutting down; resume after sequence ",
                        delivered_through_);
  }

 private:
  bool Wanted(const Event& event) const {
    if (type_prefixes_.empty()) return true;
    for (const std::string& prefix : type_prefixes_) {
      if (EventTypeMatchesPrefix(event.type(), prefix)) return true;
    }
    return false;
  }

  // Reads the next batch after `after`. The batch stops before the event
  // that would take it past the byte budget (the first event always goes
  // in).
  LiveStreamRead<SubscribeResponse> ReadBatch(const Principal& caller,
                                              int64_t after) {
    LiveStreamRead<SubscribeResponse> batch;
    int64_t through = after;
    int scanned = 0;
    size_t bytes = 0;
    bool full = false;
    while (!full) {
      const size_t room = bytes < kFeedResponseBudgetBytes
                              ? kFeedResponseBudgetBytes - bytes
                              : 0;
      absl::StatusOr<EventLog::Slice> slice =
          log_->ReadSlice(through, kMaxBatchEvents, std::max<size_t>(room, 1));
      if (!slice.ok()) {
        batch.status = slice.status();
        return batch;
      }
      for (Event& event : slice->events) {
        if (batch.response.events_size() >= kMaxBatchEvents) {
          full = true;
          break;
        }
        if (!Wanted(event)) {
          through = event.sequence();
          ++scanned;
          continue;
        }
        absl::StatusOr<policy::EventVisibility> visibility =
            access_->Present(caller, event);
        if (!visibility.ok()) {
          batch.status = visibility.status();
          return batch;
        }
        if (*visibility == policy::EventVisibility::kHidden) {
          through = event.sequence();
          ++scanned;
          continue;
        }
        const size_t size = event.ByteSizeLong();
        if (batch.response.events_size() > 0 &&
            bytes + size > kFeedResponseBudgetBytes) {
          full = true;
          break;
        }
        bytes += size;
        through = event.sequence();
        ++scanned;
        *batch.response.add_events() = std::move(event);
      }
      if (full || !slice->more || batch.response.events_size() > 0 ||
          scanned >= kMaxScannedPerBatch) {
        break;
      }
    }
    // The head is read after the events, so it is never behind them.
    absl::StatusOr<FeedHead> head = log_->ReadHead();
    absl::StatusOr<std::string> epoch = log_->Epoch();
    if (!head.ok() || !epoch.ok()) {
      batch.status = head.ok() ? epoch.status() : head.status();
      return batch;
    }
    batch.response.set_through_sequence(through);
    batch.response.set_head_sequence(head->sequence);
    batch.response.set_epoch(*std::move(epoch));
    if (head->time != absl::InfinitePast()) {
      *batch.response.mutable_head_time() = ToProtoTimestamp(head->time);
    }
    batch.caught_up = through >= head->sequence;
    return batch;
  }

  EventLog* const log_;
  EventAccess* const access_;
  const std::vector<std::string> type_prefixes_;
  const bool stop_when_caught_up_;
  // Set in Admit; then used by the read in flight, and by the finish (never
  // both at once: the finish comes only when no read is in flight).
  std::optional<FeedAudit> audit_;
  EventLog::ListenerId listener_id_ = 0;
  // Where the next read starts; only reads use it, one at a time.
  int64_t through_;
  // A read found the log shutting down.
  std::atomic<bool> shutting_down_{false};
  // Under the reactor's lock. Where a client resumes: the request's
  // position, then the last response handed to gRPC (a batch read but
  // withheld, e.g. after the token expired, does not count).
  int64_t last_sent_through_ = -1;
  int64_t delivered_through_;
};

using FeedReactor =
    LiveStreamReactor<SubscribeRequest, SubscribeResponse, FeedSource>;

}  // namespace

bool EventTypeMatchesPrefix(absl::string_view type, absl::string_view prefix) {
  if (!absl::StartsWith(type, prefix)) return false;
  // Ends where a segment does: the whole type, after a dot, or before one.
  return prefix.empty() || type.size() == prefix.size() ||
         prefix.back() == '.' || type[prefix.size()] == '.';
}

grpc::ServerWriteReactor<SubscribeResponse>* ServeEventFeed(
    grpc::CallbackServerContext* context, const SubscribeRequest* request,
    const Authenticator& authenticator, EventLog* log,
    BlockingExecutor* executor, EventAccess* access) {
  auto* reactor =
      new FeedReactor(authenticator, executor, *request, log, access);
  reactor->Begin(*context, *request, authenticator);
  return reactor;
}

}  // namespace carebridge
