#include "services/directory_client/revocation_follower.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "carebridge/directory/v1/directory.pb.h"
#include "carebridge/directory/v1/person_tokens.pb.h"
#include "services/common/log.h"
#include "services/common/time_util.h"
#include "services/directory/roles.h"

namespace carebridge::directory_client {

using events::v1::Event;
using events::v1::SubscribeRequest;
using events::v1::SubscribeResponse;

const char* const RevocationFollower::kTypePrefixes[3] = {
    "member.", "token.revoked", "person_tokens.revoked"};

RevocationFollower::RevocationFollower(EventConsumer::StreamOpener open,
                                       ServiceCredentials* credentials,
                                       TokenRevocations* revocations,
                                       MemberIndex* members, Options options)
    : open_(std::move(open)),
      credentials_(credentials),
      revocations_(revocations),
      members_(members),
      options_(options) {
  revocations_->ExpectFeed();
}

RevocationFollower::~RevocationFollower() { Stop(); }

void RevocationFollower::Start() {
  absl::MutexLock lock(&mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { Run(); });
}

void RevocationFollower::Stop() {
  std::thread thread;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    // Alive while published (FollowOnce clears it under mu_ first).
    if (active_context_ != nullptr) active_context_->TryCancel();
    thread = std::move(thread_);
  }
  if (thread.joinable()) thread.join();
}

bool RevocationFollower::AwaitCaughtUp(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(&caught_up_), timeout);
  return caught_up_;
}

bool RevocationFollower::Pause(absl::Duration delay) {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(&stopping_), delay);
  return !stopping_;
}

void RevocationFollower::Apply(const Event& event,
                               TokenRevocations* revocations,
                               MemberIndex* members) {
  if (event.type() == "token.revoked") {
    directory::v1::TokenRevocation revoked;
    if (!event.payload().UnpackTo(&revoked)) return;
    revocations->RevokeToken(
        revoked.token_id(), FromProtoTimestamp(revoked.expire_time()),
        revoked.reason(), FromProtoTimestamp(revoked.revoke_time()),
        revoked.member());
    return;
  }
  if (event.type() == "person_tokens.revoked") {
    directory::v1::PersonTokenRevocation revoked;
    if (!event.payload().UnpackTo(&revoked)) return;
    if (revoked.token_id().empty()) {
      revocations->RevokeIssuedBefore(
          revoked.person(), FromProtoTimestamp(revoked.tokens_valid_after()),
          revoked.reason());
    } else {
      revocations->RevokeToken(
          revoked.token_id(), FromProtoTimestamp(revoked.expire_time()),
          revoked.reason(), FromProtoTimestamp(revoked.revoke_time()),
          revoked.person());
    }
    return;
  }
  directory::v1::Member member;
  if (!absl::StartsWith(event.type(), "member.") ||
      !event.payload().UnpackTo(&member)) {
    return;
  }
  if (members != nullptr) {
    members->Put(
        {member.name(), member.team(), directory::FromProtoRole(member.role()),
         member.state() != directory::v1::DEACTIVATED},
        member.email());
  }
  // Deactivation first and alone (it ends the earlier tokens too), so a
  // stream watching hears "deactivated", not only "issued before".
  if (member.state() == directory::v1::DEACTIVATED) {
    revocations->Deactivate(member.name(), member.state_reason(),
                            FromProtoTimestamp(member.tokens_valid_after()));
    return;
  }
  if (member.has_tokens_valid_after()) {
    revocations->RevokeIssuedBefore(
        member.name(), FromProtoTimestamp(member.tokens_valid_after()),
        member.tokens_valid_after_reason());
  }
  if (event.type() == "member.reactivated") {
    revocations->Reactivate(member.name());
  }
}

void RevocationFollower::Run() {
  absl::Duration backoff = options_.min_backoff;
  int64_t after = 0;
  std::string epoch;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) break;
    }
    if (FollowOnce(&after, &epoch)) backoff = options_.min_backoff;
    if (!Pause(backoff)) break;
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

bool RevocationFollower::FollowOnce(int64_t* after, std::string* epoch) {
  grpc::ClientContext context;
  credentials_->Apply(context);
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return false;
    active_context_ = &context;
  }
  ++subscriptions_;
  SubscribeRequest request;
  request.set_after_sequence(*after);
  for (const char* prefix : kTypePrefixes) request.add_type_prefixes(prefix);
  std::unique_ptr<grpc::ClientReaderInterface<SubscribeResponse>> reader =
      open_(&context, request);
  bool delivered = false;
  bool restart = false;
  SubscribeResponse response;
  while (reader->Read(&response)) {
    // Another database, or one older than where this follower stands:
    // read it from its start, keeping what is known.
    if ((!epoch->empty() && response.epoch() != *epoch) ||
        response.head_sequence() < *after) {
      LogLine(
          "token revocations: the directory's feed comes from another "
          "database now; reading it again from its start");
      *after = 0;
      epoch->clear();
      restart = true;
      break;
    }
    *epoch = response.epoch();
    for (const Event& event : response.events()) {
      Apply(event, revocations_, members_);
    }
    *after = response.through_sequence();
    applied_through_ = *after;
    delivered = true;
    if (response.through_sequence() >= response.head_sequence()) {
      bool first = false;
      {
        absl::MutexLock lock(&mu_);
        first = !caught_up_;
      }
      if (first) {
        // Known first, then caught up: whoever AwaitCaughtUp wakes finds
        // the revocations known (only this thread sets caught_up_).
        revocations_->FeedCaughtUp();
        LogLine(absl::StrCat(
            "token revocations: following the directory's feed (through "
            "sequence ",
            *after, ")"));
        absl::MutexLock lock(&mu_);
        caught_up_ = true;
      }
    }
  }
  if (restart) {
    context.TryCancel();
    while (reader->Read(&response)) {
    }
  }
  grpc::Status finished = reader->Finish();
  {
    absl::MutexLock lock(&mu_);
    active_context_ = nullptr;
    if (stopping_) return delivered;
  }
  if (!restart) {
    LogLine(absl::StrCat("token revocations: the directory's feed ended (",
                         finished.error_message(),
                         "); what is known still holds; subscribing again"));
  }
  return delivered;
}

}  // namespace carebridge::directory_client
