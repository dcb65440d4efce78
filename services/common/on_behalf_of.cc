#include "services/common/on_behalf_of.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"

namespace carebridge {
namespace {

// The longest id a name in the metadata may carry (ids are 20 characters;
// test fixtures use words).
constexpr size_t kMaxOnBehalfIdChars = 64;

std::optional<std::string> MetadataValue(
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata,
    absl::string_view key) {
  auto it = metadata.find(grpc::string_ref(key.data(), key.size()));
  if (it == metadata.end()) return std::nullopt;
  return std::string(it->second.data(), it->second.size());
}

// `kind/id`, the id 1 to kMaxOnBehalfIdChars of [A-Za-z0-9_-].
bool IsResourceNameOf(absl::string_view name, absl::string_view kind) {
  std::vector<absl::string_view> parts =
      absl::StrSplit(name, absl::MaxSplits('/', 1));
  if (parts.size() != 2 || parts[0] != kind || parts[1].empty() ||
      parts[1].size() > kMaxOnBehalfIdChars) {
    return false;
  }
  for (char c : parts[1]) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' &&
        c != '-') {
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<Requester> OnBehalfOfIn(
    const Principal& caller,
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata) {
  if (!caller.is_service()) return std::nullopt;
  std::optional<std::string> subject =
      MetadataValue(metadata, kOnBehalfOfHeader);
  if (!subject.has_value() || !(IsResourceNameOf(*subject, "members") ||
                                IsResourceNameOf(*subject, "persons"))) {
    return std::nullopt;
  }
  Requester requester;
  requester.subject = *std::move(subject);
  requester.team = MetadataValue(metadata, kOnBehalfOfTeamHeader).value_or("");
  if (!requester.team.empty() && !IsResourceNameOf(requester.team, "teams")) {
    return std::nullopt;
  }
  requester.role = MetadataValue(metadata, kOnBehalfOfRoleHeader).value_or("");
  Role role = Role::kUnspecified;
  if (!RoleFromName(requester.role, &role) || role == Role::kService ||
      role == Role::kUnspecified) {
    return std::nullopt;
  }
  // A person is `persons/{id}` in the role person, with no team; a member
  // is never in that role. A claim mixing them is not believed.
  const bool person = IsResourceNameOf(requester.subject, "persons");
  if (person != (role == Role::kPerson) ||
      (person && !requester.team.empty())) {
    return std::nullopt;
  }
  return requester;
}

void AddOnBehalfOf(const Requester& requester,
                   std::multimap<std::string, std::string>* metadata) {
  if (requester.subject.empty() ||
      metadata->find(kOnBehalfOfHeader) != metadata->end()) {
    return;
  }
  metadata->emplace(kOnBehalfOfHeader, requester.subject);
  if (!requester.team.empty()) {
    metadata->emplace(kOnBehalfOfTeamHeader, requester.team);
  }
  metadata->emplace(kOnBehalfOfRoleHeader, requester.role);
}

}  // namespace carebridge
