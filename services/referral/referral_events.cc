#include "services/referral/referral_events.h"

#include "absl/strings/str_cat.h"
#include "services/common/event_log.h"
#include "services/common/time_util.h"

namespace carebridge::referral {

std::string EventTypeFor(ReferralAction action) {
  return absl::StrCat("referral.", PastParticiple(action));
}

std::string EtagOf(int64_t version) { return absl::StrCat(version); }

v1::Referral Present(const StoredReferral& stored, absl::Time now) {
  v1::Referral referral = stored.referral;
  referral.set_etag(EtagOf(stored.version));
  referral.set_overdue(AwaitsAnswer(referral.state()) &&
                       now > FromProtoTimestamp(referral.response_due_time()));
  return referral;
}

events::v1::Event ReferralChangeEvent(absl::string_view type,
                                      const v1::Referral& after,
                                      absl::string_view actor,
                                      absl::Time time) {
  // Feeds never carry what the person's sharing choices decide on: a feed
  // cannot ask them per subscriber.
  v1::Referral payload = after;
  payload.clear_risk_summary();
  payload.clear_withheld_from_receiving_team();
  return MakeEvent(type, after.name(), after.person(),
                   {after.sending_team(), after.receiving_team()}, actor, time,
                   payload);
}

}  // namespace carebridge::referral
