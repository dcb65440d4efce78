#include "services/common/member_index.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace carebridge {

void MemberIndex::Put(Member member, absl::string_view email) {
  std::string lower = absl::AsciiStrToLower(email);
  absl::MutexLock lock(&mu_);
  auto [it, added] = by_name_.try_emplace(member.name);
  if (!added && it->second.email != lower) {
    auto old = by_email_.find(it->second.email);
    if (old != by_email_.end()) {
      old->second.erase(member.name);
      if (old->second.empty()) by_email_.erase(old);
    }
  }
  if (!lower.empty()) by_email_[lower].insert(member.name);
  it->second.email = std::move(lower);
  it->second.member = std::move(member);
}

absl::StatusOr<MemberIndex::Member> MemberIndex::Find(
    absl::string_view id) const {
  absl::MutexLock lock(&mu_);
  if (absl::StartsWith(id, "members/")) {
    auto it = by_name_.find(id);
    if (it == by_name_.end()) {
      return absl::NotFoundError(
          absl::StrCat("no carebridge member is named `", id, "`"));
    }
    return it->second.member;
  }
  auto it = by_email_.find(absl::AsciiStrToLower(id));
  if (it == by_email_.end() || id.empty()) {
    return absl::NotFoundError(
        absl::StrCat("no carebridge member has the email `", id,
                     "`; ask your team's manager to add you, with this email"));
  }
  const Member* found = nullptr;
  int active = 0;
  for (const std::string& name : it->second) {
    const Member& member = by_name_.at(name).member;
    if (member.active) {
      if (++active > 1) {
        return absl::FailedPreconditionError(absl::StrCat(
            "several active carebridge members have the email `", id, "` (",
            found->name, ", ", name,
            "); an email shared names nobody: ask your team's manager to give "
            "each their own"));
      }
      found = &member;
    } else if (found == nullptr) {
      found = &member;
    }
  }
  return *found;
}

size_t MemberIndex::size() const {
  absl::MutexLock lock(&mu_);
  return by_name_.size();
}

}  // namespace carebridge
