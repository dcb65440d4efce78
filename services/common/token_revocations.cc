#include "services/common/token_revocations.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "services/common/errors.h"
#include "services/common/time_util.h"

namespace carebridge {
namespace {

absl::Status NotKnownYet() {
  return absl::UnavailableError(
      "this service is still reading the directory's feed to learn which "
      "tokens are revoked; try again in a moment");
}

std::string Rfc3339(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", time, absl::UTCTimeZone());
}

// ` (why)`, or nothing when no reason was given.
std::string Because(const std::string& reason) {
  return reason.empty() ? "" : absl::StrCat(" (", reason, ")");
}

}  // namespace

void TokenRevocations::RevokeToken(const std::string& token_id,
                                   absl::Time expire_time, std::string reason,
                                   absl::Time revoke_time,
                                   std::string subject) {
  {
    absl::MutexLock lock(&mu_);
    ForgetExpired();
    const absl::Time now = clock_->Now();
    if (revoke_time == absl::InfinitePast()) revoke_time = now;
    if (expire_time > now &&
        revoked_tokens_
            .try_emplace(token_id, Said{revoke_time, std::move(reason),
                                        std::move(subject)})
            .second) {
      expiries_.emplace(expire_time, token_id);
    }
  }
  Changed();
}

void TokenRevocations::RevokeIssuedBefore(const std::string& subject,
                                          absl::Time when, std::string reason) {
  {
    absl::MutexLock lock(&mu_);
    // The reason is moved once, into whichever entry stands: a later
    // revocation's refusals say its own reason.
    auto [it, added] = issued_before_.try_emplace(subject);
    if (added || it->second.time < when) {
      it->second = Said{when, std::move(reason)};
    }
  }
  Changed();
}

void TokenRevocations::Deactivate(const std::string& subject,
                                  std::string reason, absl::Time when) {
  {
    absl::MutexLock lock(&mu_);
    if (when == absl::InfinitePast()) when = clock_->Now();
    // Reactivated later, they start again with new tokens only.
    Said& before = issued_before_[subject];
    if (before.time < when) before = Said{when, reason};
    deactivated_.insert_or_assign(subject, Said{when, std::move(reason)});
  }
  Changed();
}

void TokenRevocations::ExpectFeed() {
  absl::MutexLock lock(&mu_);
  known_ = false;
}

void TokenRevocations::FeedCaughtUp() {
  {
    absl::MutexLock lock(&mu_);
    if (known_) return;
    known_ = true;
  }
  Changed();
}

bool TokenRevocations::known() const {
  absl::MutexLock lock(&mu_);
  return known_;
}

void TokenRevocations::Reactivate(const std::string& subject) {
  {
    absl::MutexLock lock(&mu_);
    deactivated_.erase(subject);
  }
  Changed();
}

absl::Status TokenRevocations::CheckKnown() const {
  absl::ReaderMutexLock lock(&mu_);
  return known_ ? absl::OkStatus() : NotKnownYet();
}

absl::Status TokenRevocations::Check(const Principal& principal) const {
  // Every call of every service asks: readers do not wait on each other.
  absl::ReaderMutexLock lock(&mu_);
  if (principal.is_service()) return absl::OkStatus();
  if (!known_) return NotKnownYet();
  if (auto it = deactivated_.find(principal.subject);
      it != deactivated_.end()) {
    return errors::Unauthenticated(absl::StrCat(
        principal.subject, " was deactivated at ", Rfc3339(it->second.time),
        Because(it->second.reason), "; their tokens no longer work"));
  }
  if (auto it = issued_before_.find(principal.subject);
      it != issued_before_.end() && principal.issue_time < it->second.time) {
    return errors::Unauthenticated(absl::StrCat(
        "bearer token was issued before ", Rfc3339(it->second.time), ", when ",
        principal.subject, "'s tokens were revoked", Because(it->second.reason),
        "; ask for a new one"));
  }
  if (!principal.token_id.empty()) {
    if (auto it = revoked_tokens_.find(principal.token_id);
        it != revoked_tokens_.end() &&
        (it->second.subject.empty() ||
         it->second.subject == principal.subject)) {
      return errors::Unauthenticated(
          absl::StrCat("bearer token ", principal.token_id, " was revoked at ",
                       Rfc3339(it->second.time), Because(it->second.reason)));
    }
  }
  return absl::OkStatus();
}

int TokenRevocations::AddListener(absl::AnyInvocable<void()> listener) const {
  absl::MutexLock lock(&listeners_mu_);
  const int id = next_listener_++;
  listeners_.emplace(id, std::move(listener));
  return id;
}

void TokenRevocations::RemoveListener(int id) const {
  absl::MutexLock lock(&listeners_mu_);
  listeners_.erase(id);
}

size_t TokenRevocations::revoked_tokens() const {
  absl::MutexLock lock(&mu_);
  return revoked_tokens_.size();
}

absl::Time TokenRevocations::IssueTimeFor(absl::Time now,
                                          absl::Time revoked_before) {
  absl::Time issued = absl::FromUnixSeconds(absl::ToUnixSeconds(now));
  if (revoked_before == absl::InfinitePast() || issued >= revoked_before) {
    return issued;
  }
  // The second after: a token of the change's own second stands.
  return WholeSecondAtOrAfter(revoked_before);
}

void TokenRevocations::ForgetExpired() {
  const absl::Time now = clock_->Now();
  while (!expiries_.empty() && expiries_.begin()->first <= now) {
    revoked_tokens_.erase(expiries_.begin()->second);
    expiries_.erase(expiries_.begin());
  }
}

void TokenRevocations::Changed() {
  absl::MutexLock lock(&listeners_mu_);
  for (auto& [id, listener] : listeners_) listener();
}

}  // namespace carebridge
