#include "services/common/event_consumer.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "services/common/log.h"
#include "services/common/status.h"

namespace carebridge {

using events::v1::Event;
using events::v1::SubscribeRequest;
using events::v1::SubscribeResponse;

EventConsumer::EventConsumer(Options options, ServiceCredentials* credentials,
                             StreamOpener open, CursorLoader load_cursor,
                             Apply apply)
    : options_(std::move(options)),
      credentials_(credentials),
      open_(std::move(open)),
      load_cursor_(std::move(load_cursor)),
      apply_(std::move(apply)) {}

EventConsumer::~EventConsumer() { Stop(); }

void EventConsumer::Start() {
  absl::MutexLock lock(&mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { Run(); });
}

void EventConsumer::Stop() {
  std::thread thread;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    // The context is alive while it is published here (FollowOnce clears
    // it under mu_ before it goes out of scope).
    if (active_context_ != nullptr) active_context_->TryCancel();
    thread = std::move(thread_);
  }
  if (thread.joinable()) thread.join();
}

void EventConsumer::Run() {
  absl::Duration backoff = options_.min_backoff;
  while (true) {
    int64_t connections_before = connections_.load();
    bool apply_failed = false;
    absl::Status status = FollowOnce(&apply_failed);
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
    }
    if (status.ok()) {
      // The producer ended the stream without an error: it should not (it
      // streams until cancelled), so resubscribe like after any disconnect.
      status = absl::UnavailableError("the feed ended the stream");
    }
    bool connected = connections_.load() > connections_before;
    LogProblem(status, connected, apply_failed);
    // A subscription that worked resets the backoff; a producer that stays
    // down or an event that keeps failing is retried ever more slowly.
    if (connected && !apply_failed) {
      backoff = options_.min_backoff;
    }
    absl::MutexLock lock(&mu_);
    if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), backoff)) return;
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

absl::Status EventConsumer::FollowOnce(bool* apply_failed) {
  absl::StatusOr<int64_t> cursor = load_cursor_();
  if (!cursor.ok()) {
    *apply_failed = true;
    return absl::Status(
        cursor.status().code(),
        absl::StrCat("loading the cursor: ", cursor.status().message()));
  }
  grpc::ClientContext context;
  if (credentials_ != nullptr) credentials_->Apply(context);
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return absl::OkStatus();
    active_context_ = &context;
  }
  SubscribeRequest request;
  request.set_after_sequence(*cursor);
  for (const std::string& prefix : options_.type_prefixes) {
    request.add_type_prefixes(prefix);
  }
  std::unique_ptr<grpc::ClientReaderInterface<SubscribeResponse>> reader =
      open_(&context, request);

  absl::Status failed;
  bool connected = false;
  SubscribeResponse response;
  while (failed.ok() && reader->Read(&response)) {
    if (!connected) {
      connected = true;
      connections_.fetch_add(1);
      LogConnected(*cursor);
    }
    for (const Event& event : response.events()) {
      {
        absl::MutexLock lock(&mu_);
        if (stopping_) break;
      }
      absl::Status applied = apply_(event);
      if (!applied.ok()) {
        *apply_failed = true;
        failed = absl::Status(applied.code(),
                              absl::StrCat("applying event ", event.id(), ": ",
                                           applied.message()));
        break;
      }
      int64_t seen = applied_through_.load();
      while (event.sequence() > seen &&
             !applied_through_.compare_exchange_weak(seen, event.sequence())) {
      }
      if (last_problem_was_apply_) {
        last_problem_.clear();
        last_problem_was_apply_ = false;
      }
    }
  }
  if (!failed.ok()) {
    context.TryCancel();
    while (reader->Read(&response)) {
    }
  }
  grpc::Status finished = reader->Finish();
  {
    absl::MutexLock lock(&mu_);
    active_context_ = nullptr;
    if (stopping_) return absl::OkStatus();
  }
  if (!failed.ok()) return failed;
  if (finished.ok()) return absl::OkStatus();
  absl::Status status = FromGrpcStatus(finished);
  return absl::Status(status.code(),
                      absl::StrCat("subscription: ", status.message()));
}

void EventConsumer::LogConnected(int64_t cursor) {
  if (!last_problem_was_apply_) last_problem_.clear();
  if (connected_logged_) return;
  connected_logged_ = true;
  LogLine(absl::StrCat(options_.name, ": following the feed after sequence ",
                       cursor));
}

void EventConsumer::LogProblem(const absl::Status& status, bool connected,
                               bool apply_failed) {
  last_problem_was_apply_ = apply_failed;
  std::string text = status.ToString();
  if (text == last_problem_) return;
  last_problem_ = text;
  connected_logged_ = false;
  absl::string_view what = apply_failed ? ": could not apply; retrying: "
                           : connected  ? ": disconnected; reconnecting: "
                                        : ": cannot subscribe; retrying: ";
  LogLine(absl::StrCat(options_.name, what, text));
}

}  // namespace carebridge
