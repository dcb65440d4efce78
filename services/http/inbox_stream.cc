#include "services/http/inbox_stream.h"

#include <google/protobuf/util/json_util.h>
#include <grpcpp/client_context.h>

#include <cstdint>
#include <deque>
#include <limits>
#include <thread>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "carebridge/record/v1/record.grpc.pb.h"
#include "services/common/status.h"
#include "services/http/http_reply.h"

namespace carebridge::http {
namespace {

namespace events = carebridge::events::v1;

// A position past any feed's head: subscribing there answers at once with
// the head (the first response is sent even with nothing to deliver).
constexpr int64_t kPastTheHead = std::numeric_limits<int64_t>::max() / 2;

std::string SseEvent(absl::string_view type, int64_t id,
                     absl::string_view data) {
  return absl::StrCat("id: ", id, "\nevent: ", type, "\ndata: ", data, "\n\n");
}

std::string ErrorEvent(const absl::Status& status) {
  return absl::StrCat("event: error\ndata: ", ErrorReply(status).body, "\n\n");
}

}  // namespace

class InboxStreams::Stream : public InboxStream {
 public:
  Stream(InboxStreams* owner, std::shared_ptr<grpc::Channel> channel,
         std::string authorization, int64_t after, bool from_now)
      : owner_(owner),
        stub_(
            carebridge::record::v1::RecordService::NewStub(std::move(channel))),
        authorization_(std::move(authorization)),
        after_(after),
        from_now_(from_now) {}
  ~Stream() override { Close(); }

  void Start() {
    absl::MutexLock lock(&join_mu_);
    thread_ = std::thread([this] { Run(); });
  }

  Next Read(absl::Duration wait, std::string* chunk) override {
    absl::MutexLock lock(&mu_);
    auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return !chunks_.empty() || ended_;
    };
    mu_.AwaitWithTimeout(absl::Condition(&ready), wait);
    if (chunks_.empty()) return ended_ ? Next::kEnd : Next::kIdle;
    *chunk = std::move(chunks_.front());
    chunks_.pop_front();
    return Next::kChunk;
  }

  void Close() override {
    {
      absl::MutexLock lock(&mu_);
      closed_ = true;
      if (context_ != nullptr) context_->TryCancel();
    }
    {
      // The server stopping and the connection's end may close it at once.
      absl::MutexLock lock(&join_mu_);
      if (thread_.joinable() &&
          thread_.get_id() != std::this_thread::get_id()) {
        thread_.join();
      }
    }
    owner_->Forget(this);
  }

 private:
  // Makes `context` the one Close cancels; false when already closed.
  bool Use(grpc::ClientContext* context) {
    absl::MutexLock lock(&mu_);
    if (closed_) {
      // Never keep a context Close could no longer cancel (it is about to
      // go out of scope).
      context_ = nullptr;
      return false;
    }
    context_ = context;
    if (context != nullptr) {
      context->AddMetadata("authorization", authorization_);
    }
    return true;
  }

  void Push(std::string chunk, bool last = false) {
    absl::MutexLock lock(&mu_);
    chunks_.push_back(std::move(chunk));
    if (last) ended_ = true;
  }

