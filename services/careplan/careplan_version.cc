#include "services/careplan/careplan_version.h"

#include <algorithm>

#include "absl/strings/strip.h"
#include "services/careplan/careplan_names.h"
#include "services/common/time_util.h"

namespace carebridge::careplan {

void FinishVersion(const v1::CarePlan& current, v1::Change::Kind kind,
                   const std::vector<v1::Section>& sections,
                   absl::string_view reason, const Principal& actor,
                   absl::Time now, v1::CarePlan& next) {
  const int64_t version = current.version() + 1;
  const google::protobuf::Timestamp time = ToProtoTimestamp(now);
  next.clear_name();
  next.clear_etag();
  next.set_version(version);
  if (version == 1) *next.mutable_create_time() = time;
  *next.mutable_update_time() = time;

  v1::Change* change = next.mutable_change();
  change->Clear();
  change->set_kind(kind);
  for (v1::Section section : sections) change->add_sections(section);
  change->set_reason(std::string(reason));
  change->set_actor(actor.subject);
  change->set_actor_team(actor.team);
  *change->mutable_time() = time;

  auto* stamps = next.mutable_section_stamps();
  for (v1::Section section : sections) {
    auto it = std::find_if(stamps->begin(), stamps->end(),
                           [section](const v1::SectionStamp& stamp) {
                             return stamp.section() == section;
                           });
    v1::SectionStamp* stamp = it != stamps->end() ? &*it : stamps->Add();
    stamp->set_section(section);
    stamp->set_version(version);
    *stamp->mutable_update_time() = time;
    stamp->set_updated_by(actor.subject);
    stamp->set_updated_by_team(actor.team);
  }
  // In Section order, so equal histories give equal plans.
  std::sort(stamps->begin(), stamps->end(),
            [](const v1::SectionStamp& a, const v1::SectionStamp& b) {
              return a.section() < b.section();
            });
}

std::string PersonIdOf(const v1::CarePlan& plan) {
  absl::string_view person = plan.person();
  absl::ConsumePrefix(&person, "persons/");
  return std::string(person);
}

v1::CarePlan PresentCurrent(v1::CarePlan plan) {
  plan.set_name(CarePlanName(PersonIdOf(plan)));
  plan.set_etag(EtagOf(plan.version()));
  return plan;
}

v1::CarePlan PresentVersion(const v1::CarePlan& plan, v1::VersionView view) {
  v1::CarePlan shown;
  if (view == v1::FULL) {
    shown = plan;
  } else {
    shown.set_person(plan.person());
    shown.set_version(plan.version());
    if (plan.has_change()) *shown.mutable_change() = plan.change();
    if (plan.has_agreement()) *shown.mutable_agreement() = plan.agreement();
    shown.set_agreed(plan.agreed());
    shown.set_lead_team(plan.lead_team());
    if (plan.has_create_time()) {
      *shown.mutable_create_time() = plan.create_time();
    }
    if (plan.has_update_time()) {
      *shown.mutable_update_time() = plan.update_time();
    }
  }
  shown.set_name(CarePlanVersionName(PersonIdOf(plan), plan.version()));
  shown.clear_etag();
  return shown;
}

}  // namespace carebridge::careplan
