#include "clients/carectl/referral_requests.h"

#include "clients/carectl/enums.h"
#include "clients/carectl/names.h"
#include "services/common/macros.h"

namespace carebridge::carectl {

namespace ref = ::carebridge::referral::v1;

absl::StatusOr<ref::CreateReferralRequest> BuildCreateReferralRequest(
    const Flags& flags) {
  ref::CreateReferralRequest request;
  ref::Referral* referral = request.mutable_referral();
  referral->set_person(ResourceName("persons", flags.Get("person")));
  referral->set_receiving_team(ResourceName("teams", flags.Get("to")));
  ASSIGN_OR_RETURN(ref::Urgency urgency, ParseEnumFlag<ref::Urgency>(
                                             "urgency", flags.Get("urgency")));
  referral->set_urgency(urgency);
  referral->set_reason(flags.Get("reason"));
  referral->set_person_wishes(flags.Get("wishes"));
  referral->set_risk_summary(flags.Get("risk"));
  request.set_request_id(flags.Get("request_id"));
  return request;
}

absl::StatusOr<ref::ListReferralsRequest> BuildListReferralsRequest(
    ref::Mailbox mailbox, const Flags& flags) {
  ref::ListReferralsRequest request;
  request.set_mailbox(mailbox);
  for (const std::string& value : flags.GetAll("state")) {
    for (const std::string& word : SplitList(value)) {
      ASSIGN_OR_RETURN(ref::State state,
                       ParseEnumFlag<ref::State>("state", word));
      request.add_states(state);
    }
  }
  request.set_person(ResourceName("persons", flags.Get("person")));
  request.set_overdue_only(flags.GetBool("overdue"));
  ASSIGN_OR_RETURN(int page_size, flags.GetPositiveInt("page_size"));
  request.set_page_size(page_size);
  request.set_page_token(flags.Get("page_token"));
  return request;
}

ref::DeclineReferralRequest BuildDeclineReferralRequest(const std::string& name,
                                                        const Flags& flags) {
  ref::DeclineReferralRequest request;
  request.set_name(ResourceName("referrals", name));
  request.set_etag(flags.Get("etag"));
  request.set_reason(flags.Get("reason"));
  request.mutable_onward_route()->set_signposting(flags.Get("signpost"));
  request.mutable_onward_route()->set_suggested_team(
      ResourceName("teams", flags.Get("suggest_team")));
  return request;
}

ref::RedirectReferralRequest BuildRedirectReferralRequest(
    const std::string& name, const Flags& flags) {
  ref::RedirectReferralRequest request;
  request.set_name(ResourceName("referrals", name));
  request.set_etag(flags.Get("etag"));
  request.set_new_receiving_team(ResourceName("teams", flags.Get("to")));
  request.set_reason(flags.Get("reason"));
  return request;
}

template <typename Request>
Request BuildNoteRequest(const std::string& name, const Flags& flags) {
  Request request;
  request.set_name(ResourceName("referrals", name));
  request.set_etag(flags.Get("etag"));
  request.set_note(flags.Get("note"));
  return request;
}

template ref::AcknowledgeReferralRequest
BuildNoteRequest<ref::AcknowledgeReferralRequest>(const std::string&,
                                                  const Flags&);
template ref::AcceptReferralRequest
BuildNoteRequest<ref::AcceptReferralRequest>(const std::string&, const Flags&);
template ref::CompleteReferralRequest
BuildNoteRequest<ref::CompleteReferralRequest>(const std::string&,
                                               const Flags&);

}  // namespace carebridge::carectl
