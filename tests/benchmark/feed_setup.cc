#include "tests/benchmark/feed_setup.h"

#include <chrono>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "carebridge/careplan/v1/careplan.grpc.pb.h"
#include "carebridge/directory/v1/directory.grpc.pb.h"
#include "services/common/status.h"
#include "tests/benchmark/fixture.h"
#include "tests/support/sample_care_plan.h"

namespace carebridge::bench {
namespace {

constexpr auto kCallTimeout = std::chrono::seconds(30);

// `words` repeated to `chars` characters (ASCII).
std::string Repeat(absl::string_view words, size_t chars) {
  std::string text;
  while (text.size() < chars) absl::StrAppend(&text, words, " ");
  text.resize(chars);
  return text;
}

constexpr char kWords[] =
    "Ada says evenings are the hardest; her sister Jo and walking the dog "
    "help, and she wants to be asked before anyone calls her GP.";

}  // namespace

careplan::v1::CarePlan LargeCarePlan(const std::string& owning_team) {
  careplan::v1::CarePlan plan =
      testing::SampleCarePlan({owning_team, owning_team, owning_team});
  for (careplan::v1::Goal& goal : *plan.mutable_goals()) {
    goal.set_description(Repeat(kWords, 2000));
  }
  for (careplan::v1::Action& action : *plan.mutable_actions()) {
    action.set_description(Repeat(kWords, 2000));
  }
  careplan::v1::CrisisPlan* crisis = plan.mutable_crisis_plan();
  crisis->set_early_warning_signs(Repeat(kWords, 4000));
  crisis->set_what_helps(Repeat(kWords, 4000));
  crisis->set_what_to_avoid(Repeat(kWords, 4000));
  crisis->set_advance_statements(Repeat(kWords, 4000));
  return plan;
}

handover::v1::Handover LargeSharedCareHandover(
    const std::string& person, const std::string& receiving_team) {
  handover::v1::Handover handover;
  handover.set_person(person);
  handover.set_receiving_team(receiving_team);
  handover.set_kind(handover::v1::SHARED_CARE);
  handover.set_urgency(referral::v1::ROUTINE);
  handover.set_illness_severity(handover::v1::STABLE);
  handover.set_situation(Repeat(kWords, 4000));
  handover.set_background(Repeat(kWords, 4000));
  handover.set_assessment(Repeat(kWords, 4000));
  handover.set_recommendation(Repeat(kWords, 4000));
  for (int i = 0; i < 50; ++i) {
    handover::v1::HandoverAction* action = handover.add_actions();
    action->set_description(Repeat(kWords, 2000));
    action->set_owning_team(receiving_team);
  }
  return handover;
}

absl::StatusOr<std::string> RegisterPerson(
    const std::shared_ptr<grpc::Channel>& directory, absl::string_view token,
    absl::string_view given_name) {
  auto stub = directory::v1::DirectoryService::NewStub(directory);
  directory::v1::CreatePersonRequest request;
  request.mutable_person()->set_given_name(std::string(given_name));
  request.mutable_person()->set_family_name("Feedbench");
  request.mutable_person()->set_birth_date("1990-04-01");
  directory::v1::Person person;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kCallTimeout);
  AddBearer(context, token);
  grpc::Status status = stub->CreatePerson(&context, request, &person);
  if (!status.ok()) return FromGrpcStatus(status);
  return person.name();
}

absl::Status WritePlan(const std::shared_ptr<grpc::Channel>& careplan,
                       absl::string_view token, const std::string& person,
                       const careplan::v1::CarePlan& content) {
  auto stub = careplan::v1::CarePlanService::NewStub(careplan);
  careplan::v1::UpdateCarePlanRequest request;
  *request.mutable_care_plan() = content;
  request.mutable_care_plan()->set_name(absl::StrCat(person, "/carePlan"));
  *request.mutable_update_mask() = testing::SampleCarePlanMask();
  request.set_reason("Written with the person");
  careplan::v1::CarePlan written;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kCallTimeout);
  AddBearer(context, token);
  return FromGrpcStatus(stub->UpdateCarePlan(&context, request, &written));
}

absl::StatusOr<int64_t> ResidentKib(int pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  if (!status) {
    return absl::NotFoundError(absl::StrCat("no process ", pid));
  }
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) != 0) continue;
    std::vector<absl::string_view> parts =
        absl::StrSplit(line, ' ', absl::SkipEmpty());
    int64_t kib = 0;
    if (parts.size() >= 2 && absl::SimpleAtoi(parts[1], &kib)) return kib;
  }
  return absl::InternalError(absl::StrCat("no VmRSS for process ", pid));
}

}  // namespace carebridge::bench
