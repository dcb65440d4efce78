// `carectl person sharing` and `carectl person share`
// (CarePlanService sharing choices: which teams and sectors see which parts
// of a person's care plan).

#include "carebridge/careplan/v1/careplan.grpc.pb.h"
#include "clients/carectl/command.h"
#include "clients/carectl/name_resolver.h"
#include "clients/carectl/names.h"
#include "clients/carectl/sharing_requests.h"

namespace carebridge::carectl {
namespace {

namespace cp = ::carebridge::careplan::v1;

// Teams, members and the person by name.
void PrintLabelled(std::ostream& out, const cp::SharingChoices& choices,
                   const NameLabels& names) {
  cp::SharingChoices labelled = choices;
  LabelNames(&labelled, names);
  PrintSharingChoices(out, labelled);
}

int ShowSharing(Session& s, const Invocation& in) {
  cp::GetSharingChoicesRequest request;
  request.set_name(ResourceName("persons", in.args[0]) + "/sharingChoices");
  cp::SharingChoices response;
  grpc::Status status =
      s.careplan().GetSharingChoices(s.NewContext().get(), request, &response);
  return FinishNamed(s, status, response, PrintLabelled);
}

int Share(Session& s, const Invocation& in) {
  absl::StatusOr<cp::UpdateSharingChoicesRequest> request =
      BuildUpdateSharingChoicesRequest(in.args[0], in.flags);
  if (!request.ok()) return s.UsageError(request.status());
  cp::SharingChoices response;
  grpc::Status status = s.careplan().UpdateSharingChoices(s.NewContext().get(),
                                                          *request, &response);
  return FinishNamed(s, status, response, PrintLabelled);
}

}  // namespace

std::vector<Command> SharingCommands() {
  return {
      {"person",
       "sharing",
       "person sharing PERSON",
       "A person's sharing choices: which teams and sectors see which parts "
       "of their care plan, who set them and why, and what each sector sees "
       "(for the person, their care team and services).",
       {"PERSON"},
       {},
       ShowSharing},
      {"person",
       "share",
       "person share PERSON --rules='WHO=PART,...;...' --reason=WHY "
       "[--etag=E]",
       "Replace a person's sharing choices (the person, or their lead "
       "team). WHO is a sector (voluntary_sector, social_care, crisis, ...) "
       "or teams/ID; PART is goals, all_actions, own_actions, crisis_plan, "
       "what_helps, communication_preferences, review_date, care_team, "
       "agreement, or all. 'WHO=' shares nothing; --rules= puts every "
       "sector back to its default.",
       {"PERSON"},
       {{"rules", FlagKind::kValue},
        {"reason", FlagKind::kValue},
        {"etag", FlagKind::kValue}},
       Share},
  };
}

}  // namespace carebridge::carectl