  // The feed's position now (its head), or the error that kept it hidden.
  absl::StatusOr<int64_t> Head() {
    grpc::ClientContext context;
    if (!Use(&context)) return absl::CancelledError("closed");
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(10));
    events::SubscribeRequest request;
    request.set_after_sequence(kPastTheHead);
    request.set_stop_when_caught_up(true);
    request.add_type_prefixes("inbox.");
    auto reader = stub_->Subscribe(&context, request);
    events::SubscribeResponse response;
    const bool got = reader->Read(&response);
    if (got) context.TryCancel();
    grpc::Status status = reader->Finish();
    Use(nullptr);
    if (got) return response.head_sequence();
    return FromGrpcStatus(status);
  }

  // Runs the stream; whatever ends it, the last chunk says why, so Read
  // reports the end rather than waiting on a stream nobody feeds.
  void Run() {
    absl::Status ended = Follow();
    Push(ErrorEvent(ended), /*last=*/true);
  }

  absl::Status Follow() {
    int64_t after = after_;
    if (from_now_) {
      absl::StatusOr<int64_t> head = Head();
      if (!head.ok()) return Closed() ? Stopping() : head.status();
      after = *head;
    }
    // Reconnect after 2 s; the position the stream starts from.
    Push(absl::StrCat(
        "retry: 2000\n",
        SseEvent("ready", after,
                 absl::StrCat(R"({"afterSequence":")", after, R"("})"))));
    grpc::ClientContext context;
    if (!Use(&context)) return Stopping();
    events::SubscribeRequest request;
    request.set_after_sequence(after);
    request.add_type_prefixes("inbox.");
    auto reader = stub_->Subscribe(&context, request);
    events::SubscribeResponse response;
    google::protobuf::util::JsonPrintOptions options;
    while (reader->Read(&response)) {
      for (const events::Event& event : response.events()) {
        std::string json;
        (void)google::protobuf::util::MessageToJsonString(event, &json,
                                                          options);
        Push(SseEvent("inbox", event.sequence(), json));
      }
    }
    grpc::Status status = reader->Finish();
    Use(nullptr);
    if (Closed()) return Stopping();
    return status.ok() ? absl::UnavailableError("the stream ended")
                       : FromGrpcStatus(status);
  }

  bool Closed() {
    absl::MutexLock lock(&mu_);
    return closed_;
  }

  static absl::Status Stopping() {
    return absl::UnavailableError(
        "the stream was closed (the server is stopping); reconnect");
  }

  InboxStreams* const owner_;
  std::unique_ptr<carebridge::record::v1::RecordService::Stub> stub_;
  const std::string authorization_;
  const int64_t after_;
  const bool from_now_;
  absl::Mutex join_mu_;
  std::thread thread_ ABSL_GUARDED_BY(join_mu_);
  absl::Mutex mu_;
  std::deque<std::string> chunks_ ABSL_GUARDED_BY(mu_);
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* context_ ABSL_GUARDED_BY(mu_) = nullptr;
};

absl::StatusOr<std::shared_ptr<InboxStream>> InboxStreams::Open(
    const CallHeaders& headers, absl::string_view after) {
  int64_t position = 0;
  if (!after.empty() && (!absl::SimpleAtoi(after, &position) || position < 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("after: `", after,
                     "` is not a position in the feed (a whole number, 0 "
                     "or more: the id of the last event seen)"));
  }
  absl::StatusOr<RpcBridge::Opened> opened =
      bridge_->Open(*carebridge::record::v1::InboxItem::descriptor()
                         ->file()
                         ->FindServiceByName("RecordService"),
                    headers);
  if (!opened.ok()) return opened.status();
  auto stream = std::make_shared<Stream>(this, std::move(opened->channel),
                                         headers.authorization, position,
                                         /*from_now=*/after.empty());
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return absl::UnavailableError("the server is stopping");
    if (static_cast<int>(open_.size()) >= max_streams_) {
      return absl::ResourceExhaustedError(
          absl::StrCat("this server has ", max_streams_,
                       " inbox streams open, its most; try again in a minute"));
    }
    open_.insert(stream);
  }
  stream->Start();
  return stream;
}

void InboxStreams::Forget(InboxStream* stream) {
  absl::MutexLock lock(&mu_);
  for (auto it = open_.begin(); it != open_.end(); ++it) {
    if (it->get() == stream) {
      open_.erase(it);
      return;
    }
  }
}

void InboxStreams::CloseAll() {
  std::set<std::shared_ptr<InboxStream>> open;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    open = open_;
  }
  for (const auto& stream : open) stream->Close();
}

}  // namespace carebridge::http
