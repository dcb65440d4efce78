#ifndef CAREBRIDGE_CLIENTS_CARECTL_FAKE_DIRECTORY_H_
#define CAREBRIDGE_CLIENTS_CARECTL_FAKE_DIRECTORY_H_

#include <map>
#include <string>

#include "absl/synchronization/mutex.h"
#include "carebridge/directory/v1/directory.grpc.pb.h"

namespace carebridge::carectl {

// A directory for carectl tests that looks names up: persons/p1 whole (Ada
// Lovelace, NHS 943 476 5919), persons/p2 as a team with no care
// relationship sees her (Mary Seacole, born 1805-11-23, no NHS number),
// teams/cmht and teams/crisis, members/kim; anything else NOT_FOUND, and
// every person PERMISSION_DENIED once `RefusePersons()` (as to admins).
// Counts the lookups of each name. Thread-safe.
class FakeDirectory final : public directory::v1::DirectoryService::Service {
 public:
  grpc::Status GetPerson(grpc::ServerContext*,
                         const directory::v1::GetPersonRequest* request,
                         directory::v1::Person* person) override {
    absl::MutexLock lock(&mu_);
    ++lookups_[request->name()];
    if (refuse_persons_) {
      return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                          "GetPerson: no care relationship");
    }
    person->set_name(request->name());
    if (request->name() == "persons/p1") {
      person->set_given_name("Ada");
      person->set_family_name("Lovelace");
      person->set_nhs_number("9434765919");
      person->set_birth_date("1815-12-10");
      return grpc::Status::OK;
    }
    if (request->name() == "persons/p2") {
      person->set_given_name("Mary");
      person->set_family_name("Seacole");
      person->set_birth_date("1805-11-23");
      return grpc::Status::OK;
    }
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such person");
  }
  grpc::Status GetTeam(grpc::ServerContext*,
                       const directory::v1::GetTeamRequest* request,
                       directory::v1::Team* team) override {
    absl::MutexLock lock(&mu_);
    ++lookups_[request->name()];
    static const auto* teams = new std::map<std::string, std::string>{
        {"teams/cmht", "CMHT North"}, {"teams/crisis", "Crisis Team"}};
    auto it = teams->find(request->name());
    if (it == teams->end()) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such team");
    }
    team->set_name(it->first);
    team->set_display_name(it->second);
    return grpc::Status::OK;
  }
  grpc::Status GetMember(grpc::ServerContext*,
                         const directory::v1::GetMemberRequest* request,
                         directory::v1::Member* member) override {
    absl::MutexLock lock(&mu_);
    ++lookups_[request->name()];
    if (request->name() != "members/kim") {
      return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                          "GetMember: another team's member");
    }
    member->set_name(request->name());
    member->set_display_name("Kim Jones");
    return grpc::Status::OK;
  }

  void RefusePersons() {
    absl::MutexLock lock(&mu_);
    refuse_persons_ = true;
  }
  int lookups(const std::string& name) {
    absl::MutexLock lock(&mu_);
    return lookups_[name];
  }
  int total_lookups() {
    absl::MutexLock lock(&mu_);
    int total = 0;
    for (const auto& [name, count] : lookups_) total += count;
    return total;
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, int> lookups_ ABSL_GUARDED_BY(mu_);
  bool refuse_persons_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace carebridge::carectl

#endif  // CAREBRIDGE_CLIENTS_CARECTL_FAKE_DIRECTORY_H_
