#ifndef CAREBRIDGE_SERVICES_COMMON_MEMBER_INDEX_H_
#define CAREBRIDGE_SERVICES_COMMON_MEMBER_INDEX_H_

#include <cstddef>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "services/common/principal.h"

namespace carebridge {

// Who someone signing in with the organisation's identity provider is in
// carebridge: the directory's members by their email (compared without
// regard to case) and by their resource name, with the team and role the
// directory gives them now. Each process keeps one, fed from the
// directory's feed with the token revocations (issue 12), so a member's
// new role or team applies to their next call. Deactivation is not
// decided here: TokenRevocations refuses a deactivated member's calls.
// This class is thread-safe.
class MemberIndex {
 public:
  struct Member {
    std::string name;  // `members/{id}`
    std::string team;  // `teams/{id}`; empty for admins
    Role role = Role::kUnspecified;
    // False once deactivated (until reactivated).
    bool active = true;
  };

  MemberIndex() = default;
  MemberIndex(const MemberIndex&) = delete;
  MemberIndex& operator=(const MemberIndex&) = delete;

  // What the directory says of `member` now, replacing what was known of
  // them (an email they no longer have no longer finds them). `email` may
  // be empty.
  void Put(Member member, absl::string_view email) ABSL_LOCKS_EXCLUDED(mu_);

  // The member `id` names: an email, or a resource name `members/{id}`.
  // An email finds the one active member who has it, or when none is
  // active one who was (so they hear they were deactivated). NOT_FOUND
  // when no member has it; FAILED_PRECONDITION when several active members
  // do (an email shared is no identity). Messages name `id`.
  absl::StatusOr<Member> Find(absl::string_view id) const
      ABSL_LOCKS_EXCLUDED(mu_);

  size_t size() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Known {
    Member member;
    std::string email;  // lower case
  };

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Known> by_name_ ABSL_GUARDED_BY(mu_);
  // Lower-case email to the names of the members who have it.
  absl::flat_hash_map<std::string, absl::btree_set<std::string>> by_email_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace carebridge

#endif  // CAREBRIDGE_SERVICES_COMMON_MEMBER_INDEX_H_
