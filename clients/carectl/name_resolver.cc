#include "clients/carectl/name_resolver.h"

#include <chrono>
#include <memory>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace carebridge::carectl {
namespace {

namespace dir = ::carebridge::directory::v1;

// How long a screen waits for a name before showing the id.
constexpr absl::Duration kLookupDeadline = absl::Seconds(3);

// What the directory has said so far this run.
struct DirectoryState {
  bool persons_refused = false;
  bool unreachable = false;
};

// One lookup in flight; whichever request and response its kind uses.
struct Pending {
  std::string name;
  std::unique_ptr<grpc::ClientContext> context;
  dir::GetPersonRequest person_request;
  dir::Person person;
  dir::GetTeamRequest team_request;
  dir::Team team;
  dir::GetMemberRequest member_request;
  dir::Member member;
  grpc::Status status;

  std::string Label() const {
    if (absl::StartsWith(name, "persons/")) return PersonLabel(person);
    if (absl::StartsWith(name, "teams/")) return team.display_name();
    return member.display_name();
  }
};

std::map<std::string, std::string> LookUp(
    Session& s, DirectoryState& state, const std::vector<std::string>& names) {
  std::vector<std::unique_ptr<Pending>> calls;
  for (const std::string& name : names) {
    if (state.unreachable) break;
    if (state.persons_refused && absl::StartsWith(name, "persons/")) continue;
    auto call = std::make_unique<Pending>();
    call->name = name;
    call->context = s.NewContext();
    auto deadline = absl::ToChronoTime(absl::Now() + kLookupDeadline);
    if (deadline < call->context->deadline()) {
      call->context->set_deadline(deadline);
    }
    calls.push_back(std::move(call));
  }
  absl::Mutex mu;
  size_t pending = calls.size();
  for (const auto& call : calls) {
    Pending* c = call.get();
    auto done = [&mu, &pending, c](grpc::Status status) {
      absl::MutexLock lock(&mu);
      c->status = std::move(status);
      --pending;
    };
    auto* async = s.directory().async();
    if (absl::StartsWith(c->name, "persons/")) {
      c->person_request.set_name(c->name);
      async->GetPerson(c->context.get(), &c->person_request, &c->person, done);
    } else if (absl::StartsWith(c->name, "teams/")) {
      c->team_request.set_name(c->name);
      async->GetTeam(c->context.get(), &c->team_request, &c->team, done);
    } else {
      c->member_request.set_name(c->name);
      async->GetMember(c->context.get(), &c->member_request, &c->member, done);
    }
  }
  {
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(
        +[](size_t* left) { return *left == 0; }, &pending));
  }
  std::map<std::string, std::string> labels;
  for (const auto& call : calls) {
    switch (call->status.error_code()) {
      case grpc::StatusCode::OK: {
        std::string label = call->Label();
        if (!label.empty()) labels[call->name] = std::move(label);
        break;
      }
      case grpc::StatusCode::PERMISSION_DENIED:
        // Refused for one person means refused for all: the directory
        // refuses by role, not by person.
        if (absl::StartsWith(call->name, "persons/")) {
          state.persons_refused = true;
        }
        break;
      case grpc::StatusCode::UNAVAILABLE:
      case grpc::StatusCode::UNIMPLEMENTED:
      case grpc::StatusCode::UNAUTHENTICATED:
      case grpc::StatusCode::DEADLINE_EXCEEDED:
        state.unreachable = true;
        break;
      default:
        break;
    }
  }
  return labels;
}

}  // namespace

std::string PersonLabel(const dir::Person& person) {
  std::string label = person.given_name();
  if (!person.family_name().empty()) {
    absl::StrAppend(&label, label.empty() ? "" : " ", person.family_name());
  }
  if (label.empty()) return "";
  const std::string& nhs = person.nhs_number();
  if (nhs.size() == 10) {
    absl::StrAppend(&label, " (NHS ", nhs.substr(0, 3), " ", nhs.substr(3, 3),
                    " ", nhs.substr(6), ")");
  } else if (!nhs.empty()) {
    absl::StrAppend(&label, " (NHS ", nhs, ")");
  } else if (!person.birth_date().empty()) {
    absl::StrAppend(&label, " (born ", person.birth_date(), ")");
  }
  return label;
}

const NameLabels& NameResolver::For(const std::vector<std::string>& names) {
  std::vector<std::string> fresh;
  for (const std::string& name : names) {
    if (asked_.insert(name).second) fresh.push_back(name);
  }
  if (!fresh.empty()) {
    for (auto& [name, label] : lookup_(fresh)) {
      labels_.Set(name, std::move(label));
    }
  }
  return labels_;
}

const NameLabels& NameResolver::For(const google::protobuf::Message& message) {
  return For(ResourceNamesIn(message));
}

NameResolver DirectoryNames(Session& session) {
  auto state = std::make_shared<DirectoryState>();
  return NameResolver([&session, state](const std::vector<std::string>& names) {
    if (session.json() || session.name_only()) {
      return std::map<std::string, std::string>();
    }
    return LookUp(session, *state, names);
  });
}

}  // namespace carebridge::carectl
